#!/usr/bin/python3
"""bench/nlu/rasa.py -- kefu on Rasa-format data beside the scikit-learn reference.

    /usr/bin/python3 bench/nlu/rasa.py --kefu BUILD/tools/kefu/kefu [--sets banking77,hwu64]

Each set's train.csv (../shared/data, test splits never used) is cut into the same 5 folds
as bench/nlu/run.py (one fixed shuffle).  For every fold the training part is written as a
Rasa 3.x project data folder (data/nlu/ with one file per third of the intents, `- intent:`
/ `examples: |`), the held-out part as one Rasa NLU file, and the same rows as CSV.
  kefu     `kefu eval --train DATA_DIR --test test.yml --json` (kefu reads the Rasa files
           itself, through nlu/rasa.c and libyaml)
  sklearn  ref_sklearn.py on the CSV of the same fold (TF-IDF word 1-2 + char_wb 2-5,
           LogisticRegression C=30), the reference bench/nlu/run.py uses
Printed: accuracy and macro-F1, means over folds, and training seconds.
"""
import argparse, os, random, shutil, statistics, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as nlubench  # noqa: E402  (read_csv, write_csv, run_kefu, run_sklearn)


def yaml_block(rows):
    """Rows (text, intent) as Rasa NLU items, intents in first-seen order."""
    by = {}
    for t, c in rows:
        by.setdefault(c, []).append(' '.join(t.split()))
    out = ['version: "3.1"', 'nlu:']
    for c, texts in by.items():
        out += [f'- intent: {c}', '  examples: |'] + [f'    - {t}' for t in texts]
    return '\n'.join(out) + '\n'


def write_project(folder, rows):
    intents = sorted({c for _, c in rows})
    os.makedirs(os.path.join(folder, 'data', 'nlu'))
    for part in range(3):
        mine = set(intents[part::3])
        with open(os.path.join(folder, 'data', 'nlu', f'part{part + 1}.yml'), 'w',
                  encoding='utf-8') as f:
            f.write(yaml_block([r for r in rows if r[1] in mine]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--kefu', required=True)
    ap.add_argument('--data', default=os.path.join(HERE, '..', '..', '..', 'shared', 'data'))
    ap.add_argument('--sets', default='banking77,hwu64')
    ap.add_argument('--folds', type=int, default=5)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix='kefu-bench-rasa-')
    rows_out = []
    try:
        for name in a.sets.split(','):
            rows = nlubench.read_csv(os.path.join(a.data, name, 'train.csv'))
            order = list(range(len(rows)))
            random.Random(0).shuffle(order)
            res = {'kefu': [], 'sklearn': []}
            for k in range(a.folds):
                tr = [rows[i] for j, i in enumerate(order) if j % a.folds != k]
                te = [rows[i] for j, i in enumerate(order) if j % a.folds == k]
                base = os.path.join(work, f'{name}_{k}')
                write_project(base, tr)
                with open(base + '_test.yml', 'w', encoding='utf-8') as f:
                    f.write(yaml_block(te))
                nlubench.write_csv(base + '_train.csv', tr)
                nlubench.write_csv(base + '_test.csv', te)
                r = nlubench.run_kefu(a.kefu, os.path.join(base, 'data'), base + '_test.yml', None)
                if r['n_train'] != len(tr) or r['n_test'] != len(te):
                    sys.exit(f'bench-rasa: kefu read {r["n_train"]}/{r["n_test"]} examples '
                             f'of {len(tr)}/{len(te)} from the Rasa files')
                res['kefu'].append(r)
                res['sklearn'].append(nlubench.run_sklearn(base + '_train.csv',
                                                           base + '_test.csv', None))
                print(f'  {name} fold {k + 1}/{a.folds}: kefu {100 * r["accuracy"]:.2f} '
                      f'sklearn {100 * res["sklearn"][-1]["accuracy"]:.2f}', file=sys.stderr,
                      flush=True)
            for sysname, rs in res.items():
                m = lambda key: statistics.mean(x[key] for x in rs)
                rows_out.append((name, len(rows), len({c for _, c in rows}), sysname,
                                 m('accuracy'), m('macro_f1'), m('train_seconds')))
                print(f'  {name} {sysname}: accuracy {100 * m("accuracy"):.2f} %, macro-F1 '
                      f'{100 * m("macro_f1"):.2f} %', file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work)
    print(f'{"Rasa-format set":<16} {"examples":>8} {"intents":>7} {"system":<8} '
          f'{"accuracy":>9} {"macro-F1":>9} {"train s":>8}')
    for name, n, ni, sysname, acc, f1, tr in rows_out:
        print(f'{name:<16} {n:>8} {ni:>7} {sysname:<8} {100 * acc:8.2f}% {100 * f1:8.2f}% '
              f'{tr:8.1f}')
    print(f'{a.folds}-fold cross-validation of train.csv, the same folds for both; kefu read '
          'each fold as a Rasa data folder (3 NLU files) and a Rasa test file.')


if __name__ == '__main__':
    main()
