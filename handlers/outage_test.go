package handlers_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"kasse/db"
	"kasse/db/dbtest"
	"kasse/handlers"
)

// switchProxy forwards TCP connections to a server until it is cut: then
// it drops every open connection and refuses new ones, until restored.
type switchProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	open   map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *switchProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{ln: ln, target: target, open: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *switchProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.open[client], p.open[server] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { _, _ = io.Copy(server, client); server.Close() }()
		go func() { _, _ = io.Copy(client, server); client.Close() }()
	}
}

func (p *switchProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.open {
		c.Close()
	}
	p.open = map[net.Conn]struct{}{}
}

func (p *switchProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestDatabaseOutageIsServiceUnavailable: while the database does not
// answer, the API and the token endpoint answer 503 SERVICE_UNAVAILABLE
// with Retry-After — never 401 INVALID_TOKEN (clients throw their token
// away on it) and never 500 — and /readyz says so; once the database is
// back, the same server and the same token work again.
func TestDatabaseOutageIsServiceUnavailable(t *testing.T) {
	t.Parallel()
	dbtest.EachURL(t, func(t *testing.T, dbURL string) {
		var proxy *switchProxy
		if strings.HasPrefix(dbURL, "postgres") {
			u, err := url.Parse(dbURL)
			if err != nil {
				t.Fatal(err)
			}
			proxy = startProxy(t, u.Host)
			u.Host = proxy.ln.Addr().String()
			dbURL = u.String()
		}
		gdb, err := db.Open(db.Config{URL: dbURL})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close(gdb) })
		if _, err := db.Migrate(context.Background(), gdb); err != nil {
			t.Fatal(err)
		}
		e := newEnvWith(t, gdb, true, handlers.Config{})
		e.do("GET", "/api/skus", nil).want(t, 200)
		tokenBody := "grant_type=client_credentials&client_id=nobody&client_secret=x"

		if proxy != nil {
			proxy.cut()
		} else {
			// SQLite has no server to stop: a closed handle fails the same way.
			sqlDB, _ := gdb.DB()
			sqlDB.Close()
		}
		for _, path := range []string{"/api/skus", "/api/orders"} {
			r := e.do("GET", path, nil)
			r.wantError(t, 503, "SERVICE_UNAVAILABLE")
			if r.header.Get("Retry-After") == "" {
				t.Fatalf("GET %s: no Retry-After", path)
			}
		}
		e.do("POST", "/api/orders", resource("orders", "", nil, nil)).wantError(t, 503, "SERVICE_UNAVAILABLE")
		status, doc := e.post(t, "application/x-www-form-urlencoded", tokenBody)
		if status != 503 {
			t.Fatalf("POST /oauth/token during the outage: %d %v", status, doc)
		}
		e.do("GET", "/readyz", nil, "Accept", "").want(t, 503)

		if proxy == nil {
			return
		}
		proxy.restore()
		e.do("GET", "/api/skus", nil).want(t, 200)
		e.do("GET", "/readyz", nil, "Accept", "").want(t, 200)
	})
}
