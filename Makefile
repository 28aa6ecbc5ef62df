# otelswitch: make run (the sample app against a real local Jaeger) and
# make test (unit and lab tests) are all a new machine needs.
GO ?= go
BIN := $(CURDIR)/bin

# MODULES are the Go modules whose tests, vet, staticcheck and fuzz targets
# CI runs: the library (.), the sample app, the compose-file tests and deploy/
# (manifest and collector-config checks, which need k8s.io modules), each a
# module of its own so the library's go.mod carries only the library. Add a
# module here and every target below covers it.
MODULES ?= . sample-app tools/compose deploy

include tools/lab.mk

.PHONY: run test test-unit bench compare lint fuzz generate tools download weight soak

## run: build the lab, run the sample app under a bounded load against Jaeger, print what Jaeger stored
# The sample app is its own module: built there, run from here, so flags with
# relative paths mean what they meant when it was `go run ./sample-app`.
run: lab-build sample-app
	$(BIN)/sample-app demo $(RUN_FLAGS)

.PHONY: sample-app
sample-app:
	$(GO) -C sample-app build -o $(BIN)/sample-app .

## test: unit and lab tests with the race detector, every module
test: lab-build
	@set -e; for m in $(MODULES); do echo "== test $$m"; $(GO) -C $$m test -race -count=1 -timeout 25m ./...; done

## test-unit: the tests that need no lab, quickly, every module
test-unit:
	@set -e; for m in $(MODULES); do echo "== test $$m"; OTELSWITCH_LAB=off $(GO) -C $$m test -count=1 ./...; done

## bench: the benchmarks, reported side by side (docs/performance.md): BENCH_COUNT
## whole runs, so every variant is measured next to the others each time; raw
## results in bench.out, medians and ratios in bench.md
BENCH_COUNT ?= 5
BENCH_PKGS ?= $(sort $(dir $(shell grep -rl --include='*_test.go' --exclude-dir=tools --exclude-dir=sample-app --exclude-dir=lab-data --exclude-dir=.git '^func Benchmark' .)))
bench: lab-build
	@rm -f bench.out; for i in $$(seq $(BENCH_COUNT)); do \
	  echo "== bench run $$i of $(BENCH_COUNT)"; \
	  $(GO) test -run '^$$' -bench . -benchmem -count 1 $(BENCH_PKGS) 2>&1 | tee -a bench.out; \
	done; if grep -q '^\(FAIL\|panic:\)' bench.out; then echo "bench: a benchmark failed; see bench.out"; exit 1; fi
	$(GO) run ./tools/bench/table < bench.out | tee bench.md

## compare: the same workload to several vendors at once, one table (docs/compare.md)
compare: lab-build sample-app
	$(BIN)/sample-app compare $(COMPARE_FLAGS)

## lint: gofmt, go vet and staticcheck
lint: $(BIN)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@set -e; for m in $(MODULES); do echo "== vet and staticcheck $$m"; $(GO) -C $$m vet ./...; (cd $$m && $(BIN)/staticcheck ./...); done

$(BIN)/staticcheck: tools/lint/go.mod tools/lint/go.sum
	cd tools/lint && $(GO) build -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck

## fuzz: each fuzz target for FUZZTIME (seeds run in every go test anyway)
# A count (Nx), not a duration: with a duration, Go 1.26's fuzz coordinator can
# report "context deadline exceeded" at the boundary with no failing input
# (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME ?= 2000x
fuzz:
	@set -e; for m in $(MODULES); do for pkg in $$($(GO) -C $$m list ./...); do \
	  for f in $$($(GO) -C $$m test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) -C $$m test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done; done

## weight: binary size, packages, build time and idle RSS of a plain-SDK service,
## otelswitch and otelswitch slim (docs/performance.md); WEIGHT_FLAGS=-warm to
## time builds with the existing cache instead of an empty one
weight:
	$(GO) run ./internal/weight $(WEIGHT_FLAGS)

## soak: the sample app under load for SOAK_DURATION, fanned out to Jaeger and
## the collector, one backend restarted every SOAK_RESTART_EVERY (down for
## SOAK_OUTAGE, default 10s); heap, goroutines and, per backend and signal,
## sent = stored + dropped (docs/reliability.md). Not part of make test.
SOAK_DURATION ?= 10m
SOAK_RESTART_EVERY ?= 1m
soak: lab-build
	SOAK_DURATION=$(SOAK_DURATION) SOAK_RESTART_EVERY=$(SOAK_RESTART_EVERY) $(GO) -C sample-app test -count=1 -run '^TestSoak$$' -v -timeout 0 ./internal/app

## download: every module's dependencies (CI does this first)
download:
	@set -e; for m in $(MODULES); do $(GO) -C $$m mod download; done

## generate: regenerate docs/configuration.md from the configuration structs
generate:
	@set -e; for m in $(MODULES); do $(GO) -C $$m generate ./...; done
