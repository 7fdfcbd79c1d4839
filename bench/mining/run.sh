#!/usr/bin/env bash
# bench/mining/run.sh [BUILD_DIR] — the review queue's mining on BANKING77 with intents
# held out of the store (issue 12): `kefu eval-mining` (trains the store as `kefu train`
# does, answers every traffic question with pol_answer, collects with mn_collect,
# clusters with mn_run, as kefud's review thread) beside scikit-learn's agglomerative
# clustering and k-means on TF-IDF features of exactly the questions kefu collected.
# Then the collection rules' trade-off (new_recall against known_collected_rate for
# other new_topic thresholds, low_confidence without its novelty gate, and each rule
# alone) and the feature/method choices, each measured in this run.  MINING_QUICK=1:
# the main figures and baselines only (a loaded machine).  Data: ../shared/data/banking77/train.csv (public training questions) split
# by split.py with a fixed seed; nothing of BANKING77's test set is read.
# Needs a build, models/ (GloVe) and /usr/bin/python3 with python3-sklearn
# (scripts/deps/bench.apt).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
kefu="$build/tools/kefu/kefu"
[ -x "$kefu" ] || ninja -C "$build" tools/kefu/kefu >/dev/null
shared=${KEFU_SHARED:-$root/../shared}
[ -f "$shared/data/banking77/train.csv" ] || shared=/work/shared
data="$shared/data/banking77/train.csv"
models=${KEFU_MODELS:-$root/models}
work=$(mktemp -d /tmp/kefu-bench-mining-XXXXXX)
trap 'rm -rf "$work"' EXIT
export KEFU_LOG_LEVEL=error
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$root/bench/mining/split.py" "$data" "$work" --held 10 --seed 77

mine() {  # mine NAME [eval-mining options...]: one JSON line
	local name=$1
	shift
	"$kefu" eval-mining --train "$work/store.csv" --traffic "$work/traffic.csv" \
		--models "$models" --json --quiet "$@" > "$work/$name.json"
}

SECONDS=0
mine kefu --clusters-out "$work/clusters.jsonl" --by-reason
echo
echo "== kefu eval-mining (defaults), ${SECONDS} s with training"
cat "$work/kefu.json"
k=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["n_clusters"])' \
	"$work/kefu.json")
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("%-42s %-26s k=%-5d purity %.3f  NMI %.3f  ARI %.3f" % ("kefu (TF-IDF+GloVe, average, attach)",
      "threshold, no k given", r["n_clusters"], r["purity"], r["nmi"], r["ari"]))
print("collected %d of %d: new_recall %.3f at known_collected_rate %.3f; new categories found %d"
      % (r["n_collected"], r["n_traffic"], r["new_recall"], r["known_collected_rate"], r["new_found"]))
print("each reason collects (new / known): " + ", ".join(
      "%s %.3f / %.3f" % (k, v["new"], v["known"]) for k, v in r.get("by_reason", {}).items()))
' "$work/kefu.json"
/usr/bin/python3 "$root/bench/mining/baselines.py" "$work/clusters.jsonl" "$work/traffic.csv" "$k"

[ "${MINING_QUICK:-0}" = 1 ] && exit 0
echo
echo "== collection rules: new_topic threshold (default 0.04), the low_confidence gate (default:"
echo "   novelty >= 0), each rule alone"
printf '%-26s %10s %12s %22s\n' rule collected new_recall known_collected_rate
while read -r name opts; do     # name: one word
	# shellcheck disable=SC2086
	mine "rule" $opts
	/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("%-26s %10d %12.3f %22.3f" % (sys.argv[2], r["n_collected"], r["new_recall"], r["known_collected_rate"]))
' "$work/rule.json" "$name"
done <<'LIST'
novelty>=0.02 --novelty 0.02
novelty>=0.06 --novelty 0.06
low_conf<0.7,no_gate --low-conf-novelty -2
low_conf<0.7_alone --novelty-k 0
low_conf<0.95_alone --novelty-k 0 --low-conf 0.95
novelty>=0.04_alone --low-conf 0
LIST

echo
echo "== features and methods (default collection), each at the threshold measured best for it"
printf '%-34s %8s %8s %8s %8s %10s\n' system clusters purity NMI ARI new_found
while read -r name opts; do     # name: one word
	# shellcheck disable=SC2086
	mine "abl" $opts
	/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("%-34s %8d %8.3f %8.3f %8.3f %10d" % (sys.argv[2], r["n_clusters"], r["purity"], r["nmi"], r["ari"], r["new_found"]))
' "$work/abl.json" "$name"
done <<'LIST'
both,average@0.45,no-attach --attach 0
tfidf,average@0.25 --features tfidf --cluster-threshold 0.25
glove,average@0.9 --features glove --cluster-threshold 0.9
hidden,average@0.8 --features hidden --cluster-threshold 0.8
both,centred,average@0.25 --center 1 --glove-weight 0.5 --cluster-threshold 0.25
both,dbscan@0.55,min_pts3 --method dbscan --cluster-threshold 0.55
LIST
