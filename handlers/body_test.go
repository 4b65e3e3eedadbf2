package handlers_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kasse/db/dbtest"
)

// TestSlowAndTruncatedBodies: a body that does not arrive within the
// server's read timeout is 408, one that ends before its Content-Length is
// 400; neither is a 5xx.
func TestSlowAndTruncatedBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t), false)
	srv := httptest.NewUnstartedServer(e.router)
	srv.Config.ReadTimeout = 400 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	head := "POST /api/orders HTTP/1.1\r\nHost: kasse.test\r\nAuthorization: Bearer " + e.token +
		"\r\nContent-Type: application/vnd.api+json\r\nAccept: application/vnd.api+json\r\nContent-Length: 100\r\n\r\n{\"data\":"
	tests := []struct {
		name   string
		finish func(c *net.TCPConn)
		status int
		code   string
	}{
		{"slow", func(*net.TCPConn) { time.Sleep(800 * time.Millisecond) }, http.StatusRequestTimeout, "REQUEST_TIMEOUT"},
		{"truncated", func(c *net.TCPConn) { _ = c.CloseWrite() }, http.StatusBadRequest, "INVALID_DATA_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(head)); err != nil {
				t.Fatal(err)
			}
			tt.finish(conn.(*net.TCPConn))
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			r := &response{status: resp.StatusCode, header: resp.Header}
			r.body, _ = io.ReadAll(resp.Body)
			if err := json.Unmarshal(r.body, &r.doc); err != nil {
				t.Fatalf("%d %s", resp.StatusCode, r.body)
			}
			r.wantError(t, tt.status, tt.code)
		})
	}
}
