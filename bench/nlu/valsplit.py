#!/usr/bin/python3
"""bench/nlu/valsplit.py -- validation splits carved from fold 1's training files, for choosing.

    /usr/bin/python3 bench/nlu/valsplit.py --data /work/shared/data --out DIR

Writes into DIR, for banking77 and hwu64: NAME_f1_train.csv / NAME_f1_test.csv (fold 1 of
5 exactly as bench/nlu/run.py makes it: the shuffle of seed 0, every 5th row) and
NAME_fit.csv / NAME_val.csv (fold 1's training rows shuffled with seed 16, the first
eighth held out); for clinc150: clinc150_train.csv / clinc150_test.csv (train + oos_train
against val + oos_val, as run.py) and clinc150_fit.csv / clinc150_val.csv (train's in-scope
rows and its 100 out-of-scope rows shuffled with seed 16; an eighth of the first and half
of the second held out, so the validation split has 50 out-of-scope questions to set an
operating point on).  Choose on NAME_val.csv; fold 1's test files are for the end only.
"""
import argparse, json, os, random

from nlucsv import read_csv, write_csv


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   '..', '..', '..', 'shared', 'data'))
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    out = lambda name: os.path.join(a.out, name)
    for name in ('banking77', 'hwu64'):
        rows = read_csv(os.path.join(a.data, name, 'train.csv'))
        order = list(range(len(rows)))
        random.Random(0).shuffle(order)
        tr = [rows[i] for j, i in enumerate(order) if j % 5 != 0]
        write_csv(out(f'{name}_f1_train.csv'), tr)
        write_csv(out(f'{name}_f1_test.csv'), [rows[i] for j, i in enumerate(order) if j % 5 == 0])
        o = list(range(len(tr)))
        random.Random(16).shuffle(o)
        nv = len(tr) // 8
        write_csv(out(f'{name}_val.csv'), [tr[i] for i in o[:nv]])
        write_csv(out(f'{name}_fit.csv'), [tr[i] for i in o[nv:]])
        print(f'{name}: fit {len(tr) - nv}, val {nv} (fold 1: train {len(tr)})')
    with open(os.path.join(a.data, 'clinc150', 'train_val.json'), encoding='utf-8') as f:
        d = json.load(f)
    ins = [(t, c) for t, c in d['train']]
    oos = [(t, 'oos') for t, _ in d['oos_train']]
    write_csv(out('clinc150_train.csv'), ins + oos)
    write_csv(out('clinc150_test.csv'), [(t, c) for t, c in d['val']] +
              [(t, 'oos') for t, _ in d['oos_val']])
    rng = random.Random(16)
    o, oo = list(range(len(ins))), list(range(len(oos)))
    rng.shuffle(o)
    rng.shuffle(oo)
    nv, no = len(ins) // 8, len(oos) // 2
    write_csv(out('clinc150_val.csv'), [ins[i] for i in o[:nv]] + [oos[i] for i in oo[:no]])
    write_csv(out('clinc150_fit.csv'), [ins[i] for i in o[nv:]] + [oos[i] for i in oo[no:]])
    print(f'clinc150: fit {len(ins) - nv} + {len(oos) - no} oos, val {nv} + {no} oos')


if __name__ == '__main__':
    main()
