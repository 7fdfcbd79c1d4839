#!/usr/bin/env bash
# scripts/start.sh — install what is missing, build, and start kefud on its embedded
# default: the demo answer store in var/kefu.db, chat at http://127.0.0.1:8080.
# Extra arguments go to kefud (e.g. --listen 0.0.0.0:8080, --config kefu.ini).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
build="$root/build"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$root" --buildtype=release >/dev/null
fi
ninja -C "$build" >/dev/null || { ninja -C "$build" 2>&1 | tail -40; echo "start.sh: the build failed"; exit 1; }
mkdir -p "$root/var"
db="$root/var/kefu.db"
echo "kefud: chat at http://127.0.0.1:8080 (Ctrl-C stops it); data in $db"
if [ $# -gt 0 ] || sqlite3 "$db" "SELECT 1 FROM models LIMIT 1" 2>/dev/null | grep -q 1; then
	exec "$build/daemon/kefud" --db "$db" --models "$root/models" "$@"
fi

# First start on the embedded default: kefud seeds the demo store and answers at once
# (retrieval); meanwhile `kefu train` trains the demo's models at low priority (text
# encoder, picture category head and catalogue embeddings, fusion: about two minutes),
# then SIGHUP makes kefud use them without dropping a chat.  Log: var/train.log.
"$build/daemon/kefud" --db "$db" --models "$root/models" &
kefud=$!
trainer=
trap 'kill -TERM $kefud $trainer 2>/dev/null; wait $kefud; exit' INT TERM
(
	for _ in $(seq 120); do   # the seeding commits in one transaction
		kill -0 "$kefud" 2>/dev/null || exit 0
		n=$(sqlite3 "$db" "SELECT count(*) FROM answers" 2>/dev/null || echo 0)
		[ "${n:-0}" -gt 0 ] && break
		sleep 1
	done
	echo "kefu train: training the demo's models in the background (log: var/train.log)"
	if nice -n 10 "$build/tools/kefu/kefu" train --db "$db" --models "$root/models" \
		>"$root/var/train.log" 2>&1; then
		kill -HUP "$kefud" 2>/dev/null && echo "kefu train: done; kefud now answers with the trained models"
	else
		echo "kefu train failed (see var/train.log); kefud keeps answering by retrieval"
	fi
) &
trainer=$!
wait $kefud
kill -TERM $trainer 2>/dev/null || true
