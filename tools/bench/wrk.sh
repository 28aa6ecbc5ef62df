#!/usr/bin/env bash
# End-to-end throughput of the sample app over loopback, measured with wrk:
# the real service (SQLite, Prometheus metrics, JSON log lines) built once
# and run as a separate process per variant, the variants taken in turn
# ROUNDS times so that each is measured beside the others:
#
#   off      OTEL_SDK_DISABLED=true
#   jaeger   TELEMETRY_BACKEND=jaeger to the lab's Jaeger
#   datadog  TELEMETRY_BACKEND=datadog (native mode) to the lab's Datadog intake
#
# The service logs a JSON line per request (standard error) to a file, as it
# would to a log pipe; as it stops it logs what each backend exported and dropped, which
# the script prints beside the throughput.
#
# Usage: tools/bench/wrk.sh [DURATION]   (default 10s per measurement)
#   ROUNDS (default 3), WRK_THREADS (2), WRK_CONNECTIONS (16), PATH_UNDER_TEST
#   (/books/1) tune it. Needs wrk (Debian: apt-get install wrk) and the lab
#   binaries (make lab-build). It starts the lab on its fixed ports (Jaeger on
#   4317, the Datadog intake on 8126), or uses the one `make lab` runs.
#
# wrk, the service and the lab share the machine's cores, so the absolute
# numbers say little; compare the variants' ratios. docs/performance.md.
set -euo pipefail

duration=${1:-10s}
rounds=${ROUNDS:-3}
threads=${WRK_THREADS:-2}
conns=${WRK_CONNECTIONS:-16}
path=${PATH_UNDER_TEST:-/books/1}
variants=(off jaeger datadog)

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

go build -o "$tmp/sample-app" ./sample-app
go build -o "$tmp/lab" ./internal/lab/cmd/lab

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if listening 4317; then
	echo "wrk.sh: something listens on 4317; using it as the lab's Jaeger (make lab)"
else
	"$tmp/lab" -dir "$tmp/lab-data" >"$tmp/lab.log" 2>&1 &
	lab_pid=$!
	for _ in $(seq 120); do
		grep -q 'lab ready' "$tmp/lab.log" && break
		kill -0 "$lab_pid" 2>/dev/null || { cat "$tmp/lab.log" >&2; exit 1; }
		sleep 0.5
	done
	grep -q 'lab ready' "$tmp/lab.log" || { echo "wrk.sh: the lab did not start" >&2; cat "$tmp/lab.log" >&2; exit 1; }
fi

env_of() {
	case $1 in
	off) echo "OTEL_SDK_DISABLED=true" ;;
	jaeger) echo "TELEMETRY_BACKEND=jaeger JAEGER_ENDPOINT=127.0.0.1:4317" ;;
	datadog) echo "TELEMETRY_BACKEND=datadog DD_TRACE_AGENT_URL=http://127.0.0.1:8126" ;;
	esac
}

port=18181
results="$tmp/results"
: >"$results"
echo "variant round requests/s latency_avg latency_p99 spans_exported spans_dropped"
for round in $(seq "$rounds"); do
	for v in "${variants[@]}"; do
		db="$tmp/books-$v-$round.db"
		# shellcheck disable=SC2046 # the variant's variables are words
		env $(env_of "$v") ADDR="127.0.0.1:$port" DATABASE_URL="sqlite:$db" OTEL_SERVICE_NAME="books-wrk" \
			"$tmp/sample-app" serve >/dev/null 2>"$tmp/app.log" &
		app_pid=$!
		for _ in $(seq 100); do
			curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
			sleep 0.1
		done
		curl -fsS -X POST -H 'Content-Type: application/json' \
			-d '{"title":"The Go Programming Language","author":"Alan Donovan, Brian Kernighan","year":2015}' \
			"http://127.0.0.1:$port/books" >/dev/null || { cat "$tmp/app.log" >&2; exit 1; }
		out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port$path")
		rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
		avg=$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")
		p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
		if grep -q 'Non-2xx' <<<"$out"; then
			echo "wrk.sh: $v answered errors:" >&2
			echo "$out" >&2
			exit 1
		fi
		kill "$app_pid"
		wait "$app_pid" 2>/dev/null || true
		app_pid=""
		# The app logs what each backend sent and dropped as it stops.
		exported=$({ grep -o '"spans_exported":[0-9]*' "$tmp/app.log" || true; } | awk -F: '{n += $2} END {print n + 0}')
		dropped=$({ grep -o '"spans_dropped":[0-9]*' "$tmp/app.log" || true; } | awk -F: '{n += $2} END {print n + 0}')
		echo "$v $round $rps $avg $p99 $exported $dropped" | tee -a "$results"
		rm -f "$tmp/app.log" "$db"
	done
done

echo
echo "median over $rounds rounds, wrk -t$threads -c$conns -d$duration GET $path"
echo "| variant | requests/s | × off (requests/s) | × off (time per request) |"
echo "| --- | --- | --- | --- |"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
off=$(awk '$1 == "off" {print $3}' "$results" | median)
for v in "${variants[@]}"; do
	m=$(awk -v v="$v" '$1 == v {print $3}' "$results" | median)
	awk -v v="$v" -v m="$m" -v off="$off" 'BEGIN {printf "| %s | %.0f | %.2f | %.2f |\n", v, m, m/off, off/m}'
done
