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
ninja -C "$build" >/dev/null
mkdir -p "$root/var"
echo "kefud: chat at http://127.0.0.1:8080 (Ctrl-C stops it); data in $root/var/kefu.db"
exec "$build/daemon/kefud" --db "$root/var/kefu.db" --models "$root/models" "$@"
