package envconf

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Pair is one key=value entry of a list variable.
type Pair struct{ Key, Value string }

// ParseList reads the specification's key1=value1,key2=value2 form used by
// OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS. Values may hold
// '=' and are percent-decoded. Neither keys nor values may hold control
// characters. Errors name variable and the entry's key, never a value, since
// values are often credentials.
func ParseList(variable, list string) ([]Pair, error) {
	var pairs []Pair
	var errs []error
	for i, entry := range strings.Split(list, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		key, value, ok := strings.Cut(entry, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			errs = append(errs, fmt.Errorf("%s: entry %d is not key=value", variable, i+1))
			continue
		}
		decoded, err := url.PathUnescape(strings.TrimSpace(value))
		switch {
		case hasControl(key):
			errs = append(errs, fmt.Errorf("%s: entry %d: key holds a control character", variable, i+1))
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: value of %q has a malformed percent-encoding", variable, key))
		case hasControl(decoded):
			errs = append(errs, fmt.Errorf("%s: value of %q holds a control character (CR, LF or other)", variable, key))
		default:
			pairs = append(pairs, Pair{key, decoded})
		}
	}
	return pairs, errors.Join(errs...)
}

func hasControl(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return true
		}
	}
	return false
}
