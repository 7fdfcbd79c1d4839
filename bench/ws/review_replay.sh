#!/usr/bin/env bash
# bench/ws/review_replay.sh KEFUD STORE — the review thread's CPU a turn with all of its
# work done: on a copy of STORE (a store that served traffic, e.g. kept from 25 s of
# `wsload -c 100` against kefud), the review queue's items, clusters and cursors are
# deleted, KEFUD starts on it with no traffic, and once the review thread's "messages" and
# "novelty" cursors reach the last customer turn it prints the thread's CPU (from
# /proc/PID/task/TID/schedstat: the store's examples embedded once, the clusterings
# included) per turn, and the items collected by reason bits; the same queue from two
# builds means the same items: the checksum over each item's message id and reasons says
# it item by item, and ITEMS_OUT=FILE writes them for a diff.  bench/ws/run.sh's review
# column counts only what the thread reached during a run.  Needs sqlite3 and KEFU_MODELS
# as kefud needs it.  PERF_OUT=FILE also records the review thread's profile (`perf
# record --call-graph dwarf -t TID`) until it caught up.  docs/performance.md "Issue 14,
# third pass" and "Issue 14, ninth session".
set -euo pipefail
kefud=${1:?usage: $0 KEFUD STORE}
store=${2:?usage: $0 KEFUD STORE}
tmp=$(mktemp -d /tmp/kefu-replay.XXXXXX)
kpid=
trap '[ -n "$kpid" ] && kill "$kpid" 2>/dev/null; rm -rf "$tmp"' EXIT
cp "$store" "$tmp/r.db"
sqlite3 "$tmp/r.db" "DELETE FROM review_items; DELETE FROM review_clusters; DELETE FROM review_cursors;"
max=$(sqlite3 "$tmp/r.db" "SELECT max(id) FROM messages WHERE kind = 0")
n=$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM messages WHERE kind = 0")
"$kefud" --db "$tmp/r.db" --listen 127.0.0.1:0 --asr false --port-file "$tmp/port" \
	--log-level warn >"$tmp/kefud.log" 2>&1 &
kpid=$!
for _ in $(seq 1 600); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "review_replay: kefud did not start" >&2; cat "$tmp/kefud.log" >&2; exit 1; }
tid=$(grep -l '^kd-review$' /proc/"$kpid"/task/*/comm | head -1 | cut -d/ -f5)
ppid=
[ -z "${PERF_OUT:-}" ] || { perf record -F 999 --call-graph dwarf,16384 -t "$tid" -o "$PERF_OUT" >/dev/null 2>&1 & ppid=$!; }
cursor() { sqlite3 "$tmp/r.db" "SELECT last_id FROM review_cursors WHERE name = '$1'" 2>/dev/null || true; }
t0=$(date +%s)
while :; do
	sleep 2
	m=$(cursor messages); nv=$(cursor novelty)
	[ "${m:-0}" -ge "$max" ] && [ "${nv:-0}" -ge "$max" ] && break
	[ $(($(date +%s) - t0)) -lt 1800 ] || { echo "review_replay: not caught up after 30 min" >&2; exit 1; }
done
sleep 3   # the pass's clustering
ns=$(cut -d' ' -f1 /proc/"$kpid"/task/"$tid"/schedstat)
[ -z "$ppid" ] || { kill -INT "$ppid"; wait "$ppid" || true; }
kill "$kpid"; wait "$kpid" || true; kpid=
items=$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM review_items")
[ -z "${ITEMS_OUT:-}" ] || sqlite3 "$tmp/r.db" "SELECT message_id, reasons FROM review_items ORDER BY message_id" >"$ITEMS_OUT"
items_sum=$(sqlite3 "$tmp/r.db" "SELECT count(*) || ' items, checksum ' || (sum(message_id * 131 + reasons) % 1000000007) FROM review_items")
reasons=$(sqlite3 "$tmp/r.db" "SELECT group_concat(reasons || ':' || c, ' ') FROM (SELECT reasons, count(*) c FROM review_items GROUP BY reasons)")
awk -v n="$n" -v ns="$ns" -v w=$(($(date +%s) - t0)) -v items="$items" -v r="$reasons" 'BEGIN {
	printf "%d turns; review thread CPU %.0f ms = %.1f us a turn; %d s wall; items %d (reasons %s)\n",
		n, ns / 1e6, ns / 1e3 / n, w, items, r }'
echo "queue: $items_sum (message_id, reasons)"
