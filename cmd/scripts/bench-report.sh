#!/bin/sh
# bench-report.sh: re-runs BENCHMARKS.md's headline figures and prints
# each with its command, the machine and the date (make bench-report).
# The 1M-user figures need a store made by doordgen (made once into
# $BENCH_DIR, default /tmp/doord-bench-1m, and kept: delete it to measure
# doordgen again; it takes minutes and ~1 GB). Run it on a quiet machine:
# on a shared one the timings say more about the neighbours.
#
#   BENCH_USERS=1000000 BENCH_DIR=/tmp/doord-bench-1m sh cmd/scripts/bench-report.sh
set -eu
cd "$(dirname "$0")/../.."
users=${BENCH_USERS:-1000000}
dir=${BENCH_DIR:-/tmp/doord-bench-1m}
go=${GO:-go}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

echo "# doord bench report"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "commit:  $(git describe --always --dirty 2>/dev/null || echo unknown)"
echo "machine: $(uname -sm), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "go:      $($go version)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
echo

run() { # title, then the command
	title=$1
	shift
	echo "## $title"
	echo "\$ $*"
	"$@" 2>&1 | grep -E '^Benchmark|^doordgen:|Maximum resident|median|bytes/event' || true
	echo
}

$go build -o "$bin/doord" ./cmd/doord
$go build -o "$bin/doordgen" ./cmd/doordgen

run "Durable creates over HTTP on a TCP socket, 1 and 64 clients (median of 5)" \
	$go test -run '^$' -bench 'CreateUser' -benchtime=3000x -count=5 ./httpapi/
run "Creates in the store alone, 1 and 64 writers" \
	$go test -run '^$' -bench 'CreateUserParallel' -benchtime=3000x -count=5 ./store/
run "Event log: bytes of file per event (200,000 events with postings)" \
	$go test -run '^$' -bench 'EventQuery/latest100$' -benchtime=1x -v ./store/

if [ ! -f "$dir/doord.db" ]; then
	run "doordgen: $users users, a card and a PIN each (peak RSS)" \
		/usr/bin/time -v "$bin/doordgen" --data "$dir" --users "$users"
fi
ls -l "$dir/doord.db" | awk '{printf "store file: %d MB\n\n", $5/1048576}'

run "Process start to GET /api/v1/health 200 on that store" \
	sh cmd/scripts/start-to-health.sh "$bin/doord" "$dir" doord.example.toml 5
run "Decisions at $users users (card only; the site's mix; each beside 1,000 writes/s)" \
	env DOORD_BENCH_USERS="$users" $go test -run '^$' -bench 'Decide/engine$|Decide/engine-under|Decide/engine-mix|Decide/bare-map' -benchtime=3000000x ./auth/access/
