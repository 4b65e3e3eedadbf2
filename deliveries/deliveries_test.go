package deliveries

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// TestSign checks the Standard Webhooks signature against the example of
// the specification (and its libraries' tests), and the Commerce Layer one
// against HMAC-SHA256 keyed by the secret string.
func TestSign(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	h, err := Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("webhook-signature"), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("webhook-signature %q, want %q", got, want)
	}
	if got := h.Get("webhook-timestamp"); got != "1614265330" {
		t.Errorf("webhook-timestamp %q", got)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if got, want := h.Get("X-CommerceLayer-Signature"), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("X-CommerceLayer-Signature %q, want %q", got, want)
	}
	if _, err := Sign("whsec_not base64!", "id", time.Now(), body); err == nil {
		t.Error("a malformed secret signed")
	}
}

// TestRetryPolicy: each attempt waits its step of the schedule, ±10 %.
func TestRetryPolicy(t *testing.T) {
	p := &retryPolicy{schedule: DefaultSchedule}
	for attempt := 1; attempt <= 12; attempt++ {
		want := DefaultSchedule[min(attempt-1, len(DefaultSchedule)-1)]
		got := time.Until(p.NextRetry(&rivertype.JobRow{Attempt: attempt}))
		if got < want*89/100 || got > want*111/100 {
			t.Errorf("attempt %d: waits %s, want %s ±10 %%", attempt, got, want)
		}
	}
}
