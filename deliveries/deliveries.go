// Package deliveries sends webhook events: a River job per delivery,
// inserted in the transaction of the change it reports (models.Emit and
// models.Outbox), claimed by exactly one worker on any instance, rendered
// as the resource's JSON:API document by the engine, signed both the
// Commerce Layer way and the Standard Webhooks way, retried with backoff,
// and recorded as event_callbacks. docs/webhooks.md describes the wire.
package deliveries

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
	"kasse/serializers"
)

// DefaultSchedule is the wait before each retry: 10 retries over about
// two days, each with ±10 % jitter.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// DefaultTimeout is how long a receiver has to answer.
const DefaultTimeout = 5 * time.Second

// Config wires the service.
type Config struct {
	// DB is the database/sql pool gorm uses (the jobs are inserted in its
	// transactions); Dialect is "sqlite" or "postgres".
	DB      *sql.DB
	Dialect string
	// Engine renders the resources; Deliveries reads the outbox and
	// records attempts; Guard refuses non-public targets at dial time.
	Engine     *engine.Engine
	Deliveries *models.Deliveries
	// Callbacks reads and records checkout session callbacks.
	Callbacks *models.Callbacks
	Guard     *models.URLGuard
	// ResourceMeta is the meta of every resource (mode, organization_id).
	ResourceMeta map[string]any
	// Schedule is the wait before each retry (DefaultSchedule when nil).
	Schedule []time.Duration
	Timeout  time.Duration // DefaultTimeout when 0
	// Workers is how many deliveries run at once on this instance (10
	// when 0); PollInterval how often it looks for due jobs (1 s when 0).
	Workers      int
	PollInterval time.Duration
	// RescueAfter is how long a job may stay running before it is taken
	// to have died with its instance and is retried (1 min when 0; at
	// least Timeout + 5 s, the job's own timeout).
	RescueAfter time.Duration
	Logger      *slog.Logger
	// Transport overrides the HTTP transport (tests); it must apply Guard.
	Transport http.RoundTripper
	// Periodic is the background work run on the same queue, each task
	// once per interval across every instance.
	Periodic []Periodic
}

// Periodic is background work River runs every Interval (1 s at least),
// once across all instances (River's leader enqueues it; any instance's worker runs it):
// the checkout expiry sweep, payment reconciliation, the purges. A run
// that fails is logged and not retried: the next interval's run is the
// retry.
type Periodic struct {
	Name     string
	Interval time.Duration
	// Timeout bounds one run (PeriodicTimeout when 0).
	Timeout time.Duration
	Run     func(ctx context.Context) error
}

// PeriodicTimeout bounds a periodic run by default.
const PeriodicTimeout = time.Minute

// PeriodicArgs is a periodic run's job: the task's name.
type PeriodicArgs struct {
	Task string `json:"task"`
}

// Kind names the job kind in River's tables.
func (PeriodicArgs) Kind() string { return "periodic" }

type periodicWorker struct {
	river.WorkerDefaults[PeriodicArgs]
	tasks map[string]Periodic
	log   *slog.Logger
}

func (w *periodicWorker) Timeout(job *river.Job[PeriodicArgs]) time.Duration {
	if t, ok := w.tasks[job.Args.Task]; ok && t.Timeout > 0 {
		return t.Timeout
	}
	return PeriodicTimeout
}

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[PeriodicArgs]) error {
	t, ok := w.tasks[job.Args.Task]
	if !ok {
		return nil // a task an older version had
	}
	if err := t.Run(ctx); err != nil {
		w.log.WarnContext(ctx, "periodic task failed", slog.String("task", t.Name), slog.String("error", err.Error()))
		return river.JobCancel(err)
	}
	return nil
}

// periodicJobs are River's periodic jobs of tasks.
func periodicJobs(tasks []Periodic) []*river.PeriodicJob {
	jobs := make([]*river.PeriodicJob, 0, len(tasks))
	for _, t := range tasks {
		name, interval := t.Name, t.Interval
		jobs = append(jobs, river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
			// One run per interval, however many leaders came and went
			// (River's uniqueness periods are whole seconds at least).
			return PeriodicArgs{Task: name}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: max(interval, time.Second)}}
		}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	return jobs
}

