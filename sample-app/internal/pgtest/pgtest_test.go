package pgtest_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/otelswitch/otelswitch/sample-app/internal/pgtest"
)

func TestStart(t *testing.T) {
	s := pgtest.Start(t)
	db, err := sql.Open("pgx", s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(context.Background(), "SHOW server_version").Scan(&v); err != nil {
		t.Fatalf("query %s: %v", s.URL, err)
	}
	t.Logf("PostgreSQL %s at %s from %s", v, s.URL, s.BinDir)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgtest.StopShared(); err != nil {
		println(err.Error())
		code = 1
	}
	os.Exit(code)
}

func TestSharedNewDatabase(t *testing.T) {
	s := pgtest.Shared(t)
	a, b := s.NewDatabase(t), s.NewDatabase(t)
	if a == b {
		t.Fatalf("NewDatabase returned %s twice", a)
	}
	for _, u := range []string{a, b} {
		db, err := sql.Open("pgx", u)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		db.Close()
		if !strings.Contains(u, "/"+name+"?") {
			t.Errorf("connected to %q through %s", name, u)
		}
	}
}
