#!/usr/bin/env bash
# scripts/post-setup.d/30-nsfwjs.sh ROOT — converts the MobileNetV2 weights of the pinned npm
# package nsfwjs (MIT; installed by setup.sh's `npm ci` in scripts/npm/nsfwjs, sha512-checked
# by its package-lock.json) into kefu's CNN model format with kefu's own converter
# (tools/nsfwjs_convert/convert.py, Debian python3 + numpy):
#   models/nsfw_mobilenet_v2.kfm   safety classifier (drawing/hentai/neutral/porn/sexy)
#   models/mobilenet_v2_mid.kfm    MobileNetV2-1.4 features (the image embedding)
# Idempotent: skips when models/nsfwjs.sha256 records the same package lock, converter and
# output files.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
src="$root/scripts/npm/nsfwjs/node_modules/nsfwjs/dist/models"
conv="$root/tools/nsfwjs_convert/convert.py"
stamp="$root/models/nsfwjs.sha256"
outs=("$root/models/nsfw_mobilenet_v2.kfm" "$root/models/mobilenet_v2_mid.kfm")

want() {
	sha256sum "$root/scripts/npm/nsfwjs/package-lock.json" "$conv" | cut -d' ' -f1
	for f in "${outs[@]}"; do
		[ -f "$f" ] && sha256sum "$f" | cut -d' ' -f1
	done
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(want)" ]; then
	echo "setup: models/*.kfm (nsfwjs) up to date"
	exit 0
fi
if [ ! -d "$src/mobilenet_v2" ] || [ ! -d "$src/mobilenet_v2_mid" ]; then
	echo "setup: $src missing (npm ci in scripts/npm/nsfwjs failed?)" >&2
	exit 1
fi
mkdir -p "$root/models"
/usr/bin/python3 "$conv" "$src/mobilenet_v2" "${outs[0]}" mobilenet_v2
/usr/bin/python3 "$conv" "$src/mobilenet_v2_mid" "${outs[1]}" mobilenet_v2_mid
want > "$stamp"
