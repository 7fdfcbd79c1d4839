#!/usr/bin/python3
"""bench/nlu/zh_probe.py -- quick scikit-learn probes of ideas for kefu's Chinese linear half.

    /usr/bin/python3 bench/nlu/zh_probe.py [--data DIR] [--folds-used 0,2] [--probes idf,knn,len,nb,skip,binary]

On zh.py's fold files of massive-zh train (the same shuffle; its test split is held out and
never used), a Crammer-Singer LinearSVC on character 1-3-gram TF-IDF (sublinear tf) of
each text wrapped in spaces -- close to kefu's SVM linear half -- with one thing changed:
  idf  the idf on or off, at C 0.5, 1, 2, 4
  knn  a cosine kNN vote over the training texts' TF-IDF vectors (k 5/10/20, similarity
       to the power 1 or 3, votes summed to 1) added to the SVM scores at weight w
  len  a one-hot length bucket of the text (its characters less spaces) as extra
       features at scale s (a length prior for very short requests)
  nb   a multinomial naive Bayes on the same TF-IDF (smoothing a), its log-likelihoods
       less their mean added at weight w to 8 × the SVM's margins (kefu's --svm-nb)
  skip character skip-bigrams (a_c) of the text wrapped in spaces, a block of their
       own (own unit norm) at weight w beside the n-grams
  binary  binary tf instead of sublinear
Printed: accuracy per fold and probe, the probe's unchanged row first (its reference);
for len also the accuracy on requests of 1-4 characters.  A probe decides whether an idea
is worth building into kefu (encoder.md, "Chinese, twelfth session"), not kefu's figures.
"""
import argparse, os, shutil, sys, tempfile, warnings

import numpy as np
import scipy.sparse as sp

from nlucsv import read_csv, write_folds

HERE = os.path.dirname(os.path.abspath(__file__))
LEN_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 10**9]


def tfidf(tr, te, use_idf=True):
    from sklearn.feature_extraction.text import TfidfVectorizer
    v = TfidfVectorizer(analyzer='char', ngram_range=(1, 3), sublinear_tf=True,
                        use_idf=use_idf)
    return (v.fit_transform([f' {t} ' for t, _ in tr]),
            v.transform([f' {t} ' for t, _ in te]))


def svm(x, y, c=1.0):
    from sklearn.svm import LinearSVC
    return LinearSVC(C=c, multi_class='crammer_singer', max_iter=3000).fit(x, y)


def acc(pred, y, mask=None):
    if mask is not None:
        pred, y = pred[mask], y[mask]
    return round(100 * float((pred == y).mean()), 2)


def probe_idf(k, xtr, xte, ytr, yte, tr, te):
    for use_idf in (True, False):
        a, b = (xtr, xte) if use_idf else tfidf(tr, te, use_idf=False)
        for c in (0.5, 1, 2, 4):
            print(f'fold {k} idf {"on " if use_idf else "off"} C {c}: '
                  f'{acc(svm(a, ytr, c).predict(b), yte)}', flush=True)


def probe_knn(k, xtr, xte, ytr, yte, tr, te):
    s = svm(xtr, ytr).decision_function(xte)
    sim = (xte @ xtr.T).toarray()
    print(f'fold {k} svm alone: {acc(s.argmax(1), yte)}', flush=True)
    for kk in (5, 10, 20):
        top = np.argsort(-sim, 1)[:, :kk]
        for p in (1, 3):
            v = np.zeros_like(s)
            for i in range(len(te)):
                np.add.at(v[i], ytr[top[i]], sim[i, top[i]] ** p)
            v /= v.sum(1, keepdims=True) + 1e-9
            mixes = ' '.join(f'w {w}: {acc((s + w * v).argmax(1), yte)}'
                             for w in (0.1, 0.2, 0.3, 0.5, 1.0))
            print(f'fold {k} knn k {kk} p {p}: alone {acc(v.argmax(1), yte)}; {mixes}',
                  flush=True)


