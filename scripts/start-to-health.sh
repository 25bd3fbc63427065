#!/bin/sh
# start-to-health.sh DOORD DATA_DIR [CONFIG] [RUNS]: the time from exec'ing
# `DOORD serve` on DATA_DIR (a copy: the first start of a fresh directory
# writes an admin password) until GET /api/v1/health answers 200, RUNS
# times (default 5); prints each and the median in ms. The port is the
# kernel's (127.0.0.1:0), read from the daemon's "doord started" log line;
# the health probe is a loop of curl with no pause between tries. The
# page cache is left warm (drop it with `echo 3 >/proc/sys/vm/drop_caches`
# as root between runs for a cold start).
set -eu
doord=$1 data=$2 config=${3:-doord.example.toml} runs=${4:-5}
command -v curl >/dev/null || { echo "start-to-health: curl is needed" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
now_ms() { date +%s%3N; }
times=
for i in $(seq "$runs"); do
	: >"$log"
	t0=$(now_ms)
	"$doord" serve --config "$config" --data "$data" --listen 127.0.0.1:0 2>"$log" >/dev/null &
	pid=$!
	addr=
	while :; do
		if [ -z "$addr" ]; then
			addr=$(sed -n 's/.*doord started.* listen=\([^ ]*\).*/\1/p' "$log" | head -n1)
			if ! kill -0 "$pid" 2>/dev/null; then cat "$log" >&2; exit 1; fi
			continue
		fi
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/api/v1/health" || true)
		[ "$code" = 200 ] && break
	done
	t=$(( $(now_ms) - t0 ))
	kill -TERM "$pid"
	wait "$pid" || true
	echo "run $i: ${t} ms" >&2
	times="$times $t"
done
echo "$times" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print "start to health 200, median of " NR ": " a[int((NR+1)/2)] " ms"}'
