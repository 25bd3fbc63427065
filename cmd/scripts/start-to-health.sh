#!/bin/sh
# start-to-health.sh DOORD DATA_DIR [CONFIG] [RUNS]: the time from exec'ing
# `DOORD serve` on DATA_DIR (a copy: the first start of a fresh directory
# writes an admin password) until GET /api/v1/health answers 200, RUNS
# times (default 5); prints each and the median in ms. The port is the
# kernel's (127.0.0.1:0), read from the daemon's "doord started" log line.
# The script waits for that line blocked on a pipe, using no CPU while the
# daemon starts (an earlier version polled the log file with sed in a
# loop without a pause and took one of the machine's two cores from the
# daemon it measured); then it probes health with curl, with no pause
# between tries. The page cache is left warm (drop it with `echo 3
# >/proc/sys/vm/drop_caches` as root between runs for a cold start).
set -eu
doord=$1 data=$2 config=${3:-doord.example.toml} runs=${4:-5}
command -v curl >/dev/null || { echo "start-to-health: curl is needed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fifo=$tmp/log
mkfifo "$fifo"
now_ms() { date +%s%3N; }
times=
for i in $(seq "$runs"); do
	t0=$(now_ms)
	"$doord" serve --config "$config" --data "$data" --listen 127.0.0.1:0 2>"$fifo" >/dev/null &
	pid=$!
	addr=
	# The daemon's log, line by line as it comes; at EOF (it exited
	# without starting) the loop ends with addr empty.
	exec 3<"$fifo"
	while IFS= read -r line <&3; do
		echo "$line" >>"$tmp/all"
		case $line in
		*"doord started"*)
			addr=$(echo "$line" | sed -n 's/.* listen=\([^ ]*\).*/\1/p')
			break
			;;
		esac
	done
	if [ -z "$addr" ]; then
		cat "$tmp/all" >&2
		exit 1
	fi
	# Whatever the daemon logs from now on is read and dropped, so that it
	# never blocks on a full pipe.
	cat <&3 >/dev/null &
	drain=$!
	exec 3<&-
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/api/v1/health" || true)
		[ "$code" = 200 ] && break
	done
	t=$(($(now_ms) - t0))
	kill -TERM "$pid"
	wait "$pid" || true
	wait "$drain" || true
	rm -f "$tmp/all"
	echo "run $i: ${t} ms" >&2
	times="$times $t"
done
echo "$times" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print "start to health 200, median of " NR ": " a[int((NR+1)/2)] " ms"}'
