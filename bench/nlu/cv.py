#!/usr/bin/python3
"""bench/nlu/cv.py -- choose among kefu variants on a K-fold CV of fold 1's training files.

    /usr/bin/python3 bench/nlu/valsplit.py --data /work/shared/data --out SPLITS
    /usr/bin/python3 bench/nlu/cv.py --kefu BUILD/tools/kefu/kefu --splits SPLITS \
        [--sets banking77,hwu64,clinc150] [--k 3] [--jobs 2] \
        --variant 'v2=' --variant 'distill-svm=--distill --svm-c 0.5' ...

For each set and variant, one `kefu eval --train SPLITS/NAME_f1_train.csv --cv K --threads 1
--json OPTS` (clinc150: clinc150_train.csv, out-of-scope class `oos`): every one of fold 1's
training questions is answered once by a model that did not see it, so a variant is judged
on ~8,000 questions instead of a validation split's ~1,000 (a paired difference of 0.5
point is then about two standard errors rather than one).  Fold 1's test files are never
read.  `--threads 1`: the linear half's SGD on one thread, the same answers run to run.
Prints accuracy, macro-F1, CLINC150's in-scope accuracy at OOS recall 80 % (the matched
operating point, a mean over the folds), β, the mean training CPU seconds of a fold and the
median CPU µs per question; `--out FILE` also writes the JSON of every run.
"""
import argparse, json, os, subprocess
from concurrent.futures import ThreadPoolExecutor


def run(kefu, models, splits, k, name, opts):
    train = os.path.join(splits, 'clinc150_train.csv' if name == 'clinc150'
                         else f'{name}_f1_train.csv')
    cmd = [kefu, 'eval', '--train', train, '--cv', str(k), '--threads', '1', '--json',
           '--quiet'] + opts
    if models:
        cmd += ['--models', models]
    if name == 'clinc150':
        cmd += ['--oos-label', 'oos']
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--kefu', required=True)
    ap.add_argument('--splits', required=True, help='the folder valsplit.py wrote')
    ap.add_argument('--sets', default='banking77,hwu64')
    ap.add_argument('--k', type=int, default=3)
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--models', default=os.environ.get('KEFU_MODELS', ''))
    ap.add_argument('--variant', action='append', default=[], help="'NAME=OPTS'")
    ap.add_argument('--out', default='')
    a = ap.parse_args()
    variants = [(v.partition('=')[0], v.partition('=')[2].split()) for v in a.variant] or \
        [('kefu-v2', [])]
    jobs = [(s, n, o) for s in a.sets.split(',') if s for n, o in variants]
    with ThreadPoolExecutor(a.jobs) as ex:
        res = list(ex.map(lambda j: run(a.kefu, a.models, a.splits, a.k, j[0], j[2]), jobs))
    w = max(len(n) for _, n, _ in jobs)
    print(f'{"set":<10} {"variant":<{w}} {"accuracy":>9} {"macro-F1":>9} {"matched":>8} '
          f'{"β":>5} {"CPU s/fold":>10} {"CPU µs":>7}')
    for (s, n, _), r in zip(jobs, res):
        m = r.get('in_scope_at_oos_recall_80', -1)
        print(f'{s:<10} {n:<{w}} {100 * r["in_scope_accuracy"]:8.2f}% '
              f'{100 * r["macro_f1"]:8.2f}% {"" if m is None or m < 0 else f"{100 * m:7.2f}%":>8} '
              f'{r["beta"]:5.2f} {r["train_cpu_seconds"]:10.1f} '
              f'{r["predict_cpu_us_median"]:7.1f}')
    print(f'{a.k}-fold CV of fold 1\'s training file (clinc150: of train + oos_train); '
          'matched: in-scope accuracy at OOS recall 80 %, a mean over the folds')
    if a.out:
        with open(a.out, 'w') as f:
            json.dump([{'set': s, 'variant': n, 'opts': o, 'result': r}
                       for (s, n, o), r in zip(jobs, res)], f, indent=1)


if __name__ == '__main__':
    main()
