// Command kasse is the Kasse commerce resource server: `kasse serve` runs
// the JSON:API server, `kasse migrate` applies database migrations, and
// `kasse seed --demo` loads the demo catalog.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"

	"kasse/auth"
	"kasse/db"
	"kasse/deliveries"
	"kasse/engine"
	"kasse/gateways"
	"kasse/handlers"
	"kasse/models"
	"kasse/resources"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kasse:", err)
		}
		os.Exit(2)
	}
}

const usage = `Kasse — a self-hostable commerce resource server speaking JSON:API.

Usage:
  kasse serve [flags]         apply pending migrations, then serve the API until SIGINT or SIGTERM
  kasse migrate [flags]       apply pending migrations and exit
  kasse seed --demo [flags]   apply pending migrations and load the demo catalog (a no-op when present)
  kasse help                  show this help

Flags (each may also be set with the environment variable beside it; the flag wins):
  --addr ADDR           KASSE_ADDR        serve: listen address (default 127.0.0.1:8080)
  --base-url URL        KASSE_BASE_URL    serve: public origin used in every link, such as
                                          https://api.example.com (default http://<listen address>)
  --database-url URL    DATABASE_URL      sqlite:<path> or postgres://user:password@host:5432/db?sslmode=disable
                                          (default sqlite:data/kasse.db)
  --log-format FORMAT   KASSE_LOG_FORMAT  text or json, written to stderr (default text)
  --log-level LEVEL     KASSE_LOG_LEVEL   debug, info, warn or error (default info)
  --demo                                  seed: load the demo catalog and demo applications (required)
  --sales-channel-token-ttl D  KASSE_SALES_CHANNEL_TOKEN_TTL  serve: sales channel token lifetime (default 4h)
  --integration-token-ttl D    KASSE_INTEGRATION_TOKEN_TTL    serve: integration token lifetime (default 2h)
  --refresh-token-ttl D        KASSE_REFRESH_TOKEN_TTL        serve: customer refresh token lifetime (default 336h)
  --application-cache-ttl D    KASSE_APPLICATION_CACHE_TTL    serve: how long a checked access token and its application are
                                                              trusted before they are checked again: a revoked application's
                                                              or token's requests stop on every instance within it
                                                              (default 5s; 0: every request)
  --checkout-com-base-url URL  KASSE_CHECKOUT_COM_BASE_URL    serve: Checkout.com API origin (default https://api.sandbox.checkout.com)
  --stripe-base-url URL        KASSE_STRIPE_BASE_URL          serve: Stripe API origin (default https://api.stripe.com)
  --reconcile-interval D       KASSE_RECONCILE_INTERVAL       serve: how often payments and transactions left pending
                                                              (a crash, a timeout, a lost webhook) are settled with
                                                              their provider (default 1m)
  --checkout-expiry-interval D KASSE_CHECKOUT_EXPIRY_INTERVAL serve: how often checkout sessions past their expires_at
                                                              are expired (default 5s)
  --idempotency-ttl D          KASSE_IDEMPOTENCY_TTL          serve: how long the answer to a write sent with an
                                                              Idempotency-Key is kept for replay (default 24h)
  --idempotency-lease D        KASSE_IDEMPOTENCY_LEASE        serve: how long a running request holds its key before
                                                              another instance may take it over (default 60s)
  --db-max-open-conns N        KASSE_DB_MAX_OPEN_CONNS        serve: PostgreSQL pool size (default 10)
  --db-max-idle-conns N        KASSE_DB_MAX_IDLE_CONNS        serve: idle PostgreSQL connections kept (default 10)
  --db-conn-max-lifetime D     KASSE_DB_CONN_MAX_LIFETIME     serve: how long a connection is reused (default 30m)
  --api-rate-limit N           KASSE_API_RATE_LIMIT           serve: API requests per minute per token on each instance
                                                              (default 6000; 0: off)
  --token-rate-limit N         KASSE_TOKEN_RATE_LIMIT         serve: POST /oauth/token requests per minute per client IP,
                                                              counted across instances (default 600; 0: off)
  --login-rate-limit N         KASSE_LOGIN_RATE_LIMIT         serve: password sign-ins per minute per client and username,
                                                              counted across instances (default 10; 0: off)
  --cors-origins LIST          KASSE_CORS_ORIGINS             serve: comma-separated origins (https://shop.example) whose
                                                              browser pages may call the API (default none)
  --compat LIST                KASSE_COMPAT                   serve: comma-separated checkout facades to mount: courses,
                                                              mobile_money, sessions, links, or none (default all four;
                                                              docs/checkout-apis.md)
  --metrics-addr ADDR          KASSE_METRICS_ADDR             serve: listen address of GET /metrics in Prometheus format,
                                                              such as 127.0.0.1:9090 (default off)
  --webhooks-allow-private     KASSE_WEBHOOKS_ALLOW_PRIVATE   serve: let webhook callback URLs use http and loopback or
                                                              private addresses (local development and tests; default false)
  --webhooks-retry-schedule L  KASSE_WEBHOOKS_RETRY_SCHEDULE  serve: comma-separated waits before each webhook retry
                                                              (default 5s,30s,2m,10m,30m,1h,3h,6h,12h,24h)
  --webhooks-poll-interval D   KASSE_WEBHOOKS_POLL_INTERVAL   serve: how often an instance looks for due deliveries (default 1s)
  --webhooks-rescue-after D    KASSE_WEBHOOKS_RESCUE_AFTER    serve: how long a delivery may run before it is taken as lost
                                                              with its instance and retried (default 1m)

` + appsUsage + `
The API document:
` + openapiUsage + `
The API is under /api and needs a bearer token from POST /oauth/token; /healthz and /readyz are the probes.

Examples:
  kasse seed --demo && kasse serve
  DATABASE_URL='postgres://kasse@localhost:5432/kasse?sslmode=disable' kasse migrate
`

