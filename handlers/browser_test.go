package handlers_test

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds headless Chromium for the tests a person's browser
// must prove (CORS, the payment pages). KASSE_CHROMIUM names it; else
// Debian's chromium on PATH; else, as root with apt-get at hand, the test
// installs Debian's package itself (once per test binary). It never skips.
var chromiumPath = sync.OnceValues(func() (string, error) {
	if p := os.Getenv("KASSE_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if _, err := exec.LookPath("apt-get"); err == nil && os.Geteuid() == 0 {
		install := exec.Command("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium")
		if out, err := install.CombinedOutput(); err != nil {
			return "", &installError{out: string(out), err: err}
		}
		return exec.LookPath("chromium")
	}
	return "", exec.ErrNotFound
})

type installError struct {
	out string
	err error
}

func (e *installError) Error() string { return e.err.Error() + ": " + e.out }

// browser starts a headless Chromium for one test and returns its context,
// whose actions must end within 60 s (a guard against a hung browser).
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(chromium(t), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// chromium starts a headless Chromium for one test and returns its
// context, with no deadline: for tests whose parallel subtests each open
// a tab (chromedp.NewContext) with a deadline of their own, as they may
// wait long for their turn to run.
func chromium(t *testing.T) context.Context {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		t.Fatalf("this test needs headless Chromium: install Debian's chromium (apt-get install chromium) or set KASSE_CHROMIUM=/path/to/chromium (%v)", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first action binds the browser's life to its context, so the
	// start is guarded by a timer rather than a deadline.
	hung := time.AfterFunc(60*time.Second, cancelBrowser)
	err = chromedp.Do(ctx, chromedp.Navigate("about:blank"))
	hung.Stop()
	if err != nil {
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	return ctx
}
