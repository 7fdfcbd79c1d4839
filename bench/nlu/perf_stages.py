#!/usr/bin/python3
"""bench/nlu/perf_stages.py — a text prediction's profile, grouped by stage.

    perf record -F 5000 -o before.data BUILD/bench/nlu/nlu_predict_bench TRAIN TEST --glove G --model M
    perf record -F 5000 -o after.data  ...
    bench/nlu/perf_stages.py before.data [after.data ...]

Runs `perf report --sort sym` on each file and sums the symbols' shares into the stages
of docs/performance.md ("Text prediction"): normalisation and tokens, hashing, sorting
the keys, the sparse vector, the sparse linear part, the sequence half (its BLAS calls
have no symbols and count as the dense part's), the dense part, the softmax and
calibration, and the rest (kernel, libc, reading the files, loading the model).  Prints
one Markdown table row per stage, one column per file.
"""
import collections
import re
import subprocess
import sys

STAGES = [
    ("normalise + tokenise (utf8proc, stemmer, stop words)",
     r"utf8proc|^normalise|^classify|^nlu_text_|^emit|stem|^find_among|__strncmp|^slice_|"
     r"^eq_s|^in_grouping|^out_grouping|^r_|english|^nlu_cp_"),
    ("hash the features (word ids, char 1-5-grams)",
     r"nlu_hash|char_grams|cm_fnv1a|nlu_feat_keys"),
    ("sort the keys", r"sort_keys"),
    ("sparse vector (tf, idf, L2 per block)", r"nlu_feat_vector|cm_l2_normalize|__logf"),
    ("sparse linear part (one weight row per feature)", r"nlu_linear_logits|^cm_axpy(\.|$)|gather_f16c|cm_gather_f16"),
    ("sequence half (token rows, cache, pooling, head)",
     r"nlu_seq|^forward$|^token_row|^token_slot|^same_token|^score_seq"),
    ("dense part (GloVe look-up, SIF, MLP)",
     r"nlu_glove|cm_f32_from_f16|add_f16c|axpy_f16c|cm_axpy_f16|nlu_fx_dense|cm_sgemv|cblas|sgemv|matvec|cm_relu|"
     r"nlu_mlp|^0x0000"),   # OpenBLAS's kernels have no symbols in Debian's build
    ("softmax, ensemble, calibration", r"cm_softmax|__expf|^score|^decide|nlu_enc_predict"),
]
OTHER = "other (kernel, libc, files, loading)"


def stages(path):
    out = subprocess.run(["perf", "report", "-i", path, "--no-children", "--sort", "sym",
                          "--stdio"], capture_output=True, text=True, check=True).stdout
    tot = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if not m:
            continue
        share, sym = float(m.group(1)), m.group(2)
        for name, rx in STAGES:
            if re.search(rx, sym):
                tot[name] += share
                break
        else:
            tot[OTHER] += share
    return tot


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cols = [stages(p) for p in sys.argv[1:]]
    print("| stage | " + " | ".join(sys.argv[1:]) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for name in [s[0] for s in STAGES] + [OTHER]:
        print("| %s | %s |" % (name, " | ".join("%.1f %%" % c[name] for c in cols)))


if __name__ == "__main__":
    main()
