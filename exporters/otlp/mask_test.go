package otlp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/otelswitch/otelswitch/internal/secret"
)

func TestMaskTakesCredentialsOutOfErrors(t *testing.T) {
	creds := headerCredentials(map[string]secret.String{
		"authorization": "Bearer s3cr3t-token-value",
		"api-key":       "licence-key-0123456789",
		"x-short":       "Bearer ab", // no word long enough to mask on its own
	})
	server := fmt.Errorf("traces export: %w: rpc error: scheme or token does not match: Bearer s3cr3t-token-value; got s3cr3t-token-value, key licence-key-0123456789", context.DeadlineExceeded)
	err := mask(server, creds)
	want := "traces export: context deadline exceeded: rpc error: scheme or token does not match: [REDACTED]; got [REDACTED], key [REDACTED]"
	if err.Error() != want {
		t.Errorf("masked error = %q\nwant %q", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("the masked error no longer matches context.DeadlineExceeded")
	}
	if errors.Unwrap(err) != nil {
		t.Error("the masked error unwraps to the unmasked one")
	}
	plain := errors.New("connection refused")
	if got := mask(plain, creds); got != plain {
		t.Errorf("an error without credentials was replaced: %v", got)
	}
	if mask(nil, creds) != nil {
		t.Error("mask(nil) != nil")
	}
	for _, c := range creds {
		if strings.TrimSpace(string(c)) == "Bearer" || string(c) == "ab" {
			t.Errorf("%q would be masked everywhere", c)
		}
	}
}
