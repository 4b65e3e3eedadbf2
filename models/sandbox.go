package models

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// SandboxPayment is a payment held by Kasse's built-in sandbox gateway
// (package gateways has its rules). It lives in the database, like every
// other flow's state, so that a sandbox payment begun on one instance can
// be continued (3DS page, details, capture, refund) on any other.
type SandboxPayment struct {
	Record
	// SessionID is the id the 3DS page puts on the return URL.
	SessionID     *string
	Token         string
	Status        string // Authorized, Declined, Pending, Captured, Partially Captured, Voided, Refunded, Partially Refunded
	AmountCents   int64
	CapturedCents int64
	RefundedCents int64
	CurrencyCode  string
	Voided        bool
	SuccessURL    *string
	FailureURL    *string
}

// TableName is the sandbox's payments table.
func (SandboxPayment) TableName() string { return "sandbox_payments" }

// SandboxReplay is the sandbox's first answer to an idempotency key,
// replayed to every retry with that key (as a provider does).
type SandboxReplay struct {
	IdempotencyKey string `gorm:"primaryKey"`
	Result         db.JSONObject
	CreatedAt      time.Time
}

// TableName is the sandbox's replay table.
func (SandboxReplay) TableName() string { return "sandbox_replays" }

// SandboxStore keeps the sandbox gateway's payments and idempotent answers
// in the database. Each write runs in one transaction that holds the
// idempotency key's lock (and the payment's row lock), so two instances
// asked the same thing at once answer it once.
type SandboxStore struct {
	DB *gorm.DB
}

// ErrSandboxPaymentNotFound is returned for an unknown sandbox payment.
var ErrSandboxPaymentNotFound = errors.New("no such sandbox payment")

func encodeResult(res *ProviderResult) (db.JSONObject, error) {
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	var out db.JSONObject
	return out, json.Unmarshal(raw, &out)
}

func decodeResult(o db.JSONObject) (*ProviderResult, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var res ProviderResult
	return &res, json.Unmarshal(raw, &res)
}

// replay reads the first answer to key inside tx (nil when there is none).
func (s *SandboxStore) replay(tx *gorm.DB, key string) (*ProviderResult, error) {
	var r SandboxReplay
	found, err := findBy(tx, &r, "idempotency_key = ?", key)
	if err != nil || !found {
		return nil, err
	}
	return decodeResult(r.Result)
}

func (s *SandboxStore) remember(tx *gorm.DB, key string, res *ProviderResult) error {
	enc, err := encodeResult(res)
	if err != nil {
		return err
	}
	return tx.Create(&SandboxReplay{IdempotencyKey: key, Result: enc, CreatedAt: db.Now()}).Error
}

// once runs fn under key's lock unless key already has an answer, which
// it returns instead (replayed true). fn's answer is kept for key.
func (s *SandboxStore) once(ctx context.Context, key string, fn func(tx *gorm.DB) (*ProviderResult, error)) (res *ProviderResult, replayed bool, err error) {
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if key != "" {
			if err := db.LockKey(tx, "sandbox_replays:"+key); err != nil {
				return err
			}
			prev, err := s.replay(tx, key)
			if err != nil {
				return err
			}
			if prev != nil {
				res, replayed = prev, true
				return nil
			}
		}
		var err error
		if res, err = fn(tx); err != nil {
			return err
		}
		if key == "" {
			return nil
		}
		return s.remember(tx, key, res)
	})
	return res, replayed, err
}

// Create stores a new payment and the answer given for it, unless key
// already has an answer: then nothing is stored and that first answer is
// returned with replayed true.
func (s *SandboxStore) Create(ctx context.Context, key string, p *SandboxPayment, answer func(p *SandboxPayment) *ProviderResult) (res *ProviderResult, replayed bool, err error) {
	return s.once(ctx, key, func(tx *gorm.DB) (*ProviderResult, error) {
		if err := tx.Create(p).Error; err != nil {
			return nil, err
		}
		return answer(p), nil
	})
}

// Update changes a payment under its row lock with apply, and keeps
// apply's answer for key; a key already answered replays that answer and
// changes nothing. An unknown payment is ErrSandboxPaymentNotFound; an
// error from apply changes nothing and is not kept.
func (s *SandboxStore) Update(ctx context.Context, id, key string, apply func(p *SandboxPayment) (*ProviderResult, error)) (*ProviderResult, error) {
	res, _, err := s.once(ctx, key, func(tx *gorm.DB) (*ProviderResult, error) {
		var p SandboxPayment
		found, err := findBy(db.ForUpdate(tx), &p, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, ErrSandboxPaymentNotFound
		}
		res, err := apply(&p)
		if err != nil {
			return nil, err
		}
		p.UpdatedAt = db.Now()
		return res, tx.Save(&p).Error
	})
	return res, err
}

