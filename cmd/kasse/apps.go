package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"gorm.io/gorm"

	"kasse/auth"
	"kasse/db"
	"kasse/models"
)

// appsUsage documents `kasse apps` and `kasse keys`.
const appsUsage = `Applications (API clients) and signing keys:
  kasse apps create --kind integration|sales_channel --name NAME [--scope market:code:eu] [--secret] [--json]
                           create an application; its client secret is printed once and stored hashed
                           (sales channels are public clients: they get a secret only with --secret)
  kasse apps list [--json] list applications
  kasse apps revoke CLIENT_ID
                           revoke an application: it gets no new tokens and its tokens stop working
  kasse keys rotate        sign new tokens with a new key; old keys stay published until their tokens expire
  (each takes --database-url / DATABASE_URL)
`

type appCreated struct {
	ID           string `json:"id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	Scope        string `json:"scope,omitempty"`
}

// runApps runs `kasse apps …` and `kasse keys rotate`.
func runApps(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, appsUsage)
		return fmt.Errorf("%s: say what to do", cmd)
	}
	sub := args[0]
	var s settings
	fs := flags(cmd, &s, getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, appsUsage) }
	var kind, name, scope string
	var asJSON, withSecret bool
	switch cmd + " " + sub {
	case "apps create":
		fs.StringVar(&kind, "kind", "", "integration or sales_channel")
		fs.StringVar(&name, "name", "", "application name")
		fs.StringVar(&scope, "scope", "", "default market scope")
		fs.BoolVar(&withSecret, "secret", false, "give a sales channel a client secret")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	case "apps list":
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	case "apps revoke", "keys rotate":
	default:
		fmt.Fprint(stderr, appsUsage)
		return fmt.Errorf("unknown command %q", cmd+" "+sub)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
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
	tx := gdb.WithContext(ctx)
	switch cmd + " " + sub {
	case "apps create":
		if fs.NArg() > 0 {
			return fmt.Errorf("apps create: unexpected argument %q", fs.Arg(0))
		}
		var out appCreated
		err := tx.Transaction(func(tx *gorm.DB) error {
			app, secret, err := models.NewApplication(tx, kind, name, scope, withSecret)
			if err != nil {
				return err
			}
			out = appCreated{ID: app.ID, ClientID: app.ClientID, ClientSecret: secret, Kind: app.Kind, Name: app.Name, Scope: scope}
			return nil
		})
		if err != nil {
			return fmt.Errorf("apps create: %w", err)
		}
		if asJSON {
			return json.NewEncoder(stdout).Encode(out)
		}
		fmt.Fprintf(stdout, "id:            %s\nclient_id:     %s\nclient_secret: %s\n", out.ID, out.ClientID, orNone(out.ClientSecret))
		if out.ClientSecret != "" {
			fmt.Fprintln(stdout, "The client secret is shown only now: store it safely.")
		}
		return nil
	case "apps list":
		apps, err := models.ListApplications(tx)
		if err != nil {
			return err
		}
		if asJSON {
			type row struct {
				ID       string  `json:"id"`
				ClientID string  `json:"client_id"`
				Kind     string  `json:"kind"`
				Name     string  `json:"name"`
				Scope    *string `json:"scope"`
				Revoked  bool    `json:"revoked"`
			}
			rows := make([]row, len(apps))
			for i, a := range apps {
				rows[i] = row{a.ID, a.ClientID, a.Kind, a.Name, a.Scope, a.Revoked()}
			}
			return json.NewEncoder(stdout).Encode(rows)
		}
		w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "CLIENT_ID\tKIND\tNAME\tSCOPE\tSTATUS")
		for _, a := range apps {
			status := "active"
			if a.Revoked() {
				status = "revoked"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.ClientID, a.Kind, a.Name, orNone(deref(a.Scope)), status)
		}
		return w.Flush()
	case "apps revoke":
		if fs.NArg() != 1 {
			return errors.New("apps revoke: give exactly one CLIENT_ID")
		}
		if err := models.RevokeApplication(tx, fs.Arg(0)); err != nil {
			return fmt.Errorf("apps revoke: %w", err)
		}
		fmt.Fprintln(stdout, "revoked", fs.Arg(0))
		return nil
	case "keys rotate":
		kid, err := auth.RotateSigningKey(ctx, &models.Identity{DB: gdb})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "new signing key", kid)
		return nil
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// demoApps are the applications `seed --demo` makes for `make run`.
type demoApps struct {
	Integration  appCreated `json:"integration"`
	SalesChannel appCreated `json:"sales_channel"`
}

// demoAppsPath is where the demo credentials are kept for `make run` to
// print on every start: beside the SQLite file, or in ./data.
func demoAppsPath(databaseURL string) string {
	dir := "data"
	if dialect, path, err := db.DialectOf(databaseURL); err == nil && dialect == db.SQLite && path != ":memory:" {
		dir = filepath.Dir(path)
	}
	return filepath.Join(dir, "demo-apps.json")
}

// ensureDemoApps creates one integration and one sales-channel application
// on first run and keeps their credentials in a local file (mode 0600) so
// the demo can print them again; the database stores only digests.
// Demo credentials are for local trials only.
func ensureDemoApps(gdb *gorm.DB, path string) (*demoApps, error) {
	var apps demoApps
	if raw, err := os.ReadFile(path); err == nil && json.Unmarshal(raw, &apps) == nil {
		_, found, err := models.FindApplication(gdb, apps.Integration.ClientID)
		if err != nil {
			return nil, err
		}
		if found {
			return &apps, nil
		}
	}
	err := gdb.Transaction(func(tx *gorm.DB) error {
		integ, secret, err := models.NewApplication(tx, models.KindIntegration, "Demo integration", "", false)
		if err != nil {
			return err
		}
		apps.Integration = appCreated{ID: integ.ID, ClientID: integ.ClientID, ClientSecret: secret, Kind: integ.Kind, Name: integ.Name}
		sc, _, err := models.NewApplication(tx, models.KindSalesChannel, "Demo storefront", "market:code:eu", false)
		if err != nil {
			return err
		}
		apps.SalesChannel = appCreated{ID: sc.ID, ClientID: sc.ClientID, Kind: sc.Kind, Name: sc.Name, Scope: "market:code:eu"}
		return nil
	})
	if err != nil {
		return nil, err
	}
	raw, _ := json.MarshalIndent(apps, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return &apps, os.WriteFile(path, raw, 0o600)
}

// printDemoApps tells how to get a token with the demo applications.
func printDemoApps(w io.Writer, apps *demoApps, baseURL string) {
	fmt.Fprintf(w, `
Demo applications (credentials kept in the local demo file; for trials only):
  integration    client_id=%s client_secret=%s
  sales_channel  client_id=%s (public, market scope market:code:eu)

Get a token:
  curl -s -X POST %s/oauth/token -H 'Content-Type: application/json' \
    -d '{"grant_type":"client_credentials","client_id":"%s","scope":"market:code:eu"}'
  curl -s -X POST %s/oauth/token -H 'Content-Type: application/json' \
    -d '{"grant_type":"client_credentials","client_id":"%s","client_secret":"%s"}'
`, apps.Integration.ClientID, apps.Integration.ClientSecret, apps.SalesChannel.ClientID,
		baseURL, apps.SalesChannel.ClientID, baseURL, apps.Integration.ClientID, apps.Integration.ClientSecret)
}
