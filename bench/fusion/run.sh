#!/usr/bin/env bash
# bench/fusion/run.sh [BUILD_DIR] — fusion/ on the multimodal clothing cases, beside words
# only, picture only, Σφ without ψ and scikit-learn's logistic regression on concatenated
# [TF-IDF, embedding] features, in one run (bench_fusion prints the table).
# Needs scripts/setup.sh done (models/) and a build.  FUSION_EMBED=mobilenet_v2_mid picks
# the other embedding; FUSION_HIDDEN / FUSION_EPOCHS override the rank of ψ / epochs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
bin="$build/bench/fusion/bench_fusion"
[ -x "$bin" ] || ninja -C "$build" bench/fusion/bench_fusion >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_THREAD_LIMIT=1 KEFU_LOG_LEVEL=error
clothing=${CLOTHING:-$root/../shared/data/clothing}
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== the clothing catalogue alone (3 seeds), sklearn reference in the same run"
"$bin" "$root/models" "$clothing" "$root/bench/fusion/questions.tsv" "$tmp" \
	"$root/bench/fusion/ref_sklearn.py"
banking=${BANKING:-$root/../shared/data/banking77/train.csv}
if [ -f "$banking" ]; then
	echo
	echo "== as in the demo store: + the 77 BANKING77 answers without pictures (1 seed)"
	FUSION_SEEDS=1 FUSION_OFFTOPIC="$banking" "$bin" "$root/models" "$clothing" \
		"$root/bench/fusion/questions.tsv" "$tmp" -
fi
