#!/usr/bin/python3
"""speech/letters_data.py — labelled letter segments for `kefu letters-train`.

Usage: letters_data.py MANIFEST.tsv DUMP.tsv [MANIFEST.tsv DUMP.tsv ...] > ROWS.tsv

DUMP.tsv is what `kefu eval-speech --manifest MANIFEST.tsv --letters-dump DUMP.tsv` wrote:
one line per letter or digit word of a value-like segment after the spelling pass (the
clip's index among the manifest's clips, the word, its posterior, its window of cepstra).
Each clip's dumped words are aligned to its transcript's words (entity_accuracy.py's
Levenshtein path); a dumped word aligned to a transcript word gets that word
as its label (matched 1 when they are the same word, 0 for a substitution), a dumped word
aligned to nothing (an insertion) is dropped.  The speaker is the manifest's 4th column.
Standard library only (docs/speech.md "Eighth round").
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from entity_accuracy import align_path  # noqa: E402  (the same alignment as the scores)


def clips(manifest):
    out = []
    for line in open(manifest, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        out.append((f[0], f[1].lower().split(), f[3] if len(f) > 3 else f[0]))
    return out


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
            lab = {j: ref[i] for op, i, j in align_path(ref, hyp) if op in "ms"}
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
