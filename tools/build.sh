#!/usr/bin/env bash
# Builds the backend lab's binaries (docs/lab.md) into bin/ at the
# repository root, or into $OTELSWITCH_BIN when set:
#   bin/jaeger   Jaeger v2 all-in-one, pinned by tools/jaeger/go.mod
#   bin/otelcol  the lab's OpenTelemetry Collector, sources in tools/collector
# The first build compiles a few thousand packages (minutes on 2 cores);
# after that the Go build cache makes a run take seconds.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${OTELSWITCH_BIN:-$root/bin}"
mkdir -p "$bin"

# -trimpath: binaries independent of the checkout path (caching still works:
# the flag is part of every cache key, the same on every run).
# -buildvcs=false: no git state stamped in, so a new commit does not relink.
# -mod=readonly: never edit go.mod/go.sum while building; a stale file fails.
flags=(-trimpath -buildvcs=false -mod=readonly)

build() {
	local name=$1 module_dir=$2 pkg=$3
	echo "lab-build: $name <- tools/$module_dir ($pkg); the first build takes minutes, later ones seconds"
	local start=$SECONDS
	if ! (cd "$root/tools/$module_dir" && go build "${flags[@]}" -o "$bin/$name" "$pkg"); then
		echo "lab-build: FAILED to build $name (see the errors above)" >&2
		exit 1
	fi
	echo "lab-build: $bin/$name ready in $((SECONDS - start))s"
}

build jaeger jaeger github.com/jaegertracing/jaeger/cmd/jaeger
build otelcol collector .
