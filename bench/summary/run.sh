#!/usr/bin/env bash
# bench/summary/run.sh [BUILD_DIR] — kefu's summariser beside the Lead and LexRank
# baselines on the same dialogues in the same run (kefu eval-summary computes all three
# with one budget: the median reference length of each file).  Sets: TweetSumm validation
# and train (../shared/data/summaries/, development data: English customer care on
# Twitter) and kefu's hand-written Chinese development set (tests/data/).  Prints ROUGE-1/
# 2/L F1 and the median milliseconds per dialogue of each system, with GloVe and, as an
# ablation, TF-IDF alone.  Needs a build (and models/ for GloVe).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
kefu="$build/tools/kefu/kefu"
[ -x "$kefu" ] || ninja -C "$build" tools/kefu/kefu >/dev/null
shared=${KEFU_SHARED:-}
for d in "$shared" "$root/../shared"; do
	if [ -n "$d" ] && [ -d "$d/data/summaries" ]; then shared=$d; break; fi
done
models=${KEFU_MODELS:-$root/models}
export KEFU_LOG_LEVEL=error
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

run() {  # run LABEL FILE MODELS
	local label=$1 file=$2 m=$3
	[ -f "$file" ] || { echo "($label: $file missing, skipped)"; return; }
	"$kefu" eval-summary --dialogs "$file" --models "$m" --json 2>/dev/null |
	/usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
label = sys.argv[1]
print("== %s: %d dialogues, budget %d tokens, GloVe %s" % (label, r["n"], r["budget"],
      "yes" if r["glove"] else "no"))
print("  %-8s %8s %8s %8s %10s" % ("system", "ROUGE-1", "ROUGE-2", "ROUGE-L", "ms median"))
for name, x in (("kefu", r), ("lead", r["lead"]), ("lexrank", r["lexrank"])):
    print("  %-8s %8.4f %8.4f %8.4f %10.3f" % (name, x["rouge1"], x["rouge2"], x["rougeL"],
                                             x["ms_per_dialog_median"]))
' "$label"
}

valid=$shared/data/summaries/tweetsumm_valid.jsonl
train=$shared/data/summaries/tweetsumm_train.jsonl
zh=$root/tests/data/summaries_zh_dev.jsonl
run "TweetSumm valid (en)" "$valid" "$models"
run "TweetSumm train (en)" "$train" "$models"
run "hand-written zh dev" "$zh" "$models"
echo
echo "ablation: TF-IDF only (no GloVe)"
run "TweetSumm valid (en), TF-IDF only" "$valid" /nonexistent
run "TweetSumm train (en), TF-IDF only" "$train" /nonexistent
