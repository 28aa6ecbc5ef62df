// Package reliability holds the tests, and only tests, that prove the
// promises of issue 7 against the real backend lab (internal/lab): telemetry
// never takes the application down, never loses a span it could have kept
// without counting it, stays within a memory bound while a backend is away,
// and never leaks a credential.
//
// Run them with `go test ./internal/reliability` (add -race as `make test`
// does). The 60-second heap test is skipped under -short. docs/reliability.md
// says what each outage does and shows the figures these tests measured.
package reliability