// Service runs the delivery workers and enqueues deliveries.
type Service struct {
	cfg    Config
	meta   serializers.ResourceMeta // cfg.ResourceMeta, encoded once
	client *river.Client[*sql.Tx]
	http   *http.Client
}

// Args is a delivery job's arguments: the outbox row to send.
type Args struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind names the job kind in River's tables.
func (Args) Kind() string { return "webhook_delivery" }

// New builds the service; Start runs its workers.
func New(cfg Config) (*Service, error) {
	if cfg.Schedule == nil {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 10
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = time.Minute
	}
	if cfg.Guard == nil {
		cfg.Guard = &models.URLGuard{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var driver riverdriver.Driver[*sql.Tx]
	switch cfg.Dialect {
	case "sqlite":
		driver = riversqlite.New(cfg.DB)
	case "postgres":
		driver = riverdatabasesql.New(cfg.DB)
	default:
		return nil, fmt.Errorf("deliveries: unknown dialect %q", cfg.Dialect)
	}
	meta, err := serializers.NewResourceMeta(cfg.ResourceMeta)
	if err != nil {
		return nil, fmt.Errorf("deliveries: resource meta: %w", err)
	}
	s := &Service{cfg: cfg, meta: meta}
	transport := cfg.Transport
	if transport == nil {
		dialer := &net.Dialer{Timeout: cfg.Timeout, Control: cfg.Guard.Control()}
		transport = &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: cfg.Timeout, ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second}
	}
	s.http = &http.Client{Transport: transport, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker{s: s})
	river.AddWorker(workers, &callbackWorker{s: s})
	tasks := map[string]Periodic{}
	for _, t := range cfg.Periodic {
		if t.Name == "" || t.Interval <= 0 || t.Run == nil {
			return nil, fmt.Errorf("deliveries: periodic task %q needs a name, an interval and a function", t.Name)
		}
		tasks[t.Name] = t
	}
	river.AddWorker(workers, &periodicWorker{tasks: tasks, log: cfg.Logger})
	cooldown := min(100*time.Millisecond, cfg.PollInterval)
	// A job runs the call and a little database work; River rescues only
	// jobs running longer than their timeout.
	jobTimeout := cfg.Timeout + 5*time.Second
	cfg.RescueAfter = max(cfg.RescueAfter, jobTimeout)
	// RescueAfter stays the deliveries' own: a periodic run taking longer
	// is only marked rescued (it has one attempt) and never run twice.
	client, err := river.NewClient(driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		RetryPolicy:          &retryPolicy{schedule: cfg.Schedule},
		MaxAttempts:          len(cfg.Schedule) + 1,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        cooldown,
		PollOnly:             true,
		JobTimeout:           jobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		PeriodicJobs:         periodicJobs(cfg.Periodic),
		Logger:               quiet(cfg.Logger),
	})
	if err != nil {
		return nil, err
	}
	s.client = client
	return s, nil
}

// quiet keeps River's own info lines out of Kasse's log.
func quiet(log *slog.Logger) *slog.Logger {
	return slog.New(levelHandler{log.Handler()})
}

type levelHandler struct{ slog.Handler }

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

// Outbox is what models.Outbox.Install needs: the jobs inserted in the
// write's transaction.
func (s *Service) Outbox() *models.Outbox {
	return &models.Outbox{
		Enqueue: func(ctx context.Context, tx *sql.Tx, ids []string) error {
			params := make([]river.InsertManyParams, len(ids))
			for i, id := range ids {
				params[i] = river.InsertManyParams{Args: Args{DeliveryID: id}}
			}
			_, err := s.client.InsertManyTx(ctx, tx, params)
			return err
		},
		EnqueueCallbacks: func(ctx context.Context, tx *sql.Tx, ids []string) error {
			params := make([]river.InsertManyParams, len(ids))
			for i, id := range ids {
				params[i] = river.InsertManyParams{Args: CallbackArgs{CallbackID: id}}
			}
			_, err := s.client.InsertManyTx(ctx, tx, params)
			return err
		},
	}
}

