"""tests/integration/test_eval_pairs.py — `kefu eval-pairs` end to end.

bench/nlu/make_pairs.py makes the demo store's Chinese pairs (half of each answer's
questions to train, pairs from the other half); the encoder trained on that half must
rank those paraphrases above chance and above nothing less than what untrained TF-IDF
features reach on a fresh demo store (no model yet); the JSON has its keys.  Usage
errors exit 2, a bad pairs file exits 1 naming FILE:LINE.  Skipped (77) without the CLI.
Runs on the test's main thread; the temporary folder goes at exit.
"""

import json
import os
import shutil
import subprocess
import tempfile

import kefutest as kt

KEYS = ("n", "auc", "best_f1", "us_per_pair", "encoder")


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-eval-pairs-")
    try:
        os.environ["KEFU_LOG_LEVEL"] = "error"
        subprocess.run(["/usr/bin/python3", os.path.join(kt.SRCDIR, "bench", "nlu", "make_pairs.py"),
                        "--out", tmp, "--data", os.path.join(tmp, "no-shared-data")],
                       check=True, capture_output=True)
        pairs = os.path.join(tmp, "demo_zh_pairs.tsv")
        train = os.path.join(tmp, "demo_zh_train.csv")
        models = os.environ.get("KEFU_MODELS") or os.path.join(kt.SRCDIR, "models")

        # untrained features on a fresh demo store (no trained model yet)
        db = os.path.join(tmp, "kefu.db")
        kt.run_kefu("init", "--db", db)
        _, out, _ = kt.run_kefu("eval-pairs", "--pairs", pairs, "--json", "--db", db)
        base = json.loads(out)
        print("untrained", base)
        for k in KEYS:
            kt.check(k in base, "eval-pairs JSON lacks %s: %s", k, base)
        kt.check(base["encoder"] == "tfidf" and base["n"] == 600, "untrained: %s", base)
        kt.check(0.5 < base["auc"] <= 1 and 0 < base["best_f1"] <= 1, "untrained: %s", base)

        # the sequence encoder trained on the other half of the questions
        _, out, _ = kt.run_kefu("eval-pairs", "--pairs", pairs, "--train", train, "--json",
                                "--models", models)
        r = json.loads(out)
        print("trained", r)
        kt.check(r["encoder"] == "seq" and r["n"] == 600 and r["us_per_pair"] > 0, "%s", r)
        kt.check(r["auc"] > base["auc"], "trained encoder no better than TF-IDF: %s vs %s",
                 r, base)

        # usage errors: 2
        rc, _, err = kt.run_kefu("eval-pairs", "--json", "--db", db, ok=False)
        kt.check(rc == 2 and "usage" in err, "no --pairs: %d %s", rc, err)
        rc, _, err = kt.run_kefu("eval-pairs", "--pairs", pairs, "--seq-epochs", "x", ok=False)
        kt.check(rc == 2, "bad option value: %d %s", rc, err)
        # bad files: 1, naming the file and line
        rc, _, err = kt.run_kefu("eval-pairs", "--pairs", os.path.join(tmp, "absent.tsv"),
                                 "--db", db, ok=False)
        kt.check(rc == 1 and "absent.tsv" in err, "missing file: %d %s", rc, err)
        bad = os.path.join(tmp, "bad.tsv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("id\ts1\ts2\tlabel\np1\t卡丢了\t银行卡丢了怎么办\t1\np2\tonly three\t0\n")
        rc, _, err = kt.run_kefu("eval-pairs", "--pairs", bad, "--db", db, ok=False)
        kt.check(rc == 1 and bad + ":3:" in err, "3 fields: %d %s", rc, err)
        with open(bad, "w", encoding="utf-8") as f:
            f.write("p1\ta\tb\t1\np2\ta\tc\tyes\n")
        rc, _, err = kt.run_kefu("eval-pairs", "--pairs", bad, "--db", db, ok=False)
        kt.check(rc == 1 and bad + ":2:" in err and "0 or 1" in err, "label: %d %s", rc, err)
        with open(bad, "wb") as f:
            f.write(b"p1\ta\t\xff\xfe\t1\n")
        rc, _, err = kt.run_kefu("eval-pairs", "--pairs", bad, "--db", db, ok=False)
        kt.check(rc == 1 and bad + ":1:" in err, "bad UTF-8: %d %s", rc, err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    kt.main(run)
