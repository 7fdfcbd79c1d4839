#!/usr/bin/env bash
# scripts/post-setup.d/50-speech-mllr.sh ROOT — the acoustic transform for real voices:
# a global MLLR transform of Debian's en-us model computed from the an4 recordings of the
# 55 training speakers (bench/speech/an4_split.sh's training half; the 19 dev speakers are
# left out, so docs/speech.md's dev figures stay held out) with speech/adapt/mllr.sh
# (sphinxtrain bw + mllr_solve), written to ROOT/models/en-us-an4.mllr, which kefud,
# kefu eval-speech and speechbench use when it is there (speech.h ASR_MLLR_FILE).
# The an4 data (CMU AN4, BSD-style licence) is the shared training data beside the checkout
# (../shared/data/an4-train, or $KEFU_AN4); without it this step says so and kefu decodes
# without the transform.  Idempotent: skips when models/en-us-an4.mllr.sha256 records the
# same output and inputs (the manifest and the three scripts).  ~20 s of CPU.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
an4=${KEFU_AN4:-$root/../shared/data/an4-train}
[ -d "$an4" ] || an4=$root/../../shared/data/an4-train
out="$root/models/en-us-an4.mllr"
stamp="$out.sha256"
if [ ! -f "$an4/manifest.tsv" ]; then
	echo "setup: no an4-train data (../shared/data/an4-train, \$KEFU_AN4): no acoustic transform for real voices"
	exit 0
fi
if [ ! -x /usr/lib/sphinxtrain/bw ] || ! command -v sphinx_fe >/dev/null ||
   ! command -v pocketsphinx_mdef_convert >/dev/null || ! command -v sndfile-convert >/dev/null; then
	echo "setup: sphinxtrain/sphinxbase-utils/pocketsphinx/sndfile-programs missing (scripts/deps/speech.apt): no acoustic transform"
	exit 0
fi
inputs=$(cat "$an4/manifest.tsv" "$root/bench/speech/an4_split.sh" "$root/speech/adapt/mllr.sh" \
	"$root/speech/adapt/sendump_mixw.py" | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(sed -n 2p "$stamp")" = "$inputs" ] &&
   [ "$(sed -n 1p "$stamp")" = "$(sha256sum "$out" | cut -d' ' -f1)" ]; then
	echo "setup: models/en-us-an4.mllr up to date"
	exit 0
fi
tmp=$(mktemp -d /tmp/kefu-an4-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$root/bench/speech/an4_split.sh" "$tmp" "$an4" >/dev/null
mkdir -p "$root/models"
"$root/speech/adapt/mllr.sh" "$out" "$tmp/train.tsv"
{ sha256sum "$out" | cut -d' ' -f1; echo "$inputs"; } > "$stamp"
