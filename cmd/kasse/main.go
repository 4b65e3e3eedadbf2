// Command kasse is the Kasse commerce resource server: `kasse serve` runs
// the JSON:API server, `kasse migrate` applies database migrations, and
// `kasse seed --demo` loads the demo catalog.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"gorm.io/gorm"

	"kasse/db"
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
  kasse serve [flags]         apply pending migrations, then serve the API
  kasse migrate [flags]       apply pending migrations and exit
  kasse seed --demo [flags]   load the demo catalog (once; a no-op when present)
  kasse help                  show this help

Flags (each also read from the environment variable named beside it):
  --addr ADDR            KASSE_ADDR        listen address (default 127.0.0.1:8080)        [serve]
  --database-url URL     DATABASE_URL      sqlite:<path> or postgres://… (default sqlite:data/kasse.db)
  --base-url URL         KASSE_BASE_URL    absolute origin used in every link (default http://<addr>) [serve]
  --log-format FORMAT    KASSE_LOG_FORMAT  text or json (default text)
  --log-level LEVEL      KASSE_LOG_LEVEL   debug, info, warn or error (default info)
  --demo                                   with seed: load the demo catalog
`

// settings are the resolved flags and environment.
type settings struct {
	addr, databaseURL, baseURL, logFormat, logLevel string
	demo                                            bool
}

func parse(cmd string, args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var s settings
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
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if s.baseURL == "" {
		s.baseURL = "http://" + s.addr
	}
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
	case "serve", "migrate", "seed":
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	s, err := parse(cmd, args[1:], getenv, stderr)
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
			fmt.Fprintln(stdout, "demo data loaded: markets eu (EUR), us (USD), ci (XOF) and", len(models.DemoCatalog), "SKUs")
		} else {
			fmt.Fprintln(stdout, "demo data already present: nothing to do")
		}
		return nil
	}
	return serve(ctx, s, gdb, log, stdout)
}

func openMigrated(ctx context.Context, s settings, log *slog.Logger) (*gorm.DB, error) {
	gdb, err := db.Open(db.Config{URL: s.databaseURL, Logger: db.SlogLogger(log)})
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
	router := handlers.NewRouter(handlers.Config{
		DB:           gdb,
		Registry:     resources.Default(),
		BaseURL:      s.baseURL,
		Logger:       log,
		ResourceMeta: map[string]any{"mode": "test", "organization_id": org.ID},
	})
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Kasse is serving on %s (links use %s)\n", "http://"+ln.Addr().String(), s.baseURL)
	fmt.Fprintf(stdout, "Try: curl -H 'Accept: application/vnd.api+json' '%s/api/skus?include=prices'\n", s.baseURL)
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
