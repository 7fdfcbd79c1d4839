#!/usr/bin/env bash
# bench/ws/wakeups.sh — where kefud's wake-ups go at a given load: per thread, its CPU,
# voluntary and involuntary context switches and chosen system calls, per reply.
#
#   bench/ws/wakeups.sh BUILD_DIR DB [RATE] [CONNS]       (RATE default 5000, CONNS 1000)
#   KEFUD=... bench/ws/wakeups.sh BUILD_DIR DB            (another kefud, e.g. main's)
#
# Starts kefud on a copy of DB (a trained store), runs BUILD_DIR's wsload for 8 s after a
# 2-s warm-up (open loop at RATE messages/s; RATE= for closed loop), and over a 4-s
# window in the middle reads each thread's /proc/PID/task/TID/{schedstat,status} before
# and after and runs `perf stat --per-thread` (linux-perf; root or perf_event_paranoid
# <= 1 for the syscall tracepoints) on futex, epoll_wait, epoll_ctl (lws arming POLLOUT),
# read, recvfrom, write, sendto, pwrite64 and fdatasync.  Divides by the replies of the
# window (kefu_store_turns_total from /metrics) and prints one line per thread name
# (workers summed), then wsload's RESULT
# and the store writer's turns per batch in the window.  Other load on the machine
# changes the latencies far more than the counts: compare builds run alternately.
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR DB [RATE] [CONNS]}
db=${2:?usage: $0 BUILD_DIR DB [RATE] [CONNS]}
rate=${3-5000}
conns=${4:-1000}
KEFUD=${KEFUD:-$build/daemon/kefud}
tmp=$(mktemp -d /tmp/kefu-wakeups.XXXXXX)
kpid=
cleanup() { [ -z "$kpid" ] || { kill "$kpid" 2>/dev/null && wait "$kpid" 2>/dev/null; }; rm -rf "$tmp"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cp "$db" "$tmp/k.db"
"$KEFUD" --listen 127.0.0.1:0 --port-file "$tmp/port" --db "$tmp/k.db" --rate-limit 1000000 \
	--log-level warn >"$tmp/kefud.log" 2>&1 &
kpid=$!
for _ in $(seq 1 1200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
for _ in $(seq 1 1200); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done

snap() { # one line a thread: name cpu_ns voluntary involuntary
	for t in /proc/"$kpid"/task/*; do
		echo "$(cat "$t/comm") $(cut -d' ' -f1 "$t/schedstat") $(awk '/^voluntary_ctxt/ { v = $2 }
			/^nonvoluntary_ctxt/ { n = $2 } END { print v, n }' "$t/status")"
	done
}
turns() { curl -fs "http://127.0.0.1:$port/metrics" | awk '$1 == "kefu_store_'"$1"'_total" { print $2 }'; }
"$build/bench/ws/wsload" --port "$port" -c "$conns" ${rate:+--rate "$rate"} -d 8 --warmup 2 \
	>"$tmp/wsload.out" 2>&1 &
lpid=$!
sleep 3.5
snap >"$tmp/s0"; t0=$(turns turns); b0=$(turns batches)
events=context-switches
for s in futex epoll_wait epoll_ctl read recvfrom write sendto pwrite64 fdatasync; do events+=",syscalls:sys_enter_$s"; done
perf stat --per-thread -x, -e "$events" -p "$kpid" -o "$tmp/stat" -- sleep 4 >/dev/null 2>&1 || true
snap >"$tmp/s1"; t1=$(turns turns); b1=$(turns batches)
wait "$lpid" || true
n=$((t1 - t0))
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); $n replies in the 4-s window, $(awk -v t=$n \
	-v b=$((b1 - b0)) 'BEGIN { printf "%.1f", b ? t / b : 0 }') turns per writer batch"
grep '^RESULT' "$tmp/wsload.out" || { cat "$tmp/wsload.out"; exit 1; }
# perf's CSV lines: "comm-tid,count,,event,..."
awk -F, -v n="$n" '
	FILENAME ~ /s[01]$/ { split($0, f, " "); k = f[1]; if (FILENAME ~ /s0$/) { c0[k] += f[2]; v0[k] += f[3]; i0[k] += f[4] }
		else { c1[k] += f[2]; v1[k] += f[3]; i1[k] += f[4]; names[k] = 1 } next }
	NF >= 4 && $2 ~ /^[0-9]+$/ { k = $1; sub(/-[0-9]+$/, "", k); ev = $4; sub(/syscalls:sys_enter_/, "", ev)
		sc[k, ev] += $2; evs[ev] = 1 }
	END {
		if (n <= 0) exit
		for (k in names) {
			if (c1[k] - c0[k] < 1e6) continue   # idle threads
			printf "%-12s cpu %6.1f us  switches vol %.3f invol %.3f ", k, (c1[k] - c0[k]) / 1e3 / n,
				(v1[k] - v0[k]) / n, (i1[k] - i0[k]) / n
			for (e in evs) if (sc[k, e] > 0 && e != "context-switches") printf " %s %.3f", e, sc[k, e] / n
			printf "   (per reply)\n"
		}
	}' "$tmp/s0" "$tmp/s1" "$tmp/stat"
