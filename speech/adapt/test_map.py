#!/usr/bin/python3
"""speech/adapt/test_map.py — map.sh makes a model folder pocketsphinx loads and reads with.

flite (slt) speaks five sentences and kal (8 kHz: accum.sh's resampling path) one; map.sh
adapts Debian's en-us model to them; the test checks the folder (the model's own mdef,
variances and transition matrices; means moved by the clips; float mixture weights in place
of sendump, nothing left under OUT.tmp), that a second run on the same clips writes the same
bytes, and that pocketsphinx_continuous loads the folder and reads one of the sentences it was
adapted to exactly (Debian's model's reading is printed beside it: measured "go far in ten
years" for "go forward ten meters"); with -w -v the same means beside map_adapt's own mixture
weights and variances.

    test_map.py  (run by meson: 'speech: MAP adaptation makes a loadable model')
"""
import filecmp
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HMM = "/usr/share/pocketsphinx/model/en-us/en-us"
SENTENCES = ["go forward ten meters", "my card has not arrived",
             "k l m u five two seven four", "i want to close my account",
             "what is the exchange rate"]


def read(hmm, wav):
    out = subprocess.run(["pocketsphinx_continuous", "-hmm", hmm, "-infile", wav,
                          "-logfn", "/dev/null"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main():
    fails = 0

    def check(ok, what):
        nonlocal fails
        print(("ok   " if ok else "FAIL ") + what)
        fails += not ok

    with tempfile.TemporaryDirectory() as d:
        man = os.path.join(d, "clips.tsv")
        with open(man, "w") as f:
            for i, s in enumerate(SENTENCES + [SENTENCES[1]]):
                wav = os.path.join(d, "c%d.wav" % i)
                voice = "slt" if i < len(SENTENCES) else "kal"   # kal: 8 kHz, resampled
                subprocess.run(["flite", "-voice", voice, "-t", s, "-o", wav], check=True)
                f.write("c%d.wav\t%s\tt\n" % (i, s))
        outs = [os.path.join(d, "a"), os.path.join(d, "b")]
        for o in outs:
            subprocess.run([os.path.join(HERE, "map.sh"), o, man], check=True)
        a = outs[0]
        names = sorted(os.listdir(a))
        check(names == ["feat.params", "mdef", "means", "mixture_weights", "noisedict",
                        "transition_matrices", "variances"], "model folder: %s" % names)
        check(not os.path.exists(a + ".tmp"), "nothing left under OUT.tmp")
        for same in ("mdef", "variances", "transition_matrices", "feat.params"):
            check(filecmp.cmp(os.path.join(a, same), os.path.join(HMM, same), shallow=False),
                  same + " is the model's own")
        check(not filecmp.cmp(os.path.join(a, "means"), os.path.join(HMM, "means"),
                              shallow=False), "means moved by the clips")
        check(all(filecmp.cmp(os.path.join(a, n), os.path.join(outs[1], n), shallow=False)
                  for n in names), "the same clips give the same bytes")
        wv = os.path.join(d, "wv")
        subprocess.run([os.path.join(HERE, "map.sh"), "-w", "-v", wv, man], check=True)
        check(filecmp.cmp(os.path.join(a, "means"), os.path.join(wv, "means"), shallow=False),
              "-w -v: the same means")
        check(not any(filecmp.cmp(os.path.join(a, n), os.path.join(wv, n), shallow=False)
                      for n in ("mixture_weights", "variances")),
              "-w -v: map_adapt's mixture weights and variances")
        wav = os.path.join(d, "c0.wav")
        base, adapted = read(HMM, wav), read(a, wav)
        print("Debian's model: %r, adapted: %r" % (base, adapted))
        check(adapted == SENTENCES[0], "the adapted folder reads a sentence it was adapted to")
    print("%d failure(s)" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