// CallbackArgs is a checkout session callback job's arguments.
type CallbackArgs struct {
	CallbackID string `json:"callback_id"`
}

// Kind names the job kind in River's tables.
func (CallbackArgs) Kind() string { return "checkout_callback" }

type callbackWorker struct {
	river.WorkerDefaults[CallbackArgs]
	s *Service
}

// Work posts a session's callback: a form body (models.CheckoutCallback's
// Form) signed like a webhook with the market's shared_secret, retried
// on the webhook schedule until the merchant answers 2xx.
func (w *callbackWorker) Work(ctx context.Context, job *river.Job[CallbackArgs]) error {
	s := w.s
	if s.cfg.Callbacks == nil {
		return errors.New("deliveries: no callbacks store configured")
	}
	cb, secret, err := s.cfg.Callbacks.Load(ctx, job.Args.CallbackID)
	if err != nil {
		return err
	}
	if cb == nil {
		return nil // the session is gone
	}
	body := []byte(cb.Form().Encode())
	attempt := s.send(ctx, cb.CallbackURL, secret, cb.ID, body, func(h http.Header) {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		h.Set("X-Kasse-Topic", models.SessionTopic(cb.Status))
	})
	if err := s.cfg.Callbacks.Record(ctx, cb, attempt.Code, attempt.Message, attempt.OK); err != nil {
		return err
	}
	if attempt.OK {
		return nil
	}
	return fmt.Errorf("callback %s: %s", cb.ID, attempt.Message)
}

// Start runs the workers until Stop.
func (s *Service) Start(ctx context.Context) error { return s.client.Start(ctx) }

// Stop lets running deliveries finish (until ctx ends) and stops.
func (s *Service) Stop(ctx context.Context) error { return s.client.Stop(ctx) }

// retryPolicy waits the schedule's step for the attempt that failed, with
// ±10 % jitter so retries of many deliveries spread out.
type retryPolicy struct{ schedule []time.Duration }

func (p *retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	i := min(max(job.Attempt-1, 0), len(p.schedule)-1)
	d := p.schedule[i]
	if jitter := int64(d / 10); jitter > 0 {
		d += time.Duration(rand.Int64N(2*jitter+1) - jitter)
	}
	return time.Now().Add(d)
}

type worker struct {
	river.WorkerDefaults[Args]
	s *Service
}

var errCircuitOpen = errors.New("the webhook's circuit is open")

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	s := w.s
	del, hook, err := s.cfg.Deliveries.Load(ctx, job.Args.DeliveryID)
	if err != nil {
		return err
	}
	if del == nil || hook.DisabledAt != nil {
		return nil // the webhook was deleted or disabled since
	}
	if hook.CircuitState == models.CircuitOpen && !del.Manual {
		return river.JobCancel(errCircuitOpen)
	}
	body, err := s.Body(ctx, del, hook)
	if err != nil {
		return err
	}
	attempt := s.post(ctx, hook, del, body)
	if err := json.Unmarshal(body, &attempt.Payload); err != nil {
		return err
	}
	open, err := s.cfg.Deliveries.Record(ctx, del, attempt)
	if err != nil {
		return err
	}
	if attempt.OK {
		return nil
	}
	if open && !del.Manual {
		s.cfg.Logger.Warn("webhook circuit opened", slog.String("webhook_id", hook.ID), slog.String("topic", hook.Topic))
		return river.JobCancel(errCircuitOpen)
	}
	return fmt.Errorf("webhook %s: %s", hook.ID, attempt.Message)
}

