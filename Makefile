# otelswitch: make run (the sample app against a real local Jaeger) and
# make test (unit and lab tests) are all a new machine needs.
GO ?= go
BIN := $(CURDIR)/bin

include tools/lab.mk

.PHONY: run test test-unit bench compare lint fuzz generate tools

## run: build the lab, run the sample app under a bounded load against Jaeger, print what Jaeger stored
run: lab-build
	$(GO) run ./sample-app demo $(RUN_FLAGS)

## test: unit and lab tests with the race detector
test: lab-build
	$(GO) test -race -count=1 -timeout 25m ./...

## test-unit: the tests that need no lab, quickly
test-unit:
	OTELSWITCH_LAB=off $(GO) test -count=1 ./...

## bench: the benchmarks, reported side by side (docs/performance.md)
bench: lab-build
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./... | tee bench.out

## compare: the same workload to several vendors at once, one table (docs/compare.md)
compare: lab-build
	$(GO) run ./sample-app compare $(COMPARE_FLAGS)

## lint: gofmt, go vet and staticcheck
lint: $(BIN)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...

$(BIN)/staticcheck: tools/lint/go.mod tools/lint/go.sum
	cd tools/lint && $(GO) build -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck

## fuzz: each fuzz target for FUZZTIME (seeds run in every go test anyway)
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## generate: regenerate docs/configuration.md from the configuration structs
generate:
	$(GO) generate ./...
