#!/usr/bin/env bash
# tools/nsfwjs_convert/reference.sh — regenerates vision/testdata/cnn_reference.txt from the
# committed PNG inputs with the nsfwjs package itself (needs scripts/setup.sh's npm install
# and ImageMagick).  Developers run it when the converter or the inputs change; CI does not.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in "$root"/vision/testdata/cnn_*.png; do
	convert "$f" -depth 8 "ppm:$tmp/$(basename "$f" .png).ppm"
done
export NODE_PATH="$root/scripts/npm/nsfwjs/node_modules"
node "$root/tools/nsfwjs_convert/reference.js" refs "$root/vision/testdata/cnn_reference.txt" "$tmp"/*.ppm