// Body renders the delivery's resource as the API shows it to an
// integration, with the webhook's include_resources included, relative
// links and meta.mode / meta.organization_id. A resource gone since (an
// order destroyed) is its identifier only.
func (s *Service) Body(ctx context.Context, del *models.WebhookDelivery, hook *models.Webhook) ([]byte, error) {
	doc, err := s.document(ctx, del, hook)
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

func (s *Service) document(ctx context.Context, del *models.WebhookDelivery, hook *models.Webhook) (*serializers.Document, error) {
	meta := map[string]any{}
	for k, v := range s.cfg.ResourceMeta {
		meta[k] = v
	}
	reg := s.cfg.Engine.Registry
	def, ok := reg.Lookup(del.ResourceType)
	if !ok {
		return nil, fmt.Errorf("deliveries: unknown type %s", del.ResourceType)
	}
	params := serializers.Params{HasInclude: len(hook.IncludeResources) > 0}
	for _, path := range hook.Includes() {
		params.Include = append(params.Include, strings.Split(path, "."))
	}
	q, err := reg.Compile(def, params)
	if err != nil {
		// Paths valid when the webhook was saved but not now: send the
		// resource without them rather than nothing.
		params, q = serializers.Params{}, engine.Query{}
	}
	node, err := s.cfg.Engine.Get(ctx, &models.Principal{Role: models.RoleIntegration}, def, del.ResourceID, q)
	if list, ok := errs.As(err); ok && list[0].Code == errs.RecordNotFound {
		return &serializers.Document{Data: map[string]any{"id": del.ResourceID, "type": del.ResourceType, "meta": meta}, Meta: meta}, nil
	}
	if err != nil {
		return nil, err
	}
	doc, err := serializers.One(node, serializers.Options{Include: q.Include, HasInclude: params.HasInclude, ResourceMeta: s.meta})
	if err != nil {
		return nil, err
	}
	doc.Meta = meta
	return doc, nil
}

// Sign returns the headers that sign body for a webhook: Commerce Layer's
// X-CommerceLayer-Signature (base64 HMAC-SHA256 of the body keyed by the
// shared secret string) and the Standard Webhooks webhook-id,
// webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of
// id.timestamp.body keyed by the bytes after whsec_>).
func Sign(secret, msgID string, at time.Time, body []byte) (http.Header, error) {
	h := http.Header{}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	h.Set("X-CommerceLayer-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	key, err := models.SecretKey(secret)
	if err != nil {
		return nil, fmt.Errorf("shared secret: %w", err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	mac = hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + ts + "."))
	mac.Write(body)
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return h, nil
}

// post sends one attempt; any 2xx is a success.
func (s *Service) post(ctx context.Context, hook *models.Webhook, del *models.WebhookDelivery, body []byte) models.Attempt {
	return s.send(ctx, hook.CallbackURL, hook.SharedSecret, del.ID, body, func(h http.Header) {
		h.Set("Content-Type", "application/json")
		h.Set("X-CommerceLayer-Topic", del.Topic)
	})
}

// send posts one signed attempt to target (msgID is the webhook-id, the
// same on every retry); any 2xx is a success.
func (s *Service) send(ctx context.Context, target, secret, msgID string, body []byte, headers func(http.Header)) models.Attempt {
	attempt := models.Attempt{CallbackURL: target}
	signed, err := Sign(secret, msgID, time.Now(), body)
	if err != nil {
		attempt.Message = err.Error()
		return attempt
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		attempt.Message = err.Error()
		return attempt
	}
	for k, v := range signed {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Kasse-Webhooks/1")
	headers(req.Header)
	resp, err := s.http.Do(req)
	if err != nil {
		attempt.Message = describe(err)
		return attempt
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	attempt.Code = resp.StatusCode
	attempt.Message = resp.Status
	attempt.OK = resp.StatusCode >= 200 && resp.StatusCode < 300
	return attempt
}

// describe names a transport failure without internals.
func describe(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout: no answer in time"
	case strings.Contains(err.Error(), "prohibited"):
		return "refused: the callback URL resolves to a non-public address"
	}
	return "connection failed: " + err.Error()
}
