#!/usr/bin/python3
"""bench/fusion/ref_sklearn.py OUT_DIR N_KINDS — the reference for bench_fusion: scikit-learn
LogisticRegression (lbfgs, C=1) on concatenated [TF-IDF of the words (word 1-2-grams +
char_wb 1-5-grams, sublinear tf), standardised image embedding / sqrt(dim) (so the block
weighs about as much as a TF-IDF block: unscaled, lbfgs needed 800 iterations and 110 s
and reached 56 %; C=10 63 %; scale 0.1 71 %)], fitted on the same
training pairs bench_fusion wrote (each train question x 4 train pictures of its kind)
and scored on the same test cases.  Prints one line:
  reference ALL GENERIC SPECIFIC INTENT KIND FIT_SECONDS"""
import sys
import time
import numpy as np
from scipy.sparse import hstack, csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union
from sklearn.preprocessing import StandardScaler

out, nk = sys.argv[1], int(sys.argv[2])
tr_e = np.loadtxt(out + "/train_embed.tsv", delimiter="\t", dtype=np.float32)
va_e = np.loadtxt(out + "/val_embed.tsv", delimiter="\t", dtype=np.float32)


def rows(path, n_int):
    res = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", n_int)
            res.append([int(x) for x in parts[:n_int]] + [parts[n_int]])
    return res


pairs = rows(out + "/train_pairs.tsv", 2)     # picture, answer, text
cases = rows(out + "/cases.tsv", 3)           # specific, picture, answer, text

t0 = time.time()
vec = make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                 TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True))
xt = vec.fit_transform([p[2] for p in pairs])
sc = StandardScaler().fit(tr_e)
scale = 1.0 / np.sqrt(tr_e.shape[1])
xi = sc.transform(tr_e[[p[0] for p in pairs]]) * scale
x = hstack([xt, csr_matrix(xi)]).tocsr()
y = np.array([p[1] for p in pairs])
clf = LogisticRegression(max_iter=1000, C=1.0).fit(x, y)
fit_s = time.time() - t0

xc = hstack([vec.transform([c[3] for c in cases]),
             csr_matrix(sc.transform(va_e[[c[1] for c in cases]]) * scale)]).tocsr()
pred = clf.predict(xc)
truth = np.array([c[2] for c in cases])
spec = np.array([c[0] for c in cases])
ok = pred == truth
print("reference %.1f %.1f %.1f %.1f %.1f %.1f" % (
    100 * ok.mean(), 100 * ok[spec == 0].mean(), 100 * ok[spec == 1].mean(),
    100 * (pred // nk == truth // nk).mean(), 100 * (pred % nk == truth % nk).mean(), fit_s))
