//go:build tools

// Package tools records the Jaeger binary this module builds, so that
// `go mod tidy` keeps its dependencies in go.mod and go.sum.
//
// Build it with tools/build.sh, which runs, from this directory:
//
//	go build -o ../../bin/jaeger github.com/jaegertracing/jaeger/cmd/jaeger
package tools

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
