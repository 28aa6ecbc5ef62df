package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/otelswitch/otelswitch/sample-app/internal/server"
	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

// The JSON handlers under fuzzing: whatever a client sends, the answer is
// never a 5xx (a panic would be one: the server turns it into a 500), it is
// JSON, and the table holds exactly what the accepted requests asked for and
// nothing else. Seeds are in testdata/fuzz; `make fuzz` runs each target.

// fuzzApp is one service on a SQLite file, driven in-process.
type fuzzApp struct {
	srv *server.Server
	st  *store.Store
}

func newFuzzApp(f *testing.F) *fuzzApp {
	f.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(f.TempDir(), "books.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	srv, err := server.New(server.Config{
		Store:          st,
		TracerProvider: tracenoop.NewTracerProvider(),
		MeterProvider:  metricnoop.NewMeterProvider(),
		Propagator:     propagation.TraceContext{},
		Logger:         slog.New(slog.DiscardHandler),
		MaxBodyBytes:   4096,
	})
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzApp{srv: srv, st: st}
}

// serve sends one request straight to the handler. path and rawQuery are
// set on the URL as they are, as a server would hand them over.
func (a *fuzzApp) serve(method, path, rawQuery, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", rawQuery
	req.RequestURI = ""
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	a.srv.ServeHTTP(rec, req)
	return rec
}

func (a *fuzzApp) count(t *testing.T) int64 {
	t.Helper()
	p, err := a.st.List(context.Background(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p.Total
}

// checkAnswer fails on a 5xx and on a body that is not the JSON the API
// promises: a book, a page or an ErrorBody with a message.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, what string) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s = %d, want no 5xx: %s", what, rec.Code, rec.Body)
	}
	if rec.Code == http.StatusNoContent || rec.Code/100 == 3 {
		return
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s = %d with Content-Type %q, want application/json: %s", what, rec.Code, ct, rec.Body)
	}
	if rec.Code >= 400 {
		var e server.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" || e.RequestID == "" {
			t.Fatalf("%s = %d with body %q, want an error message and a request ID", what, rec.Code, rec.Body)
		}
	}
}

// wantStored checks that b is stored as it is and holds what body asked for.
func wantStored(t *testing.T, a *fuzzApp, body []byte, b store.Book) {
	t.Helper()
	var req server.BookRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Title == nil || req.Author == nil || req.Year == nil {
		t.Fatalf("accepted a body that does not hold a book: %q (%v)", body, err)
	}
	isbn := ""
	if req.ISBN != nil {
		isbn = *req.ISBN
	}
	if b.Title != *req.Title || b.Author != *req.Author || b.Year != *req.Year || b.ISBN != isbn {
		t.Fatalf("answered %+v for a body asking %q", b, body)
	}
	got, err := a.st.Get(context.Background(), b.ID)
	if err != nil {
		t.Fatalf("book %d was answered but is not stored: %v", b.ID, err)
	}
	if got.Title != b.Title || got.Author != b.Author || got.Year != b.Year || got.ISBN != b.ISBN {
		t.Fatalf("stored %+v, answered %+v", got, b)
	}
}

func FuzzCreateBook(f *testing.F) {
	f.Add("application/json", []byte(`{"title":"Dune","author":"Frank Herbert","year":1965,"isbn":"978-0441013593"}`))
	f.Add("application/json; charset=utf-8", []byte(`{"title":"  x ","author":"é","year":-3000}`))
	f.Add("", []byte(`{"title":"a","author":"b","year":2100,"extra":1}`))
	f.Add("text/plain", []byte(`{}`))
	f.Add("application/json", []byte(`{"title":"a\u0000b","author":"b","year":1}`))
	f.Add("application/json", []byte(`{"title":"a","author":"b","year":1e3}`))
	f.Add("application/json", []byte(`[{"title":"a"}]`))
	f.Add("application/json", []byte(`{"title":"a","author":"b","year":1} {}`))
	f.Add("application/json", []byte("{\"title\":\"\xff\xfe\",\"author\":\"b\",\"year\":1}"))
	a := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		before := a.count(t)
		rec := a.serve(http.MethodPost, "/books", "", contentType, body)
		checkAnswer(t, rec, "POST /books")
		if rec.Code != http.StatusCreated {
			if n := a.count(t); n != before {
				t.Fatalf("POST /books = %d, yet the table went from %d to %d books", rec.Code, before, n)
			}
			return
		}
		var b store.Book
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.ID < 1 {
			t.Fatalf("201 with body %q: %v", rec.Body, err)
		}
		if loc := rec.Header().Get("Location"); loc != "/books/"+strconv.FormatInt(b.ID, 10) {
			t.Fatalf("Location = %q for book %d", loc, b.ID)
		}
		wantStored(t, a, body, b)
		if n := a.count(t); n != before+1 {
			t.Fatalf("one book created, the table went from %d to %d", before, n)
		}
		// Delete it through the API, so the table stays small.
		del := a.serve(http.MethodDelete, "/books/"+strconv.FormatInt(b.ID, 10), "", "", nil)
		if del.Code != http.StatusNoContent || a.count(t) != before {
			t.Fatalf("DELETE /books/%d = %d, table %d books, want 204 and %d", b.ID, del.Code, a.count(t), before)
		}
	})
}

