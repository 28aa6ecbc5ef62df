package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelswitch/otelswitch/sample-app/internal/pgtest"
	"github.com/otelswitch/otelswitch/sample-app/internal/store"
)

// TestHammer sends concurrent valid writes mixed with every kind of bad
// request, then checks the table holds exactly what the successful writes
// left: nothing a client sends can corrupt or lose a stored book.
func TestHammer(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"sqlite":     func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "books.db") },
		"postgresql": func(t *testing.T) string { return pgtest.Shared(t).NewDatabase(t) },
	} {
		t.Run(name, func(t *testing.T) {
			dsn := url(t)
			a := newApp(t, appOptions{databaseURL: dsn, maxBodyBytes: 4096})
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
			send := func(method, path, body string) (int, []byte, error) {
				req, _ := http.NewRequest(method, a.ts.URL+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return 0, nil, err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return resp.StatusCode, b, err
			}

			const writers, booksEach, vandals, vandalRequests = 6, 12, 4, 60
			var mu sync.Mutex
			want := map[int64]store.BookInput{} // what the table must hold
			var wg sync.WaitGroup
			errs := make(chan string, 1000)
			fail := func(format string, args ...any) {
				select {
				case errs <- fmt.Sprintf(format, args...):
				default:
				}
			}

			for w := range writers {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), 1))
					for i := range booksEach {
						in := store.BookInput{Title: fmt.Sprintf("w%d book %d «ünïcode»", w, i), Author: "Author " + fmt.Sprint(w), Year: 1900 + i}
						code, body, err := send("POST", "/books", mustJSON(in))
						if err != nil || code != 201 {
							fail("create: %d %s %v", code, body, err)
							continue
						}
						var b store.Book
						json.Unmarshal(body, &b)
						for u := range 2 {
							in.Title = fmt.Sprintf("w%d book %d v%d", w, i, u+2)
							in.Year++
							if code, body, err := send("PUT", fmt.Sprintf("/books/%d", b.ID), mustJSON(in)); err != nil || code != 200 {
								fail("update: %d %s %v", code, body, err)
							}
							// Bad writes to a live book must change nothing.
							for _, bad := range badBodies {
								if code, body, err := send("PUT", fmt.Sprintf("/books/%d", b.ID), bad); err != nil || code < 400 || code >= 500 {
									fail("bad PUT %q: %d %s %v", trunc(bad), code, body, err)
								}
							}
						}
						if rng.IntN(3) == 0 {
							if code, body, err := send("DELETE", fmt.Sprintf("/books/%d", b.ID), ""); err != nil || code != 204 {
								fail("delete: %d %s %v", code, body, err)
							}
							continue
						}
						mu.Lock()
						want[b.ID] = in
						mu.Unlock()
					}
				})
			}
			for v := range vandals {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(v), 2))
					for range vandalRequests {
						id := rng.IntN(100) + 1
						var method, path, body string
						switch rng.IntN(8) {
						case 0:
							method, path, body = "POST", "/books", badBodies[rng.IntN(len(badBodies))]
						case 1:
							method, path, body = "PUT", fmt.Sprintf("/books/%d", id), badBodies[rng.IntN(len(badBodies))]
						case 2:
							method, path = "DELETE", fmt.Sprintf("/books/%d", 1_000_000+id)
						case 3:
							method, path = "DELETE", "/books/-"+fmt.Sprint(id)
						case 4:
							method, path = "GET", fmt.Sprintf("/books?page=-%d&page_size=%d", id, 1000+id)
						case 5:
							method, path = "GET", "/error"
						case 6:
							method, path = "PATCH", fmt.Sprintf("/books/%d", id)
						case 7:
							truncatedBody(a.ts.Listener.Addr().String(), id)
							continue
						}
						code, b, err := send(method, path, body)
						if err != nil || code < 400 || (code >= 500 && path != "/error") {
							fail("%s %s %q: %d %s %v", method, path, trunc(body), code, b, err)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}

			ctx := context.Background()
			page, err := a.store.List(ctx, 10_000, 0)
			if err != nil {
				t.Fatal(err)
			}
			if int(page.Total) != len(want) || len(page.Items) != len(want) {
				t.Errorf("table holds %d books, want %d", page.Total, len(want))
			}
			for _, b := range page.Items {
				in, ok := want[b.ID]
				got := store.BookInput{Title: b.Title, Author: b.Author, Year: b.Year, ISBN: b.ISBN}
				if !ok || got != in {
					t.Errorf("book %d = %+v, want %+v (expected: %v)", b.ID, got, in, ok)
				}
			}
			if strings.HasPrefix(dsn, "sqlite:") {
				db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(dsn, "sqlite:")+"?mode=ro")
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				var res string
				if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
					t.Errorf("integrity_check = %q, %v", res, err)
				}
			}
			if code, body, _ := send("GET", "/health", ""); code != 200 {
				t.Errorf("after the hammering, /health = %d %s", code, body)
			}
		})
	}
}

var badBodies = []string{
	`{"title":`,
	`{"title":"x","author":"y","year":"1999"}`,
	`{"title":"","author":"","year":1}`,
	`{"title":"x","author":"y"}`,
	`{"title":"x","author":"y","year":1,"id":5}`,
	`{"title":"x","author":"y","year":1} trailing`,
	`[]`,
	`{"title":"` + strings.Repeat("A", 5000) + `","author":"y","year":1}`,
	`{"title":"x\u0000y","author":"y","year":1}`,
	`{"title":"x","author":"y","year":1e10}`,
	"\xff\xfe garbage",
}

// truncatedBody sends a PUT whose body is shorter than its Content-Length
// and hangs up.
func truncatedBody(addr string, id int) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	fmt.Fprintf(c, "PUT /books/%d HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"title\":\"trunc", id)
}

func mustJSON(in store.BookInput) string {
	b, _ := json.Marshal(map[string]any{"title": in.Title, "author": in.Author, "year": in.Year})
	return string(b)
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
