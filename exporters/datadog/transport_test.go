package datadog

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/otelswitch/otelswitch/internal/otlptest"
)

// v04Payload encodes traces of the given sizes as dd-trace-go's v0.4
// payload: an array of traces, each an array of span maps.
func v04Payload(sizes ...int) []byte {
	b := msgp.AppendArrayHeader(nil, uint32(len(sizes)))
	for _, n := range sizes {
		b = msgp.AppendArrayHeader(b, uint32(n))
		for i := range n {
			b = msgp.AppendMapHeader(b, 3)
			b = msgp.AppendString(b, "name")
			b = msgp.AppendString(b, "http.server.request")
			b = msgp.AppendString(b, "span_id")
			b = msgp.AppendUint64(b, uint64(i+1))
			b = msgp.AppendString(b, "meta")
			b = msgp.AppendMapHeader(b, 1)
			b = msgp.AppendString(b, "env")
			b = msgp.AppendString(b, "prod")
		}
	}
	return b
}

func TestCountSpans(t *testing.T) {
	for _, sizes := range [][]int{{}, {1}, {4}, {2, 1, 17}} {
		want := 0
		for _, n := range sizes {
			want += n
		}
		if got, err := countSpans(v04Payload(sizes...)); err != nil || got != want {
			t.Errorf("countSpans(%v) = %d, %v; want %d", sizes, got, err, want)
		}
	}
	if _, err := countSpans([]byte("not msgpack")); err == nil {
		t.Error("countSpans(garbage): no error")
	}
	if _, err := countSpans(v04Payload(3)[:20]); err == nil {
		t.Error("countSpans(truncated): no error")
	}
}

func TestWithoutHidden(t *testing.T) {
	in := `{"version":"7.60.0","endpoints":["/v0.4/traces","/v1.0/traces","/v0.6/stats","/v0.7/config","/telemetry/proxy/"],"client_drop_p0s":true}`
	var doc struct {
		Version   string   `json:"version"`
		Endpoints []string `json:"endpoints"`
		DropP0s   bool     `json:"client_drop_p0s"`
	}
	if err := json.Unmarshal(withoutHidden([]byte(in)), &doc); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(doc.Endpoints, " "); got != "/v0.4/traces /v0.6/stats /telemetry/proxy/" || doc.Version != "7.60.0" || !doc.DropP0s {
		t.Errorf("withoutHidden = %+v", doc)
	}
	for _, s := range []string{"", "404 page not found", `{"endpoints":"none"}`} {
		if got := string(withoutHidden([]byte(s))); got != s {
			t.Errorf("withoutHidden(%q) = %q; want it unchanged", s, got)
		}
	}
}

type outcome struct {
	spans int
	bytes int64
	err   string
	final bool
}

type recorder struct {
	mu  sync.Mutex
	got []outcome
}

func (r *recorder) sending(int) {}

func (r *recorder) payload(spans int, bytes int64, _ time.Duration, err error, final bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := outcome{spans: spans, bytes: bytes, final: final}
	if err != nil {
		o.err = err.Error()
	}
	r.got = append(r.got, o)
}

// fakeAgent answers /info like a recent Agent and /v0.4/traces with status.
func fakeAgent(t *testing.T, status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/info":
			_, _ = io.WriteString(w, `{"endpoints":["/v0.4/traces","/v1.0/traces","/v0.7/config"]}`)
		case "/v0.4/traces":
			body, _ := io.ReadAll(r.Body)
			if n, err := countSpans(body); err != nil || r.Header.Get("X-Datadog-Trace-Count") == "" {
				t.Errorf("the agent got a payload of %d spans (%v), trace count %q", n, err, r.Header.Get("X-Datadog-Trace-Count"))
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"rate_by_service":{}}`)
		default:
			http.NotFound(w, r)
		}
	})
}

func postTraces(t *testing.T, c *http.Client, base string, payload []byte) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v0.4/traces", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Datadog-Trace-Count", "2")
	return c.Do(req)
}

func TestAgentTransport(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   outcome
	}{
		{http.StatusOK, outcome{spans: 3, final: true}},
		{http.StatusRequestEntityTooLarge, outcome{spans: 3, err: "the Datadog Agent answered 413 Request Entity Too Large", final: true}},
	} {
		srv := httptest.NewServer(fakeAgent(t, tt.status))
		rec := &recorder{}
		u, _ := url.Parse(srv.URL)
		c := newHTTPClient(Agent{URL: u}, 5*time.Second, rec)

		resp, err := c.Get(srv.URL + "/info")
		if err != nil {
			t.Fatal(err)
		}
		info, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(info), "/v1.0/traces") || strings.Contains(string(info), "/v0.7/config") || !strings.Contains(string(info), "/v0.4/traces") {
			t.Errorf("/info as dd-trace-go sees it: %s", info)
		}

		payload := v04Payload(2, 1)
		resp, _ = postTraces(t, c, srv.URL, payload)
		if resp != nil {
			resp.Body.Close()
		}
		srv.Close()
		tt.want.bytes = int64(len(payload))
		if len(rec.got) != 1 || rec.got[0] != tt.want {
			t.Errorf("status %d: outcomes %+v; want [%+v]", tt.status, rec.got, tt.want)
		}
	}
}

func TestAgentTransportBoundsTheInfoProbe(t *testing.T) {
	addr := otlptest.Blackhole(t)
	c := newHTTPClient(Agent{URL: &url.URL{Scheme: "http", Host: addr}}, 10*time.Second, &recorder{})
	start := time.Now()
	_, err := c.Get("http://" + addr + "/info")
	if took := time.Since(start); err == nil || took > infoTimeout+time.Second {
		t.Errorf("/info against a silent agent: %v after %v; want an error after about %v", err, took, infoTimeout)
	}
}

func TestAgentTransportTimesOutPayloads(t *testing.T) {
	addr := otlptest.Blackhole(t)
	rec := &recorder{}
	c := newHTTPClient(Agent{URL: &url.URL{Scheme: "http", Host: addr}}, 300*time.Millisecond, rec)
	if _, err := postTraces(t, c, "http://"+addr, v04Payload(2)); err == nil {
		t.Fatal("no error from a silent agent")
	}
	if len(rec.got) != 1 || rec.got[0].spans != 2 || rec.got[0].err == "" || !rec.got[0].final {
		t.Errorf("outcomes %+v; want one final failure of 2 spans", rec.got)
	}
}

func TestAgentTransportUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "apm.socket")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no Unix sockets here: %v", err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: fakeAgent(t, http.StatusOK)}}
	srv.Start()
	defer srv.Close()
	rec := &recorder{}
	c := newHTTPClient(Agent{URL: &url.URL{Scheme: "unix", Path: sock}}, 5*time.Second, rec)
	// dd-trace-go addresses a socket agent as http://UDS_<path>.
	resp, err := postTraces(t, c, "http://UDS_apm.socket", v04Payload(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(rec.got) != 1 || rec.got[0].spans != 2 || rec.got[0].err != "" {
		t.Errorf("outcomes %+v; want 2 spans delivered", rec.got)
	}
}
