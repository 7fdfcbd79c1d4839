#!/usr/bin/python3
"""bench/speech/flite_adapt.py — flite clips of a store's own (training) questions, for
speech/adapt/map.sh's pooled statistics and a flite dev set to choose its settings on.

    flite_adapt.py STORE.csv OUTDIR [--every N] [--hold-middle]

STORE.csv (text,category; the store's questions, never the held-out ones: the `store.csv`
`speechbench --per-cat 1 --write DIR` writes, or with --hold-middle BANKING77's train.csv
itself, less the question speechbench --per-cat 1 holds out of each category — the middle
one, index count/2 — which leaves the same rows in the same order) is split
deterministically: the first question of each category whose words are all in cmudict goes
to the dev set (OUTDIR/dev/manifest.tsv, path<TAB>text<TAB>category, and OUTDIR/dev/store.csv,
the store without those questions: what `kefu eval-speech --train` reads); of the other
questions every Nth (default 25) goes to the adaptation set (OUTDIR/adapt.tsv,
path<TAB>transcript in cmudict's lower-case words, what map.sh reads).  Each question is
spoken by flite's slt (16 kHz) and kal (8 kHz, as the issue-19 flite set), with the flite
command-line tool; the same store gives the same clips.  Questions holding a word cmudict
lacks (digits, names) are left out of both sets: bw needs every word's pronunciation.
Debian packages: flite, pocketsphinx-en-us (scripts/deps/speech.apt).
"""
import csv
import os
import re
import subprocess
import sys

DICT = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
VOICES = ("slt", "kal")


def words(text, vocab):
    """text's words in cmudict's spelling, or None when one is missing."""
    w = re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("’", "'")).split()
    w = [x.strip("'") for x in w]
    w = [x for x in w if x]
    return w if w and all(x in vocab for x in w) else None


def speak(text, voice, path):
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", path], check=True)


def main():
    args = sys.argv[1:]
    every = 25
    hold = "--hold-middle" in args
    if hold:
        args.remove("--hold-middle")
    if "--every" in args:
        i = args.index("--every")
        every = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    store, out = args
    vocab = set()
    with open(DICT, encoding="utf-8") as f:
        for line in f:
            vocab.add(line.split(" ", 1)[0])
    with open(store, newline="", encoding="utf-8") as f:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(f)]
    if hold:
        count, k, keep = {}, {}, []
        for _, cat in rows:
            count[cat] = count.get(cat, 0) + 1
        for r in rows:
            i = k.get(r[1], 0)
            k[r[1]] = i + 1
            if i != count[r[1]] // 2:
                keep.append(r)
        rows = keep
    os.makedirs(os.path.join(out, "dev"), exist_ok=True)
    os.makedirs(os.path.join(out, "clips"), exist_ok=True)
    dev, seen, rest = [], set(), []
    for i, (text, cat) in enumerate(rows):
        w = words(text, vocab)
        if w and cat not in seen:
            seen.add(cat)
            dev.append(i)
        elif w:
            rest.append((i, w))
    devset = set(dev)
    with open(os.path.join(out, "dev", "store.csv"), "w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f)
        wr.writerow(["text", "category"])
        for i, r in enumerate(rows):
            if i not in devset:
                wr.writerow(r)
    with open(os.path.join(out, "dev", "manifest.tsv"), "w", encoding="utf-8") as f:
        for i in dev:
            for v in VOICES:
                p = os.path.join(out, "dev", "q%05d-%s.wav" % (i, v))
                speak(rows[i][0], v, p)
                f.write("%s\t%s\t%s\n" % (os.path.basename(p), rows[i][0], rows[i][1]))
    n = 0
    with open(os.path.join(out, "adapt.tsv"), "w", encoding="utf-8") as f:
        for k, (i, w) in enumerate(rest):
            if k % every:
                continue
            for v in VOICES:
                p = os.path.join(out, "clips", "q%05d-%s.wav" % (i, v))
                speak(rows[i][0], v, p)
                f.write("%s\t%s\n" % (os.path.abspath(p), " ".join(w)))
                n += 1
    print("flite_adapt.py: %d dev clips (%d questions), %d adaptation clips in %s"
          % (2 * len(dev), len(dev), n, out))


if __name__ == "__main__":
    main()
