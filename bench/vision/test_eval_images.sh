#!/usr/bin/env bash
# bench/vision/test_eval_images.sh KEFU SRCDIR MODELS — 'kefu eval-images' on a tiny
# folder (3 shoe and 3 dress demo photos to train, 1 of each to test, a screenshot as the
# out-of-catalogue picture): the JSON has every field, both test photos are named right
# and the screenshot is rejected.  Exits 77 (skipped) when the model is absent.
set -euo pipefail
kefu=$1 src=$2 models=$3
[ -r "$models/mobilenet_v2_imagenet.kfm" ] || { echo "SKIP: models absent"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pics="$src/store/demo/clothing"
for k in shoes dress; do
	mkdir -p "$tmp/train/$k" "$tmp/test/$k"
	ls "$pics" | grep "^pic_${k}_" | head -3 | while read -r f; do cp "$pics/$f" "$tmp/train/$k/"; done
	f=$(ls "$pics" | grep "^pic_${k}_" | sed -n 4p)
	cp "$pics/$f" "$tmp/test/$k/"
done
mkdir -p "$tmp/other/x"
cp "$src/vision/testdata/ocr_error.png" "$tmp/other/x/"
out=$(KEFU_LOG_LEVEL=error "$kefu" eval-images --models "$models" --embed mobilenet_v2_imagenet \
	--train "$tmp/train" --test "$tmp/test" --reject "$tmp/other" --json)
echo "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
for k in ("accuracy", "macro_f1", "ms_per_image_median", "n_test", "search_precision_at_1",
          "rejected"):
    assert k in r, k
assert r["n_test"] == 2 and r["n_train"] == 6 and r["n_labels"] == 2, r
assert r["accuracy"] == 1.0 and r["macro_f1"] == 1.0, r
assert r["rejected"] == 1.0 and r["ms_per_image_median"] > 0, r
print("eval-images on a tiny folder: ok")
PY
