#!/usr/bin/python3
"""speech/entity_accuracy.py — digit/letter exact-string accuracy from `kefu eval-speech
--json --clips` outputs (docs/speech.md "Grammars").

For each file: the clips whose reference holds digits, letters or numbers (the per-clip
entity.reference_chars, asr_entity_normalize of kind code, non-empty), and the share of them
whose hypothesis reads exactly the same (entity.hypothesis_chars); WER and RTF as
eval-speech printed them; how many clips a grammar was tried on and kept for.
With --confusions, what the wrong strings got wrong: each reference string aligned to its
hypothesis character by character (edit distance), the substituted pairs counted, the
characters dropped and inserted, and how many wrong strings are wrong only by letters that
sound alike (the E-set b c d e g p t v z, and m/n) or only by one character.  With --causes,
each wrong string put under the first cause of CAUSES that explains all its edits (number
words, "oh"/"o", alike letters, edits at the string's edges, a word the reader kept or
dropped beside the spelled run, one other edit, several), counted, with examples.

    python3 speech/entity_accuracy.py [--confusions] [--causes] none.json auto.json
"""
import collections
import json
import sys

ESET = set("bcdegptvz")
MN = set("mn")
# letters (and digits) that sound alike beyond the E-set and m/n: "a"/"k"/"j"/"eight",
# "f"/"s"/"x", "i"/"y"/"five", "q"/"u"/"w"/"two", "l"/"r"
WIDE = [set("ajk8h"), set("fsx"), set("iy5"), set("quw2"), set("lr"), set("o4")]
NUMBER_WORDS = {"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
                "sixty", "seventy", "eighty", "ninety", "hundred", "thousand"}
CAUSES = ["oh/o", "alike letters (E-set, m/n)", "alike letters (wider)",
          "edge: dropped/inserted", "number words", "one other edit", "several"]


def align_path(ref, hyp):
    """A least-edit path from ref to hyp, last step first: ('m' match | 's' substitution,
    i, j), ('d', i, None), ('i', None, j) with i, j indices into ref and hyp."""
    n, m = len(ref), len(hyp)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]),
                          d[i - 1][j] + 1, d[i][j - 1] + 1)
    path, i, j = [], n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            path.append(("s" if ref[i - 1] != hyp[j - 1] else "m", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and d[i][j] == d[i - 1][j] + 1:
            path.append(("d", i - 1, None))
            i -= 1
        else:
            path.append(("i", None, j - 1))
            j -= 1
    return path


def align(ref, hyp):
    """Edit operations turning ref into hyp: ('s', r, h), ('d', r, None), ('i', None, h)."""
    return [(op, None if i is None else ref[i], None if j is None else hyp[j])
            for op, i, j in align_path(ref, hyp) if op != "m"]


def alike(r, h):
    return (r in ESET and h in ESET) or (r in MN and h in MN)


def confusions(clips):
    subs, dels, ins = collections.Counter(), collections.Counter(), collections.Counter()
    wrong = only_alike = one_char = long_wrong = 0
    for c in clips:
        ref = c["entity"]["reference_chars"].lower()
        hyp = c["entity"]["hypothesis_chars"].lower()
        if ref == hyp:
            continue
        wrong += 1
        long_wrong += len(ref) >= 8
        ops = align(ref, hyp)
        one_char += len(ops) == 1
        only_alike += all(o == "s" and alike(r, h) for o, r, h in ops)
        for o, r, h in ops:
            if o == "s":
                subs[(r, h)] += 1
            elif o == "d":
                dels[r] += 1
            else:
                ins[h] += 1
    n_sub = sum(subs.values())
    n_alike = sum(v for (r, h), v in subs.items() if alike(r, h))
    print("  wrong strings %d: 8+ characters %d, one edit away %d, only alike letters "
          "swapped (E-set, m/n) %d" % (wrong, long_wrong, one_char, only_alike))
    print("  character errors: %d substituted (%d of them alike letters), %d dropped, "
          "%d inserted" % (n_sub, n_alike, sum(dels.values()), sum(ins.values())))
    print("  substitutions ref>hyp: " +
          ", ".join("%s>%s %d" % (r, h, v) for (r, h), v in subs.most_common(16)))
    print("  dropped: " + ", ".join("%s %d" % kv for kv in dels.most_common(10)))
    print("  inserted: " + ", ".join("%s %d" % kv for kv in ins.most_common(10)))


def wide(r, h):
    return alike(r, h) or any(r in s and h in s for s in WIDE)


def cause(clip):
    """The first of CAUSES that explains every edit from the clip's reference string to its
    hypothesis's (the string is wrong)."""
    ref = clip["entity"]["reference_chars"].lower()
    hyp = clip["entity"]["hypothesis_chars"].lower()
    words = set(clip["transcript"].lower().split()) | set(clip["hypothesis"].lower().split())
    path = align_path(ref, hyp)
    ops = [(o, ref[i] if i is not None else None, hyp[j] if j is not None else None)
           for o, i, j in path if o != "m"]
    if all(o == "s" and {r, h} == {"o", "0"} for o, r, h in ops):
        return CAUSES[0]
    if all(o == "s" and (alike(r, h) or {r, h} == {"o", "0"}) for o, r, h in ops):
        return CAUSES[1]
    if all(o == "s" and (wide(r, h) or {r, h} == {"o", "0"}) for o, r, h in ops):
        return CAUSES[2]
    steps = list(reversed(path))                  # first step first
    lead = next((k for k, st in enumerate(steps) if st[0] in "ms"), len(steps))
    trail = next((k for k, st in enumerate(reversed(steps)) if st[0] in "ms"), len(steps))
    if lead + trail == len(ops) and all(st[0] != "s" for st in steps):
        return CAUSES[3]
    if words & NUMBER_WORDS and any((r or "").isdigit() or (h or "").isdigit()
                                    for o, r, h in ops):
        return CAUSES[4]
    if len(ops) == 1:
        return CAUSES[5]
    return CAUSES[6]


def causes(clips):
    by = collections.defaultdict(list)
    for c in clips:
        if c["entity"]["reference_chars"] != c["entity"]["hypothesis_chars"]:
            by[cause(c)].append(c)
    for k in CAUSES:
        ex = "; ".join("%s -> %s" % (c["transcript"].lower(), c["hypothesis"])
                       for c in by[k][:3])
        print("  %-28s %3d  %s" % (k, len(by[k]), ex))


def main(args):
    show = "--confusions" in args
    why = "--causes" in args
    for path in [a for a in args if a not in ("--confusions", "--causes")]:
        with open(path) as f:
            d = json.load(f)
        clips = [c for c in d["clips"] if c["entity"]["reference_chars"]]
        ok = sum(c["entity"]["reference_chars"] == c["entity"]["hypothesis_chars"]
                 for c in clips)
        tried = sum(c["entity"]["grammar_tried"] > 0 for c in d["clips"])
        kept = sum(bool(c["entity"]["grammar_kept"]) for c in d["clips"])
        print("%-24s clips %4d  with digits/letters %4d  exact %4d = %5.1f %%  WER %5.1f %%"
              "  RTF %.3f  grammar tried %d kept %d"
              % (path, d["n"], len(clips), ok, 100.0 * ok / max(1, len(clips)),
                 100 * d["wer"], d["rtf"], tried, kept))
        if show:
            confusions(clips)
        if why:
            causes(clips)


if __name__ == "__main__":
    main(sys.argv[1:])
