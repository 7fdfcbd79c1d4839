#!/bin/bash
# bench/speech/real_recordings.sh — WER on the real human recordings Debian ships:
# pocketsphinx-testdata (CMU, BSD-2): five card-game commands (cards/, a grammar demo:
# "ten of clubs" ...), five sentences read from Sense and Sensibility (librivox/, LibriVox
# public-domain reading) and goforward.raw ("go forward ten meters", the sentence
# pocketsphinx's own tests expect), with their reference transcripts.
#
#   bench/speech/real_recordings.sh BUILD [TRAIN_CSV]
#
# Uses /usr/share/pocketsphinx/test/data when the package is installed, else fetches the
# .deb with `apt-get download` into a temporary folder (nothing is installed).  Each clip
# goes through `kefu eval-speech` (kefud's audio path) with the generic, domain and mixed
# language models, the domain model built from TRAIN_CSV (default: BANKING77's train.csv,
# i.e. a bank's store hearing speech that is not about banking).  Only WER means something
# here (the clips have no intent); the text model is trained minimally (--no-glove
# --epochs 1) to save time.  Single process, run it pinned (taskset -c 1) for RTF.
set -euo pipefail
build=${1:?usage: real_recordings.sh BUILD [TRAIN_CSV]}
here=$(cd "$(dirname "$0")" && pwd)
train=${2:-$here/../../../shared/data/banking77/train.csv}
tmp=$(mktemp -d /tmp/kefu-real-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

data=/usr/share/pocketsphinx/test/data
if [ ! -d "$data/librivox" ]; then
  (cd "$tmp" && apt-get download pocketsphinx-testdata >/dev/null 2>&1) || {
    echo "pocketsphinx-testdata is neither installed nor downloadable: skipped"; exit 0; }
  dpkg -x "$tmp"/pocketsphinx-testdata_*.deb "$tmp/x"
  data=$tmp/x/usr/share/pocketsphinx/test/data
fi

python3 - "$data" "$tmp" <<'PY'
import os, re, sys, wave
data, out = sys.argv[1], sys.argv[2]
rows = []
def refs(path):
    for line in open(path):
        m = re.match(r"\s*<s>\s*(.*?)\s*</s>\s*\((\S+)\)", line)
        if m:
            yield m.group(2), m.group(1)
for fid, text in refs(os.path.join(data, "cards", "cards.transcription")):
    rows.append((os.path.join(data, "cards", fid + ".wav"), text, "cards"))
for fid, text in refs(os.path.join(data, "librivox", "transcription")):
    rows.append((os.path.join(data, "librivox", fid + ".wav"), text, "librivox"))
# headerless 16 kHz 16-bit mono: give it a WAV header
raw = open(os.path.join(data, "goforward.raw"), "rb").read()
w = wave.open(os.path.join(out, "goforward.wav"), "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000); w.writeframes(raw); w.close()
rows.append((os.path.join(out, "goforward.wav"), "go forward ten meters", "goforward"))
with open(os.path.join(out, "manifest.tsv"), "w") as f:
    for p, t, c in rows:
        f.write("%s\t%s\t%s\n" % (p, t, c))
PY

echo "clips: $(wc -l < "$tmp/manifest.tsv") real recordings from $data"
for lm in generic domain mixed; do
  KEFU_MODELS=${KEFU_MODELS:-$here/../../models} "$build/tools/kefu/kefu" eval-speech \
    --train "$train" --manifest "$tmp/manifest.tsv" --lm "$lm" --json --clips \
    --no-glove --epochs 1 2>/dev/null > "$tmp/$lm.json"
  python3 - "$lm" "$tmp/$lm.json" <<'PY'
import json, sys
lm, j = sys.argv[1], json.load(open(sys.argv[2]))
groups = {}
for c in j["clips"]:
    g = groups.setdefault(c["category"], [0, 0])
    g[0] += c["word_errors"]
    n = len(c["transcript"].split())
    g[1] += n
print("%-8s WER all %5.1f%%  (%s)  RTF %.3f" % (lm, 100 * j["wer"], ", ".join(
    "%s %.1f%% of %d words" % (k, 100 * e / n, n) for k, (e, n) in groups.items()), j["rtf"]))
for c in j["clips"]:
    print("    %-60s | %s" % (c["transcript"][:60], c["hypothesis"]))
PY
done
