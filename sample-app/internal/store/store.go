package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/XSAM/otelsql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// ErrNotFound is returned for an id that no stored book has.
var ErrNotFound = errors.New("book not found")

// Store is the books table. It is safe for concurrent use.
type Store struct {
	target Target
	// w takes every write; r every read. They are the same pool except for a
	// SQLite file, where w has one connection and r is read-only.
	w, r  *sql.DB
	q     queries
	txOpt *sql.TxOptions
	stats []metric.Registration
}

type queries struct {
	schema                 []string
	count, list, get       string
	insert, update, delete string
}

// Open connects to the database DATABASE_URL names (see [ParseDatabaseURL]),
// creates the schema if it is missing, and checks the connection.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	t, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	c := newConfig(opts)
	s := &Store{target: t}
	if t.Driver == "postgresql" {
		s.q = postgresQueries()
		s.txOpt = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
		s.w, err = s.open(c, "pgx", t.URL, semconv.DBSystemNamePostgreSQL)
		if err != nil {
			return nil, err
		}
		s.w.SetMaxOpenConns(20)
		s.w.SetMaxIdleConns(20)
		s.w.SetConnMaxIdleTime(5 * time.Minute)
		s.r = s.w
	} else {
		s.q = sqliteQueries()
		if err := s.openSQLite(c, t.Path); err != nil {
			return nil, err
		}
	}
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) openSQLite(c config, path string) error {
	// Writes go through one connection, so they queue in database/sql rather
	// than fail with SQLITE_BUSY; busy_timeout covers the WAL checkpoint.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	if path == ":memory:" {
		// A private in-memory database lives in one connection: share it.
		w, err := s.open(c, "sqlite", "file::memory:?"+pragmas, semconv.DBSystemNameSQLite)
		if err != nil {
			return err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		s.w, s.r = w, w
		return nil
	}
	file := "file:" + (&url.URL{Path: path}).EscapedPath()
	w, err := s.open(c, "sqlite", file+"?"+pragmas+"&_pragma=journal_mode(WAL)&_txlock=immediate", semconv.DBSystemNameSQLite)
	if err != nil {
		return err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// Switch to WAL before the readers open.
	if err := w.Ping(); err != nil {
		w.Close()
		return fmt.Errorf("open SQLite database %q: %w", path, err)
	}
	r, err := s.open(c, "sqlite", file+"?"+pragmas+"&_pragma=query_only(1)", semconv.DBSystemNameSQLite)
	if err != nil {
		w.Close()
		return err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s.w, s.r = w, r
	return nil
}

func (s *Store) open(c config, driverName, dsn string, system attribute.KeyValue) (*sql.DB, error) {
	oo := []otelsql.Option{
		otelsql.WithTracerProvider(c.tracerProvider),
		otelsql.WithMeterProvider(c.meterProvider),
		otelsql.WithAttributes(system),
		otelsql.WithSpanNameFormatter(spanName),
		// Parameter values are never recorded: otelsql records them only
		// through an AttributesGetter, and none is set.
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			DisableErrSkip:       true,
			OmitConnResetSession: true,
			OmitConnPrepare:      true,
			OmitRows:             true,
			OmitConnectorConnect: false,
		}),
	}
	db, err := otelsql.Open(driverName, dsn, oo...)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", s.target.Driver, err)
	}
	reg, err := otelsql.RegisterDBStatsMetrics(db, otelsql.WithMeterProvider(c.meterProvider), otelsql.WithAttributes(system))
	if err == nil {
		s.stats = append(s.stats, reg)
	}
	return db, nil
}

var targetRE = regexp.MustCompile(`(?i)\b(?:from|into|update|table(?:\s+if\s+not\s+exists)?|on)\s+([a-z_][a-z0-9_]*)`)

// spanName follows the semantic conventions' "{operation} {target}", e.g.
// "SELECT books"; the statement itself is in db.query.text.
func spanName(_ context.Context, method otelsql.Method, query string) string {
	op, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	if op == "" {
		return string(method)
	}
	op = strings.ToUpper(op)
	if m := targetRE.FindStringSubmatch(query); m != nil {
		return op + " " + m[1]
	}
	return op
}

func (s *Store) init(ctx context.Context) error {
	for _, stmt := range s.q.schema {
		if _, err := s.w.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create %s schema: %w", s.target.Driver, err)
		}
	}
	return s.Ping(ctx)
}

// Driver names the database system as db.system.name does: "sqlite" or
// "postgresql".
func (s *Store) Driver() string { return s.target.Driver }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: %w", s.target.Driver, err)
	}
	// A trivial read proves more than a ping for an embedded database (a
	// closed file handle still pings).
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("%s: %w", s.target.Driver, err)
	}
	return nil
}

