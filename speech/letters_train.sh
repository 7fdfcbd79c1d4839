#!/bin/bash
# speech/letters_train.sh — remakes speech/data/letters.model, the spelling pass's letter
# classifier (speech/letters.c, docs/speech.md "Eighth round" and "Thirteenth round"), from
# transcribed clips.
#
# Usage: speech/letters_train.sh KEFU TRAIN.tsv STORE.csv OUT.model [WORKDIR]
#
# KEFU is the kefu binary, TRAIN.tsv a manifest (path<TAB>transcript<TAB>category<TAB>speaker,
# the an4 training speakers: bench/speech/an4_split.sh OUT writes OUT/train.tsv), STORE.csv
# the texts the domain model is built from (banking77/train.csv, as the figures were made).
# The training words come from two decodings of the same clips:
# 1. every clip decoded with the entity model holding its own transcript (KEFU as built) and
#    Debian's acoustic model in both passes (--spell-hmm none: the eighth round's search);
# 2. the errors new speakers make: the speakers sorted by name (LC_ALL=C) and dealt into 4
#    folds (rank mod 4), each fold decoded by a kefu built from this checkout's HEAD
#    (git archive) whose speech/data/an4_train.txt holds only the other folds' transcripts,
#    its spelling pass on a MAP model of the other folds' clips (speech/adapt/map.sh), as
#    kefud's default reads a new speaker (docs/speech.md "Tenth" and "Twelfth round");
# each letter and digit word of a spelled segment dumped with its frames' cepstra
# (eval-speech --letters-dump, --letters off: the search's own reading), aligned to the
# transcripts (speech/letters_data.py), the rows of both sorted by speaker (stable);
# 3. the speaker-disjoint cross-validation the settings were chosen on, printed (5 folds,
#    scored on the fold decodings' rows: letters-train --eval), then the model of every row
#    with perturbed copies (--jitter, --stretch) written with its provenance.
# Step 2 builds 4 kefu binaries and decodes every clip again: about an hour of CPU.  A step
# whose output is in WORKDIR already is not run again.  Deterministic given the same clips,
# binaries and packages (the trainer's seed is fixed).
set -euo pipefail
KEFU=$1 TRAIN=$2 STORE=$3 OUT=$4
DIR=${5:-$(mktemp -d /tmp/kefu-letters-XXXXXX)}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
SETTINGS="--parts 8 --ctx 5 --onset 8 --hidden 64 --epochs 10 --l2 1e-3 --jitter 1 --stretch 0.1
	--lambda 0.4 --tau 0.5"
EVAL=("eval-speech" --train "$STORE" --json --no-seq --no-glove --epochs 1 --letters off)
export LC_ALL=C
mkdir -p "$DIR"

[ -s "$DIR/dump.tsv" ] || "$KEFU" "${EVAL[@]}" --manifest "$TRAIN" --spell-hmm none \
	--letters-dump "$DIR/dump.tsv" > "$DIR/eval.json"

cut -f4 "$TRAIN" | sort -u > "$DIR/speakers.txt"
for k in 0 1 2 3; do
	awk -v k=$k '(NR - 1) % 4 == k' "$DIR/speakers.txt" > "$DIR/spk$k.txt"
	awk -F'\t' 'NR == FNR { s[$1]; next } ($4 in s)' "$DIR/spk$k.txt" "$TRAIN" \
		> "$DIR/fold$k.tsv"
	awk -F'\t' 'NR == FNR { s[$1]; next } !($4 in s)' "$DIR/spk$k.txt" "$TRAIN" \
		> "$DIR/fit$k.tsv"
	[ -s "$DIR/cvdump$k.tsv" ] && continue
	[ -d "$DIR/A$k" ] || "$HERE/adapt/map.sh" "$DIR/A$k" "$DIR/fit$k.tsv"
	if [ ! -x "$DIR/b$k/tools/kefu/kefu" ]; then
		rm -rf "$DIR/src$k" && mkdir -p "$DIR/src$k"
		git -C "$SRC" archive HEAD | tar -x -C "$DIR/src$k"
		corpus=$DIR/src$k/speech/data/an4_train.txt
		{ grep '^#' "$SRC/speech/data/an4_train.txt"; cut -f2 "$DIR/fit$k.tsv"; } \
			> "$corpus.new"
		mv "$corpus.new" "$corpus"
		meson setup "$DIR/b$k" "$DIR/src$k" --buildtype=release \
			-Dbrowser_tests=false > "$DIR/b$k.log"
		ninja -C "$DIR/b$k" tools/kefu/kefu >> "$DIR/b$k.log"
	fi
	"$DIR/b$k/tools/kefu/kefu" "${EVAL[@]}" --manifest "$DIR/fold$k.tsv" \
		--spell-hmm "$DIR/A$k" --letters-dump "$DIR/cvdump$k.tsv.tmp" > "$DIR/cv$k.json"
	mv "$DIR/cvdump$k.tsv.tmp" "$DIR/cvdump$k.tsv"
done

/usr/bin/python3 "$HERE/letters_data.py" "$TRAIN" "$DIR/dump.tsv" > "$DIR/rows.tsv"
/usr/bin/python3 "$HERE/letters_data.py" "$DIR/fold0.tsv" "$DIR/cvdump0.tsv" \
	"$DIR/fold1.tsv" "$DIR/cvdump1.tsv" "$DIR/fold2.tsv" "$DIR/cvdump2.tsv" \
	"$DIR/fold3.tsv" "$DIR/cvdump3.tsv" | sort -s -t "$(printf '\t')" -k1,1 > "$DIR/cvrows.tsv"
sort -s -t "$(printf '\t')" -k1,1 "$DIR/rows.tsv" "$DIR/cvrows.tsv" > "$DIR/all.tsv"
# shellcheck disable=SC2086  # SETTINGS is a list of options
"$KEFU" letters-train --data "$DIR/all.tsv" --eval "$DIR/cvrows.tsv" --folds 5 $SETTINGS
# shellcheck disable=SC2086
"$KEFU" letters-train --data "$DIR/all.tsv" $SETTINGS --out "$OUT" --note \
"kefu's letter classifier (speech/letters.c, docs/speech.md \"Eighth round\" and
\"Thirteenth round\"), trained from the CMU AN4 training speakers (an4-train, CMU AN4
licence: speech/data/an4_LICENSE): their clips decoded twice by kefu eval-speech
--letters-dump -- with their transcripts in the entity model (Debian's acoustic model), and
in 4 speaker folds by builds whose entity model and spelling MAP model leave the fold out --,
the letter and digit words aligned to the transcripts by speech/letters_data.py, each
training word also cut at boundaries moved by one frame and at tempo 0.9 and 1.1; settings
and the rule (lambda 0.4, tau 0.5, letters that sound alike) chosen on 5 speaker-disjoint
folds of those speakers scored on the fold decodings.  Remade by speech/letters_train.sh."
