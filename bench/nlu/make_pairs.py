#!/usr/bin/python3
"""bench/nlu/make_pairs.py -- dev sets of sentence pairs for `kefu eval-pairs`.

    /usr/bin/python3 bench/nlu/make_pairs.py --out DIR [--data ../shared/data] [--n 1000]

For each set it writes DIR/<set>_train.csv (text,category: what an encoder may learn
from) and DIR/<set>_pairs.tsv (id, sentence 1, sentence 2, label): n pairs of two
different questions of the same class (label 1, a paraphrase) and n of two classes
(label 0), drawn only from questions that are NOT in the train file:
  demo_zh    the demo store's Chinese answers (store/demo/zh.json): half of each answer's
             questions to train, pairs from the other half
  banking77, hwu64   fold 1 of bench/nlu's 5-fold shuffle (seed 0): its train part, pairs
             from its test part (BANKING77 is also the demo store's English section)
  massive_zh ../shared/data/massive-zh: train.csv, pairs from validation.csv
Deterministic (fixed seeds).  Held-out test splits are never read.
"""
import argparse, json, os, random

from nlucsv import read_csv, write_csv

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def clean(t):
    return ' '.join(t.replace('\t', ' ').split())


def make_pairs(rows, n, seed):
    """n same-class pairs and n different-class pairs of distinct texts from rows."""
    rng = random.Random(seed)
    by = {}
    for t, c in rows:
        by.setdefault(c, []).append(clean(t))
    multi = [c for c, ts in by.items() if len(set(ts)) > 1]
    cats = list(by)
    out, seen = [], set()
    tries = 0
    while len(out) < 2 * n and tries < 100 * n:
        tries += 1
        label = 1 if len(out) % 2 == 0 else 0
        if label:
            c = rng.choice(multi)
            a, b = rng.sample(by[c], 2)
        else:
            c, d = rng.sample(cats, 2)
            a, b = rng.choice(by[c]), rng.choice(by[d])
        if a == b or frozenset((a, b)) in seen:
            continue
        seen.add(frozenset((a, b)))
        out.append((a, b, label))
    return out


def write_pairs(path, pairs, prefix):
    with open(path, 'w', encoding='utf-8') as f:
        f.write('id\tsentence1\tsentence2\tlabel\n')
        for i, (a, b, l) in enumerate(pairs):
            f.write(f'{prefix}-{i}\t{a}\t{b}\t{l}\n')


def fold(rows, k=1, folds=5):
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)   # bench/nlu/run.py's shuffle
    tr = [rows[i] for j, i in enumerate(order) if j % folds != k]
    te = [rows[i] for j, i in enumerate(order) if j % folds == k]
    return tr, te


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--data', default=os.path.join(ROOT, '..', '..', 'shared', 'data'))
    ap.add_argument('--n', type=int, default=1000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    sets = {}
    with open(os.path.join(ROOT, 'store', 'demo', 'zh.json'), encoding='utf-8') as f:
        zh = json.load(f)
    tr, te = [], []
    for ans in zh:
        qs = ans['questions']
        tr += [(q, ans['title']) for q in qs[0::2]]
        te += [(q, ans['title']) for q in qs[1::2]]
    sets['demo_zh'] = (tr, te)
    for name in ('banking77', 'hwu64'):
        p = os.path.join(a.data, name, 'train.csv')
        if os.path.exists(p):
            sets[name] = fold(read_csv(p))
    p = os.path.join(a.data, 'massive-zh')
    if os.path.exists(p):
        sets['massive_zh'] = (read_csv(os.path.join(p, 'train.csv')),
                              read_csv(os.path.join(p, 'validation.csv')))
    for i, (name, (tr, te)) in enumerate(sorted(sets.items())):
        write_csv(os.path.join(a.out, f'{name}_train.csv'), tr)
        pairs = make_pairs(te, a.n, seed=100 + i)
        write_pairs(os.path.join(a.out, f'{name}_pairs.tsv'), pairs, name)
        print(f'{name}: {len(tr)} train questions, {len(pairs)} pairs')


if __name__ == '__main__':
    main()
