#!/usr/bin/python3
"""bench/nlu/ref_sklearn.py -- the scikit-learn reference of bench/nlu.

TF-IDF over word 1-2 grams and character 2-5 grams (within word boundaries, sublinear tf)
+ multinomial logistic regression, trained on one CSV (text,category) and tested on
another.  With --oos-label, the out-of-scope examples of the training file are learnt as
a class and a confidence threshold is tuned on a 10 % split carved from train (same rule as
kefu eval: see choose_threshold), then the model is refit on all of train.
Prints one JSON object with the keys of `kefu eval --json`.
"""
import argparse, csv, json, pickle, random, statistics, sys, time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline, make_union


def read(path):
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    return [r['text'] for r in rows], [r['category'] for r in rows]


def make(c):
    feats = make_union(
        TfidfVectorizer(analyzer='word', ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5), sublinear_tf=True))
    return make_pipeline(feats, LogisticRegression(C=c, max_iter=1000))


W_OOS = 8.0   # as kefu's default: one refused OOS question is worth 8 right answers


def choose_threshold(conf, is_oos, correct):
    """Threshold maximising (in-scope accepted and right) + W_OOS (OOS refused) on the
    carve: the rule kefu's nlu_calib_oos applies (without its margin)."""
    best_t, best_s = 0.0, -1.0
    for t in sorted(set(conf)) + [1.01]:
        acc = sum(1 for c, o, k in zip(conf, is_oos, correct) if not o and k and c >= t)
        rec = sum(1 for c, o in zip(conf, is_oos) if o and c < t)
        s = acc + W_OOS * rec
        if s > best_s:
            best_s, best_t = s, t
    return best_t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--train', required=True)
    ap.add_argument('--test', required=True)
    ap.add_argument('--oos-label')
    ap.add_argument('--C', type=float, default=30.0)
    a = ap.parse_args()
    xtr, ytr = read(a.train)
    xte, yte = read(a.test)
    t0 = time.perf_counter()
    thr = 0.0
    if a.oos_label:
        idx = list(range(len(xtr)))
        random.Random(1).shuffle(idx)
        cut = len(idx) // 10
        va, tr = idx[:cut], idx[cut:]
        m = make(a.C).fit([xtr[i] for i in tr], [ytr[i] for i in tr])
        p = m.predict_proba([xtr[i] for i in va])
        pred = m.classes_[p.argmax(1)]
        conf = [float(x) if pr != a.oos_label else 0.0 for x, pr in zip(p.max(1), pred)]
        thr = choose_threshold(conf, [ytr[i] == a.oos_label for i in va],
                               [pr == ytr[i] for pr, i in zip(pred, va)])
    model = make(a.C).fit(xtr, ytr)
    train_s = time.perf_counter() - t0

    times = []
    pred = []
    for x in xte:                      # one query at a time, as a daemon answers
        t = time.perf_counter()
        p = model.predict_proba([x])[0]
        k = int(p.argmax())
        lab = model.classes_[k]
        if a.oos_label and p[k] < thr:
            lab = a.oos_label
        times.append(time.perf_counter() - t)
        pred.append(lab)
    out = {'n_train': len(xtr), 'n_test': len(xte), 'train_seconds': train_s,
           'predict_us_median': statistics.median(times) * 1e6,
           'model_bytes': len(pickle.dumps(model))}
    ok = [p == y for p, y in zip(pred, yte)]
    out['accuracy'] = sum(ok) / len(ok)
    out['macro_f1'] = f1_score(yte, pred, average='macro')
    if a.oos_label:
        ins = [k for p, y, k in zip(pred, yte, ok) if y != a.oos_label]
        oos = [p == a.oos_label for p, y in zip(pred, yte) if y == a.oos_label]
        out['in_scope_accuracy'] = sum(ins) / max(1, len(ins))
        out['oos_recall'] = sum(oos) / max(1, len(oos))
        out['threshold'] = thr
    else:
        out['in_scope_accuracy'] = out['accuracy']
    print(json.dumps(out))


if __name__ == '__main__':
    sys.exit(main())
