#!/bin/sh
# speech/letters_train.sh — remakes speech/data/letters.model, the spelling pass's letter
# classifier (speech/letters.c, docs/speech.md "Eighth round"), from transcribed clips.
#
# Usage: speech/letters_train.sh KEFU TRAIN.tsv STORE.csv OUT.model [WORKDIR]
#
# KEFU is the kefu binary, TRAIN.tsv a manifest (path<TAB>transcript<TAB>category<TAB>speaker,
# the an4 training speakers: speech/adapt/an4_split.sh OUT writes OUT/train.tsv), STORE.csv
# the texts the domain model is built from (banking77/train.csv, as the figures were made).
# 1. every clip decoded as kefud decodes it, each letter and digit word of its spelled
#    segments dumped with its frames' cepstra (kefu eval-speech --letters-dump; the model
#    in use is left out with --letters off so the dump is the search's own reading);
# 2. the dumped words aligned to the transcripts (speech/letters_data.py);
# 3. the speaker-disjoint cross-validation the settings were chosen on, printed (5 folds),
#    then the model of every row written with its provenance.  (The tenth round scored the
#    rule on a second dump whose entity models leave each held-out fold's transcripts out:
#    letters-train --eval, docs/speech.md "Tenth round"; lambda and tau from that.)
# Deterministic given the same clips and binary (the trainer's seed is fixed).
set -eu
KEFU=$1 TRAIN=$2 STORE=$3 OUT=$4
DIR=${5:-$(mktemp -d /tmp/kefu-letters-XXXXXX)}
HERE=$(dirname "$0")
SETTINGS="--parts 8 --ctx 5 --onset 8 --hidden 64 --epochs 10 --l2 1e-3 --lambda 0.3 --tau 0.7"

"$KEFU" eval-speech --train "$STORE" --manifest "$TRAIN" --json --no-seq --no-glove \
	--epochs 1 --letters off --letters-dump "$DIR/dump.tsv" > "$DIR/eval.json"
/usr/bin/python3 "$HERE/letters_data.py" "$TRAIN" "$DIR/dump.tsv" > "$DIR/rows.tsv"
"$KEFU" letters-train --data "$DIR/rows.tsv" --folds 5 $SETTINGS
"$KEFU" letters-train --data "$DIR/rows.tsv" $SETTINGS --out "$OUT" --note \
"kefu's letter classifier (speech/letters.c, docs/speech.md \"Eighth round\"), trained from
the CMU AN4 training speakers (an4-train, CMU AN4 licence: speech/data/an4_LICENSE): each
clip decoded by kefu eval-speech --letters-dump with kefud's settings, its letter and digit
words aligned to the transcript by speech/letters_data.py; settings chosen on 5
speaker-disjoint folds of those speakers.  Remade by speech/letters_train.sh."
