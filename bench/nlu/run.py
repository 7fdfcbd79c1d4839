#!/usr/bin/python3
"""bench/nlu/run.py -- kefu's text encoder beside two classic references, on the same folds.

    ninja -C BUILD bench-nlu          (or: /usr/bin/python3 bench/nlu/run.py --kefu BUILD/tools/kefu/kefu)

Sets (from ../shared/data, test splits held out, never used):
  banking77, hwu64   5-fold cross-validation of train.csv (one fixed shuffle, the same
                     fold files for every system)
  clinc150           train (+ oos_train learnt as the class "oos") vs val (+ oos_val)
  banking77+typos    fold 1 of banking77 (hwu64+typos: of hwu64) with keyboard typos
                     injected into the test texts (spelling tolerance)
Systems:
  kefu      `kefu eval --json` (hashed TF-IDF + softmax regression in C, calibrated)
  sklearn   ref_sklearn.py: TF-IDF word 1-2 + char_wb 2-5, LogisticRegression (C=30)
  fastText  Debian fasttext: -epoch 50 -lr 0.5 -wordNgrams 2 -minn 3 -maxn 5 -dim 100
  kefu-use  `kefu eval --use`: kefu v2 with its USE half (the same mixture, inside the
            model file, γ chosen with β on kefu's own calibration split)
  kefu-distill  `kefu eval --distill`: USE only teaches kefu v2's halves while training
            (soft targets, neighbour copies it labels); predicts without it
  use       nlu_use_bench: the Universal Sentence Encoder lite (nlu/use.c) + an MLP in C
  kefu+use  the same run: kefu v2's calibrated log-probabilities mixed with use's at the
            weight γ chosen on a 10 % split of train (β column: γ); OOS by argmax only
            (no tuned threshold: compare at the matched operating point)
  --variant 'NAME=OPTS'  another kefu row: `kefu eval` with OPTS added (repeatable), e.g.
            --variant 'kefu-distill-svm=--distill --svm-c 0.5' (named in --systems or not)
For the OOS set every system learns "oos" as a class and tunes a confidence threshold
on a 10 % split carved from train (kefu also a margin), then refits on all of train.
Printed: accuracy (clinc150: in-scope accuracy), macro-F1, OOS recall, training seconds,
median microseconds per query on one thread (fastText: batch time per query, one
thread), model size.  Means over folds.
"""
import argparse, concurrent.futures, json, os, random, shutil, statistics, subprocess, sys, tempfile, threading, time

from nlucsv import read_csv, write_csv, write_folds

HERE = os.path.dirname(os.path.abspath(__file__))
FT_ARGS = ['-epoch', '50', '-lr', '0.5', '-wordNgrams', '2', '-minn', '3', '-maxn', '5',
           '-dim', '100']


KEYS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm']


def typo(text, rng):
    """One keyboard typo (neighbour key, drop, double or swap) in ~every 3rd word >= 4."""
    out = []
    for w in text.split(' '):
        if len(w) >= 4 and w.isalpha() and rng.random() < 0.35:
            i = rng.randrange(1, len(w) - 1)
            kind = rng.randrange(4)
            c = w[i].lower()
            if kind == 0:
                for row in KEYS:
                    if c in row:
                        j = row.index(c)
                        c = row[j - 1] if j > 0 and rng.random() < 0.5 else row[min(j + 1, len(row) - 1)]
                w = w[:i] + c + w[i + 1:]
            elif kind == 1:
                w = w[:i] + w[i + 1:]
            elif kind == 2:
                w = w[:i] + w[i] + w[i:]
            else:
                w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
        out.append(w)
    return ' '.join(out)


