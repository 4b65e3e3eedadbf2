package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
	"gorm.io/gorm"

	"kasse/db"
	"kasse/errs"
)

// Topics are the webhook topics Kasse accepts, as the reference names them
// ({resource}.{event}). The hosted-checkout topics are accepted; nothing
// fires them yet.
var Topics = []string{
	"orders.create", "orders.place", "orders.approve", "orders.cancel", "orders.authorize",
	"orders.void", "orders.pay", "orders.refund", "orders.destroy",
	"authorizations.create", "captures.create", "voids.create", "refunds.create",
	"customers.create",
	"checkout_sessions.create", "checkout_sessions.complete", "checkout_sessions.fail",
	"checkout_sessions.expire", "checkout_sessions.cancel",
}

// TopicResource is the resource type a topic reports ("orders.place" →
// "orders").
func TopicResource(topic string) string {
	typ, _, _ := strings.Cut(topic, ".")
	return typ
}

// Circuit states and the failures that open a webhook's circuit.
const (
	CircuitClosed        = "closed"
	CircuitOpen          = "open"
	CircuitFailureLimit  = 30
	sharedSecretPrefix   = "whsec_"
	sharedSecretByteSize = 32
)

// Webhook is a subscription: events of its topic are POSTed to its
// callback URL, signed with its shared secret.
type Webhook struct {
	Base
	Switch
	Name                *string
	Topic               string
	CallbackURL         string
	IncludeResources    db.JSONArray
	SharedSecret        string
	CircuitState        string
	CircuitFailureCount int
}

// NewSharedSecret is a Standard Webhooks secret: whsec_ and the base64 of
// 32 random bytes.
func NewSharedSecret() string {
	b := make([]byte, sharedSecretByteSize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return sharedSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// SecretKey is the key of the Standard Webhooks signature: the bytes the
// base64 after whsec_ encodes.
func SecretKey(secret string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, sharedSecretPrefix))
}

