package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/sample-app/internal/pgtest"
	"github.com/otelswitch/otelswitch/sample-app/internal/server"
	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

func TestBooksCRUD(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"sqlite":     func(t *testing.T) string { return "" },
		"postgresql": func(t *testing.T) string { return pgtest.Shared(t).NewDatabase(t) },
	} {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, appOptions{databaseURL: url(t)})
			var ids []int64
			for i := range 3 {
				resp, body := a.do(t, "POST", "/books", fmt.Sprintf(`{"title":"Dune %d","author":"Frank Herbert","year":%d,"isbn":"978-0441013593"}`, i, 1965+i))
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("POST /books = %d %s", resp.StatusCode, body)
				}
				var b store.Book
				if err := json.Unmarshal(body, &b); err != nil {
					t.Fatal(err)
				}
				if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/books/%d", b.ID) {
					t.Errorf("Location = %q for book %d", loc, b.ID)
				}
				ids = append(ids, b.ID)
			}

			resp, body := a.do(t, "GET", fmt.Sprintf("/books/%d", ids[1]), "")
			var got store.Book
			if err := json.Unmarshal(body, &got); resp.StatusCode != 200 || err != nil || got.Title != "Dune 1" || got.Year != 1966 {
				t.Fatalf("GET /books/%d = %d %s", ids[1], resp.StatusCode, body)
			}

			resp, body = a.do(t, "PUT", fmt.Sprintf("/books/%d", ids[1]), `{"title":"Dune Messiah","author":"Frank Herbert","year":1969}`)
			got = store.Book{}
			if err := json.Unmarshal(body, &got); resp.StatusCode != 200 || err != nil || got.Title != "Dune Messiah" || got.ISBN != "" {
				t.Fatalf("PUT = %d %s", resp.StatusCode, body)
			}

			resp, body = a.do(t, "GET", "/books?page=2&page_size=2", "")
			var page server.BookPage
			if err := json.Unmarshal(body, &page); resp.StatusCode != 200 || err != nil {
				t.Fatalf("GET /books = %d %s", resp.StatusCode, body)
			}
			if page.Total != 3 || page.TotalPages != 2 || page.Page != 2 || page.PageSize != 2 || len(page.Items) != 1 || page.Items[0].ID != ids[2] {
				t.Errorf("page 2 = %+v", page)
			}
			resp, body = a.do(t, "GET", "/books?page=9", "")
			if err := json.Unmarshal(body, &page); resp.StatusCode != 200 || err != nil || len(page.Items) != 0 || page.Items == nil {
				t.Errorf("page past the end = %d %s; want 200 with an empty items array", resp.StatusCode, body)
			}

			if resp, body := a.do(t, "DELETE", fmt.Sprintf("/books/%d", ids[0]), ""); resp.StatusCode != http.StatusNoContent || len(body) != 0 {
				t.Errorf("DELETE = %d %q", resp.StatusCode, body)
			}
			if resp, _ := a.do(t, "GET", fmt.Sprintf("/books/%d", ids[0]), ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET deleted book = %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestBadInput checks that every kind of bad request gets a 4xx JSON error
// that says what is wrong, and changes nothing.
func TestBadInput(t *testing.T) {
	a := newApp(t, appOptions{maxBodyBytes: 1024})
	resp, body := a.do(t, "POST", "/books", `{"title":"Beloved","author":"Toni Morrison","year":1987}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("setup: %d %s", resp.StatusCode, body)
	}
	var existing store.Book
	json.Unmarshal(body, &existing)
	path := fmt.Sprintf("/books/%d", existing.ID)

	tests := []struct {
		name         string
		method, path string
		body         string
		header       []string
		wantStatus   int
		wantError    string   // substring of "error"
		wantFields   []string // fields in "details"
	}{
		{"malformed JSON", "POST", "/books", `{"title": "x",}`, nil, 400, "malformed JSON at byte 15", nil},
		{"truncated JSON", "POST", "/books", `{"title": "x"`, nil, 400, "malformed JSON: the body ends before", nil},
		{"empty body", "POST", "/books", ``, []string{"Content-Type", "application/json"}, 400, "request body is empty", nil},
		{"two objects", "POST", "/books", `{"title":"a","author":"b","year":1} {}`, nil, 400, "one JSON object and nothing after it", nil},
		{"array body", "POST", "/books", `[1,2]`, nil, 400, "must be a JSON object, got an array", nil},
		{"string body", "POST", "/books", `"hello"`, nil, 400, "must be a JSON object, got a string", nil},
		{"year as string", "POST", "/books", `{"title":"a","author":"b","year":"1999"}`, nil, 422, "year must be an integer, got a string", []string{"year"}},
		{"year as float", "POST", "/books", `{"title":"a","author":"b","year":1999.5}`, nil, 422, `year must be an integer, got the number "1999.5"`, []string{"year"}},
		{"title as number", "POST", "/books", `{"title":7,"author":"b","year":1999}`, nil, 422, "title must be a string, got a number", []string{"title"}},
		{"missing fields", "POST", "/books", `{"isbn":"123"}`, nil, 422, "title is required; author is required; year is required", []string{"title", "author", "year"}},
		{"null body", "POST", "/books", `null`, nil, 422, "title is required", []string{"title", "author", "year"}},
		{"unknown field", "POST", "/books", `{"title":"a","author":"b","year":1,"price":3}`, nil, 422, `price is not a field of a book`, []string{"price"}},
		{"blank title", "POST", "/books", `{"title":"  ","author":"b","year":1}`, nil, 422, "title is required and must not be blank", []string{"title"}},
		{"year out of range", "POST", "/books", `{"title":"a","author":"b","year":99999}`, nil, 422, "year must be between -3000 and 2100, got 99999", []string{"year"}},
		{"NUL in author", "POST", "/books", `{"title":"a","author":"b\u0000c","year":1}`, nil, 422, "author must not contain control characters", []string{"author"}},
		{"oversized body", "POST", "/books", `{"title":"` + strings.Repeat("x", 2000) + `","author":"b","year":1}`, nil, 413, "larger than the limit of 1024 bytes", nil},
		{"wrong content type", "POST", "/books", `title=a`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, `Content-Type must be application/json, got "application/x-www-form-urlencoded"`, nil},
		{"negative page", "GET", "/books?page=-1", ``, nil, 400, "page must be between 1 and 1000000000, got -1", []string{"page"}},
		{"zero page", "GET", "/books?page=0", ``, nil, 400, "page must be between 1 and", []string{"page"}},
		{"page not a number", "GET", "/books?page=two", ``, nil, 400, `page must be an integer, got "two"`, []string{"page"}},
		{"page overflow", "GET", "/books?page=99999999999999999999", ``, nil, 400, "page must be between 1 and 1000000000", []string{"page"}},
		{"page size too big", "GET", "/books?page_size=101", ``, nil, 400, "page_size must be between 1 and 100, got 101", []string{"page_size"}},
		{"page size zero", "GET", "/books?page_size=0", ``, nil, 400, "page_size must be between 1 and 100, got 0", []string{"page_size"}},
		{"unknown query parameter", "GET", "/books?pagesize=5", ``, nil, 400, "pagesize is not a query parameter", []string{"pagesize"}},
		{"repeated parameter", "GET", "/books?page=1&page=2", ``, nil, 400, "page is given 2 times", []string{"page"}},
		{"unknown id", "GET", "/books/987654", ``, nil, 404, "no book with id 987654", nil},
		{"unknown id on PUT", "PUT", "/books/987654", `{"title":"a","author":"b","year":1}`, nil, 404, "no book with id 987654", nil},
		{"unknown id on DELETE", "DELETE", "/books/987654", ``, nil, 404, "no book with id 987654", nil},
		{"id not a number", "GET", "/books/abc", ``, nil, 400, `book id must be a positive integer, got "abc"`, nil},
		{"id zero", "DELETE", "/books/0", ``, nil, 400, `book id must be a positive integer, got "0"`, nil},
		{"id overflow", "GET", "/books/99999999999999999999", ``, nil, 400, "book id must be a positive integer", nil},
		{"bad PUT on existing book", "PUT", path, `{"title":"","author":"b","year":"x"}`, nil, 422, "year must be an integer", []string{"year"}},
		{"method not allowed", "PATCH", path, `{}`, nil, 405, "method PATCH is not allowed on " + path + "; allowed: DELETE, GET, HEAD, PUT", nil},
		{"no such route", "GET", "/nope", ``, nil, 404, "no route for GET /nope", nil},
		{"io_task negative", "GET", "/io_task?ms=-5", ``, nil, 400, "ms must be between 0 and 60000, got -5", []string{"ms"}},
		{"cpu_task too big", "GET", "/cpu_task?n=1e9", ``, nil, 400, `n must be an integer, got "1e9"`, []string{"n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.do(t, tt.method, tt.path, tt.body, tt.header...)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var e server.ErrorBody
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body is not JSON: %s", body)
			}
			if !strings.Contains(e.Error, tt.wantError) {
				t.Errorf("error = %q, want it to contain %q", e.Error, tt.wantError)
			}
			var fields []string
			for _, d := range e.Details {
				fields = append(fields, d.Field)
			}
			if !slices.Equal(fields, tt.wantFields) {
				t.Errorf("details fields = %v, want %v (%s)", fields, tt.wantFields, body)
			}
			if e.RequestID == "" || e.RequestID != resp.Header.Get("X-Request-ID") {
				t.Errorf("request_id = %q, header %q", e.RequestID, resp.Header.Get("X-Request-ID"))
			}
			if len(body) > 2048 {
				t.Errorf("error body is %d bytes; it echoes too much input", len(body))
			}
		})
	}

	after, err := a.store.Get(t.Context(), existing.ID)
	if err != nil || after != existing {
		t.Errorf("the stored book changed: before %+v, after %+v (%v)", existing, after, err)
	}
	if page, _ := a.store.List(t.Context(), 10, 0); page.Total != 1 {
		t.Errorf("bad requests stored books: %d in the table, want 1", page.Total)
	}
}
