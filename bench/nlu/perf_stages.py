#!/usr/bin/python3
"""bench/nlu/perf_stages.py — a text prediction's profile, grouped by stage.

    perf record -F 5000 -o before.data BUILD/bench/nlu/nlu_predict_bench TRAIN TEST --glove G --model M
    perf record -F 5000 -o after.data  ...
    bench/nlu/perf_stages.py [--us HZ:PREDICTIONS] before.data [after.data ...]

Runs `perf report --sort dso,sym` on each file and sums the symbols' shares into the
stages of docs/performance.md ("Text prediction"): normalisation and tokens, hashing,
sorting the keys, the sparse vector, the sparse linear part, the sequence half (its BLAS
calls count as the dense part's), the dense part, the softmax and calibration, and the
rest (kernel, libc, reading the files, loading the model).  A library without symbols
(Debian's OpenBLAS and libstemmer) counts by its file name.  Prints one Markdown table
row per stage, one column per file: the share of the file's samples and, with --us
HZ:PREDICTIONS (perf's -F and the predictions the run made), CPU µs per prediction.
"""
import collections
import re
import subprocess
import sys

STAGES = [
    ("normalise + tokenise (utf8proc, stemmer, stop words)",
     r"utf8proc|^normalise|^classify|^nlu_text_|^emit|stem|^find_among|__strncmp|^slice_|"
     r"^eq_s|^in_grouping|^out_grouping|^r_|english|^nlu_cp_|^libstemmer|^libutf8proc"),
    ("hash the features (word ids, char 1-5-grams)",
     r"nlu_hash|char_grams|^cm_fnv1a$|nlu_feat_keys"),
    ("sort the keys", r"sort_keys"),
    ("sparse vector (tf, idf, L2 per block)", r"nlu_feat_vector|cm_l2_normalize|__logf"),
    ("sparse linear part (one weight row per feature)", r"nlu_linear_logits|^cm_axpy(\.|$)|gather_f16c|cm_gather_f16"),
    ("sequence half (token rows, cache, pooling, head)",
     r"nlu_seq|^forward$|^token_row|^token_slot|^same_token|^score_seq"),
    ("dense part (GloVe look-up, SIF, MLP)",
     r"nlu_glove|cm_f32_from_f16|add_f16c|axpy_f16c|cm_axpy_f16|nlu_fx_dense|cm_sgemv|cblas|sgemv|cm_relu|"
     r"nlu_mlp|^libopenblas"),
    ("softmax, ensemble, calibration", r"cm_softmax|__expf|^score|^decide|nlu_enc_predict"),
]
OTHER = "other (kernel, libc, files, loading)"


def stages(path):
    out = subprocess.run(["perf", "report", "-i", path, "--no-children", "-n", "--sort",
                          "dso,sym", "--stdio"], capture_output=True, text=True,
                         check=True).stdout
    tot, samples = collections.Counter(), collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\d+)\s+(\S+)\s+\[[.k]\]\s+(\S+)", line)
        if not m:
            continue
        # a library without symbols (Debian's OpenBLAS, libstemmer) is named by its file
        share, n, dso, sym = float(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        if sym.startswith("0x"):
            sym = dso
        for name, rx in STAGES:
            if re.search(rx, sym):
                break
        else:
            name = OTHER
        tot[name] += share
        samples[name] += n
    return tot, samples


def main():
    args = sys.argv[1:]
    hz = per = 0
    if len(args) > 1 and args[0] == "--us":
        hz, per = (float(x) for x in args[1].split(":"))
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    cols = [stages(p) for p in args]
    print("| stage | " + " | ".join(args) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for name in [s[0] for s in STAGES] + [OTHER]:
        cells = ["%.1f %%" % t[name] + (" (%.2f µs)" % (n[name] / hz / per * 1e6) if hz else "")
                 for t, n in cols]
        print("| %s | %s |" % (name, " | ".join(cells)))


if __name__ == "__main__":
    main()
