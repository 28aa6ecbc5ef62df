package secret

import "github.com/otelswitch/otelswitch/secret"

// String is secret.String: an alias, not a copy, so values cross the
// public API unconverted.
type String = secret.String

// Redacted is what every printer shows in place of a credential.
const Redacted = secret.Redacted

// Mask replaces every occurrence of each non-empty credential in text with
// [REDACTED].
func Mask(text string, creds ...String) string { return secret.Mask(text, creds...) }
