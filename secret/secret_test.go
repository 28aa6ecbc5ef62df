package secret_test

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/secret"
)

const canary = "o-SECRET-canary-1234"

type holder struct {
	Key     secret.String
	Headers map[string]secret.String
}

func TestStringNeverPrintsValue(t *testing.T) {
	h := holder{Key: canary, Headers: map[string]secret.String{"api-key": canary}}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "key", h.Key, "holder", h)
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var gobbed bytes.Buffer
	if err := gob.NewEncoder(&gobbed).Encode(h); err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", h),
		"%+v":  fmt.Sprintf("%+v", h),
		"%#v":  fmt.Sprintf("%#v", h),
		"%s":   fmt.Sprintf("%s", h.Key),
		"%q":   fmt.Sprintf("%q", h.Key),
		"%d":   fmt.Sprintf("%d", h.Key),
		"%x":   fmt.Sprintf("%x", h.Key),
		"json": string(js),
		"gob":  gobbed.String(),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, canary) || strings.Contains(out, fmt.Sprintf("%x", canary)) {
			t.Errorf("%s leaked the secret: %s", name, out)
		}
		if name != "gob" && !strings.Contains(out, secret.Redacted) {
			t.Errorf("%s does not say %s: %s", name, secret.Redacted, out)
		}
	}
	if string(h.Key) != canary {
		t.Errorf("string(s) = %q, want the value", string(h.Key))
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		text  string
		creds []secret.String
		want  string
	}{
		{"parse \"https://u:" + canary + "@h\": bad", []secret.String{canary}, "parse \"https://u:[REDACTED]@h\": bad"},
		{"no secret here", []secret.String{canary}, "no secret here"},
		{"empty creds are ignored", []secret.String{""}, "empty creds are ignored"},
		{"a b", []secret.String{"a", "b"}, "[REDACTED] [REDACTED]"},
	}
	for _, tt := range tests {
		if got := secret.Mask(tt.text, tt.creds...); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func ExampleString() {
	key := secret.String("license-0123")
	fmt.Println(key, len(string(key)))
	// Output: [REDACTED] 12
}
