#!/usr/bin/env bash
# scripts/post-setup.d/30-nsfwjs.sh ROOT — converts the MobileNetV2 weights of the pinned npm
# package nsfwjs (MIT; installed by setup.sh's `npm ci` in scripts/npm/nsfwjs, sha512-checked
# by its package-lock.json) into kefu's CNN model format with kefu's own converter
# (tools/nsfwjs_convert/convert.py, Debian python3 + numpy):
#   models/nsfw_mobilenet_v2.kfm   safety classifier (drawing/hentai/neutral/porn/sexy)
#   models/mobilenet_v2_mid.kfm    MobileNetV2-1.4 features (the image embedding)
# and the ImageNet MobileNetV2 shipped in third_party/mobilenet-v2-imagenet (uint8 TFLite,
# Apache-2.0, its LICENSE and SHA256SUMS beside it; the sums are pinned here too) with
# tools/nsfwjs_convert/tflite_convert.py:
#   models/mobilenet_v2_imagenet.kfm  1001 ImageNet names + a generic 1280-d embedding,
#   kefu's default picture embedding (conf: image_embed).
# Idempotent: skips when models/nsfwjs.sha256 records the same package lock, converter and
# output files.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
src="$root/scripts/npm/nsfwjs/node_modules/nsfwjs/dist/models"
conv="$root/tools/nsfwjs_convert/convert.py"
stamp="$root/models/nsfwjs.sha256"
outs=("$root/models/nsfw_mobilenet_v2.kfm" "$root/models/mobilenet_v2_mid.kfm")
inet="$root/third_party/mobilenet-v2-imagenet"
if ! echo "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776  $inet/mobilenet_v2_1.0_224_quant.tflite
b8aaeb5630c62626a7d124a05c0e14230a7ffdd2136a31d0190a4fb71c1d82f1  $inet/imagenet_labels.txt" |
	sha256sum --check --status; then
	echo "setup: $inet does not match its pinned SHA-256 (a damaged clone?)" >&2
	exit 1
fi
outs+=("$root/models/mobilenet_v2_imagenet.kfm")

want() {
	sha256sum "$root/scripts/npm/nsfwjs/package-lock.json" "$conv" \
		"$(dirname "$conv")/tflite_convert.py" | cut -d' ' -f1
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
if [ ${#outs[@]} -eq 3 ]; then
	/usr/bin/python3 "$(dirname "$conv")/tflite_convert.py" \
		"$inet/mobilenet_v2_1.0_224_quant.tflite" "$inet/imagenet_labels.txt" "${outs[2]}" \
		mobilenet_v2_imagenet
fi
want > "$stamp"
