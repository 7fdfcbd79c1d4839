#!/usr/bin/env bash
# bench/ws/run.sh — kefud against a bare lws echo server, side by side, in one run.
#
#   bench/ws/run.sh BUILD_DIR            (uses BUILD_DIR/daemon/kefud, BUILD_DIR/bench/ws/*)
#   KEFUD=... WSLOAD=... WSECHO=... bench/ws/run.sh
#
# Builds nothing.  Starts kefud on a fresh demo database and wsecho, each on a free
# loopback port, then runs wsload in closed loop at 10, 100 and 1000 connections against
# each (alternating, RUNS times each) and prints the medians:
#   conns | kefu replies/s | p50 | p99 | echo msg/s | p50 | p99 | ratio (echo/kefu)
# Environment: RUNS (3), DURATION seconds per run (5), WARMUP (1), CONNS ("10 100 1000"),
# KEFUD_ARGS (extra kefud flags).  The machine's load average is printed too: the client,
# kefud and wsecho share its cores, so other work on the machine skews the figures.
set -euo pipefail
build=${1:-}
KEFUD=${KEFUD:-$build/daemon/kefud}
WSLOAD=${WSLOAD:-$build/bench/ws/wsload}
WSECHO=${WSECHO:-$build/bench/ws/wsecho}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-10 100 1000}
for x in "$KEFUD" "$WSLOAD" "$WSECHO"; do
	[ -x "$x" ] || { echo "run.sh: $x is not an executable (usage: $0 BUILD_DIR)" >&2; exit 2; }
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 2200 ]; then
	echo "run.sh: open files limit $(ulimit -n) is too low for 1000 connections" >&2
	exit 2
fi

tmp=$(mktemp -d /tmp/kefu-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_port() { # file pid name
	for _ in $(seq 1 1200); do
		if [ -s "$1" ]; then cat "$1"; return 0; fi
		kill -0 "$2" 2>/dev/null || { echo "run.sh: $3 exited; log:" >&2; cat "$tmp/$3.log" >&2; exit 1; }
		sleep 0.05
	done
	echo "run.sh: $3 wrote no port" >&2; exit 1
}

"$KEFUD" --listen 127.0.0.1:0 --port-file "$tmp/kefud.port" --db "$tmp/kefu.db" \
	--rate-limit 1000000 --log-level warn ${KEFUD_ARGS:-} >"$tmp/kefud.log" 2>&1 &
pids+=($!)
kport=$(wait_port "$tmp/kefud.port" $! kefud)
for _ in $(seq 1 1200); do   # the demo store is seeded before /healthz says ok
	curl -fs "http://127.0.0.1:$kport/healthz" >/dev/null && break
	sleep 0.05
done
"$WSECHO" --listen 127.0.0.1:0 --port-file "$tmp/echo.port" >"$tmp/wsecho.log" 2>&1 &
pids+=($!)
eport=$(wait_port "$tmp/echo.port" $! wsecho)

field() { sed -n "s/^RESULT .* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "kefud ($(curl -fs "http://127.0.0.1:$kport/healthz")) on port $kport, wsecho on port $eport;" \
     "closed loop, ${DURATION}s measured after ${WARMUP}s warm-up, median of $RUNS runs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
rows=()
for c in $CONNS; do
	kr=(); kp50=(); kp99=(); er=(); ep50=(); ep99=(); klost=0; kerr=0; elost=0
	for r in $(seq 1 "$RUNS"); do
		out=$("$WSLOAD" --port "$kport" -c "$c" -d "$DURATION" --warmup "$WARMUP") || true
		res=$(grep '^RESULT' <<<"$out" || true)
		[ -n "$res" ] || { echo "wsload against kefud failed:"; echo "$out"; exit 1; }
		echo "  kefu c=$c run $r: $(sed 's/^RESULT //' <<<"$res")"
		kr+=("$(field replies_per_s "$res")"); kp50+=("$(field p50_ms "$res")")
		kp99+=("$(field p99_ms "$res")")
		klost=$((klost + $(field lost "$res") + $(field failed "$res")))
		kerr=$((kerr + $(field errors "$res")))
		out=$("$WSLOAD" --echo --port "$eport" -c "$c" -d "$DURATION" --warmup "$WARMUP") || true
		res=$(grep '^RESULT' <<<"$out" || true)
		[ -n "$res" ] || { echo "wsload against wsecho failed:"; echo "$out"; exit 1; }
		echo "  echo c=$c run $r: $(sed 's/^RESULT //' <<<"$res")"
		er+=("$(field replies_per_s "$res")"); ep50+=("$(field p50_ms "$res")")
		ep99+=("$(field p99_ms "$res")")
		elost=$((elost + $(field lost "$res") + $(field failed "$res")))
	done
	mk=$(median "${kr[@]}"); me=$(median "${er[@]}")
	ratio=$(awk -v a="$me" -v b="$mk" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
	rows+=("$(printf '%5d | %10.0f | %7.3f | %7.3f | %10.0f | %7.3f | %7.3f | %5s | %d/%d/%d' \
		"$c" "$mk" "$(median "${kp50[@]}")" "$(median "${kp99[@]}")" "$me" \
		"$(median "${ep50[@]}")" "$(median "${ep99[@]}")" "$ratio" "$klost" "$kerr" "$elost")")
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "conns | kefu rep/s | p50 ms  | p99 ms  | echo msg/s | p50 ms  | p99 ms  | ratio | kefu lost/errors, echo lost"
echo "------+------------+---------+---------+------------+---------+---------+-------+---------"
printf '%s\n' "${rows[@]}"
