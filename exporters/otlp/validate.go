package otlp

import (
	"fmt"
	"strings"
)

// The checks every backend package applies to the variables it sends OTLP
// with, in one place so that each problem reads the same whichever vendor's
// variable holds it.

// ParseProtocol reads a protocol variable: value, or def when value is
// empty. Anything but grpc and http/protobuf is an error naming variable;
// def comes back with it, so that the rest of the configuration is still
// checked as the default reads it.
func ParseProtocol(variable, value, def string) (string, error) {
	return parseEither(variable, value, def, "protocol", GRPC, HTTPProtobuf)
}

// ParseCompression reads a compression variable: value, or def when value
// is empty; anything but gzip and none is an error naming variable, with def.
func ParseCompression(variable, value, def string) (string, error) {
	return parseEither(variable, value, def, "compression", Gzip, None)
}

// parseEither reads a variable that is one of two values, a or b: value,
// or def when value is empty; anything else is an error naming variable
// and what it sets, with def.
func parseEither(variable, value, def, what, a, b string) (string, error) {
	switch value {
	case "":
		return def, nil
	case a, b:
		return value, nil
	}
	return def, fmt.Errorf("%s=%q: unknown %s; want %s or %s", variable, value, what, a, b)
}

// CheckCredential refuses a credential, read from variable, that is sent as
// a header value and holds whitespace, a copy-paste mistake, or a control
// character, which could end the header and start another. The value never
// appears in the error. (A header list such as OTEL_EXPORTER_OTLP_HEADERS is
// checked by ParseHeaders.)
func CheckCredential(variable, value string) error {
	if strings.ContainsFunc(value, badHeaderRune) {
		return fmt.Errorf("%s holds whitespace or a control character; copy it without spaces or line breaks", variable)
	}
	return nil
}

func badHeaderRune(r rune) bool { return r <= ' ' || r == 0x7f }
