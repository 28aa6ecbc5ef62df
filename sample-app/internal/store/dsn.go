package store

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultSQLitePath is the database file used when DATABASE_URL is empty,
// relative to the working directory.
const DefaultSQLitePath = "books.db"

// Target is a parsed DATABASE_URL.
type Target struct {
	Driver string // "sqlite" or "postgresql", as in db.system.name
	// Path is the SQLite file (":memory:" for a private in-memory database).
	Path string
	// URL is the PostgreSQL connection URL.
	URL string
}

// ParseDatabaseURL reads the value of DATABASE_URL:
//
//	""                          SQLite file books.db in the working directory
//	sqlite:PATH, sqlite://PATH  SQLite file PATH (sqlite:///abs/path for an absolute path)
//	sqlite::memory:             SQLite in memory (gone when the process exits)
//	postgres://..., postgresql://...  PostgreSQL, as pgx reads it
func ParseDatabaseURL(s string) (Target, error) {
	switch {
	case s == "":
		return Target{Driver: "sqlite", Path: DefaultSQLitePath}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if _, err := url.Parse(s); err != nil {
			// url.Error repeats the URL, which may hold a password.
			return Target{}, fmt.Errorf("DATABASE_URL: not a valid PostgreSQL URL: %v", redactURLError(err))
		}
		return Target{Driver: "postgresql", URL: s}, nil
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if p == "" {
			return Target{}, fmt.Errorf("DATABASE_URL=%q: no file name; want sqlite:PATH", s)
		}
		if strings.ContainsAny(p, "?#") {
			return Target{}, fmt.Errorf("DATABASE_URL=%q: options are not accepted on a sqlite: URL; the app sets them", s)
		}
		return Target{Driver: "sqlite", Path: p}, nil
	default:
		scheme, _, ok := strings.Cut(s, ":")
		if !ok {
			scheme = s
		}
		if len(scheme) > 20 {
			scheme = scheme[:20] + "..."
		}
		return Target{}, fmt.Errorf("DATABASE_URL: unsupported scheme %q; want sqlite:PATH or postgres://", scheme)
	}
}

func redactURLError(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return "malformed"
}
