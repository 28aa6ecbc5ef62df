// Package store keeps the sample app's books in a SQL database through
// database/sql.
//
// [Open] takes the value of DATABASE_URL: empty or sqlite:PATH for an embedded
// SQLite file (the pure-Go modernc.org/sqlite driver, no cgo), or
// postgres://... for PostgreSQL (the pgx stdlib driver). The schema is
// created on open. Every statement is traced by github.com/XSAM/otelsql with
// the statement text recorded as db.query.text and parameter values never
// recorded.
//
// SQLite gets one writer connection (so concurrent writes queue in Go
// instead of failing with SQLITE_BUSY) and a read-only pool beside it, in WAL
// mode so readers never wait for the writer.
package store
