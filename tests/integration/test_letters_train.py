"""tests/integration/test_letters_train.py — `kefu letters-train` end to end, with the
perturbed copies of the thirteenth round (docs/speech.md).

Synthetic rows (6 speakers, 3 classes whose cepstra differ, a 20-frame window around a
10-frame word) in letters_data.py's format: --jitter 1 --stretch 0.1 trains on 11 rows for
each (the 8 boundary moves and 2 tempi all fit inside the window) while the cross-validation
still scores the rows themselves, once each; the model written with --out classifies
well-separated classes; bad values are refused with exit 2.  Skipped (77) without the CLI.
Runs on the test's main thread; the temporary folder goes at exit.
"""

import os
import random
import re
import shutil
import tempfile

import kefutest as kt

NCEP = 13
WORDS = ("b", "d", "e")


def rows_file(path, per_class=12):
    """Writes the rows; returns (rows, clips)."""
    rnd = random.Random(19)
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for s in range(6):
            for c in range(per_class):
                k = c % len(WORDS)
                frames = []
                for t in range(20):
                    word = 5 <= t <= 14
                    frames += [(3.0 * (k + 1) if word and j == k else 0.0) + rnd.gauss(0, 0.3)
                               for j in range(NCEP)]
                cep = " ".join("%.3f" % v for v in frames)
                f.write("\t".join(["spk%d" % s, "clip%d_%d" % (s, c), WORDS[k], "1", WORDS[k],
                                   "0.9", "20", "5", "14", cep]) + "\n")
                n += 1
    return n, n


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-letters-train-")
    try:
        rows = os.path.join(tmp, "rows.tsv")
        n, clips = rows_file(rows)
        small = ["--hidden", "8", "--epochs", "5"]
        _, plain, _ = kt.run_kefu("letters-train", "--data", rows, "--folds", "3", *small)
        kt.check(("rows %d," % n) in plain, "plain rows: %s", plain)
        _, aug, _ = kt.run_kefu("letters-train", "--data", rows, "--folds", "3",
                                "--jitter", "1", "--stretch", "0.1", *small)
        print(aug)
        kt.check(("rows %d," % (11 * n)) in aug, "augmented rows: %s", aug)
        m = re.search(r"held-out rows from .*: (\d+), (\d+) of them", aug)
        kt.check(m and int(m.group(1)) == n, "held out: the rows themselves: %s", aug)
        kt.check(("clips %d," % clips) in aug, "clips scored once: %s", aug)
        m = re.search(r"classifier ([\d.]+) %", aug)
        kt.check(m and float(m.group(1)) > 90, "separable classes learnt: %s", aug)
        model = os.path.join(tmp, "letters.model")
        kt.run_kefu("letters-train", "--data", rows, "--jitter", "1", "--stretch", "0.1",
                    "--out", model, *small)
        with open(model, encoding="utf-8") as f:
            text = f.read()
        kt.check("--jitter 1 --stretch 0.1" in text, "provenance names the copies")
        for bad in (["--jitter", "4"], ["--jitter", "-1"], ["--stretch", "0.6"]):
            rc, _, _ = kt.run_kefu("letters-train", "--data", rows, "--folds", "3", *bad,
                                   ok=False)
            kt.check(rc == 2, "%s refused with 2, got %d", bad, rc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    kt.main(run)