def make_sets(data, work, folds, only):
    sets = []
    for name in ('banking77', 'hwu64'):
        if only and name not in only and f'{name}+typos' not in only:
            continue
        pairs = write_folds(read_csv(os.path.join(data, name, 'train.csv')), folds, work,
                            f'{name}_')
        if not only or name in only:
            sets.append((name, pairs, None))
        if not only or f'{name}+typos' in only:
            rng = random.Random(3)
            te = [(typo(t, rng), c) for t, c in read_csv(pairs[0][1])]
            b = os.path.join(work, f'{name}_typos_test.csv')
            write_csv(b, te)
            sets.append((f'{name}+typos', [(pairs[0][0], b)], None))
    if not only or 'massive-zh' in only:
        p = os.path.join(data, 'massive-zh')
        a, b = os.path.join(work, 'massive_train.csv'), os.path.join(work, 'massive_val.csv')
        write_csv(a, read_csv(os.path.join(p, 'train.csv')))
        write_csv(b, read_csv(os.path.join(p, 'validation.csv')))
        sets.append(('massive-zh', [(a, b)], None))
    if not only or 'clinc150' in only:
        with open(os.path.join(data, 'clinc150', 'train_val.json'), encoding='utf-8') as f:
            d = json.load(f)
        a, b = os.path.join(work, 'clinc150_train.csv'), os.path.join(work, 'clinc150_val.csv')
        write_csv(a, [(t, c) for t, c in d['train']] + [(t, 'oos') for t, _ in d['oos_train']])
        write_csv(b, [(t, c) for t, c in d['val']] + [(t, 'oos') for t, _ in d['oos_val']])
        sets.append(('clinc150', [(a, b)], 'oos'))
    return sets


KEFU_VARIANTS = {'kefu-v1': ['--no-seq'], 'kefu-seq': ['--beta', '1'], 'kefu-v2': [],
                 'kefu-use': ['--use'],
                 'kefu-distill': ['--distill']}


def run_kefu(kefu, train, test, oos, extra=()):
    cmd = [kefu, 'eval', '--train', train, '--test', test, '--json', '--quiet'] + list(extra)
    if '--use' in extra or '--distill' in extra:
        cmd += ['--models', os.environ['KEFU_MODELS']]
    if oos:
        cmd += ['--oos-label', oos]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    r['accuracy_shown'] = r['in_scope_accuracy'] if oos else r['accuracy']
    return r


def run_sklearn(train, test, oos):
    cmd = ['/usr/bin/python3', os.path.join(HERE, 'ref_sklearn.py'), '--train', train,
           '--test', test]
    if oos:
        cmd += ['--oos-label', oos]
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1')  # one core, as kefu
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True,
                                  env=env).stdout)
    r['accuracy_shown'] = r['in_scope_accuracy'] if oos else r['accuracy']
    return r


def ft_clean(t):
    return ' '.join(t.lower().replace('\n', ' ').split())


def ft_write(path, rows):
    with open(path, 'w', encoding='utf-8') as f:
        for t, c in rows:
            f.write(f'__label__{c.replace(" ", "_")} {ft_clean(t)}\n')


def ft_train(tmp, rows, name):
    src = os.path.join(tmp, name + '.txt')
    ft_write(src, rows)
    out = os.path.join(tmp, name)
    subprocess.run(['fasttext', 'supervised', '-input', src, '-output', out, '-thread', '2']
                   + FT_ARGS, check=True, capture_output=True)
    return out + '.bin'


