#!/bin/bash
# speech/adapt/an4_spell.sh OUTDIR — the spelling pass's acoustic model kefu ships
# (third_party/en-us-an4-spell), made again from its source: the an4 training speakers' 709
# clips (bench/speech/an4_split.sh: the 55 speakers outside the dev set), then
# speech/adapt/map.sh OUTDIR TRAIN (the simple Bayesian update of the means).  Nothing of the
# an4 dev speakers goes in.  Prints the means' SHA-256 (the same packages give the same
# bytes: sphinxtrain 5prealpha, sphinxbase-utils, sndfile-programs).
#
#   KEFU_DATA=/work/shared/data speech/adapt/an4_spell.sh OUTDIR
#
# KEFU_DATA (default: shared/data beside the checkout, or beside its parent for a
# worktree) holds an4-train/.
set -euo pipefail
out=${1:?usage: an4_spell.sh OUTDIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
data=${KEFU_DATA:-$src/../shared/data}
[ -d "$data/an4-train" ] || data=$src/../../shared/data
work=$(mktemp -d /tmp/kefu-an4spell-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$src/bench/speech/an4_split.sh" "$work/an4" "$data/an4-train" > /dev/null
"$src/speech/adapt/map.sh" "$out" "$work/an4/train.tsv"
sha256sum "$out/means"
