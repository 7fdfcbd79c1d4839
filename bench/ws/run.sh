#!/usr/bin/env bash
# bench/ws/run.sh — kefud against a bare lws echo server, side by side, in one run.
#
#   bench/ws/run.sh BUILD_DIR            (uses BUILD_DIR/daemon/kefud, BUILD_DIR/bench/ws/*)
#   KEFUD=... WSLOAD=... WSECHO=... bench/ws/run.sh
#
# Builds nothing.  Starts kefud on a copy of DB (default: a fresh, untrained demo store)
# and wsecho, each on a free loopback port, then runs wsload at 10, 100 and 1000
# connections against each (alternating, RUNS times each) and prints the medians:
#   conns | kefu replies/s | p50 | p99 | echo msg/s | p50 | p99 | ratio (echo/kefu)
# Latencies count from when each message was due (open loop: its place in the fixed-rate
# schedule, so a late client does not hide the delay: wsload.c); a second table gives,
# for both servers, the p99 from the actual send and the client's own lateness (p99 of
# send - due): wsload shares the cores with the server it measures.
# plus each server's own CPU time per answered message (from /proc/PID/stat over the
# run), which other load on the machine disturbs far less than throughput does, and
# kefud's CPU per reply split by where it goes, from each thread's
# /proc/PID/task/TID/schedstat (threads are named: kd-worker, kd-writer, ...):
#   service  the lws service thread: frames in, parse, jobs out, results in, writes
#   worker   the workers, of which "predict" (kefu_predict_cpu_seconds_total from
#            /metrics: the worker CPU inside pol_answer) and the rest (resend check,
#            reply JSON, allocation)
#   log      the store writer and its checkpointer (the batched log insert and the log
#            index passes, store/log_index.c), of which "index" (the passes' CPU on the
#            writer thread: kefu_store_index_cpu_seconds_total)
#   review   the review thread (kd-review: reads each new turn for the review queue)
#   other    every other kefud thread
# and "less predict" = kefud's CPU per reply minus the prediction's.
# Environment: RUNS (3), DURATION seconds per run (5), WARMUP (1), CONNS ("10 100 1000"),
# RATE (messages/s in total: open loop; empty = closed loop), SETTLE seconds waited after
# each kefud run before its CPU is read (2.5: kefud indexes the log for search and reports
# at most 2 s after a commit, store/writer.c; that work belongs to the run), DB (a store to copy, e.g.
# one `kefu train` trained), KEFUD_ARGS (extra kefud flags).  The machine's load average
# is printed too: the client, kefud and wsecho share its cores, so other work on the
# machine skews the figures.
set -euo pipefail
build=${1:-}
KEFUD=${KEFUD:-$build/daemon/kefud}
WSLOAD=${WSLOAD:-$build/bench/ws/wsload}
WSECHO=${WSECHO:-$build/bench/ws/wsecho}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-10 100 1000}
SETTLE=${SETTLE:-2.5}
RATE=${RATE:-}
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
# thread_ns PID: "tid:comm:ns ..." of each thread now (CPU nanoseconds from schedstat)
thread_ns() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "${t##*/}:$(cat "$t/comm" 2>/dev/null):$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null)"
	done | tr '\n' ' '
}
# thread_parts PID BEFORE AFTER: "service worker log other review" nanoseconds on CPU
# between two thread_ns snapshots, per group; a thread that exited in between (the
# start-up warm-up) is left out rather than subtracted
thread_parts() {
	awk -v pid="$1" -v a="$2" -v b="$3" 'BEGIN {
		n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], f, ":"); was[f[1]] = f[3] }
		n = split(b, x, " ")
		for (i = 1; i <= n; i++) {
			split(x[i], f, ":"); d = f[3] - (f[1] in was ? was[f[1]] : 0)
			if (f[1] == pid) s += d; else if (f[2] == "kd-worker") w += d
			else if (f[2] == "kd-writer" || f[2] == "kd-ckpt") l += d
			else if (f[2] == "kd-review") r += d; else o += d
		}
		printf "%.0f %.0f %.0f %.0f %.0f\n", s, w, l, o, r }'
}
# metric_ns PORT NAME: a seconds counter of /metrics in nanoseconds
metric_ns() {
	curl -fs "http://127.0.0.1:$1/metrics" |
		awk -v m="$2" '$1 == m { printf "%.0f\n", $2 * 1e9 }'
}
predict_ns() { metric_ns "$1" kefu_predict_cpu_seconds_total; }
# stage_snap PORT: kefud's reply stage histogram now, "stage:le:cumulative" words
stage_snap() {
	curl -fs "http://127.0.0.1:$1/metrics" | sed -n \
		's/^kefu_reply_stage_seconds_bucket{stage="\([a-z]*\)",le="\([^"]*\)"} \([0-9]*\)$/\1:\2:\3/p' |
		tr '\n' ' '
}
# stage_p99 BEFORE AFTER: for each stage, the bucket bound (ms) under which 99 % of the
# replies between the two snapshots spent their time in it: "queue_ms=.. worker_ms=.."
stage_p99() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], f, ":"); was[f[1] ":" f[2]] = f[3] }
		n = split(b, x, " ")
		for (i = 1; i <= n; i++) {
			split(x[i], f, ":"); k = f[1]; if (!(k in seen)) { seen[k] = 1; order[++m] = k }
			nb[k]++; le[k, nb[k]] = f[2]; c[k, nb[k]] = f[3] - was[k ":" f[2]]
		}
		for (j = 1; j <= m; j++) {
			k = order[j]; tot = c[k, nb[k]]; v = "-"
			for (i = 1; i <= nb[k] && tot > 0; i++)
				if (c[k, i] >= 0.99 * tot) { v = le[k, i] == "+Inf" ? "inf" : sprintf("%g", le[k, i] * 1e3); break }
			printf "%s%s_ms=%s", (j > 1 ? " " : ""), k, v
		}
		printf "\n" }'
}
index_ns() { metric_ns "$1" kefu_store_index_cpu_seconds_total; }

