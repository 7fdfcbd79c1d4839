#!/bin/bash
# bench/speech/human_bench.sh — the speech bench with real human voices beside flite's.
#
#   bench/speech/human_bench.sh BUILD [speechbench options...]
#
# Splits the an4 recordings by speaker (an4_split.sh: 19 dev speakers, 239 clips, nobody
# that anything was tuned on), then runs BUILD/bench/speech/speechbench on the held-out
# BANKING77 questions (flite voices slt, rms, awb, kal; one question per category) plus the
# an4 dev clips (voice "human") and their 8 kHz copies ("human8k"), for kefud's default
# (mixed: generic + store + entity models, kefu's search settings), the same with each
# speaker's and each flite voice's clips normalised by their session's cepstral mean
# (session: kefud's conf asr_session_cmn) and plain pocketsphinx with the generic model,
# in one run (pinned to CPU $CPU when set; $SPEECHBENCH instead of
# BUILD's speechbench when set).  Prints WER per voice,
# digit/letter exactness per voice, RTF and spoken intent (flite clips).  Extra options go
# to speechbench (e.g. --configs plain,generic,mixed0,mixed --voices slt).
set -euo pipefail
build=${1:?usage: human_bench.sh BUILD [speechbench options...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
train=$src/../shared/data/banking77/train.csv
[ -f "$train" ] || train=$src/../../shared/data/banking77/train.csv
export KEFU_MODELS=${KEFU_MODELS:-$src/models}
tmp=$(mktemp -d /tmp/kefu-human-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$here/an4_split.sh" "$tmp"
${CPU:+taskset -c "$CPU"} "${SPEECHBENCH:-$build/bench/speech/speechbench}" --train "$train" --per-cat 1 \
	--voices slt,rms,awb,kal --human "$tmp/dev.tsv" --telephone --configs plain,mixed,session "$@"
