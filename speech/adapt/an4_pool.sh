#!/bin/bash
# speech/adapt/an4_pool.sh OUTDIR [TAU] — docs/speech.md "Eighth round"'s pooled MAP model
# (not installed by default: it read one an4 dev string fewer), from its sources: the an4 training speakers' 709
# clips (bench/speech/an4_split.sh: the 55 speakers outside the dev set) pooled with flite
# clips of BANKING77 training questions (bench/speech/flite_adapt.py --hold-middle: every
# 25th question outside each category's held-out one and the flite dev set, spoken by slt
# and kal at 8 kHz), then speech/adapt/map.sh OUTDIR POOL [TAU].  Nothing of the an4 dev
# speakers or of the 77 held-out questions goes in.  Prints the means' SHA-256 (the same
# packages give the same bytes: flite 2.2, sphinxtrain 5prealpha, libsamplerate 0.2.2;
# measured: f5c7a159be31465af333acf099212cc21b61cf0793cfe0bc15d79a79ca89746e twice).  An
# operator installs it with OUTDIR = models/en-us-an4, which kefud then loads.
#
#   KEFU_DATA=/work/shared/data speech/adapt/an4_pool.sh OUTDIR [TAU]
#
# KEFU_DATA (default: shared/data beside the checkout, or beside its parent for a
# worktree) holds an4-train/ and banking77/train.csv.
set -euo pipefail
out=${1:?usage: an4_pool.sh OUTDIR [TAU]}
src=$(cd "$(dirname "$0")/../.." && pwd)
data=${KEFU_DATA:-$src/../shared/data}
[ -d "$data/an4-train" ] || data=$src/../../shared/data
work=$(mktemp -d /tmp/kefu-an4pool-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$src/bench/speech/an4_split.sh" "$work/an4" "$data/an4-train" > /dev/null
/usr/bin/python3 "$src/bench/speech/flite_adapt.py" --hold-middle \
	"$data/banking77/train.csv" "$work/flite" > /dev/null
cat "$work/an4/train.tsv" "$work/flite/adapt.tsv" > "$work/pool.tsv"
"$src/speech/adapt/map.sh" "$out" "$work/pool.tsv" ${2:+"$2"}
sha256sum "$out/means"
