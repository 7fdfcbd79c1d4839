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
# plus each server's own CPU time per answered message (from /proc/PID/stat over the
# run), which other load on the machine disturbs far less than throughput does.
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

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)

"$KEFUD" --listen 127.0.0.1:0 --port-file "$tmp/kefud.port" --db "$tmp/kefu.db" \
	--rate-limit 1000000 --log-level warn ${KEFUD_ARGS:-} >"$tmp/kefud.log" 2>&1 &
kpid=$!
pids+=($kpid)
kport=$(wait_port "$tmp/kefud.port" $kpid kefud)
for _ in $(seq 1 1200); do   # the demo store is seeded before /healthz says ok
	curl -fs "http://127.0.0.1:$kport/healthz" >/dev/null && break
	sleep 0.05
done
"$WSECHO" --listen 127.0.0.1:0 --port-file "$tmp/echo.port" >"$tmp/wsecho.log" 2>&1 &
epid=$!
pids+=($epid)
eport=$(wait_port "$tmp/echo.port" $epid wsecho)

field() { sed -n "s/^RESULT .* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# run_one PID ARGS...: runs wsload, prints its RESULT line plus cpu_us_per_msg= (the
# server's CPU time over the whole run divided by the messages answered in it).
run_one() {
	local pid=$1 t0 t1 out res
	shift
	t0=$(cpu_ticks "$pid")
	out=$("$WSLOAD" "$@") || true
	t1=$(cpu_ticks "$pid")
	res=$(grep '^RESULT' <<<"$out" || true)
	[ -n "$res" ] || { echo "wsload $* failed:" >&2; echo "$out" >&2; return 1; }
	awk -v r="$res" -v d=$((t1 - t0)) -v tck="$tck" 'BEGIN {
		n = r; sub(/.* replies=/, "", n); sub(/ .*/, "", n)
		printf "%s cpu_us_per_msg=%.1f\n", r, (n > 0 ? d * 1e6 / tck / n : 0) }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "kefud ($(curl -fs "http://127.0.0.1:$kport/healthz")) on port $kport, wsecho on port $eport;" \
     "closed loop, ${DURATION}s measured after ${WARMUP}s warm-up, median of $RUNS runs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
rows=()
for c in $CONNS; do
	kr=(); kp50=(); kp99=(); kcpu=(); er=(); ep50=(); ep99=(); ecpu=()
	klost=0; kerr=0; elost=0
	for r in $(seq 1 "$RUNS"); do
		res=$(run_one "$kpid" --port "$kport" -c "$c" -d "$DURATION" --warmup "$WARMUP")
		echo "  kefu c=$c run $r: ${res#RESULT }"
		kr+=("$(field replies_per_s "$res")"); kp50+=("$(field p50_ms "$res")")
		kp99+=("$(field p99_ms "$res")"); kcpu+=("$(field cpu_us_per_msg "$res")")
		klost=$((klost + $(field lost "$res") + $(field failed "$res")))
		kerr=$((kerr + $(field errors "$res")))
		res=$(run_one "$epid" --echo --port "$eport" -c "$c" -d "$DURATION" --warmup "$WARMUP")
		echo "  echo c=$c run $r: ${res#RESULT }"
		er+=("$(field replies_per_s "$res")"); ep50+=("$(field p50_ms "$res")")
		ep99+=("$(field p99_ms "$res")"); ecpu+=("$(field cpu_us_per_msg "$res")")
		elost=$((elost + $(field lost "$res") + $(field failed "$res")))
	done
	mk=$(median "${kr[@]}"); me=$(median "${er[@]}")
	ratio=$(awk -v a="$me" -v b="$mk" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
	rows+=("$(printf '%5d | %10.0f | %7.3f | %7.3f | %10.0f | %7.3f | %7.3f | %5s | %8.1f | %8.1f | %d/%d/%d' \
		"$c" "$mk" "$(median "${kp50[@]}")" "$(median "${kp99[@]}")" "$me" \
		"$(median "${ep50[@]}")" "$(median "${ep99[@]}")" "$ratio" \
		"$(median "${kcpu[@]}")" "$(median "${ecpu[@]}")" "$klost" "$kerr" "$elost")")
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "conns | kefu rep/s | p50 ms  | p99 ms  | echo msg/s | p50 ms  | p99 ms  | ratio | kefu CPU | echo CPU | lost/err/echo lost"
echo "      |            |         |         |            |         |         |       | us/msg   | us/msg   |"
echo "------+------------+---------+---------+------------+---------+---------+-------+----------+----------+---------"
printf '%s\n' "${rows[@]}"