def buckets(texts, scale):
    col = [next(i for i, b in enumerate(LEN_BUCKETS) if len(t.replace(' ', '')) <= b)
           for t in texts]
    return sp.csr_matrix((np.full(len(col), scale), (np.arange(len(col)), col)),
                         shape=(len(col), len(LEN_BUCKETS)))


def probe_len(k, xtr, xte, ytr, yte, tr, te):
    short = np.array([len(t.replace(' ', '')) <= 4 for t, _ in te])
    for scale in (0, 0.3, 0.6, 1.0):
        a = sp.hstack([xtr, buckets([t for t, _ in tr], scale)]).tocsr()
        b = sp.hstack([xte, buckets([t for t, _ in te], scale)]).tocsr()
        pred = svm(a, ytr).predict(b)
        print(f'fold {k} length buckets × {scale}: {acc(pred, yte)} '
              f'(1-4 characters: {acc(pred, yte, short)} of {short.sum()})', flush=True)


def probe_nb(k, xtr, xte, ytr, yte, tr, te):
    from sklearn.naive_bayes import MultinomialNB
    s = svm(xtr, ytr).decision_function(xte)
    for a in (0.03, 0.1, 0.3):
        lin = xte @ MultinomialNB(alpha=a).fit(xtr, ytr).feature_log_prob_.T
        lin = lin - lin.mean(1, keepdims=True)
        mixes = ' '.join(f'w {w}: {acc((8 * s + w * lin).argmax(1), yte)}'
                         for w in (0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0))
        print(f'fold {k} nb a {a}: alone {acc(lin.argmax(1), yte)}; {mixes}', flush=True)


def probe_skip(k, xtr, xte, ytr, yte, tr, te):
    from sklearn.feature_extraction.text import TfidfVectorizer
    def grams(t):
        t = f' {t} '
        return [t[i] + '_' + t[i + 2] for i in range(len(t) - 2)]
    v = TfidfVectorizer(analyzer=grams, sublinear_tf=True)
    sa, sb = v.fit_transform([t for t, _ in tr]), v.transform([t for t, _ in te])
    for w in (0, 0.3, 0.5, 0.7):
        a, b = sp.hstack([xtr, w * sa]).tocsr(), sp.hstack([xte, w * sb]).tocsr()
        print(f'fold {k} skip-bigrams × {w}: {acc(svm(a, ytr).predict(b), yte)}', flush=True)


def probe_binary(k, xtr, xte, ytr, yte, tr, te):
    from sklearn.feature_extraction.text import TfidfVectorizer
    v = TfidfVectorizer(analyzer='char', ngram_range=(1, 3), binary=True)
    a, b = v.fit_transform([f' {t} ' for t, _ in tr]), v.transform([f' {t} ' for t, _ in te])
    for c in (0.5, 1):
        print(f'fold {k} binary tf C {c}: {acc(svm(a, ytr, c).predict(b), yte)}', flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.path.join(HERE, '..', '..', '..', 'shared', 'data'))
    ap.add_argument('--folds', type=int, default=3)
    ap.add_argument('--folds-used', default='0,2')
    ap.add_argument('--probes', default='idf,knn,len')
    a = ap.parse_args()
    warnings.filterwarnings('ignore')   # liblinear's convergence notes
    from sklearn.preprocessing import LabelEncoder
    work = tempfile.mkdtemp(prefix='kefu-bench-zh-probe-')
    try:
        folds = write_folds(read_csv(os.path.join(a.data, 'massive-zh', 'train.csv')),
                            a.folds, work)
        for k in map(int, a.folds_used.split(',')):
            tr, te = read_csv(folds[k][0]), read_csv(folds[k][1])
            le = LabelEncoder().fit([c for _, c in tr] + [c for _, c in te])
            ytr = le.transform([c for _, c in tr])
            yte = le.transform([c for _, c in te])
            xtr, xte = tfidf(tr, te)
            for name in a.probes.split(','):
                globals()[f'probe_{name}'](k, xtr, xte, ytr, yte, tr, te)
    finally:
        shutil.rmtree(work)


if __name__ == '__main__':
    sys.exit(main())
