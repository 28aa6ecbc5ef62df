#!/usr/bin/env bash
# End to end per request over loopback, measured with wrk: BenchmarkRequest's
# books handler (internal/perf: otelhttp's server span and metrics, a child
# span, a counter, a trace-correlated log line) served over HTTP by the perf
# test binary (BenchmarkServe) as a separate process per variant, the
# variants taken in turn ROUNDS times so that each is measured beside the
# others:
#
#   off                 no instrumentation
#   otelswitch-jaeger   TELEMETRY_BACKEND=jaeger to the lab's Jaeger
#   handwired-jaeger    otelhttp + SDK + otlptracegrpc behind its batch processor
#   otelswitch-datadog  TELEMETRY_BACKEND=datadog (native mode) to the lab's Datadog intake
#   ddtrace             dd-trace-go's own net/http tracing to the same intake
#
# The figure is CPU time per request of the serving process (user + system,
# from /proc/PID/stat, over the wrk run, so the exporters' goroutines count),
# and the ADDED CPU ratios: (variant - off) / (baseline - off), otelswitch-jaeger
# against handwired-jaeger and otelswitch-datadog against ddtrace, per round,
# then the median and range over the rounds. requests/s is shown too.
#
# Usage: tools/bench/wrk.sh [DURATION]   (default 10s per measurement)
#   ROUNDS (default 3), WRK_THREADS (1), WRK_CONNECTIONS (8), VARIANTS (all
#   five) tune it. Needs
#   wrk (Debian: apt-get install wrk) and the lab binaries (make lab-build,
#   or OTELSWITCH_BIN). It starts the lab on its fixed ports (Jaeger on 4317,
#   the Datadog intake on 8126, the collector on 14317), or uses the one
#   `make lab` runs.
#
# wrk, the service and the lab share the machine's cores; compare the ratios.
# docs/performance.md, "End to end with wrk".
set -euo pipefail

duration=${1:-10s}
rounds=${ROUNDS:-3}
threads=${WRK_THREADS:-1}
conns=${WRK_CONNECTIONS:-8}
# VARIANTS picks some, e.g. VARIANTS="off otelswitch-datadog ddtrace" for
# the Datadog pair (off is needed for the added CPU).
read -r -a variants <<<"${VARIANTS:-off otelswitch-jaeger handwired-jaeger otelswitch-datadog ddtrace}"

command -v wrk >/dev/null || { echo "wrk.sh: wrk not found; apt-get install wrk" >&2; exit 1; }
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
lab_pid=""
app_pid=""
cleanup() {
	[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
	[ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

go test -c -o "$tmp/perf.test" ./internal/perf
go build -o "$tmp/lab" ./internal/lab/cmd/lab

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if listening 4317; then
	echo "wrk.sh: something listens on 4317; using it as the lab's Jaeger (make lab)"
else
	"$tmp/lab" -dir "$tmp/lab-data" >"$tmp/lab.log" 2>&1 &
	lab_pid=$!
	for _ in $(seq 240); do
		grep -q 'lab ready' "$tmp/lab.log" && break
		kill -0 "$lab_pid" 2>/dev/null || { cat "$tmp/lab.log" >&2; exit 1; }
		sleep 0.5
	done
	grep -q 'lab ready' "$tmp/lab.log" || { echo "wrk.sh: the lab did not start" >&2; cat "$tmp/lab.log" >&2; exit 1; }
fi

# cpu_ticks PID: user + system time of the process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

port=18181
results="$tmp/results"
: >"$results"
echo "variant round requests/s requests cpu_us_per_request"
for round in $(seq "$rounds"); do
	for v in "${variants[@]}"; do
		OTELSWITCH_PERF_SERVE=$v OTELSWITCH_PERF_ADDR="127.0.0.1:$port" OTELSWITCH_PERF_JAEGER=127.0.0.1:4317 \
			OTELSWITCH_PERF_DDAGENT=127.0.0.1:8126 OTELSWITCH_PERF_OTLP=127.0.0.1:14317 \
			"$tmp/perf.test" -test.run '^$' -test.bench '^BenchmarkServe$' -test.benchtime 1x >"$tmp/app.log" 2>&1 &
		app_pid=$!
		for _ in $(seq 200); do
			curl -fsS "http://127.0.0.1:$port/books/42" >/dev/null 2>&1 && break
			sleep 0.1
		done
		# A short warm-up: connections dialled, pools and caches filled.
		wrk -t"$threads" -c"$conns" -d2s "http://127.0.0.1:$port/books/42" >/dev/null
		before=$(cpu_ticks "$app_pid")
		out=$(wrk -t"$threads" -c"$conns" -d"$duration" "http://127.0.0.1:$port/books/42")
		after=$(cpu_ticks "$app_pid")
		rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
		reqs=$(awk '/requests in/ {print $1}' <<<"$out")
		if grep -q 'Non-2xx' <<<"$out"; then
			echo "wrk.sh: $v answered errors:" >&2
			echo "$out" >&2
			exit 1
		fi
		kill "$app_pid"
		wait "$app_pid" 2>/dev/null || true
		app_pid=""
		cpu=$(awk -v a="$after" -v b="$before" -v n="$reqs" -v hz="$hz" 'BEGIN {printf "%.2f", (a - b) / hz * 1e6 / n}')
		echo "$v $round $rps $reqs $cpu" | tee -a "$results"
	done
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# added VARIANT BASELINE: per-round (v - off) / (baseline - off), as "median (min–max)".
added() {
	for round in $(seq "$rounds"); do
		awk -v v="$1" -v b="$2" -v r="$round" '$2 == r && $1 == "off" {o = $5} $2 == r && $1 == v {x = $5} $2 == r && $1 == b {y = $5}
			END {if (y - o > 0) printf "%.3f\n", (x - o) / (y - o)}' "$results"
	done | sort -g | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.2f (%.2f–%.2f)", m, a[1], a[NR]}'
}

echo
echo "median over $rounds rounds, wrk -t$threads -c$conns -d$duration GET /books/42"
echo "| variant | requests/s | CPU µs per request | × baseline, added CPU per request |"
echo "| --- | --- | --- | --- |"
for v in "${variants[@]}"; do
	rps=$(awk -v v="$v" '$1 == v {print $3}' "$results" | median)
	cpu=$(awk -v v="$v" '$1 == v {print $5}' "$results" | median)
	case $v in
	otelswitch-jaeger) ratio="$(added otelswitch-jaeger handwired-jaeger) × handwired-jaeger" ;;
	otelswitch-datadog) ratio="$(added otelswitch-datadog ddtrace) × ddtrace" ;;
	*) ratio="" ;;
	esac
	printf "| %s | %.0f | %.1f | %s |\n" "$v" "$rps" "$cpu" "$ratio"
done