// Payment reads a payment by its id, or by its 3DS session id when id is
// empty; an unknown one is ErrSandboxPaymentNotFound.
func (s *SandboxStore) Payment(ctx context.Context, id, sessionID string) (*SandboxPayment, error) {
	var p SandboxPayment
	var found bool
	var err error
	if id != "" {
		found, err = findBy(s.DB.WithContext(ctx), &p, "id = ?", id)
	} else if sessionID != "" {
		found, err = findBy(s.DB.WithContext(ctx), &p, "session_id = ?", sessionID)
	}
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrSandboxPaymentNotFound
	}
	return &p, nil
}

// SandboxReplayAge is how long the sandbox remembers the answer to a
// provider idempotency key: as long as a real provider (Stripe keeps
// keys 24 hours) and then some, for a reconciliation that retries late.
const SandboxReplayAge = 7 * 24 * time.Hour

// Purge forgets answers to idempotency keys older than SandboxReplayAge.
func (s *SandboxStore) Purge(ctx context.Context) (int64, error) {
	res := s.DB.WithContext(ctx).Where("created_at < ?", db.Now().Add(-SandboxReplayAge)).Delete(&SandboxReplay{})
	return res.RowsAffected, res.Error
}

// The sandbox's test tokens (package gateways maps each to its outcome).
const (
	SandboxTokenApproved = "tok_sandbox_approved"
	SandboxTokenDeclined = "tok_sandbox_declined"
	SandboxTokenThreeDS  = "tok_sandbox_3ds"
	SandboxTokenTimeout  = "tok_sandbox_timeout"
	// SandboxMobileMoneyPrefix starts a sandbox mobile-money token: the
	// phone's digits follow.
	SandboxMobileMoneyPrefix = "tok_sandbox_mm_"
)

// SandboxTestCards are the only card numbers the sandbox's hosted form
// takes, each with its outcome's token.
var SandboxTestCards = map[string]string{
	"4242424242424242": SandboxTokenApproved, // approved
	"4000000000000002": SandboxTokenDeclined, // declined
	"4000000000003220": SandboxTokenThreeDS,  // 3DS challenge, then approved
	"4000000000000119": SandboxTokenTimeout,  // the provider times out
}

var (
	nonDigits = regexp.MustCompile(`[^0-9]`)
	cvc       = regexp.MustCompile(`^[0-9]{3,4}$`)
	expiry    = regexp.MustCompile(`^\s*([0-9]{1,2})\s*/\s*([0-9]{2}|[0-9]{4})\s*$`)
)

// SandboxCardToken is the token of a sandbox test card, after checking its
// expiry (MM/YY, in the future) and CVC. The number is only compared,
// never kept: any other number is refused.
func SandboxCardToken(number, exp, code string, now time.Time) (string, error) {
	digits := nonDigits.ReplaceAllString(number, "")
	token, ok := SandboxTestCards[digits]
	if !ok {
		return "", errs.Invalid("card_number", "the sandbox takes only its test cards: 4242 4242 4242 4242, 4000 0000 0000 0002, 4000 0000 0000 3220 or 4000 0000 0000 0119")
	}
	m := expiry.FindStringSubmatch(exp)
	if m == nil {
		return "", errs.Invalid("card_expiry", "must be MM/YY")
	}
	month, _ := strconv.Atoi(m[1])
	year, _ := strconv.Atoi(m[2])
	if year < 100 {
		year += 2000
	}
	if month < 1 || month > 12 {
		return "", errs.Invalid("card_expiry", "must be MM/YY")
	}
	if !time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC).After(now) {
		return "", errs.Invalid("card_expiry", "the card has expired")
	}
	if !cvc.MatchString(strings.TrimSpace(code)) {
		return "", errs.Invalid("card_cvc", "must be 3 or 4 digits")
	}
	return token, nil
}

// SandboxMobileMoneyToken is the sandbox token of a mobile-money payment
// from an E.164 phone: ending in 0002 it is declined, in 0003 it is
// approved after SandboxMobileMoneyDelay, otherwise approved at once.
func SandboxMobileMoneyToken(phone string) string {
	return SandboxMobileMoneyPrefix + nonDigits.ReplaceAllString(phone, "")
}

// SandboxMobileMoneyDelay is how long a sandbox mobile-money payment from
// a phone ending in 0003 waits for the customer's approval.
const SandboxMobileMoneyDelay = 3 * time.Second
