"""tests/integration/test_eval_images.py — `kefu eval-images` end to end on a tiny folder.

3 shoe and 3 dress demo photos to train, 1 of each to test, a screenshot as the
out-of-catalogue picture: the JSON has every field, both test photos are named right and
the screenshot is rejected.  Skipped (77) when the CLI or the embedding model is absent.
Runs on the test's main thread; the temporary folders go at exit.
"""

import json
import os
import shutil
import sys
import tempfile

import kefutest as kt

EMBED = "mobilenet_v2_imagenet"


def run():
    models = os.environ.get("KEFU_MODELS") or os.path.join(kt.SRCDIR, "models")
    if not os.access(os.path.join(models, EMBED + ".kfm"), os.R_OK):
        print("SKIP: models absent")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="kefu-eval-images-")
    try:
        pics = os.path.join(kt.SRCDIR, "store", "demo", "clothing")
        names = sorted(os.listdir(pics))
        for kind in ("shoes", "dress"):
            mine = [n for n in names if n.startswith("pic_%s_" % kind)]
            kt.check(len(mine) >= 4, "fewer than 4 %s photos in %s", kind, pics)
            for split, chosen in (("train", mine[:3]), ("test", mine[3:4])):
                d = os.path.join(tmp, split, kind)
                os.makedirs(d)
                for n in chosen:
                    shutil.copy(os.path.join(pics, n), d)
        other = os.path.join(tmp, "other", "x")
        os.makedirs(other)
        shutil.copy(os.path.join(kt.SRCDIR, "vision", "testdata", "ocr_error.png"), other)
        os.environ["KEFU_LOG_LEVEL"] = "error"
        _, out, _ = kt.run_kefu("eval-images", "--models", models, "--embed", EMBED,
                                "--train", os.path.join(tmp, "train"),
                                "--test", os.path.join(tmp, "test"),
                                "--reject", os.path.join(tmp, "other"), "--json")
        print(out)
        r = json.loads(out)
        for k in ("accuracy", "macro_f1", "ms_per_image_median", "n_test",
                  "search_precision_at_1", "rejected"):
            kt.check(k in r, "eval-images JSON lacks %s", k)
        kt.check(r["n_test"] == 2 and r["n_train"] == 6 and r["n_labels"] == 2, "counts: %s", r)
        kt.check(r["accuracy"] == 1.0 and r["macro_f1"] == 1.0, "not all named right: %s", r)
        kt.check(r["rejected"] == 1.0 and r["ms_per_image_median"] > 0, "rejection: %s", r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    kt.main(run)