if [ -n "${DB:-}" ]; then
	cp "$DB" "$tmp/kefu.db"
fi
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
# run_one PID PORT ARGS...: runs wsload, prints its RESULT line plus cpu_us_per_msg= (the
# server's CPU time over the whole run divided by the messages answered in it) and, for
# kefud (PORT not 0), its parts per reply: service_us= worker_us= predict_us= log_us=
# other_us=.
run_one() {
	local pid=$1 port=$2 t0 t1 th0 th1 p0=0 p1=0 i0=0 i1=0 s0= s1= out res
	shift 2
	t0=$(cpu_ticks "$pid"); th0=$(thread_ns "$pid")
	[ "$port" = 0 ] || { p0=$(predict_ns "$port"); i0=$(index_ns "$port"); s0=$(stage_snap "$port"); }
	out=$("$WSLOAD" ${RATE:+--rate "$RATE"} "$@") || true
	[ "$port" = 0 ] || sleep "$SETTLE"
	t1=$(cpu_ticks "$pid"); th1=$(thread_ns "$pid")
	[ "$port" = 0 ] || { p1=$(predict_ns "$port"); i1=$(index_ns "$port"); s1=$(stage_snap "$port"); }
	res=$(grep '^RESULT' <<<"$out" || true)
	[ -n "$res" ] || { echo "wsload $* failed:" >&2; echo "$out" >&2; return 1; }
	awk -v r="$res" -v d=$((t1 - t0)) -v tck="$tck" -v a="0 0 0 0 0" \
	    -v b="$(thread_parts "$pid" "$th0" "$th1")" \
	    -v st="$([ "$port" = 0 ] || echo " $(stage_p99 "$s0" "$s1")")" \
	    -v p=$((p1 - p0)) -v ix=$((i1 - i0)) -v kefu="$([ "$port" = 0 ] && echo 0 || echo 1)" 'BEGIN {
		n = r; sub(/.* replies=/, "", n); sub(/ .*/, "", n)
		printf "%s cpu_us_per_msg=%.1f", r, (n > 0 ? d * 1e6 / tck / n : 0)
		if (kefu && n > 0) {
			split(a, x, " "); split(b, y, " ")
			printf " service_us=%.1f worker_us=%.1f predict_us=%.1f log_us=%.1f index_us=%.1f other_us=%.1f review_us=%.1f",
				(y[1] - x[1]) / 1e3 / n, (y[2] - x[2]) / 1e3 / n, p / 1e3 / n,
				(y[3] - x[3]) / 1e3 / n, ix / 1e3 / n, (y[4] - x[4]) / 1e3 / n,
				(y[5] - x[5]) / 1e3 / n
		}
		printf "%s\n", st }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "kefud ($(curl -fs "http://127.0.0.1:$kport/healthz")) on port $kport, wsecho on port $eport;" \
     "$([ -n "$RATE" ] && echo "open loop at $RATE msg/s" || echo "closed loop"), ${DURATION}s measured after ${WARMUP}s warm-up, median of $RUNS runs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
