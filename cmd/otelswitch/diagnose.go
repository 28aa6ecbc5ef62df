package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/otelswitch/otelswitch/exporters"
)

// httpStatus finds the status OTLP/HTTP exporters quote: "failed to send to
// URL: 401 Unauthorized (body: ...)".
var httpStatus = regexp.MustCompile(`: ([1-5][0-9][0-9]) [A-Z][A-Za-z ]*`)

// grpcCode finds the code of a gRPC status error: "rpc error: code =
// Unauthenticated desc = ...".
var grpcCode = regexp.MustCompile(`code = ([A-Za-z]+)`)

// diagnose turns an export error into whether the endpoint answered, a
// problem class and a fix in the user's terms: the variables they set.
func diagnose(backend, msg string, e exporters.Endpoint, timeout time.Duration) (reached bool, problem, fix string) {
	lower := strings.ToLower(msg)
	if reached, problem, fix := transportProblem(lower, e); problem != "" {
		return reached, problem, fix
	}
	status := 0
	if m := httpStatus.FindStringSubmatch(msg); m != nil {
		_, _ = fmt.Sscan(m[1], &status)
	}
	code := ""
	if m := grpcCode.FindStringSubmatch(msg); m != nil {
		code = m[1]
	}
	return answerProblem(backend, lower, status, code, e, timeout)
}

// transportProblem recognises a connection or TLS failure; problem is empty
// for anything else.
func transportProblem(lower string, e exporters.Endpoint) (reached bool, problem, fix string) {
	from := origin(e)
	switch {
	case strings.Contains(lower, "connection refused"):
		return false, "refused", fmt.Sprintf("nothing listens at %s (%s): start the backend there, or point %s at where it listens", e.URL, from, varOr(e.Variable, "the endpoint variable"))
	case strings.Contains(lower, "no such host"):
		return false, "dns", fmt.Sprintf("the host of %s (%s) does not resolve: check the name in %s", e.URL, from, varOr(e.Variable, "the endpoint variable"))
	case strings.Contains(lower, "server gave http response to https client") ||
		strings.Contains(lower, "first record does not look like a tls handshake"):
		return true, "plaintext", fmt.Sprintf("%s speaks plaintext, not TLS: write http:// in %s if that network is trusted, or enable TLS on the backend", e.URL, varOr(e.Variable, "the endpoint variable"))
	case strings.Contains(lower, "x509") || strings.Contains(lower, "certificate") || strings.Contains(lower, "tls:"):
		return true, "tls", tlsFix(e)
	}
	return false, "", ""
}

// answerProblem classifies the backend's answer, an HTTP status or a gRPC
// code, or its silence.
func answerProblem(backend, lower string, status int, code string, e exporters.Endpoint, timeout time.Duration) (reached bool, problem, fix string) {
	switch {
	case status == 401 || status == 403 || code == "Unauthenticated" || code == "PermissionDenied":
		return true, "unauthorized", authFix(backend, e)
	case status == 404 || code == "Unimplemented":
		return true, "not_found", notFoundFix(e)
	case status != 0 || (code != "" && code != "DeadlineExceeded" && code != "Unavailable"):
		return true, "rejected", fmt.Sprintf("the backend refused the data (%s); its answer is above", firstNonEmpty(fmt.Sprint(status), code))
	case strings.Contains(lower, "deadline exceeded") || strings.Contains(lower, "timeout") || code == "DeadlineExceeded":
		return false, "timeout", fmt.Sprintf("no answer from %s (%s) within %s: something accepts connections there but does not answer (a firewall dropping packets, a proxy, or a backend stuck); check %s points at the backend, or try a longer --timeout", e.URL, origin(e), timeout, varOr(e.Variable, "the endpoint variable"))
	case code == "Unavailable":
		return false, "refused", fmt.Sprintf("could not connect to %s (%s): check the backend is up and %s is right", e.URL, origin(e), varOr(e.Variable, "the endpoint variable"))
	}
	return false, "failed", "the export failed; the error above says why"
}

func origin(e exporters.Endpoint) string {
	switch {
	case e.Default && e.Variable != "":
		return "the default; " + e.Variable + " is unset"
	case e.Variable != "":
		return "from " + e.Variable
	}
	return "the default"
}

func varOr(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

func firstNonEmpty(a, b string) string {
	if a != "" && a != "0" {
		return a
	}
	return b
}

func tlsFix(e exporters.Endpoint) string {
	switch {
	case e.Certificate != "":
		return fmt.Sprintf("the server's certificate at %s is not signed by the CA in %s (%s=%s): point %s at the CA that signed it", e.URL, e.Certificate, e.CertificateVar, e.Certificate, e.CertificateVar)
	case e.CertificateVar != "":
		return fmt.Sprintf("the server's certificate at %s is not trusted by the system's CAs: set %s to the PEM file of the CA that signed it", e.URL, e.CertificateVar)
	}
	return fmt.Sprintf("the server's certificate at %s is not trusted by the system's CAs: add its CA to the system pool, or set SSL_CERT_FILE to a PEM bundle that holds it", e.URL)
}

func authFix(backend string, e exporters.Endpoint) string {
	var fix string
	if e.CredentialVar == "" {
		fix = fmt.Sprintf("the backend at %s wants credentials and none are configured for %s", e.URL, backend)
	} else {
		fix = fmt.Sprintf("the backend refused the credential in %s (%s): check its value", e.CredentialVar, e.Auth)
		if e.Auth == "none" {
			fix = fmt.Sprintf("the backend wants a credential: set %s", e.CredentialVar)
		}
	}
	if e.Hint != "" {
		fix += "; " + e.Hint
	}
	return fix
}

func notFoundFix(e exporters.Endpoint) string {
	path := "/"
	if u, err := url.Parse(e.URL); err == nil && u.Path != "" {
		path = u.Path
	}
	if e.Protocol == "grpc" {
		return fmt.Sprintf("%s does not serve OTLP over gRPC: check the port in %s (OTLP/gRPC is usually 4317)", e.URL, varOr(e.Variable, "the endpoint variable"))
	}
	return fmt.Sprintf("nothing is served at path %s on %s: correct the path in %s (give the base URL; %s is added for %s)", path, hostOf(e.URL), varOr(e.Variable, "the endpoint variable"), signalPath(e.Signal), e.Signal)
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Scheme + "://" + u.Host
	}
	return raw
}

func signalPath(signal string) string { return "/v1/" + signal }
