package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/otelswitch/otelswitch/bootstrap"
	"github.com/otelswitch/otelswitch/examples/custombackend/webhook"
	"github.com/otelswitch/otelswitch/internal/testutil"
)

const token = "hook-token-canary-42"

func TestRegisteredFromOutside(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var spans []map[string]any
		_ = json.Unmarshal(body, &spans)
		mu.Lock()
		got = append(got, spans...)
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer srv.Close()

	reg := bootstrap.DefaultRegistry()
	if err := reg.Register(webhook.Name, webhook.Factory{}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TELEMETRY_BACKEND": "webhook", "WEBHOOK_URL": srv.URL, "WEBHOOK_TOKEN": token, "OTEL_SERVICE_NAME": "hooked"}
	var logs strings.Builder
	tel, err := bootstrap.Init(context.Background(), bootstrap.WithRegistry(reg), bootstrap.WithoutGlobals(),
		bootstrap.WithLookupEnv(testutil.Env(env).Lookup), bootstrap.WithLogOutput(&logs))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "custom")
	span.End()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0]["name"] != "custom" || got[0]["service"] != "hooked" || auth[0] != "Bearer "+token {
		t.Fatalf("webhook got %v with %q", got, auth)
	}
	// The token never shows: not in the config, not in the startup log.
	if s := fmt.Sprint(tel.Config()) + logs.String(); strings.Contains(s, token) || !strings.Contains(logs.String(), "backends=webhook") {
		t.Errorf("config and log:\n%s", s)
	}
}

func TestErrorsNameTheVariables(t *testing.T) {
	_, err := webhook.ConfigFromEnv(func(k string) (string, bool) {
		return map[string]string{"WEBHOOK_URL": "hooks.example.com"}[k], k == "WEBHOOK_URL"
	})
	for _, want := range []string{`WEBHOOK_URL="hooks.example.com": want an http or https URL`, "WEBHOOK_TOKEN is not set"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
