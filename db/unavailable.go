package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUnavailable reports whether err is the database's failure rather than
// the request's: the server unreachable or shutting down, the connection
// lost, the pool exhausted, too many connections, a timeout, or SQLite
// busy beyond its timeout. Such a failure is answered 503 with
// Retry-After, never 401 or 500: the client did nothing wrong and its
// token is still good.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"),                                 // insufficient resources (too many connections, out of memory, disk full)
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // admin or crash shutdown, cannot connect now
			pgErr.Code == "57014": // statement timeout or cancelled
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		pgconn.Timeout(err):
		return true
	}
	msg := err.Error()
	for _, s := range []string{"database is locked", "SQLITE_BUSY", "failed to connect", "conn closed", "connection refused", "unexpected EOF", "database is closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// IsInvalidValue reports whether the database refused a value the request
// carried: PostgreSQL's data exceptions (class 22: a NUL byte, invalid
// UTF-8, a number out of range, a string too long for its column) and a
// value too large for an index (54000). A safety net behind the checks
// that refuse such input before the database: it is the client's 4xx,
// never a 500.
func IsInvalidValue(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "22") || pgErr.Code == "54000"
	}
	return false
}
