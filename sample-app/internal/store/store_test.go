package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otelswitch/otelswitch/sample-app/internal/pgtest"
	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// backends returns a DATABASE_URL for each database the store supports.
func backends(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite-file":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "books.db") },
		"sqlite-memory": func(t *testing.T) string { return "sqlite::memory:" },
		"postgresql":    func(t *testing.T) string { return pgtest.Shared(t).NewDatabase(t) },
	}
}

func open(t *testing.T, url string, opts ...store.Option) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCRUD(t *testing.T) {
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, dsn(t))
			if want := strings.SplitN(name, "-", 2)[0]; s.Driver() != want {
				t.Errorf("Driver() = %q, want %q", s.Driver(), want)
			}
			var ids []int64
			for i := range 5 {
				b, err := s.Create(ctx, store.BookInput{Title: fmt.Sprintf("Book %d", i), Author: "Ursula K. Le Guin", Year: 1969 + i, ISBN: "978-0-441-47812-5"})
				if err != nil {
					t.Fatal(err)
				}
				if b.ID == 0 || b.CreatedAt.IsZero() || !b.CreatedAt.Equal(b.UpdatedAt) {
					t.Fatalf("Create returned %+v", b)
				}
				ids = append(ids, b.ID)
			}
			got, err := s.Get(ctx, ids[2])
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != "Book 2" || got.Year != 1971 || got.ISBN != "978-0-441-47812-5" {
				t.Errorf("Get = %+v", got)
			}

			pages := []struct {
				limit, offset int64
				want          []int64
			}{
				{2, 0, ids[0:2]},
				{2, 2, ids[2:4]},
				{2, 4, ids[4:5]},
				{2, 6, nil},
				{10, 0, ids},
			}
			for _, p := range pages {
				page, err := s.List(ctx, p.limit, p.offset)
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != 5 {
					t.Errorf("List(%d, %d).Total = %d, want 5", p.limit, p.offset, page.Total)
				}
				var gotIDs []int64
				for _, b := range page.Items {
					gotIDs = append(gotIDs, b.ID)
				}
				if fmt.Sprint(gotIDs) != fmt.Sprint(p.want) {
					t.Errorf("List(%d, %d) ids = %v, want %v", p.limit, p.offset, gotIDs, p.want)
				}
			}

			up, err := s.Update(ctx, ids[1], store.BookInput{Title: "The Dispossessed", Author: "Le Guin", Year: 1974})
			if err != nil {
				t.Fatal(err)
			}
			got, err = s.Get(ctx, ids[1])
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != "The Dispossessed" || got.ISBN != "" || !got.UpdatedAt.Equal(up.UpdatedAt) || !got.CreatedAt.Equal(up.CreatedAt) || !got.UpdatedAt.After(got.CreatedAt) {
				t.Errorf("after Update: Get = %+v, Update returned %+v", got, up)
			}

			if err := s.Delete(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
			notFound := map[string]error{}
			_, notFound["Get deleted"] = s.Get(ctx, ids[0])
			_, notFound["Get unknown"] = s.Get(ctx, 1<<40)
			_, notFound["Update deleted"] = s.Update(ctx, ids[0], store.BookInput{Title: "x", Author: "y", Year: 1})
			notFound["Delete deleted"] = s.Delete(ctx, ids[0])
			for op, err := range notFound {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s: err = %v, want ErrNotFound", op, err)
				}
			}
			if _, err := s.Create(ctx, store.BookInput{Title: "", Author: "a", Year: 1}); err == nil {
				t.Error("Create accepted an invalid book")
			}
			if err := s.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}

func TestSQLSpansRecordStatementNotParameters(t *testing.T) {
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			s := open(t, dsn(t), store.WithTracerProvider(tp))
			ctx := context.Background()
			const secret = "Secret-Title-4f1c"
			b, err := s.Create(ctx, store.BookInput{Title: secret, Author: "Secret-Author-77aa", Year: 1999})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, b.ID); err != nil {
				t.Fatal(err)
			}
			statements := map[string]bool{}
			for _, sp := range rec.Ended() {
				for _, kv := range sp.Attributes() {
					v := kv.Value.String()
					if strings.Contains(v, "Secret-") || strings.Contains(sp.Name(), "Secret-") {
						t.Errorf("span %q leaks a parameter value in %s=%q", sp.Name(), kv.Key, v)
					}
					if kv.Key == "db.query.text" {
						statements[sp.Name()+": "+v] = true
					}
				}
				for _, ev := range sp.Events() {
					for _, kv := range ev.Attributes {
						if strings.Contains(kv.Value.String(), "Secret-") {
							t.Errorf("span %q event %q leaks a parameter value", sp.Name(), ev.Name)
						}
					}
				}
			}
			wantPrefixes := []string{"INSERT books: INSERT INTO books (title", "SELECT books: SELECT id, title, author, year, isbn, created_at, updated_at FROM books WHERE id = "}
			for _, want := range wantPrefixes {
				found := false
				for st := range statements {
					found = found || strings.HasPrefix(st, want)
				}
				if !found {
					t.Errorf("no span with statement %q; got %v", want, statements)
				}
			}
		})
	}
}

func TestConcurrentWrites(t *testing.T) {
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, dsn(t))
			ctx := context.Background()
			const workers, each = 8, 40
			var wg sync.WaitGroup
			errs := make(chan error, workers*each*2)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						b, err := s.Create(ctx, store.BookInput{Title: fmt.Sprintf("w%d-%d", w, i), Author: "a", Year: 2000})
						if err != nil {
							errs <- err
							continue
						}
						if _, err := s.Update(ctx, b.ID, store.BookInput{Title: fmt.Sprintf("w%d-%d updated", w, i), Author: "a", Year: 2001}); err != nil {
							errs <- err
						}
						if _, err := s.List(ctx, 10, 0); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			page, err := s.List(ctx, workers*each+10, 0)
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != workers*each || len(page.Items) != workers*each {
				t.Fatalf("stored %d books (%d listed), want %d", page.Total, len(page.Items), workers*each)
			}
			for _, b := range page.Items {
				if !strings.HasSuffix(b.Title, " updated") || b.Year != 2001 {
					t.Errorf("book %d = %+v, want the update applied", b.ID, b)
				}
			}
		})
	}
}

func TestPingAfterClose(t *testing.T) {
	s := open(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	s.Close()
	if err := s.Ping(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "sqlite: ") {
		t.Errorf("Ping after Close = %v, want an error naming sqlite", err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"mysql://root@localhost/books", `DATABASE_URL: unsupported scheme "mysql"; want sqlite:PATH or postgres://`},
		{"sqlite:", `DATABASE_URL="sqlite:": no file name; want sqlite:PATH`},
		{"sqlite:/nonexistent-dir/x/books.db", `open SQLite database "/nonexistent-dir/x/books.db"`},
		{"postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=1", "postgresql"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := store.Open(context.Background(), tt.url)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("err leaks the password: %q", err)
			}
		})
	}
}