// Includes are the include paths the webhook's body carries.
func (w *Webhook) Includes() []string {
	var out []string
	for _, v := range w.IncludeResources {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// BeforeWrite checks the topic, the URL's form and the include paths'
// form, and gives a new webhook its secret and a closed circuit. The URL's
// target is checked by URLGuard (it needs the operator's settings).
func (w *Webhook) BeforeWrite(_ *gorm.DB, creating bool) error {
	var v collect
	if !slices.Contains(Topics, w.Topic) {
		_ = v.add(errs.Invalid("topic", fmt.Sprintf("%q is not a valid topic (valid topics: %s)", w.Topic, strings.Join(Topics, ", "))))
	}
	if u, err := url.Parse(w.CallbackURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		_ = v.add(errs.Invalid("callback_url", "is not a valid URL"))
	}
	for _, item := range w.IncludeResources {
		if _, ok := item.(string); !ok {
			_ = v.add(errs.Invalid("include_resources", "must be an array of include paths such as line_items.item"))
			break
		}
	}
	if creating {
		w.SharedSecret = NewSharedSecret()
		w.CircuitState, w.CircuitFailureCount = CircuitClosed, 0
	}
	return v.err()
}

// CallbackURLChanged says whether the webhook is new or its callback_url
// differs from the stored one (only then is its target checked again).
func (w *Webhook) CallbackURLChanged(tx *gorm.DB) (bool, error) {
	if w.ID == "" {
		return true, nil
	}
	var stored []string
	if err := tx.Model(&Webhook{}).Where("id = ?", w.ID).Pluck("callback_url", &stored).Error; err != nil {
		return false, err
	}
	return len(stored) == 0 || stored[0] != w.CallbackURL, nil
}

// ResetCircuit closes the webhook's circuit (the `_reset_circuit` trigger).
func (w *Webhook) ResetCircuit(*gorm.DB) error {
	w.CircuitState, w.CircuitFailureCount = CircuitClosed, 0
	return nil
}

// RegenerateSecret replaces the shared secret (`_regenerate_shared_secret`).
func (w *Webhook) RegenerateSecret(*gorm.DB) error {
	w.SharedSecret = NewSharedSecret()
	return nil
}

// Event is one topic (the reference's `events` resource): its webhooks
// and their last callbacks.
type Event struct {
	Base
	Name string
}

// Trigger re-fires the event (`_trigger`): its latest delivery's resource
// is delivered again to every enabled webhook of its topic, even one whose
// circuit is open (a success closes it).
func (e *Event) Trigger(tx *gorm.DB) error {
	var last WebhookDelivery
	err := tx.Where("topic = ?", e.Name).Order("created_at DESC, id DESC").Take(&last).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return errs.New(errs.ValidationError, "event %s has not happened yet: there is nothing to trigger", e.Name)
	}
	if err != nil {
		return err
	}
	return emit(tx, e.Name, last.ResourceType, last.ResourceID, true)
}

// EventCallback is one delivery attempt: what was sent and what the
// receiver answered.
type EventCallback struct {
	Record
	WebhookID       string
	EventID         *string
	DeliveryID      *string
	CallbackURL     string
	Payload         db.JSONObject
	ResponseCode    *string
	ResponseMessage *string
}

// WebhookDelivery is the outbox: one event for one webhook, written in the
// transaction of the change it reports. Its id is the Standard Webhooks
// message id (webhook-id), the same on every retry.
type WebhookDelivery struct {
	Record
	WebhookID    string
	EventID      *string
	Topic        string
	ResourceType string
	ResourceID   string
	Manual       bool
}

// Emit writes, in tx (the transaction of the change it reports), one
// delivery of topic about the resource for every enabled webhook of the
// topic whose circuit is closed. A rolled-back change leaves nothing; a
// committed one has its deliveries, and their jobs (see Outbox.Install).
func Emit(tx *gorm.DB, topic, resourceType, resourceID string) error {
	return emit(tx, topic, resourceType, resourceID, false)
}

func emit(tx *gorm.DB, topic, resourceType, resourceID string, manual bool) error {
	if !slices.Contains(Topics, topic) {
		return nil
	}
	q := tx.Model(&Webhook{}).Where("topic = ? AND disabled_at IS NULL", topic)
	if !manual {
		q = q.Where("circuit_state = ?", CircuitClosed)
	}
	var webhookIDs []string
	if err := q.Order("id").Pluck("id", &webhookIDs).Error; err != nil {
		return err
	}
	if len(webhookIDs) == 0 {
		return nil
	}
	var eventIDs []string
	if err := tx.Model(&Event{}).Where("name = ?", topic).Pluck("id", &eventIDs).Error; err != nil {
		return err
	}
	var eventID *string
	if len(eventIDs) > 0 {
		eventID = &eventIDs[0]
	}
	deliveries := make([]WebhookDelivery, len(webhookIDs))
	for i, id := range webhookIDs {
		deliveries[i] = WebhookDelivery{WebhookID: id, EventID: eventID, Topic: topic, ResourceType: resourceType, ResourceID: resourceID, Manual: manual}
	}
	return tx.Create(&deliveries).Error
}

// Outbox hands the deliveries Emit writes to the job queue, in the same
// transaction.
type Outbox struct {
	// Enqueue inserts one job per delivery id in tx, the *sql.Tx of the
	// write's transaction.
	Enqueue func(ctx context.Context, tx *sql.Tx, deliveryIDs []string) error
	// EnqueueCallbacks does the same for checkout session callbacks.
	EnqueueCallbacks func(ctx context.Context, tx *sql.Tx, callbackIDs []string) error
}

// Install makes every delivery created through gdb (and the sessions and
// transactions made from it) enqueue its job in the same transaction: a
// gorm callback after the insert. A delivery written outside a
// transaction is refused: it could be lost or sent for a change that did
// not happen.
func (o *Outbox) Install(gdb *gorm.DB) error {
	return gdb.Callback().Create().After("gorm:create").Register("kasse:enqueue_deliveries", func(tx *gorm.DB) {
		if tx.Error != nil || (tx.Statement.Table != "webhook_deliveries" && tx.Statement.Table != "checkout_callbacks") {
			return
		}
		var ids []string
		enqueue := o.Enqueue
		switch v := tx.Statement.Dest.(type) {
		case *[]WebhookDelivery:
			for _, d := range *v {
				ids = append(ids, d.ID)
			}
		case *WebhookDelivery:
			ids = append(ids, v.ID)
		case *CheckoutCallback:
			ids, enqueue = append(ids, v.ID), o.EnqueueCallbacks
		}
		if len(ids) == 0 || enqueue == nil {
			return
		}
		sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
		if prepared, isPrepared := tx.Statement.ConnPool.(*gorm.PreparedStmtTX); isPrepared {
			sqlTx, ok = prepared.Tx.(*sql.Tx)
		}
		if !ok {
			_ = tx.AddError(errors.New("webhook deliveries must be written in a transaction"))
			return
		}
		if err := enqueue(tx.Statement.Context, sqlTx, ids); err != nil {
			_ = tx.AddError(fmt.Errorf("enqueue webhook deliveries: %w", err))
		}
	})
}

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	CallbackURL string
	Payload     map[string]any
	Code        int    // the HTTP status; 0 when there was no answer
	Message     string // the status text, or why there was no answer
	OK          bool
}

