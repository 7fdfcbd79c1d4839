#!/usr/bin/python3
"""bench/nlu/zh.py -- kefu beside character TF-IDF + logistic regression on Chinese intents.

    /usr/bin/python3 bench/nlu/zh.py --kefu BUILD/tools/kefu/kefu [--folds 3] [--data DIR]

Set: ../shared/data/massive-zh (MASSIVE zh-CN, 60 intents; its test split is held out and
never used): train -> validation, and a K-fold cross-validation of train (one fixed
shuffle, the same fold files for every system).
Systems:
  kefu             `kefu eval --json` as shipped (CJK characters and bigrams, char
                   1-2-grams of each CJK run with its edges)
  kefu + words     plus Chinese words from jieba's dictionary (--zh-words; needs Debian's
                   python3-jieba)
  kefu format 1    the features of model format 1: CJK characters + bigrams only
                   (--cjk-max 0)
  sklearn char1-3  TfidfVectorizer(analyzer='char', ngram_range=(1, 3), sublinear_tf)
                   + LogisticRegression(C=10): the reference of issue 16
  sklearn svm      TF-IDF of char 1-2-grams + jieba's words, LinearSVC(C=0.5,
                   crammer_singer): liblinear's exact solver of the multiclass SVM that
                   kefu's linear half now trains (--svm-cs), on similar features
  --variant 'NAME=OPTS'  another kefu row: `kefu eval` with OPTS added (repeatable), e.g.
                   --variant 'kefu beta 0.3=--beta 0.3' (--systems may name it to order
                   the rows)
Printed: accuracy and macro-F1 per split (CV: mean over folds), kefu's median µs/query.
--jobs N runs N evaluations at a time (each is mostly one thread).
Called by run.py (--sets massive-zh) or on its own.
"""
import argparse, concurrent.futures, json, os, random, statistics, subprocess, sys, tempfile
import shutil

from nlucsv import read_csv, write_folds

HERE = os.path.dirname(os.path.abspath(__file__))
KEFU_VARIANTS = [('kefu', []), ('kefu + words', ['--zh-words']),
                 ('kefu format 1', ['--cjk-max', '0'])]


def macro_f1(truth, pred):
    f1 = []
    for c in sorted(set(truth) | set(pred)):
        tp = sum(1 for t, p in zip(truth, pred) if t == c and p == c)
        fp = sum(1 for t, p in zip(truth, pred) if t != c and p == c)
        fn = sum(1 for t, p in zip(truth, pred) if t == c and p != c)
        f1.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return sum(f1) / len(f1)


def run_kefu(kefu, models, train, test, extra):
    cmd = [kefu, 'eval', '--train', train, '--test', test, '--json'] + extra
    if models:
        cmd += ['--models', models]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return r['accuracy'], r['macro_f1'], r['predict_us_median']


def run_sklearn(train, test):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    tr, te = read_csv(train), read_csv(test)
    m = make_pipeline(TfidfVectorizer(analyzer='char', ngram_range=(1, 3), sublinear_tf=True),
                      LogisticRegression(C=10, max_iter=1000))
    m.fit([t for t, _ in tr], [c for _, c in tr])
    pred = list(m.predict([t for t, _ in te]))
    truth = [c for _, c in te]
    return sum(t == p for t, p in zip(truth, pred)) / len(truth), macro_f1(truth, pred), None


def run_sklearn_svm(train, test):
    import logging
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union
    from sklearn.svm import LinearSVC
    jieba.setLogLevel(logging.WARNING)
    tr, te = read_csv(train), read_csv(test)
    fe = make_union(TfidfVectorizer(analyzer='char', ngram_range=(1, 2), sublinear_tf=True),
                    TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, sublinear_tf=True))
    m = LinearSVC(C=0.5, multi_class='crammer_singer')
    m.fit(fe.fit_transform([t for t, _ in tr]), [c for _, c in tr])
    pred = list(m.predict(fe.transform([t for t, _ in te])))
    truth = [c for _, c in te]
    return sum(t == p for t, p in zip(truth, pred)) / len(truth), macro_f1(truth, pred), None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--kefu', required=True)
    ap.add_argument('--models', default='', help='kefu --models (GloVe); default kefu\'s')
    ap.add_argument('--data', default=os.path.join(HERE, '..', '..', '..', 'shared', 'data'))
    ap.add_argument('--folds', type=int, default=3)
    ap.add_argument('--systems', default='kefu,kefu + words,kefu format 1,sklearn char1-3')
    ap.add_argument('--variant', action='append', default=[],
                    help="NAME=OPTS: a kefu row with these eval options (repeatable)")
    ap.add_argument('--jobs', type=int, default=1)
    a = ap.parse_args()
    variants = dict(KEFU_VARIANTS)
    for v in a.variant:
        name, _, opts = v.partition('=')
        variants[name] = opts.split()
    os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')   # one core for scikit-learn, as kefu
    src = os.path.join(a.data, 'massive-zh')
    systems = a.systems.split(',')
    work = tempfile.mkdtemp(prefix='kefu-bench-zh-')
    try:
        splits = [('validation', [(os.path.join(src, 'train.csv'),
                                   os.path.join(src, 'validation.csv'))])]
        cv = write_folds(read_csv(os.path.join(src, 'train.csv')), a.folds, work)
        if a.folds >= 2:
            splits.append((f'train {a.folds}-fold CV', cv))
        names = systems + [v.partition('=')[0] for v in a.variant
                           if v.partition('=')[0] not in systems]
        runs = {}
        with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
            for split, pairs in splits:
                for name in names:
                    for k, (train, test) in enumerate(pairs):
                        if name == 'sklearn char1-3':
                            f = pool.submit(run_sklearn, train, test)
                        elif name == 'sklearn svm':
                            f = pool.submit(run_sklearn_svm, train, test)
                        else:
                            f = pool.submit(run_kefu, a.kefu, a.models, train, test,
                                            variants[name])
                        runs[(split, name, k)] = f
            out = []
            for split, pairs in splits:
                for name in names:
                    rs = [runs[(split, name, k)].result() for k in range(len(pairs))]
                    for r in rs:
                        print(f'  massive-zh {split} {name}: acc {100 * r[0]:.2f}',
                              file=sys.stderr, flush=True)
                    us = [r[2] for r in rs if r[2] is not None]
                    out.append((split, name, statistics.mean(r[0] for r in rs),
                                statistics.mean(r[1] for r in rs),
                                statistics.median(us) if us else None))
    finally:
        shutil.rmtree(work)
    w = max([16] + [len(r[1]) for r in out])
    print(f'{"massive-zh split":<22} {"system":<{w}} {"accuracy":>9} {"macro-F1":>9} {"µs/query":>9}')
    for split, name, acc, f1, us in out:
        u = f'{us:9.1f}' if us is not None else f'{"-":>9}'
        print(f'{split:<22} {name:<{w}} {100 * acc:8.2f}% {100 * f1:8.2f}% {u}')


if __name__ == '__main__':
    main()
