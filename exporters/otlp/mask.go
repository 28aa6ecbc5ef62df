package otlp

import (
	"errors"
	"strings"

	"github.com/otelswitch/otelswitch/internal/secret"
)

// Servers quote what they reject: the OpenTelemetry Collector's bearer-token
// authenticator answers "scheme or token does not match: Bearer <token>", and
// the OTLP exporters put the answer in their error. Those errors reach
// Stats().LastError, the library's log, ForceFlush and Shutdown, so the
// transport every exporter is built on (transport.go) masks what a server
// sends back before an exporter reads it: an HTTP error body, a gRPC status
// message.

// headerCredentials returns what to mask for headers: each value, and each word of
// a value long enough to be a credential on its own (the token of "Bearer
// <token>").
func headerCredentials(headers map[string]secret.String) []secret.String {
	var creds []secret.String
	for _, v := range headers {
		creds = append(creds, v)
		for _, w := range strings.Fields(string(v)) {
			if len(w) >= 8 && w != string(v) {
				creds = append(creds, secret.String(w))
			}
		}
	}
	return creds
}

// maskedError is err with the credentials taken out of its text. errors.Is
// still sees err's chain, so context.DeadlineExceeded and the like are
// recognised; errors.As and Unwrap do not, as they would hand out the
// unmasked text.
type maskedError struct {
	err error
	msg string
}

func (e *maskedError) Error() string        { return e.msg }
func (e *maskedError) Is(target error) bool { return errors.Is(e.err, target) }

func mask(err error, creds []secret.String) error {
	if err == nil || len(creds) == 0 {
		return err
	}
	msg := secret.Mask(err.Error(), creds...)
	if msg == err.Error() {
		return err
	}
	return &maskedError{err: err, msg: msg}
}
