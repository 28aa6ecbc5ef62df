package otlp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/otelswitch/otelswitch/internal/envconf"
	"github.com/otelswitch/otelswitch/internal/secret"
)

// ParseHeaders reads a header list such as OTEL_EXPORTER_OTLP_HEADERS:
// key1=value1,key2=value2, values percent-decoded. Names must be HTTP tokens
// and nothing may hold a control character, which could smuggle in a header
// of its own. Values never appear in errors.
func ParseHeaders(variable, list string) (map[string]secret.String, error) {
	pairs, err := envconf.ParseList(variable, list)
	errs := []error{err}
	headers := make(map[string]secret.String, len(pairs))
	for _, p := range pairs {
		if !isToken(p.Key) {
			errs = append(errs, fmt.Errorf("%s: %q is not a valid HTTP header name", variable, p.Key))
			continue
		}
		headers[strings.ToLower(p.Key)] = secret.String(p.Value)
	}
	return headers, errors.Join(errs...)
}

// isToken reports whether s is an RFC 9110 token, the form of a header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}
