#!/bin/bash
# bench/speech/rtf_sweep.sh — pocketsphinx search options against RTF and intent, one core.
#
#   bench/speech/rtf_sweep.sh BUILD CLIPDIR [MANIFEST] [LM]
#
# CLIPDIR is what `speechbench --write CLIPDIR` wrote (clips, manifest.tsv, store.csv);
# MANIFEST (default CLIPDIR/manifest.tsv) may be a subset of its lines.  For each option set
# below, `kefu eval-speech` (kefud's audio path, --ps-opts appended after asr.c's own
# settings) runs pinned to CPU $CPU (default 1) and prints one line: options, WER, spoken and
# text intent (trained encoder), their ratio, RTF (thread CPU time per audio second).
# Sequential on purpose: one core, so other work on the machine changes wall time, not the
# thread CPU time measured.
set -euo pipefail
build=${1:?usage: rtf_sweep.sh BUILD CLIPDIR [MANIFEST] [LM]}
dir=${2:?usage: rtf_sweep.sh BUILD CLIPDIR [MANIFEST] [LM]}
manifest=${3:-$dir/manifest.tsv}
lm=${4:-mixed}
cpu=${CPU:-1}
export KEFU_MODELS=${KEFU_MODELS:-$(dirname "$0")/../../models}

opts=(
  ""
  "-fwdflat no"
  "-fwdflat no -lw 7.5"
  "-fwdflatbeam 1e-40 -fwdflatwbeam 1e-25"
  "-ds 2"
  "-topn 2"
  "-fwdflat no -topn 2"
  "-fwdflat no -ds 2"
  "-fwdflat no -maxhmmpf 2000"
  "-fwdflat no -maxhmmpf 2000 -topn 2"
  "-beam 1e-40 -wbeam 1e-30"
  "-pl_window 15 -pl_beam 1e-40"
)
if [ -n "${OPTS:-}" ]; then
  IFS='|' read -r -a opts <<< "$OPTS"
fi
printf '%-45s %7s %8s %8s %6s %6s\n' options WER spoken text ratio RTF
for o in "${opts[@]}"; do
  j=$(taskset -c "$cpu" "$build/tools/kefu/kefu" eval-speech --train "$dir/store.csv" \
      --manifest "$manifest" --lm "$lm" --json --ps-opts "$o" 2>/dev/null)
  python3 -c '
import json, sys
j = json.loads(sys.argv[2])
print("%-45s %6.1f%% %7.1f%% %7.1f%% %6.3f %6.3f" % (sys.argv[1] or "(kefu defaults)",
      100 * j["wer"], 100 * j["intent_accuracy"], 100 * j["text_intent_accuracy"],
      j["intent_ratio"], j["rtf"]))' "$o" "$j"
done
