#!/usr/bin/env bash
# bench/ws/review_lag.sh BUILD STORE [CONNS] [SECONDS] — whether kefud's review thread
# keeps up with the log under load: on a copy of STORE (e.g. bench/ws's trained.db) it
# starts BUILD's kefud, drives it with `wsload -c CONNS -d SECONDS` (closed loop, 1000
# and 25 by default), and then reads, every second for up to 30 s, how far the review thread's
# "messages" cursor has read against the newest customer turn in the log: turns logged,
# turns read, and how many turns a second the thread read beside the rate they were
# logged at (the reference).  It also counts the errors kefud logged (a review pass that
# held the write lock too long makes a worker's session create fail: "internal").
# Needs sqlite3 and KEFU_MODELS as kefud needs it.  docs/performance.md "Issue 14, third
# pass: the daemon's part".
set -euo pipefail
build=${1:?usage: $0 BUILD STORE [CONNS] [SECONDS]}
store=${2:?usage: $0 BUILD STORE [CONNS] [SECONDS]}
conns=${3:-1000}
secs=${4:-25}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
tmp=$(mktemp -d /tmp/kefu-lag.XXXXXX)
kpid=
trap '[ -n "$kpid" ] && kill "$kpid" 2>/dev/null; rm -rf "$tmp"' EXIT
cp "$store" "$tmp/r.db"
"$build/daemon/kefud" --db "$tmp/r.db" --listen 127.0.0.1:0 --port-file "$tmp/port" \
	--rate-limit 1000000 --log-level warn >"$tmp/kefud.log" 2>&1 &
kpid=$!
for _ in $(seq 1 600); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "review_lag: kefud did not start" >&2; cat "$tmp/kefud.log" >&2; exit 1; }
port=$(cat "$tmp/port")
q() { sqlite3 "$tmp/r.db" "$1" 2>/dev/null || echo 0; }
first=$(q "SELECT coalesce(max(id), 0) FROM messages WHERE kind = 0")
"$build/bench/ws/wsload" --port "$port" -c "$conns" -d "$secs" | grep '^RESULT' || true
logged=$(q "SELECT count(*) FROM messages WHERE kind = 0 AND id > $first")
rate=$(awk -v n="$logged" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
last=$(q "SELECT coalesce(max(id), 0) FROM messages WHERE kind = 0")
prev=-1
same=0
read0=
for t in $(seq 0 30); do
	cur=$(q "SELECT coalesce(max(last_id), $first) FROM review_cursors WHERE name = 'messages'")
	read=$(q "SELECT count(*) FROM messages WHERE kind = 0 AND id > $first AND id <= $cur")
	[ -n "$read0" ] || read0=$read
	echo "review_lag: t=+${t}s after the load: $read of $logged turns read"
	[ "$read" = "$logged" ] && break
	if [ "$read" = "$prev" ]; then same=$((same + 1)); else same=0; fi
	[ "$same" -ge 4 ] && break             # a poll is 2 s: four still seconds, it is done
	prev=$read
	sleep 1
done
errors=$(grep -c -E 'internal|database is locked' "$tmp/kefud.log" || true)
grep -E 'internal|database is locked' "$tmp/kefud.log" | sort | uniq -c | sort -rn | head -5 || true
echo "review_lag: $conns sessions, ${secs} s: turns logged $logged ($rate/s, the reference);" \
     "read by the review thread when the load ended $read0" \
     "($(awk -v n="$read0" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')/s), $read ${t} s later;" \
     "kefud errors $errors"