// Close closes every connection.
func (s *Store) Close() error {
	var err error
	for _, reg := range s.stats {
		err = errors.Join(err, reg.Unregister())
	}
	s.stats = nil
	if s.r != nil && s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if s.w != nil {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// Page is one page of [Store.List].
type Page struct {
	Items []Book
	Total int64 // books in the table
}

// List returns up to limit books ordered by id, skipping offset of them.
func (s *Store) List(ctx context.Context, limit, offset int64) (Page, error) {
	if limit < 0 || offset < 0 {
		return Page{}, fmt.Errorf("list books: negative limit %d or offset %d", limit, offset)
	}
	tx, err := s.r.BeginTx(ctx, s.txOpt)
	if err != nil {
		return Page{}, fmt.Errorf("list books: %w", err)
	}
	defer tx.Rollback()
	p := Page{Items: []Book{}}
	if err := tx.QueryRowContext(ctx, s.q.count).Scan(&p.Total); err != nil {
		return Page{}, fmt.Errorf("count books: %w", err)
	}
	if offset >= p.Total {
		return p, tx.Commit()
	}
	rows, err := tx.QueryContext(ctx, s.q.list, limit, offset)
	if err != nil {
		return Page{}, fmt.Errorf("list books: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBook(rows)
		if err != nil {
			return Page{}, fmt.Errorf("list books: %w", err)
		}
		p.Items = append(p.Items, b)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list books: %w", err)
	}
	return p, tx.Commit()
}

// Get returns the book with this id, or [ErrNotFound].
func (s *Store) Get(ctx context.Context, id int64) (Book, error) {
	b, err := scanBook(s.r.QueryRowContext(ctx, s.q.get, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Book{}, ErrNotFound
	}
	if err != nil {
		return Book{}, fmt.Errorf("get book %d: %w", id, err)
	}
	return b, nil
}

// Create stores a new book. in must pass [BookInput.Validate].
func (s *Store) Create(ctx context.Context, in BookInput) (Book, error) {
	if err := in.Validate(); err != nil {
		return Book{}, err
	}
	now := s.now()
	b := Book{Title: in.Title, Author: in.Author, Year: in.Year, ISBN: in.ISBN, CreatedAt: now, UpdatedAt: now}
	err := s.w.QueryRowContext(ctx, s.q.insert, b.Title, b.Author, b.Year, b.ISBN, s.timeArg(now), s.timeArg(now)).Scan(&b.ID)
	if err != nil {
		return Book{}, fmt.Errorf("create book: %w", err)
	}
	return b, nil
}

// Update replaces every field of the book with this id, or returns
// [ErrNotFound]. in must pass [BookInput.Validate].
func (s *Store) Update(ctx context.Context, id int64, in BookInput) (Book, error) {
	if err := in.Validate(); err != nil {
		return Book{}, err
	}
	now := s.now()
	b := Book{ID: id, Title: in.Title, Author: in.Author, Year: in.Year, ISBN: in.ISBN, UpdatedAt: now}
	err := s.w.QueryRowContext(ctx, s.q.update, b.Title, b.Author, b.Year, b.ISBN, s.timeArg(now), id).Scan(timeScanner{&b.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return Book{}, ErrNotFound
	}
	if err != nil {
		return Book{}, fmt.Errorf("update book %d: %w", id, err)
	}
	return b, nil
}

// Delete removes the book with this id, or returns [ErrNotFound].
func (s *Store) Delete(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.q.delete, id)
	if err != nil {
		return fmt.Errorf("delete book %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete book %d: %w", id, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// now is the time stored for created_at and updated_at, cut to the
// microseconds PostgreSQL keeps so a read returns what a write returned.
func (s *Store) now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func (s *Store) timeArg(t time.Time) any {
	if s.target.Driver == "sqlite" {
		return t.Format(time.RFC3339Nano)
	}
	return t
}

type scanner interface{ Scan(dest ...any) error }

func scanBook(row scanner) (Book, error) {
	var b Book
	err := row.Scan(&b.ID, &b.Title, &b.Author, &b.Year, &b.ISBN, timeScanner{&b.CreatedAt}, timeScanner{&b.UpdatedAt})
	return b, err
}

// timeScanner reads a timestamp stored as TIMESTAMPTZ (PostgreSQL) or as
// RFC 3339 text (SQLite).
type timeScanner struct{ t *time.Time }

func (ts timeScanner) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		*ts.t = v.UTC()
		return nil
	case string:
		return ts.parse(v)
	case []byte:
		return ts.parse(string(v))
	default:
		return fmt.Errorf("timestamp: unexpected %T", v)
	}
}

func (ts timeScanner) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	*ts.t = t.UTC()
	return nil
}

const columns = "id, title, author, year, isbn, created_at, updated_at"

func sqliteQueries() queries {
	return queries{
		schema: []string{`CREATE TABLE IF NOT EXISTS books (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	title      TEXT    NOT NULL,
	author     TEXT    NOT NULL,
	year       INTEGER NOT NULL,
	isbn       TEXT    NOT NULL DEFAULT '',
	created_at TEXT    NOT NULL,
	updated_at TEXT    NOT NULL
)`},
		count:  "SELECT COUNT(*) FROM books",
		list:   "SELECT " + columns + " FROM books ORDER BY id LIMIT ? OFFSET ?",
		get:    "SELECT " + columns + " FROM books WHERE id = ?",
		insert: "INSERT INTO books (title, author, year, isbn, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		update: "UPDATE books SET title = ?, author = ?, year = ?, isbn = ?, updated_at = ? WHERE id = ? RETURNING created_at",
		delete: "DELETE FROM books WHERE id = ?",
	}
}

func postgresQueries() queries {
	q := sqliteQueries()
	q.schema = []string{`CREATE TABLE IF NOT EXISTS books (
	id         BIGSERIAL   PRIMARY KEY,
	title      TEXT        NOT NULL,
	author     TEXT        NOT NULL,
	year       INTEGER     NOT NULL,
	isbn       TEXT        NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
)`}
	for _, p := range []*string{&q.list, &q.get, &q.insert, &q.update, &q.delete} {
		*p = dollarParams(*p)
	}
	return q
}

// dollarParams rewrites ? placeholders as PostgreSQL's $1, $2, ...
func dollarParams(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
