package stripe

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// StartMock starts Stripe's own API mock (stripe-mock, installed into the
// project's bin/ by `make bin/stripe-mock`) on free loopback ports — it
// listens on every interface unless told — and returns its HTTP URL and a
// stop function. It is for tests: stripe-mock is stateless, so it proves
// requests are valid Stripe API calls, not how a payment moves.
func StartMock(bin string) (url string, stop func(), err error) {
	stop = func() {}
	if _, err := os.Stat(bin); err != nil {
		return "", stop, fmt.Errorf("stripe-mock is not installed at %s: run `make bin/stripe-mock` (or set STRIPE_MOCK_BIN)", bin)
	}
	httpPort, err := freePort()
	if err != nil {
		return "", stop, err
	}
	httpsPort, err := freePort()
	if err != nil {
		return "", stop, err
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:"+httpPort, "-https-addr", "127.0.0.1:"+httpsPort)
	cmd.Stdout, cmd.Stderr = &out, &out
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return "", stop, fmt.Errorf("start stripe-mock: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop = func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	url = "http://127.0.0.1:" + httpPort
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, url+"/v1/payment_intents/pi_123", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, stop, nil
			}
		}
		select {
		case <-exited:
			return "", stop, fmt.Errorf("stripe-mock exited: %s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return "", stop, errors.New("stripe-mock did not answer within 20 s")
		}
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}