// settings are the resolved flags and environment.
type settings struct {
	addr, databaseURL, baseURL, logFormat, logLevel string
	demo                                            bool
	salesChannelTTL, integrationTTL, refreshTTL     time.Duration
	applicationCacheTTL                             time.Duration
	reconcileInterval                               time.Duration
	checkoutExpiryInterval                          time.Duration
	idempotencyTTL, idempotencyLease                time.Duration
	checkoutComBaseURL, stripeBaseURL               string
	dbMaxOpenConns, dbMaxIdleConns                  int
	dbConnMaxLifetime                               time.Duration
	corsOrigins, metricsAddr, compat                string
	webhooksAllowPrivate                            bool
	webhooksRetrySchedule                           []time.Duration
	webhooksPollInterval, webhooksRescueAfter       time.Duration
	apiRateLimit, tokenRateLimit, loginRateLimit    int
	envErrors                                       []string // invalid values in the environment
}

// flags declares cmd's flags on s, with defaults from the environment.
func flags(cmd string, s *settings, getenv func(string) string, stderr io.Writer) *flag.FlagSet {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("kasse "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	fs.StringVar(&s.databaseURL, "database-url", env("DATABASE_URL", db.DefaultURL), "database URL")
	fs.StringVar(&s.logFormat, "log-format", env("KASSE_LOG_FORMAT", "text"), "log format")
	fs.StringVar(&s.logLevel, "log-level", env("KASSE_LOG_LEVEL", "info"), "log level")
	if cmd == "serve" {
		fs.StringVar(&s.addr, "addr", env("KASSE_ADDR", "127.0.0.1:8080"), "listen address")
		fs.StringVar(&s.baseURL, "base-url", env("KASSE_BASE_URL", ""), "absolute origin for links")
	}
	if cmd == "seed" {
		fs.BoolVar(&s.demo, "demo", false, "load the demo catalog")
	}
	if cmd == "serve" {
		duration := func(name, def string) time.Duration {
			d, err := time.ParseDuration(env(name, def))
			if err != nil || d <= 0 {
				s.envErrors = append(s.envErrors, fmt.Sprintf("%s=%q is not a positive duration such as 4h or 90m", name, getenv(name)))
				d, _ = time.ParseDuration(def)
			}
			return d
		}
		fs.DurationVar(&s.salesChannelTTL, "sales-channel-token-ttl", duration("KASSE_SALES_CHANNEL_TOKEN_TTL", "4h"), "sales channel access token lifetime")
		fs.DurationVar(&s.integrationTTL, "integration-token-ttl", duration("KASSE_INTEGRATION_TOKEN_TTL", "2h"), "integration access token lifetime")
		fs.DurationVar(&s.refreshTTL, "refresh-token-ttl", duration("KASSE_REFRESH_TOKEN_TTL", "336h"), "refresh token lifetime")
		appCacheTTL, err := time.ParseDuration(env("KASSE_APPLICATION_CACHE_TTL", "5s"))
		if err != nil || appCacheTTL < 0 {
			s.envErrors = append(s.envErrors, fmt.Sprintf("KASSE_APPLICATION_CACHE_TTL=%q is not a duration such as 5s (0: off)", getenv("KASSE_APPLICATION_CACHE_TTL")))
			appCacheTTL = 5 * time.Second
		}
		fs.DurationVar(&s.applicationCacheTTL, "application-cache-ttl", appCacheTTL, "how long a checked access token and its application are trusted before they are checked again (0: every request)")
		fs.DurationVar(&s.reconcileInterval, "reconcile-interval", duration("KASSE_RECONCILE_INTERVAL", "1m"), "how often pending payments are settled")
		fs.DurationVar(&s.checkoutExpiryInterval, "checkout-expiry-interval", duration("KASSE_CHECKOUT_EXPIRY_INTERVAL", "5s"), "how often expired checkout sessions are expired")
		fs.DurationVar(&s.idempotencyTTL, "idempotency-ttl", duration("KASSE_IDEMPOTENCY_TTL", "24h"), "how long idempotent answers are kept")
		fs.DurationVar(&s.idempotencyLease, "idempotency-lease", duration("KASSE_IDEMPOTENCY_LEASE", "60s"), "how long a running request holds its idempotency key")
		count := func(name string, def int) int {
			raw := env(name, strconv.Itoa(def))
			n, err := strconv.Atoi(raw)
			if err != nil || n <= 0 {
				s.envErrors = append(s.envErrors, fmt.Sprintf("%s=%q is not a positive whole number", name, raw))
				return def
			}
			return n
		}
		fs.IntVar(&s.dbMaxOpenConns, "db-max-open-conns", count("KASSE_DB_MAX_OPEN_CONNS", db.DefaultMaxOpenConns), "PostgreSQL: most open connections")
		fs.IntVar(&s.dbMaxIdleConns, "db-max-idle-conns", count("KASSE_DB_MAX_IDLE_CONNS", db.DefaultMaxIdleConns), "PostgreSQL: most idle connections kept")
		fs.DurationVar(&s.dbConnMaxLifetime, "db-conn-max-lifetime", duration("KASSE_DB_CONN_MAX_LIFETIME", db.DefaultConnMaxLifetime.String()), "PostgreSQL: how long a connection is reused")
		limit := func(name string, def int) int {
			raw := env(name, strconv.Itoa(def))
			n, err := strconv.Atoi(raw)
			if err != nil || n < 0 {
				s.envErrors = append(s.envErrors, fmt.Sprintf("%s=%q is not a whole number (0 turns the limit off)", name, raw))
				return def
			}
			return n
		}
		fs.IntVar(&s.apiRateLimit, "api-rate-limit", limit("KASSE_API_RATE_LIMIT", 6000), "API requests per minute per token, per instance (0: off)")
		fs.IntVar(&s.tokenRateLimit, "token-rate-limit", limit("KASSE_TOKEN_RATE_LIMIT", 600), "token requests per minute per client IP, all instances (0: off)")
		fs.IntVar(&s.loginRateLimit, "login-rate-limit", limit("KASSE_LOGIN_RATE_LIMIT", 10), "password sign-ins per minute per client and username, all instances (0: off)")
		fs.StringVar(&s.corsOrigins, "cors-origins", env("KASSE_CORS_ORIGINS", ""), "comma-separated origins browsers may call the API from")
		fs.StringVar(&s.compat, "compat", env("KASSE_COMPAT", strings.Join(models.CompatFacades, ",")), "comma-separated checkout facades to mount (or none)")
		fs.StringVar(&s.metricsAddr, "metrics-addr", env("KASSE_METRICS_ADDR", ""), "listen address of GET /metrics (off when empty)")
		allowPrivate := env("KASSE_WEBHOOKS_ALLOW_PRIVATE", "false")
		switch allowPrivate {
		case "true", "1":
			s.webhooksAllowPrivate = true
		case "false", "0":
		default:
			s.envErrors = append(s.envErrors, fmt.Sprintf("KASSE_WEBHOOKS_ALLOW_PRIVATE=%q is not true or false", allowPrivate))
		}
		fs.BoolVar(&s.webhooksAllowPrivate, "webhooks-allow-private", s.webhooksAllowPrivate, "let webhooks call http and private addresses (development and tests)")
		schedule := env("KASSE_WEBHOOKS_RETRY_SCHEDULE", "")
		if schedule != "" {
			var err error
			if s.webhooksRetrySchedule, err = parseSchedule(schedule); err != nil {
				s.envErrors = append(s.envErrors, fmt.Sprintf("KASSE_WEBHOOKS_RETRY_SCHEDULE=%q: %v", schedule, err))
			}
		}
		fs.Func("webhooks-retry-schedule", "comma-separated waits before each webhook retry", func(v string) error {
			var err error
			s.webhooksRetrySchedule, err = parseSchedule(v)
			return err
		})
		fs.DurationVar(&s.webhooksPollInterval, "webhooks-poll-interval", duration("KASSE_WEBHOOKS_POLL_INTERVAL", "1s"), "how often an instance looks for due webhook deliveries")
		fs.DurationVar(&s.webhooksRescueAfter, "webhooks-rescue-after", duration("KASSE_WEBHOOKS_RESCUE_AFTER", "1m"), "how long a delivery may run before it is retried as lost with its instance")
		fs.StringVar(&s.checkoutComBaseURL, "checkout-com-base-url", env("KASSE_CHECKOUT_COM_BASE_URL", gateways.DefaultCheckoutComBaseURL), "Checkout.com API origin")
		fs.StringVar(&s.stripeBaseURL, "stripe-base-url", env("KASSE_STRIPE_BASE_URL", gateways.DefaultStripeBaseURL), "Stripe API origin")
	}
	return fs
}

func parse(cmd string, args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flags(cmd, &s, getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if len(s.envErrors) > 0 {
		return s, errors.New(strings.Join(s.envErrors, "; "))
	}
	// An empty base URL means the listen address, known once listening.
	s.baseURL = strings.TrimRight(s.baseURL, "/")
	return s, nil
}

func newLogger(s settings, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", s.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch s.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", s.logFormat)
}

// run is the whole program, with its inputs made explicit for tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd := args[0]
	switch cmd {
	case "apps", "keys":
		return runApps(ctx, cmd, args[1:], getenv, stdout, stderr)
	case "openapi":
		return runOpenAPI(args[1:], stdout, stderr)
	case "serve", "migrate", "seed":
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	s, err := parse(cmd, args[1:], getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // `kasse serve -h`: the usage is printed
	}
	if err != nil {
		return err
	}
	log, err := newLogger(s, stderr)
	if err != nil {
		return err
	}
	gdb, err := openMigrated(ctx, s, log)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	switch cmd {
	case "migrate":
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	case "seed":
		if !s.demo {
			return errors.New("seed: say what to load: kasse seed --demo")
		}
		var loaded bool
		err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			loaded, err = models.SeedDemo(tx)
			return err
		})
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if loaded {
			fmt.Fprintln(stdout, "demo data loaded: markets eu (EUR), us (USD), ci (XOF), au (AUD), tr (TRY) and", len(models.DemoCatalog), "SKUs")
		} else {
			fmt.Fprintln(stdout, "demo data already present: nothing to do")
		}
		if _, err := ensureDemoApps(gdb.WithContext(ctx), demoAppsPath(s.databaseURL)); err != nil {
			return fmt.Errorf("seed: demo applications: %w", err)
		}
		return nil
	}
	return serve(ctx, s, gdb, log, stdout)
}

