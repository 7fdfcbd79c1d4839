#!/usr/bin/python3
"""bench/mining/baselines.py CLUSTERS.jsonl TRAFFIC.csv KEFU_K

The scikit-learn references for bench/mining, on exactly the questions kefu collected
(the texts of `kefu eval-mining --clusters-out`), scored against their TRAFFIC
categories like kefu's clusters: TF-IDF features (word 1-2-grams and char_wb 2-5-grams,
sublinear tf, L2), then
  - agglomerative clustering (average linkage, cosine), and
  - k-means (k-means++, 10 starts, seed 0),
each with k = the number of categories among the collected questions (an oracle kefu
does not get) and with k = KEFU_K (the number of clusters kefu made).
Prints one line per system: purity NMI ARI.
"""
import csv
import json
import sys

import numpy as np
from scipy.sparse import hstack
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import normalize


def purity(truth, pred):
    hit = 0
    for c in set(pred):
        members = [t for t, p in zip(truth, pred) if p == c]
        hit += max(members.count(t) for t in set(members))
    return hit / len(truth)


def main():
    clusters, traffic, kefu_k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cat = {}
    for r in csv.DictReader(open(traffic, newline="", encoding="utf-8")):
        cat.setdefault(r["text"], r["category"])
    texts = []
    for line in open(clusters, encoding="utf-8"):
        texts += json.loads(line)["texts"]
    truth = [cat[t] for t in texts]
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                            sublinear_tf=True).fit_transform(texts)
    x = normalize(hstack([words, chars]).tocsr())
    dense = x.toarray()
    oracle_k = len(set(truth))
    print("baselines on the same %d collected questions (%d categories), TF-IDF %d features"
          % (len(texts), oracle_k, x.shape[1]))
    for k, why in ((oracle_k, "k = categories (oracle)"), (kefu_k, "k = kefu's clusters")):
        k = max(1, min(k, len(texts)))
        agg = AgglomerativeClustering(n_clusters=k, metric="cosine",
                                      linkage="average").fit_predict(dense)
        km = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(x)
        for name, pred in (("sklearn agglomerative (average, cosine)", agg),
                           ("sklearn k-means", km)):
            print("%-42s %-26s k=%-5d purity %.3f  NMI %.3f  ARI %.3f" % (
                name, why, k, purity(truth, list(pred)),
                normalized_mutual_info_score(truth, pred), adjusted_rand_score(truth, pred)))


main()
