#!/usr/bin/python3
"""bench/vision/ref_head.py PREFIX — the reference for `kefu eval-images`: scikit-learn's
LogisticRegression (lbfgs, C=10) on the same power-normalised embeddings (sqrt, then L2)
that kefu's category head uses, read from the PREFIX.train.tsv / PREFIX.test.tsv files
`kefu eval-images --dump PREFIX` wrote (label index, then the L2-normalised embedding)."""
import sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

tr = np.loadtxt(sys.argv[1] + ".train.tsv", delimiter="\t")
te = np.loadtxt(sys.argv[1] + ".test.tsv", delimiter="\t")


def power(x):
    x = np.sqrt(np.maximum(x, 0))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


clf = LogisticRegression(max_iter=5000, C=10.0).fit(power(tr[:, 1:]), tr[:, 0])
p = clf.predict(power(te[:, 1:]))
print("sklearn LogisticRegression (C=10) on the same features: accuracy %.1f%%, macro-F1 "
      "%.1f%% (n_test %d)" % (100 * (p == te[:, 0]).mean(),
                              100 * f1_score(te[:, 0], p, average="macro"), len(te)))
