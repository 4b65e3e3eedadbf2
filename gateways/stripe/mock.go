package stripe

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MockModule and MockVersion name the stripe-mock release the tests run
// (the Makefile's bin/stripe-mock target installs the same one).
const (
	MockModule  = "github.com/stripe/stripe-mock"
	MockVersion = "v0.203.0"
)

// MockBin returns the stripe-mock binary for tests: $STRIPE_MOCK_BIN when
// set, otherwise bin/stripe-mock in the module's root, which it installs
// first when it is missing (`go install` of MockModule@MockVersion, ~30 s
// once). Test binaries of several packages may ask at once: one installs
// under a lock on bin/, into a temporary directory then renamed into
// place, and the others wait for it.
func MockBin() (string, error) {
	if bin := os.Getenv("STRIPE_MOCK_BIN"); bin != "" {
		return bin, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "bin")
	bin := filepath.Join(dir, "stripe-mock")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(dir, ".stripe-mock.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // installed by another test binary while this one waited
	}
	tmp, err := os.MkdirTemp(dir, ".stripe-mock-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", MockModule+"@"+MockVersion)
	cmd.Dir = tmp // outside the module: pkg@version needs none
	cmd.Env = append(os.Environ(), "GOBIN="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		detail := strings.Join(strings.Fields(string(out)), " ")
		return "", fmt.Errorf("stripe-mock is not installed at %s and `go install %s@%s` failed (%v: %s): run `make bin/stripe-mock`, or set STRIPE_MOCK_BIN to a stripe-mock %s binary",
			bin, MockModule, MockVersion, err, detail, MockVersion)
	}
	name := "stripe-mock"
	if _, err := os.Stat(filepath.Join(tmp, name)); err != nil {
		name += ".exe"
	}
	if err := os.Rename(filepath.Join(tmp, name), bin); err != nil {
		if _, statErr := os.Stat(bin); statErr == nil {
			return bin, nil // another installer won the race (no lock on this OS)
		}
		return "", err
	}
	return bin, nil
}

// moduleRoot is the nearest directory at or above the working directory
// (a package's, under go test) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("stripe-mock: no go.mod at or above the working directory: set STRIPE_MOCK_BIN")
		}
		dir = parent
	}
}

// StartMock starts Stripe's own API mock (the stripe-mock binary bin, from
// MockBin) on free loopback ports — it listens on every interface unless
// told — and returns its HTTP URL and a stop function. It is for tests: stripe-mock is stateless, so it proves
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
