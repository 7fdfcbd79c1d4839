#!/usr/bin/env bash
# bench/policy/run.sh [BUILD_DIR] — the whole answer policy (what kefud answers) on the
# clothing validation photos with words, beside each part alone, in one run: makes a
# demo store (`kefu init`), trains it as an operator would (`kefu train`: text encoder,
# category head, fusion model), then bench_policy prints the table.  Train and
# validation data only.  Needs scripts/setup.sh done (models/) and a build.
# POLICY_DB=FILE reuses a store trained before (skips init + train).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
bin="$build/bench/policy/bench_policy"
kefu="$build/tools/kefu/kefu"
[ -x "$bin" ] && [ -x "$kefu" ] || ninja -C "$build" bench/policy/bench_policy tools/kefu/kefu >/dev/null
models=${KEFU_MODELS:-$root/models}
clothing=${CLOTHING:-$root/../shared/data/clothing}
# a git worktree sits one folder deeper (/work/wt/NAME) than the main checkout
[ -d "$clothing" ] || [ -n "${CLOTHING:-}" ] || clothing=$root/../../shared/data/clothing
banking=${BANKING:-$(dirname "$clothing")/banking77/train.csv}
[ -f "$banking" ] && export POLICY_OFFTOPIC=$banking
export OMP_THREAD_LIMIT=1 KEFU_LOG_LEVEL=error
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
db=${POLICY_DB:-}
if [ -z "$db" ]; then
	tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
	db="$tmp/demo.db"
	t0=$(date +%s)
	"$kefu" init --db "$db" --models "$models" >/dev/null
	"$kefu" train --db "$db" --models "$models" >/dev/null
	echo "demo store trained by kefu train in $(( $(date +%s) - t0 )) s"
fi
"$bin" "$db" "$models" "$clothing" "$root/bench/fusion/questions.tsv" \
	"$root/store/demo/clothing.json"
