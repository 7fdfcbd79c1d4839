"""The text,category CSV files the NLU benches read and write (one copy for run.py, zh.py,
zh_probe.py and make_pairs.py), and their K-fold splits."""
import csv
import os
import random


def read_csv(path):
    """[(text, category)] of a CSV file with a text,category header."""
    with open(path, newline='', encoding='utf-8') as f:
        return [(r['text'], r['category']) for r in csv.DictReader(f)]


def write_csv(path, rows):
    """Writes [(text, category)] under a text,category header."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(['text', 'category'])
        w.writerows(rows)


def write_folds(rows, folds, work, prefix=''):
    """The K-fold split of rows (one fixed shuffle, seed 0) as CSV files in work, named
    PREFIX{k}_train.csv / _test.csv: [(train, test)] paths per fold."""
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    cv = []
    for k in range(folds):
        tr = [rows[i] for j, i in enumerate(order) if j % folds != k]
        te = [rows[i] for j, i in enumerate(order) if j % folds == k]
        p = os.path.join(work, f'{prefix}{k}_train.csv')
        q = os.path.join(work, f'{prefix}{k}_test.csv')
        write_csv(p, tr)
        write_csv(q, te)
        cv.append((p, q))
    return cv
