// Package docsnippets holds the test that keeps the documentation's Go
// honest. In README.md and docs/*.md:
//
//   - a block fenced as ```go is a complete program: it starts with
//     `package`, and the test type-checks it against this module (go vet);
//   - a block fenced as ```go fragment is an excerpt (a few statements or
//     declarations that lean on names around them): the test parses it as
//     Go, so it is at least well-formed.
//
// README.md's first ```go block must be examples/quickstart/main.go, byte
// for byte, so the quick start a user copies is the program
// examples/quickstart's test runs.
package docsnippets
