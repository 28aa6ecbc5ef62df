package secret

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// String is a credential. Every printer shows [REDACTED]; string(s) is the
// only way to read the value.
type String string

const redacted = "[REDACTED]"

// Redacted is what every printer shows in place of a credential.
const Redacted = redacted

// String implements fmt.Stringer.
func (String) String() string { return redacted }

// GoString implements fmt.GoStringer, for %#v.
func (String) GoString() string { return `"` + redacted + `"` }

// Format implements fmt.Formatter so that no verb, %d or %x included, prints
// the value.
func (String) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalText implements encoding.TextMarshaler; encoding/json uses it too.
func (String) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalBinary implements encoding.BinaryMarshaler, for gob and friends.
func (String) MarshalBinary() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (String) LogValue() slog.Value { return slog.StringValue(redacted) }

// Set reports whether the credential holds a value.
func (s String) Set() bool { return s != "" }

// Mask replaces every occurrence of each non-empty credential in text with
// [REDACTED]. Errors that quote input, such as those of net/url, pass through
// it before they leave the library.
func Mask(text string, creds ...String) string {
	for _, c := range creds {
		if c != "" {
			text = strings.ReplaceAll(text, string(c), redacted)
		}
	}
	return text
}
