#!/usr/bin/python3
"""bench/mining/split.py TRAIN.csv OUTDIR [--held N] [--seed S] [--known-share F]

Splits BANKING77's public training questions (text,category) for bench/mining: N
intents (default 10) drawn with a fixed seed are held out of the store; of every other
intent a share F (default 0.2) of its questions goes to the traffic and the rest to the
store.  Writes OUTDIR/store.csv (the store), OUTDIR/traffic.csv (the held-out intents'
questions plus the known intents' held-back share) and OUTDIR/held_out.txt.
"""
import csv
import os
import random
import sys


def main():
    args = sys.argv[1:]
    opts = {"--held": "10", "--seed": "77", "--known-share": "0.2"}
    pos = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            pos.append(args[i])
            i += 1
    if len(pos) != 2:
        sys.exit(__doc__)
    src, out = pos
    rows = list(csv.DictReader(open(src, newline="", encoding="utf-8")))
    cats = sorted({r["category"] for r in rows})
    rng = random.Random(int(opts["--seed"]))
    held = set(rng.sample(cats, int(opts["--held"])))
    share = float(opts["--known-share"])
    by_cat = {}
    for r in rows:
        by_cat.setdefault(r["category"], []).append(r["text"])
    store, traffic = [], []
    for c in cats:
        texts = list(by_cat[c])
        rng.shuffle(texts)
        if c in held:
            traffic += [(t, c) for t in texts]
            continue
        k = int(round(len(texts) * share))
        traffic += [(t, c) for t in texts[:k]]
        store += [(t, c) for t in texts[k:]]
    rng.shuffle(traffic)
    os.makedirs(out, exist_ok=True)
    for name, part in (("store.csv", store), ("traffic.csv", traffic)):
        with open(os.path.join(out, name), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text", "category"])
            w.writerows(part)
    with open(os.path.join(out, "held_out.txt"), "w") as f:
        f.write("\n".join(sorted(held)) + "\n")
    print("split: %d intents, %d held out (seed %s): %s" % (
        len(cats), len(held), opts["--seed"], ", ".join(sorted(held))))
    print("store %d questions; traffic %d (%d of held-out intents, %d known)" % (
        len(store), len(traffic), sum(1 for _, c in traffic if c in held),
        sum(1 for _, c in traffic if c not in held)))


main()