def ft_predict(model, texts, tmp):
    src = os.path.join(tmp, 'q.txt')
    with open(src, 'w', encoding='utf-8') as f:
        for t in texts:
            f.write(ft_clean(t) + '\n')
    t0 = time.perf_counter()
    out = subprocess.run(['fasttext', 'predict-prob', model, src, '2'], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    dt = time.perf_counter() - t0
    res = []
    for line in out:
        p = line.split()
        top = (p[0][9:], float(p[1])) if p else ('', 0.0)
        res.append(top)
    return res, dt


def run_fasttext(train, test, oos):
    tr, te = read_csv(train), read_csv(test)
    tmp = tempfile.mkdtemp(prefix='kefu-ft-')
    try:
        t0 = time.perf_counter()
        thr = 0.0
        if oos:
            idx = list(range(len(tr)))
            random.Random(1).shuffle(idx)
            cut = len(idx) // 10
            m = ft_train(tmp, [tr[i] for i in idx[cut:]], 'carve')
            pr, _ = ft_predict(m, [tr[i][0] for i in idx[:cut]], tmp)
            sys.path.insert(0, HERE)
            from ref_sklearn import choose_threshold
            conf = [p if lab != oos else 0.0 for lab, p in pr]
            thr = choose_threshold(conf, [tr[i][1] == oos for i in idx[:cut]],
                                   [lab == tr[i][1] for (lab, _), i in zip(pr, idx[:cut])])
            os.remove(m)
        model = ft_train(tmp, tr, 'model')
        train_s = time.perf_counter() - t0
        size = os.path.getsize(model)
        pr, dt = ft_predict(model, [t for t, _ in te], tmp)
        _, dt5 = ft_predict(model, [t for t, _ in te] * 5, tmp)
        per_q = max(0.0, dt5 - dt) / (4 * len(te)) * 1e6   # model loading cancels out
        pred = [oos if oos and p < thr else lab for lab, p in pr]
        truth = [c.replace(' ', '_') for _, c in te]
    finally:
        shutil.rmtree(tmp)
    return metrics(truth, pred, oos, train_s, per_q, size)


def metrics(truth, pred, oos, train_s, us, size):
    labels = sorted(set(truth) | set(pred))
    f1 = []
    for c in labels:
        tp = sum(1 for t, p in zip(truth, pred) if t == c and p == c)
        fp = sum(1 for t, p in zip(truth, pred) if t != c and p == c)
        fn = sum(1 for t, p in zip(truth, pred) if t == c and p != c)
        f1.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    r = {'accuracy': sum(t == p for t, p in zip(truth, pred)) / len(truth),
         'macro_f1': sum(f1) / len(f1), 'train_seconds': train_s, 'predict_us_median': us,
         'model_bytes': size}
    r['accuracy_shown'] = r['accuracy']
    if oos:
        ins = [(t, p) for t, p in zip(truth, pred) if t != oos]
        r['accuracy_shown'] = sum(t == p for t, p in ins) / len(ins)
        o = [p == oos for t, p in zip(truth, pred) if t == oos]
        r['oos_recall'] = sum(o) / len(o)
    return r


USE_RUNS = {}
USE_LOCK = threading.Lock()


def run_use_bench(bench, train, test, oos):
    """One nlu_use_bench run per fold, shared by the use and kefu+use rows."""
    with USE_LOCK:
        if (train, test) not in USE_RUNS:
            cmd = [bench, '--train', train, '--test', test]
            if oos:
                cmd += ['--oos-label', oos]
            env = dict(os.environ, OPENBLAS_NUM_THREADS='1')
            USE_RUNS[(train, test)] = json.loads(subprocess.run(
                cmd, check=True, capture_output=True, text=True, env=env).stdout)
        return USE_RUNS[(train, test)]


def use_row(j, key, oos, models):
    s = j[key]
    r = {'accuracy_shown': s['accuracy'], 'macro_f1': s['macro_f1'],
         'train_seconds': j['mlp_train_cpu_seconds'] + j['use_embed_cpu_seconds'] *
         j['n_train'] / (j['n_train'] + j['n_test']),
         'model_bytes': os.path.getsize(os.path.join(models, 'use-lite-en.kfu')),
         'predict_us_median': j['use_cpu_us_median'] + j['mlp_cpu_us_median'],
         'predict_cpu_us_median': j['use_cpu_us_median'] + j['mlp_cpu_us_median'],
         'train_cpu_seconds': j['mlp_train_cpu_seconds']}
    if key == 'ens':
        r['train_seconds'] += j['kefu_train_cpu_seconds']
        r['train_cpu_seconds'] += j['kefu_train_cpu_seconds']
        r['predict_us_median'] = r['predict_cpu_us_median'] = j['ens_cpu_us_median']
        r['beta'] = j['gamma']
    if oos:
        r['oos_recall'] = s['oos_recall_argmax']
        r['in_scope_at_oos_recall_80'] = s['in_scope_at_oos_recall_80']
        r['oos_recall_matched'] = s['oos_recall_matched']
    return r


SYSTEMS = [('kefu-v1', None), ('kefu-seq', None), ('kefu-v2', None), ('kefu-use', None),
           ('kefu-distill', None),
           ('sklearn', run_sklearn),
           ('fastText', run_fasttext), ('use', 'use'), ('kefu+use', 'ens')]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--kefu', required=True, help='path of the built kefu program')
    ap.add_argument('--data', default=os.path.join(HERE, '..', '..', '..', 'shared', 'data'))
    ap.add_argument('--folds', type=int, default=5)
    ap.add_argument('--sets', default='', help='comma-separated subset of the sets')
    ap.add_argument('--systems', default='kefu-v1,kefu-seq,kefu-v2,sklearn,fastText')
    ap.add_argument('--fold', type=int, default=0,
                    help='run only this fold (1..folds) of banking77 and hwu64: for iteration')
    ap.add_argument('--use-bench', default='',
                    help='nlu_use_bench (default: BUILD/bench/nlu/ beside BUILD/tools/kefu/kefu)')
    ap.add_argument('--models', default=os.environ.get('KEFU_MODELS', os.path.join(
        HERE, '..', '..', 'models')), help='folder with use-lite-en.kfu and glove-100d.kfv')
    ap.add_argument('--variant', action='append', default=[],
                    help="another kefu row, 'NAME=OPTS': kefu eval with OPTS added")
    ap.add_argument('--jobs', type=int, default=1,
                    help='folds run at once; > 1 finishes sooner but the timings '
                         'then share the cores')
    a = ap.parse_args()
    only = [s for s in a.sets.split(',') if s]
    systems = a.systems.split(',')
    variants = dict(KEFU_VARIANTS)
    for v in a.variant:
        name, _, opts = v.partition('=')
        variants[name] = opts.split()
        if name not in systems:
            systems.append(name)
    sys_fns = SYSTEMS + [(n, None) for n in variants if n not in dict(SYSTEMS)]
    if 'fastText' in systems and not shutil.which('fasttext'):
        sys.exit('bench-nlu: the fastText reference needs Debian\'s fasttext package')
    if 'sklearn' in systems and subprocess.run(['/usr/bin/python3', '-c', 'import sklearn'],
                                               capture_output=True).returncode:
        sys.exit('bench-nlu: the scikit-learn reference needs Debian\'s python3-sklearn')
    use_bench = a.use_bench or os.path.join(os.path.dirname(os.path.abspath(a.kefu)), '..',
                                            '..', 'bench', 'nlu', 'nlu_use_bench')
    os.environ['KEFU_MODELS'] = os.path.abspath(a.models)
    work = tempfile.mkdtemp(prefix='kefu-bench-nlu-')
    try:
        sets = make_sets(a.data, work, a.folds, only)
        if a.fold:
            sets = [(n, p[a.fold - 1:a.fold] if len(p) > 1 else p, o) for n, p, o in sets]
        runs = [(name, pairs, oos, sysname, fn)
                for name, pairs, oos in sets
                for sysname, fn in sys_fns if sysname in systems]
        folds = [(ri, k) for ri, run in enumerate(runs) for k in range(len(run[1]))]

        def run_fold(t):
            ri, k = t
            name, pairs, oos, sysname, fn = runs[ri]
            train, test = pairs[k]
            if fn is None:
                r = run_kefu(a.kefu, train, test, oos, variants[sysname])
            elif fn in ('use', 'ens'):
                r = use_row(run_use_bench(use_bench, train, test, oos), fn, oos, a.models)
            else:
                r = fn(train, test, oos)
            print(f'  {name} {sysname} fold {k + 1}/{len(pairs)}: '
                  f'acc {100 * r["accuracy_shown"]:.2f}', file=sys.stderr, flush=True)
            return r

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
            results = list(ex.map(run_fold, folds))
        rows = []
        for ri, (name, pairs, oos, sysname, fn) in enumerate(runs):
            rs = [r for (rj, _), r in zip(folds, results) if rj == ri]
            mean = lambda key: statistics.mean(r[key] for r in rs)
            rows.append((name, sysname, mean('accuracy_shown'), mean('macro_f1'),
                         mean('oos_recall') if oos else None, mean('train_seconds'),
                         statistics.median(r['predict_us_median'] for r in rs),
                         mean('model_bytes'), len(pairs),
                         mean('train_cpu_seconds') if 'train_cpu_seconds' in rs[0] else None,
                         statistics.median(r['predict_cpu_us_median'] for r in rs)
                         if 'predict_cpu_us_median' in rs[0] else None,
                         (mean('gamma') if sysname == 'kefu-use' else mean('beta'))
                         if 'beta' in rs[0] else None,
                         (mean('in_scope_at_oos_recall_80'), mean('oos_recall_matched'))
                         if oos and 'in_scope_at_oos_recall_80' in rs[0] else None))
        big = None
        if 'kefu-v2' in systems and (not only or 'banking77' in only):
            full = os.path.join(a.data, 'banking77', 'train.csv')
            r = run_kefu(a.kefu, full, os.path.join(work, 'banking77_0_test.csv'), None)
            big = (r['n_train'], r['train_seconds'], r['train_cpu_seconds'])
    finally:
        shutil.rmtree(work)
    w = max([12] + [len(r[1]) for r in rows])
    print(f'{"set":<16} {"system":<{w}} {"folds":>5} {"accuracy":>9} {"macro-F1":>9} '
          f'{"OOS rec.":>9} {"train s":>8} {"CPU s":>6} {"µs/query":>9} {"CPU µs":>7} '
          f'{"β":>4} {"model MB":>9}')
    for name, sysname, acc, f1, oosr, tr, us, size, n, cpu, cpu_us, beta, _ in rows:
        o = f'{100 * oosr:8.2f}%' if oosr is not None else f'{"-":>9}'
        c = f'{cpu:6.1f}' if cpu is not None else f'{"-":>6}'
        cu = f'{cpu_us:7.1f}' if cpu_us is not None else f'{"-":>7}'
        b = f'{beta:4.2f}' if beta is not None else f'{"-":>4}'
        print(f'{name:<16} {sysname:<{w}} {n:>5} {100 * acc:8.2f}% {100 * f1:8.2f}% {o} '
              f'{tr:8.1f} {c} {us:9.1f} {cu} {b} {size / 1e6:9.1f}')
    print('clinc150 accuracy is in-scope accuracy; OOS recall on oos_val.  Means over folds; '
          'µs/query: median wall (fastText: batch mean, one thread); CPU s / CPU µs: kefu\'s '
          'process CPU time to train and its thread CPU time per query (the wall figures '
          'grow with whatever else the machine runs); β: the sequence half\'s weight '
          '(kefu+use, kefu-use: USE\'s weight γ).  use, kefu+use: train s and µs/query are CPU '
          'times too (use: the USE vectors of train + the MLP; kefu+use: + kefu v2).')
    for name, sysname, *_, matched in rows:
        if matched:
            print(f'{name} {sysname}: in-scope accuracy {100 * matched[0]:.2f}% at OOS recall '
                  f'{100 * matched[1]:.2f}% (matched operating point: the loosest confidence '
                  f'threshold with OOS recall >= 80% on val)')
    if big:
        print(f'kefu-v2 training time on all {big[0]} banking77 examples: {big[1]:.1f} s wall, '
              f'{big[2]:.1f} s CPU')
    if 'kefu-v2' in systems and (not only or 'massive-zh' in only):   # Chinese: zh.py
        subprocess.run(['/usr/bin/python3', os.path.join(HERE, 'zh.py'), '--kefu', a.kefu,
                        '--data', a.data], check=True)


if __name__ == '__main__':
    main()