// Deliveries reads the outbox and records the attempts, for the workers.
type Deliveries struct {
	DB *gorm.DB
}

// Load reads a delivery and its webhook; both are nil when the delivery is
// gone (its webhook was deleted since).
func (d *Deliveries) Load(ctx context.Context, id string) (*WebhookDelivery, *Webhook, error) {
	var del WebhookDelivery
	var w Webhook
	err := d.DB.WithContext(ctx).Where("id = ?", id).Take(&del).Error
	if err == nil {
		err = d.DB.WithContext(ctx).Where("id = ?", del.WebhookID).Take(&w).Error
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &del, &w, nil
}

// Record stores an attempt as an event callback and moves the webhook's
// circuit: a success closes it, a failure counts, and the
// CircuitFailureLimit-th consecutive failure opens it. It reports whether
// the circuit is open afterwards.
func (d *Deliveries) Record(ctx context.Context, del *WebhookDelivery, a Attempt) (bool, error) {
	open := false
	err := d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cb := &EventCallback{WebhookID: del.WebhookID, EventID: del.EventID, DeliveryID: &del.ID, CallbackURL: a.CallbackURL, Payload: a.Payload}
		if a.Code != 0 {
			code := fmt.Sprint(a.Code)
			cb.ResponseCode = &code
		}
		if a.Message != "" {
			msg := a.Message
			if len(msg) > 500 {
				msg = msg[:500]
			}
			cb.ResponseMessage = &msg
		}
		if err := tx.Create(cb).Error; err != nil {
			return err
		}
		now := db.Now()
		var res *gorm.DB
		if a.OK {
			res = tx.Exec("UPDATE webhooks SET circuit_state = ?, circuit_failure_count = 0, updated_at = ? WHERE id = ?", CircuitClosed, now, del.WebhookID)
		} else {
			res = tx.Exec("UPDATE webhooks SET circuit_failure_count = circuit_failure_count + 1, circuit_state = CASE WHEN circuit_failure_count + 1 >= ? THEN ? ELSE circuit_state END, updated_at = ? WHERE id = ?",
				CircuitFailureLimit, CircuitOpen, now, del.WebhookID)
		}
		if res.Error != nil {
			return res.Error
		}
		var w Webhook
		if err := tx.Select("circuit_state").Where("id = ?", del.WebhookID).Take(&w).Error; err != nil {
			return err
		}
		open = w.CircuitState == CircuitOpen
		return nil
	})
	return open, err
}

// URLGuard refuses callback URLs that are not https or whose host resolves
// to a loopback, private, link-local, metadata or otherwise non-public
// address (code.dny.dev/ssrf's list), unless AllowPrivate (local
// development and tests). The same check runs at create and when dialing,
// since DNS can change in between.
type URLGuard struct {
	AllowPrivate bool
	Resolver     *net.Resolver // nil: net.DefaultResolver
}

var guardian = ssrf.New(ssrf.WithAnyPort())

// CheckURL is a 422 at callback_url for a URL the guard refuses.
func (g *URLGuard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errs.Invalid("callback_url", "is not a valid URL")
	}
	if g.AllowPrivate {
		if u.Scheme != "https" && u.Scheme != "http" {
			return errs.Invalid("callback_url", "must be an http or https URL")
		}
		return nil
	}
	if u.Scheme != "https" {
		return errs.Invalid("callback_url", "must be an https URL")
	}
	resolver := g.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	host := u.Hostname()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return errs.Invalid("callback_url", fmt.Sprintf("host %s does not resolve", host))
	}
	for _, a := range addrs {
		if err := checkAddr(a); err != nil {
			return errs.Invalid("callback_url", fmt.Sprintf("host %s resolves to %s, which is not a public address", host, a.Unmap()))
		}
	}
	return nil
}

func checkAddr(a netip.Addr) error {
	network := "tcp6"
	if a.Unmap().Is4() {
		network, a = "tcp4", a.Unmap()
	}
	return guardian.Safe(network, netip.AddrPortFrom(a, 443).String(), nil)
}

// Control is a net.Dialer Control refusing non-public addresses at dial
// time (nil when AllowPrivate).
func (g *URLGuard) Control() func(network, address string, c syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	return guardian.Safe
}
