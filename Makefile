# otelswitch: make run (the sample app against a real local Jaeger) and
# make test (unit and lab tests) are all a new machine needs.
GO ?= go
BIN := $(CURDIR)/bin

include tools/lab.mk

.PHONY: run test test-unit bench compare lint fuzz generate tools

## run: build the lab, run the sample app under a bounded load against Jaeger, print what Jaeger stored
run: lab-build
	$(GO) run ./sample-app demo $(RUN_FLAGS)

# Go modules besides the root one whose tests `make test` also runs
# (deploy/: the manifest checks, which need k8s.io modules the library must
# not depend on).
MODULES ?= deploy

## test: unit and lab tests with the race detector
test: lab-build
	$(GO) test -race -count=1 -timeout 25m ./...
	@set -e; for m in $(MODULES); do echo "== $$m"; (cd $$m && $(GO) test -count=1 ./...); done

## test-unit: the tests that need no lab, quickly
test-unit:
	OTELSWITCH_LAB=off $(GO) test -count=1 ./...

## bench: the benchmarks, reported side by side (docs/performance.md): BENCH_COUNT
## whole runs, so every variant is measured next to the others each time; raw
## results in bench.out, medians and ratios in bench.md
BENCH_COUNT ?= 5
BENCH_PKGS ?= $(sort $(dir $(shell grep -rl --include='*_test.go' --exclude-dir=tools --exclude-dir=lab-data --exclude-dir=.git '^func Benchmark' .)))
bench: lab-build
	@rm -f bench.out; for i in $$(seq $(BENCH_COUNT)); do \
	  echo "== bench run $$i of $(BENCH_COUNT)"; \
	  $(GO) test -run '^$$' -bench . -benchmem -count 1 $(BENCH_PKGS) 2>&1 | tee -a bench.out; \
	done; if grep -q '^\(FAIL\|panic:\)' bench.out; then echo "bench: a benchmark failed; see bench.out"; exit 1; fi
	$(GO) run ./tools/bench/table < bench.out | tee bench.md

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
# A count (Nx), not a duration: with a duration, Go 1.26's fuzz coordinator can
# report "context deadline exceeded" at the boundary with no failing input
# (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME ?= 2000x
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## generate: regenerate docs/configuration.md from the configuration structs
generate:
	$(GO) generate ./...
