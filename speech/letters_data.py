#!/usr/bin/python3
"""speech/letters_data.py — labelled letter segments for `kefu letters-train`.

Usage: letters_data.py MANIFEST.tsv DUMP.tsv [MANIFEST.tsv DUMP.tsv ...] > ROWS.tsv

DUMP.tsv is what `kefu eval-speech --manifest MANIFEST.tsv --letters-dump DUMP.tsv` wrote:
one line per letter or digit word of a value-like segment after the spelling pass (the
clip's index among the manifest's clips, the word, its posterior, its window of cepstra).
Each clip's dumped words are aligned to its transcript's words (Levenshtein, substitutions
and matches preferred on ties); a dumped word aligned to a transcript word gets that word
as its label (matched 1 when they are the same word, 0 for a substitution), a dumped word
aligned to nothing (an insertion) is dropped.  The speaker is the manifest's 4th column.
Standard library only (docs/speech.md "Eighth round").
"""
import sys


def clips(manifest):
    out = []
    for line in open(manifest, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        out.append((f[0], f[1].lower().split(), f[3] if len(f) > 3 else f[0]))
    return out


def align(hyp, ref):
    """Pairs (i, j) of hyp[i] aligned to ref[j] on a least-edit path."""
    n, m = len(hyp), len(ref)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j - 1] + (hyp[i - 1] != ref[j - 1]),
                          d[i - 1][j] + 1, d[i][j - 1] + 1)
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        if d[i][j] == d[i - 1][j - 1] + (hyp[i - 1] != ref[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif d[i][j] == d[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def main(argv):
    if len(argv) < 3 or len(argv) % 2 == 0:
        sys.stderr.write(__doc__)
        return 2
    kept = subs = dropped = 0
    for man, dump in zip(argv[1::2], argv[2::2]):
        cl = clips(man)
        by_clip = {}
        for line in open(dump, encoding="utf-8"):
            f = line.rstrip("\n").split("\t")
            by_clip.setdefault(int(f[0]), []).append(f)
        for c, rows in sorted(by_clip.items()):
            path, ref, spk = cl[c]
            hyp = [r[1] for r in rows]
            lab = {i: ref[j] for i, j in align(hyp, ref)}
            for i, r in enumerate(rows):
                if i not in lab:
                    dropped += 1
                    continue
                kept += 1
                subs += lab[i] != r[1]
                sys.stdout.write("\t".join([spk, path, lab[i], "1" if lab[i] == r[1] else "0",
                                            r[1], r[2], r[3], r[4], r[5], r[6]]) + "\n")
    sys.stderr.write(f"letters_data: {kept} rows ({subs} substitutions), {dropped} inserted"
                     " words dropped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
