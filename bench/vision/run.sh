#!/usr/bin/env bash
# bench/vision/run.sh [BUILD_DIR] — vision/ figures beside their references, in one run:
#   decode      ms per picture and MP/s per format (one photo, re-encoded per format)
#   cnn         kefu's C forward pass vs tfjs (wasm backend with one thread, and the pure-JS
#               cpu backend) on the same nsfwjs models, ms per 224x224 picture
#   ocr         character accuracy / code recall on rendered screenshots (make_ocr_set.sh)
#   probe       clothing category accuracy from embeddings vs raw pixels, and sklearn's
#               logistic regression on the same embeddings
#   catalogue   kefu eval-images: the category head (3-view embeddings, power-normalised
#               softmax regression) on clothing validation beside sklearn's logistic
#               regression on the same features, picture-search precision@1, and how many
#               out-of-catalogue pictures (the rendered screenshots/receipts, code and flag
#               test pictures, photos shipped with Debian's sklearn and matplotlib) the
#               threshold rejects
# Needs scripts/setup.sh done (models/, scripts/npm/nsfwjs/node_modules) and a build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
bin="$build/bench/vision/bench_vision"
[ -x "$bin" ] || ninja -C "$build" bench/vision/bench_vision >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_THREAD_LIMIT=1 KEFU_LOG_LEVEL=error
clothing=${CLOTHING:-$root/../shared/data/clothing}
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== decode (median of 20; /dct = JPEG decoded with DCT scaling to a long side >= 448)"
src=$(ls "$clothing"/train/shoes/*.jpg | head -1)
convert "$src" -resize 3000x4000! -quality 90 "$tmp/photo-12mp.jpg"
convert "$src" -quality 90 "$tmp/photo.jpg"
for f in png webp heic avif; do convert "$src" -quality 80 "$tmp/photo.$f"; done
"$bin" decode 20 "$tmp"/photo-12mp.jpg "$tmp"/photo.jpg "$tmp"/photo.png "$tmp"/photo.webp \
	"$tmp"/photo.heic "$tmp"/photo.avif 2>/dev/null

echo "== cnn: ms per 224x224 forward pass, one thread (median of 50)"
"$bin" cnn "$root/models" 50 2>/dev/null
export NODE_PATH="$root/scripts/npm/nsfwjs/node_modules"
node "$root/tools/nsfwjs_convert/reference.js" time 20 wasm 2>/dev/null | grep median
node "$root/tools/nsfwjs_convert/reference.js" time 5 cpu 2>/dev/null | grep median

echo "== ocr: rendered screenshots and receipts"
"$root/bench/vision/make_ocr_set.sh" "$tmp/ocr" >/dev/null
"$bin" ocr "$tmp/ocr" 2>/dev/null

echo "== probe: clothing train -> validation"
"$bin" probe "$root/models" "$clothing/train" "$clothing/validation" "$tmp/emb" 2>/dev/null
for e in mid imagenet; do
	/usr/bin/python3 "$root/bench/vision/ref_sklearn.py" "$tmp/emb.$e.train.tsv" "$tmp/emb.$e.val.tsv" $e
done

echo "== catalogue: kefu eval-images, clothing train -> validation"
kefu="$build/tools/kefu/kefu"
[ -x "$kefu" ] || ninja -C "$build" tools/kefu/kefu >/dev/null
mkdir -p "$tmp/reject/other"
cp "$tmp"/ocr/*-clean.png "$tmp"/ocr/*-jpeg.jpg "$tmp/reject/other/"
for f in /usr/lib/python3/dist-packages/sklearn/datasets/images/flower.jpg \
	/usr/lib/python3/dist-packages/sklearn/datasets/images/china.jpg \
	/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg \
	"$root"/vision/testdata/{flag.jpg,code_qr.png,code_ean13.png,ocr_banner.png,ocr_error.png,ocr_chinese.png,one.png}; do
	[ -r "$f" ] && cp "$f" "$tmp/reject/other/"
done
"$kefu" eval-images --models "$root/models" --embed mobilenet_v2_imagenet \
	--train "$clothing/train" --test "$clothing/validation" --reject "$tmp/reject" \
	--dump "$tmp/cat" 2>/dev/null | grep -v '^out-of-catalogue'
/usr/bin/python3 "$root/bench/vision/ref_head.py" "$tmp/cat"
"$kefu" eval-images --models "$root/models" --embed mobilenet_v2_imagenet --test-views 1 \
	--train "$clothing/train" --test "$clothing/validation" --reject "$tmp/reject" \
	2>/dev/null | grep -v '^out-of-catalogue' | sed 's/^/single-view query: /'
