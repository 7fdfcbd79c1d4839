#!/bin/bash
# bench/speech/an4_split.sh — the an4 human recordings split by speaker, for the speech bench.
#
#   bench/speech/an4_split.sh OUTDIR [AN4DIR]
#
# AN4DIR (default: shared/data/an4-train beside the checkout, or beside its parent for a
# worktree) holds manifest.tsv
# (audio/anNNN-SPEAKER-b.flac<TAB>transcript<TAB>an4) and the FLAC files.  The 74 speakers,
# sorted by name, go to the dev set when their rank is 0 mod 4 (19 speakers, 239 clips) and
# to the training set otherwise (55 speakers, 709 clips): the dev set is other people than
# anything tuned or adapted on the training set.  Writes OUTDIR/dev.tsv and OUTDIR/train.tsv
# with absolute paths (path<TAB>transcript<TAB>an4<TAB>speaker, what kefu eval-speech and
# speechbench --human read; the speaker is the session for their per-session cepstral mean)
# and OUTDIR/dev_speakers.txt.  Idempotent; no audio is copied.
set -euo pipefail
out=${1:?usage: an4_split.sh OUTDIR [AN4DIR]}
src=$(cd "$(dirname "$0")/../.." && pwd)
an4=${2:-$src/../shared/data/an4-train}
[ -d "$an4" ] || an4=$src/../../shared/data/an4-train
an4=$(cd "$an4" && pwd)
[ -f "$an4/manifest.tsv" ] || { echo "an4_split.sh: no $an4/manifest.tsv" >&2; exit 1; }
mkdir -p "$out"
speaker='{ s = $1; sub(/.*\/[a-z0-9]+-/, "", s); sub(/-b\.flac$/, "", s) }'
awk -F'\t' "$speaker { print s }" "$an4/manifest.tsv" | LC_ALL=C sort -u |
	awk 'NR % 4 == 1' > "$out/dev_speakers.txt"
awk -F'\t' -v dir="$an4" -v dev="$out/dev.tsv" -v train="$out/train.tsv" \
	"NR == FNR { d[\$1] = 1; next } $speaker { print dir \"/\" \$0 \"\t\" s > ((s in d) ? dev : train) }" \
	"$out/dev_speakers.txt" "$an4/manifest.tsv"
echo "an4: $(wc -l < "$out/dev.tsv") dev clips ($(wc -l < "$out/dev_speakers.txt") speakers)," \
	"$(wc -l < "$out/train.tsv") training clips in $out"
