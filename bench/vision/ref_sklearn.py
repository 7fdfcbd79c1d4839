#!/usr/bin/python3
"""bench/vision/ref_sklearn.py TRAIN.tsv VAL.tsv NAME — the reference probe: scikit-learn's
LogisticRegression (lbfgs, standardised features, C=1) on the same
embeddings bench_vision wrote (label, then features, tab-separated)."""
import sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

tr = np.loadtxt(sys.argv[1], delimiter="\t")
va = np.loadtxt(sys.argv[2], delimiter="\t")
sc = StandardScaler().fit(tr[:, 1:])
clf = LogisticRegression(max_iter=2000, C=1.0).fit(sc.transform(tr[:, 1:]), tr[:, 0])
acc = (clf.predict(sc.transform(va[:, 1:])) == va[:, 0]).mean()
print("probe sklearn LogisticRegression on the %s embedding: %.1f%% (n_val %d)"
      % (sys.argv[3] if len(sys.argv) > 3 else "same", 100 * acc, len(va)))