func FuzzUpdateBook(f *testing.F) {
	f.Add("1", "application/json", []byte(`{"title":"Dune Messiah","author":"Frank Herbert","year":1969}`))
	f.Add("+1", "", []byte(`{"title":"t","author":"a","year":0,"isbn":"X"}`))
	f.Add("0", "application/json", []byte(`{"title":"t","author":"a","year":1}`))
	f.Add("-1", "application/json", []byte(`{}`))
	f.Add("2", "application/json", []byte(`{"title":"t","author":"a","year":1}`))
	f.Add("99999999999999999999", "application/json", []byte(`{"title":"t"}`))
	f.Add("1", "application/json", []byte(`{"title":"t","author":"a","year":99999}`))
	f.Add("1", "application/xml", []byte(`<book/>`))
	f.Add("../books", "application/json", []byte(`{"title":"t","author":"a","year":1}`))
	f.Add("1", "application/json", []byte(`{"title":null,"author":"a","year":1}`))
	a := newFuzzApp(f)
	base, err := a.st.Create(context.Background(), store.BookInput{Title: "Dune", Author: "Frank Herbert", Year: 1965})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, contentType string, body []byte) {
		ctx := context.Background()
		before, err := a.st.Get(ctx, base.ID)
		if err != nil {
			t.Fatal(err)
		}
		rec := a.serve(http.MethodPut, "/books/"+id, "", contentType, body)
		checkAnswer(t, rec, "PUT /books/"+id)
		if rec.Code != http.StatusOK {
			after, err := a.st.Get(ctx, base.ID)
			if err != nil || after != before {
				t.Fatalf("PUT /books/%s = %d, yet the book changed from %+v to %+v (%v)", id, rec.Code, before, after, err)
			}
			if n := a.count(t); n != 1 {
				t.Fatalf("PUT /books/%s = %d, the table has %d books, want 1", id, rec.Code, n)
			}
			return
		}
		var b store.Book
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.ID != base.ID {
			t.Fatalf("200 for book %q with body %q (%v); only book %d exists", id, rec.Body, err, base.ID)
		}
		wantStored(t, a, body, b)
		if a.count(t) != 1 {
			t.Fatalf("an update changed the number of books to %d", a.count(t))
		}
		if _, err := a.st.Update(ctx, base.ID, store.BookInput{Title: base.Title, Author: base.Author, Year: base.Year}); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzListBooks(f *testing.F) {
	for _, q := range []string{"", "page=1", "page=2&page_size=1", "page_size=100", "page_size=101", "page=0",
		"page=x", "page=1&page=2", "sort=title", "page=99999999999999999999", "page=%zz", "page_size=+5", "page=1000000000&page_size=100", ";;&&=="} {
		f.Add(q)
	}
	a := newFuzzApp(f)
	for _, title := range []string{"Dune", "Emma", "Ulysses"} {
		if _, err := a.st.Create(context.Background(), store.BookInput{Title: title, Author: "a", Year: 1}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		rec := a.serve(http.MethodGet, "/books", rawQuery, "", nil)
		checkAnswer(t, rec, "GET /books?"+rawQuery)
		if rec.Code != http.StatusOK {
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("GET /books?%s = %d, want 200 or 400", rawQuery, rec.Code)
			}
			return
		}
		var p server.BookPage
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatalf("200 with body %q: %v", rec.Body, err)
		}
		if p.Total != 3 || p.Page < 1 || p.PageSize < 1 || p.PageSize > server.MaxPageSize || int64(len(p.Items)) > p.PageSize {
			t.Fatalf("GET /books?%s = %+v, want a page of the 3 books", rawQuery, p)
		}
		if want := min(max(p.Total-(p.Page-1)*p.PageSize, 0), p.PageSize); int64(len(p.Items)) != want {
			t.Fatalf("GET /books?%s: page %d of size %d holds %d books, want %d", rawQuery, p.Page, p.PageSize, len(p.Items), want)
		}
	})
}
