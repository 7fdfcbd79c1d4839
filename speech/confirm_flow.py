#!/usr/bin/python3
"""speech/confirm_flow.py — what kefud's "Did you say ...?" turn recovers of the digit/letter
strings a first reading got wrong (docs/speech.md "Confirm and correct").

kefud asks "Did you say VALUE?" for every clip whose reading holds an entity (the clip's
entity.kind in `kefu eval-speech --json --clips` is not "none"); "no" makes it ask again and
read the next clip with the grammar of that kind (ASR_GRAMMAR_ASKED with the kind expected).
A wrong string kefud confirms is caught by the customer; one it does not confirm goes on as
words.  The repeat is simulated with the same recording (an4 has one take of each string),
decoded again with `--expect KIND`, so the figure is what the grammar reading adds, not what
a second, independent take would.

    confirm_flow.py manifests FIRST.json OUTDIR   writes OUTDIR/retry_KIND.tsv: the clips
                                                  wrong and confirmed, by kind
    confirm_flow.py count FIRST.json [RETRY.json ...]   prints the flow's figures
"""
import json
import os
import sys


def clips_with_string(d):
    return [c for c in d["clips"] if c["entity"]["reference_chars"]]


def exact(c):
    return c["entity"]["reference_chars"] == c["entity"]["hypothesis_chars"]


def manifests(first, outdir):
    with open(first) as f:
        d = json.load(f)
    os.makedirs(outdir, exist_ok=True)
    by_kind = {}
    for c in clips_with_string(d):
        if not exact(c) and c["entity"]["kind"] != "none":
            by_kind.setdefault(c["entity"]["kind"], []).append(c)
    for kind, cs in sorted(by_kind.items()):
        path = os.path.join(outdir, "retry_%s.tsv" % kind)
        with open(path, "w") as f:
            for c in cs:
                f.write("%s\t%s\t%s\n" % (c["path"], c["transcript"], c["category"]))
        print("%s: %d clips" % (path, len(cs)))


def count(first, retries):
    with open(first) as f:
        d = json.load(f)
    again = {}
    for path in retries:
        with open(path) as f:
            for c in json.load(f)["clips"]:
                again[c["path"]] = exact(c)
    cs = clips_with_string(d)
    right = [c for c in cs if exact(c)]
    wrong = [c for c in cs if not exact(c)]
    asked = [c for c in wrong if c["entity"]["kind"] != "none"]
    right_asked = [c for c in right if c["entity"]["kind"] != "none"]
    recovered = [c for c in asked if again.get(c["path"])]
    missing = [c for c in asked if c["path"] not in again]
    n = max(1, len(cs))
    print("clips with digits/letters %d" % len(cs))
    print("exact at the first reading          %4d = %5.1f %%  (confirmed: %d)"
          % (len(right), 100.0 * len(right) / n, len(right_asked)))
    print("wrong, kefud asks 'Did you say?'     %4d = %5.1f %%  (the customer catches it)"
          % (len(asked), 100.0 * len(asked) / n))
    print("wrong, not confirmed (passed on)    %4d = %5.1f %%"
          % (len(wrong) - len(asked), 100.0 * (len(wrong) - len(asked)) / n))
    print("right after 'no' + the grammar read %4d of %d%s"
          % (len(recovered), len(asked),
             "" if not missing else " (%d not in the retry files)" % len(missing)))
    print("exact after one confirm-and-correct %4d = %5.1f %%"
          % (len(right) + len(recovered), 100.0 * (len(right) + len(recovered)) / n))


def main(argv):
    if len(argv) >= 3 and argv[0] == "manifests":
        manifests(argv[1], argv[2])
    elif len(argv) >= 2 and argv[0] == "count":
        count(argv[1], argv[2:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