func openMigrated(ctx context.Context, s settings, log *slog.Logger) (*gorm.DB, error) {
	gdb, err := db.Open(db.Config{URL: s.databaseURL, Logger: db.SlogLogger(log),
		MaxOpenConns: s.dbMaxOpenConns, MaxIdleConns: s.dbMaxIdleConns, ConnMaxLifetime: s.dbConnMaxLifetime})
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx, gdb)
	if err != nil {
		db.Close(gdb)
		return nil, err
	}
	if applied > 0 {
		log.Info("migrations applied", slog.Int("count", applied))
	}
	return gdb, nil
}

func serve(ctx context.Context, s settings, gdb *gorm.DB, log *slog.Logger, stdout io.Writer) error {
	org, err := models.EnsureOrganization(gdb.WithContext(ctx))
	if err != nil {
		return err
	}
	if err := handlers.CheckCORSOrigins(splitList(s.corsOrigins)); err != nil {
		return fmt.Errorf("--cors-origins: %w", err)
	}
	compat, err := compatList(s.compat)
	if err != nil {
		return fmt.Errorf("--compat: %w", err)
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	local := localURL(ln.Addr())
	if s.baseURL == "" {
		s.baseURL = local
	}
	authService, err := auth.New(ctx, &models.Identity{DB: gdb}, auth.Config{
		Issuer:          s.baseURL,
		Organization:    org,
		SalesChannelTTL: s.salesChannelTTL,
		IntegrationTTL:  s.integrationTTL,
		RefreshTTL:      s.refreshTTL,
		Test:            true,

		ApplicationCacheTTL: s.applicationCacheTTL,
	})
	if err != nil {
		return err
	}
	sandboxStore := &models.SandboxStore{DB: gdb}
	providers := gateways.New(gateways.Config{BaseURL: s.baseURL, CheckoutComBaseURL: s.checkoutComBaseURL, StripeBaseURL: s.stripeBaseURL, Timeout: models.DefaultProviderTimeout,
		SandboxStore: sandboxStore})
	payments := &models.Payments{DB: gdb, Providers: providers, Timeout: models.DefaultProviderTimeout}
	// Checkout.com's and Stripe's hosted pages, through their adapters.
	checkout := &models.CheckoutSessions{Payments: payments, Hosted: payments.Hosted}
	payments.Settled = checkout.SettleBySource
	metrics, err := newMetrics(gdb, payments)
	if err != nil {
		return err
	}
	workersCtx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	idempotency := &models.Idempotency{DB: gdb, TTL: s.idempotencyTTL, Lease: s.idempotencyLease}
	rateLimits := &models.RateLimits{DB: gdb}
	// Background work runs as River periodic jobs: once per interval
	// across every instance, whichever runs it.
	periodic := []deliveries.Periodic{
		{Name: "reconcile_payments", Interval: s.reconcileInterval, Timeout: 5 * time.Minute, Run: func(ctx context.Context) error {
			done, err := payments.Reconcile(ctx, models.DefaultReconcileAge, models.DefaultReconcileBatch)
			if err == nil && done.Payments+done.Transactions > 0 {
				log.Info("reconciled pending payments", slog.Int("payments", done.Payments), slog.Int("transactions", done.Transactions))
			}
			return err
		}},
		{Name: "expire_checkout_sessions", Interval: s.checkoutExpiryInterval, Run: func(ctx context.Context) error {
			n, err := checkout.ExpireDue(ctx, 100)
			if err == nil && n > 0 {
				log.Info("expired checkout sessions", slog.Int("count", n))
			}
			return err
		}},
		{Name: "purge", Interval: time.Hour, Run: func(ctx context.Context) error {
			purged, err := idempotency.Purge(ctx)
			if err == nil && purged > 0 {
				log.Info("purged expired idempotency keys", slog.Int64("count", purged))
			}
			return errors.Join(err, second(rateLimits.Purge(ctx, time.Now().Add(-time.Hour))), second(sandboxStore.Purge(ctx)),
				second((&models.Identity{DB: gdb}).PurgeTokenRevocations(ctx)))
		}},
	}
	registry := resources.Default()
	eng := engine.New(gdb, registry)
	guard := &models.URLGuard{AllowPrivate: s.webhooksAllowPrivate}
	eng.BaseURL, eng.Payments, eng.URLGuard = s.baseURL, payments, guard
	resourceMeta := map[string]any{"mode": "test", "organization_id": org.ID}
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	webhooks, err := deliveries.New(deliveries.Config{DB: sqlDB, Dialect: string(db.DialectOfDB(gdb)), Engine: eng,
		Deliveries: &models.Deliveries{DB: gdb}, Callbacks: &models.Callbacks{DB: gdb}, Guard: guard, ResourceMeta: resourceMeta, Schedule: s.webhooksRetrySchedule,
		PollInterval: s.webhooksPollInterval, RescueAfter: s.webhooksRescueAfter, Logger: log, Periodic: periodic})
	if err != nil {
		return err
	}
	if err := webhooks.Outbox().Install(gdb); err != nil {
		return err
	}
	if err := webhooks.Start(workersCtx); err != nil {
		return fmt.Errorf("webhook workers: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = webhooks.Stop(stopCtx)
	}()
	router := handlers.NewRouter(handlers.Config{
		Idempotency: idempotency,
		CORSOrigins: splitList(s.corsOrigins),
		Compat:      compat,
		RateLimits: handlers.RateLimits{Store: rateLimits, APIPerToken: s.apiRateLimit,
			TokenPerIP: s.tokenRateLimit, LoginPerUser: s.loginRateLimit},
		Metrics:      metrics.http,
		Engine:       eng,
		Database:     db.Pinger{DB: gdb},
		Auth:         authService,
		Registry:     registry,
		BaseURL:      s.baseURL,
		Logger:       log,
		ResourceMeta: resourceMeta,
		Payments:     payments,
		Sandbox:      providers.Sandbox.Handler(),
		Checkout:     checkout,
	})
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	fmt.Fprintf(stdout, "Kasse is serving on %s (links use %s)\n", local, s.baseURL)
	if s.metricsAddr != "" {
		metricsLn, err := net.Listen("tcp", s.metricsAddr)
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		metricsSrv := &http.Server{Handler: handlers.MetricsHandler(metrics.registry), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = metricsSrv.Serve(metricsLn) }()
		defer metricsSrv.Close()
		fmt.Fprintf(stdout, "Metrics on %s/metrics\n", localURL(metricsLn.Addr()))
	}
	if raw, err := os.ReadFile(demoAppsPath(s.databaseURL)); err == nil {
		var apps demoApps
		if json.Unmarshal(raw, &apps) == nil {
			printDemoApps(stdout, &apps, s.baseURL)
		}
	}
	fmt.Fprintf(stdout, "Then: curl -H 'Accept: application/vnd.api+json' -H \"Authorization: Bearer $TOKEN\" '%s/api/skus?include=prices'\n", s.baseURL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serverMetrics are what GET /metrics reports: the Go runtime and the
// process, the database pool and its statements, HTTP requests, and
// provider calls.
type serverMetrics struct {
	registry *prometheus.Registry
	http     *handlers.Metrics
}

func newMetrics(gdb *gorm.DB, payments *models.Payments) (*serverMetrics, error) {
	reg := prometheus.NewRegistry()
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	providerCalls := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kasse_provider_call_duration_seconds", Help: "Payment provider calls, per gateway kind, action and outcome.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30},
	}, []string{"gateway", "action", "outcome"})
	statements := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kasse_db_statements_total", Help: "SQL statements run (the job queue's aside).",
	})
	// For the server's life: every statement but River's, which are its own.
	db.ObserveStatements(gdb, func(db.Statement) { statements.Inc() })
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(sqlDB, "kasse"), providerCalls, statements)
	payments.Observe = func(gateway, action, outcome string, took time.Duration) {
		providerCalls.WithLabelValues(gateway, action, outcome).Observe(took.Seconds())
	}
	return &serverMetrics{registry: reg, http: handlers.NewMetrics(reg)}, nil
}

// parseSchedule reads a retry schedule: comma-separated positive durations.
func parseSchedule(v string) ([]time.Duration, error) {
	var out []time.Duration
	for _, item := range splitList(v) {
		d, err := time.ParseDuration(item)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%q is not a positive duration such as 5s or 2m", item)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("the schedule needs at least one duration")
	}
	return out, nil
}

// compatList reads --compat: facade names, or none.
func compatList(v string) ([]string, error) {
	names := splitList(v)
	if len(names) == 1 && names[0] == "none" {
		return []string{}, nil
	}
	if len(names) == 0 {
		return nil, errors.New("name the facades to mount (" + strings.Join(models.CompatFacades, ", ") + "), or none")
	}
	for _, name := range names {
		if !slices.Contains(models.CompatFacades, name) {
			return nil, fmt.Errorf("%q is not a facade: use %s, or none", name, strings.Join(models.CompatFacades, ", "))
		}
	}
	return names, nil
}

// splitList splits a comma-separated setting, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// second is the error of a (count, error) answer.
func second[T any](_ T, err error) error { return err }

// localURL is the URL of a listening address; an unspecified host
// (":8080", "0.0.0.0:8080") is shown as localhost.
func localURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
