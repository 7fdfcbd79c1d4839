#!/bin/bash
# speech/adapt/map.sh — a MAP-adapted copy of Debian's en-us acoustic model from
# transcribed recordings (sphinxtrain's bw + map_adapt), for asr_model_paths.hmm.
#
#   speech/adapt/map.sh [-w] [-v] OUTDIR MANIFEST [TAU]
#
# accum.sh (sourced) aligns the clips and collects bw's statistics; map_adapt moves each
# Gaussian's mean towards the mean of the frames it scored, weighted by how many it scored
# against the prior (its simple Bayesian update, -bayesmean yes: map_adapt's recommended
# setting; its other outputs are not used); with TAU, the classic MAP update with that
# uniform prior weight instead (-bayesmean no -fixedtau yes -tau TAU: a larger TAU keeps the
# means nearer Debian's).  -w keeps map_adapt's MAP mixture weights too, -v its MAP variances
# (measured for the spelling pass and not kept: docs/speech.md "Fourteenth round"); by default
# both are Debian's.  On the an4 training speakers' 709 clips it
# takes about 25 s of CPU (docs/speech.md "Fourth round").  OUTDIR becomes a model folder
# pocketsphinx loads with -hmm: the adapted means, the model's own variances, mixture weights (as the
# float file; pocketsphinx quantises it at load), transition matrices, mdef, feat.params and
# noisedict.  Written under OUTDIR.tmp and renamed into place.
set -euo pipefail
usage="usage: map.sh [-w] [-v] OUTDIR MANIFEST [TAU]"
keep_mixw=0
keep_var=0
while getopts wv o; do
	case $o in w) keep_mixw=1 ;; v) keep_var=1 ;; *) echo "$usage" >&2; exit 2 ;; esac
done
shift $((OPTIND - 1))
out=${1:?$usage}
man=${2:?$usage}
prior=(-bayesmean yes)
[ -z "${3:-}" ] || prior=(-bayesmean no -fixedtau yes -tau "$3")
. "$(dirname "$0")/accum.sh" "$man"
mkdir -p "$tmp/map"
"$st/map_adapt" -moddeffn "$tmp/hmm/mdef.txt" -ts2cbfn .ptm. -meanfn "$hmm/means" \
	-varfn "$hmm/variances" -mixwfn "$tmp/hmm/mixture_weights" \
	-tmatfn "$hmm/transition_matrices" -accumdir "$tmp/acc" "${prior[@]}" \
	-mapmeanfn "$tmp/map/means" -mapvarfn "$tmp/map/variances.map" \
	-mapmixwfn "$tmp/map/mixw.map" -maptmatfn "$tmp/map/tmat.map" \
	> "$tmp/map.log" 2>&1 || { tail -5 "$tmp/map.log" >&2; exit 1; }
cp "$hmm/variances" "$hmm/transition_matrices" "$hmm/mdef" "$hmm/feat.params" \
	"$hmm/noisedict" "$tmp/map/"
cp "$tmp/hmm/mixture_weights" "$tmp/map/mixture_weights"
[ "$keep_mixw" = 0 ] || cp "$tmp/map/mixw.map" "$tmp/map/mixture_weights"
[ "$keep_var" = 0 ] || cp "$tmp/map/variances.map" "$tmp/map/variances"
rm -f "$tmp/map/variances.map" "$tmp/map/mixw.map" "$tmp/map/tmat.map"
rm -rf "$out.tmp"
mv "$tmp/map" "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "map.sh: $n clips -> $out"