rows=(); parts=(); tails=()
for c in $CONNS; do
	kr=(); kp50=(); kp99=(); kcpu=(); er=(); ep50=(); ep99=(); ecpu=()
	kp99s=(); klate=(); ep99s=(); elate=(); sq=(); sw=(); sl=(); sp=()
	ksvc=(); kwrk=(); kpred=(); klog=(); kidx=(); koth=(); krev=(); kless=()
	klost=0; kerr=0; elost=0
	for r in $(seq 1 "$RUNS"); do
		res=$(run_one "$kpid" "$kport" --port "$kport" -c "$c" -d "$DURATION" --warmup "$WARMUP")
		echo "  kefu c=$c run $r: ${res#RESULT }"
		kr+=("$(field replies_per_s "$res")"); kp50+=("$(field p50_ms "$res")")
		kp99+=("$(field p99_ms "$res")"); kcpu+=("$(field cpu_us_per_msg "$res")")
		kp99s+=("$(field p99_sent_ms "$res")"); klate+=("$(field late_p99_ms "$res")")
		sq+=("$(field queue_ms "$res")"); sw+=("$(field worker_ms "$res")")
		sl+=("$(field log_ms "$res")"); sp+=("$(field post_ms "$res")")
		ksvc+=("$(field service_us "$res")"); kwrk+=("$(field worker_us "$res")")
		kpred+=("$(field predict_us "$res")"); klog+=("$(field log_us "$res")")
		kidx+=("$(field index_us "$res")")
		koth+=("$(field other_us "$res")"); krev+=("$(field review_us "$res")")
		kless+=("$(awk -v a="$(field cpu_us_per_msg "$res")" -v b="$(field predict_us "$res")" \
			'BEGIN { printf "%.1f", a - b }')")
		klost=$((klost + $(field lost "$res") + $(field failed "$res")))
		kerr=$((kerr + $(field errors "$res")))
		res=$(run_one "$epid" 0 --echo --port "$eport" -c "$c" -d "$DURATION" --warmup "$WARMUP")
		echo "  echo c=$c run $r: ${res#RESULT }"
		er+=("$(field replies_per_s "$res")"); ep50+=("$(field p50_ms "$res")")
		ep99+=("$(field p99_ms "$res")"); ecpu+=("$(field cpu_us_per_msg "$res")")
		ep99s+=("$(field p99_sent_ms "$res")"); elate+=("$(field late_p99_ms "$res")")
		elost=$((elost + $(field lost "$res") + $(field failed "$res")))
	done
	mk=$(median "${kr[@]}"); me=$(median "${er[@]}")
	ratio=$(awk -v a="$me" -v b="$mk" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
	rows+=("$(printf '%5d | %10.0f | %7.3f | %7.3f | %10.0f | %7.3f | %7.3f | %5s | %8.1f | %8.1f | %d/%d/%d' \
		"$c" "$mk" "$(median "${kp50[@]}")" "$(median "${kp99[@]}")" "$me" \
		"$(median "${ep50[@]}")" "$(median "${ep99[@]}")" "$ratio" \
		"$(median "${kcpu[@]}")" "$(median "${ecpu[@]}")" "$klost" "$kerr" "$elost")")
	tails+=("$(printf '%5d | %8.3f | %8.3f | %8.3f | %8.3f | %8.3f | %8.3f | %s / %s / %s / %s' "$c" \
		"$(median "${kp99[@]}")" "$(median "${kp99s[@]}")" "$(median "${klate[@]}")" \
		"$(median "${ep99[@]}")" "$(median "${ep99s[@]}")" "$(median "${elate[@]}")" \
		"$(median "${sq[@]:-}")" "$(median "${sw[@]:-}")" "$(median "${sl[@]:-}")" \
		"$(median "${sp[@]:-}")")")
	parts+=("$(printf '%5d | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %5.1f' \
		"$c" "$(median "${kcpu[@]}")" "$(median "${kless[@]}")" "$(median "${ksvc[@]}")" \
		"$(median "${kwrk[@]}")" "$(median "${kpred[@]}")" "$(median "${klog[@]}")" \
		"$(median "${kidx[@]}")" \
		"$(median "${krev[@]}")" "$(median "${koth[@]}")" "$(median "${ecpu[@]}")" \
		"$(awk -v a="$(median "${kless[@]}")" -v b="$(median "${ecpu[@]}")" \
			'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')")")
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kefud's longest log index pass, and its writer's stops for WAL checkpoints (each held the next batch of replies that long): $(curl -fs \
	"http://127.0.0.1:$kport/metrics" | awk '$1 == "kefu_store_index_pass_max_seconds" {
		p = $2 } $1 == "kefu_store_writer_checkpoints_total" { n = $2 }
		$1 == "kefu_store_writer_checkpoint_max_seconds" { c = $2 }
		$1 == "kefu_store_wal_restarts_total" { r = $2 }
		$1 == "kefu_store_writer_bound_waits_total" { o = $2 }
		$1 == "kefu_store_writer_checkpoint_seconds_total" { s = $2 }
		END { printf "%.1f ms; %d checkpoints, the longest %.1f ms, %.0f ms in all; %d WAL restarts, %d waits at the bound",
			p * 1e3, n, c * 1e3, s * 1e3, r, o }')"
echo
echo "conns | kefu rep/s | p50 ms  | p99 ms  | echo msg/s | p50 ms  | p99 ms  | ratio | kefu CPU | echo CPU | lost/err/echo lost"
echo "      |            |         |         |            |         |         |       | us/msg   | us/msg   |"
echo "------+------------+---------+---------+------------+---------+---------+-------+----------+----------+---------"
printf '%s\n' "${rows[@]}"
echo
echo "p99 ms (medians): from when due (as above), from the actual send, and the client's own lateness (send - due);"
echo "kefud's stages: the bucket bound (ms) under which 99 % of the replies spent their time in each stage (/metrics)"
echo "conns | kefu due | kefu snt | kefu late| echo due | echo snt | echo late| kefud p99 by stage: queue / worker / log / post"
echo "------+----------+----------+----------+----------+----------+----------+------------------------------------------"
printf '%s\n' "${tails[@]}"
echo
echo "kefud CPU per reply by part (medians, µs; 'less predict' = all minus predict; predict is part of workers, index of log; ratio = less predict / echo)"
echo "conns | all      | less pre | service  | workers  | predict  | log      | index    | review   | other    | echo     | ratio"
echo "------+----------+----------+----------+----------+----------+----------+----------+----------+----------+----------+------"
printf '%s\n' "${parts[@]}"
