#!/usr/bin/python3
"""speech/entity_accuracy.py — digit/letter exact-string accuracy from `kefu eval-speech
--json --clips` outputs (docs/speech.md "Grammars").

For each file: the clips whose reference holds digits, letters or numbers (the per-clip
entity.reference_chars, asr_entity_normalize of kind code, non-empty), and the share of them
whose hypothesis reads exactly the same (entity.hypothesis_chars); WER and RTF as
eval-speech printed them; how many clips a grammar was tried on and kept for.

    python3 speech/entity_accuracy.py none.json auto.json
"""
import json
import sys


def main(paths):
    for path in paths:
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


if __name__ == "__main__":
    main(sys.argv[1:])
