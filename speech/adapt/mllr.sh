#!/bin/bash
# speech/adapt/mllr.sh — a global MLLR transform of Debian's en-us acoustic model from
# transcribed recordings (sphinxtrain's bw + mllr_solve), for asr.c's `-mllr`.
#
#   speech/adapt/mllr.sh OUT MANIFEST
#
# accum.sh (sourced) aligns the clips and collects bw's statistics; mllr_solve writes one
# global transform (A, b over the 39-d features' means).  The same inputs give the same
# bytes.  Takes about 20 s of CPU for 700 clips.
set -euo pipefail
out=${1:?usage: mllr.sh OUT MANIFEST}
man=${2:?usage: mllr.sh OUT MANIFEST}
. "$(dirname "$0")/accum.sh" "$man"
"$st/mllr_solve" -meanfn "$hmm/means" -varfn "$hmm/variances" -outmllrfn "$tmp/mllr" \
	-accumdir "$tmp/acc" > "$tmp/solve.log" 2>&1 || { tail -5 "$tmp/solve.log" >&2; exit 1; }
mv "$tmp/mllr" "$out.tmp"
mv "$out.tmp" "$out"
echo "mllr.sh: $n clips -> $out"
