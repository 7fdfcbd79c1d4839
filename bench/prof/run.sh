#!/usr/bin/env bash
# bench/prof/run.sh BUILD OUTDIR [PATH...] — profiles kefu's hot paths with Debian's
# `perf record` (DWARF call stacks: the release build keeps no frame pointers) and draws a
# flame graph of each with bench/prof/flame.py (OUTDIR/flame-PATH.svg), printing beside it
# the hottest functions by self time.  docs/performance.md ("Profiles") shows the graphs.
# Paths (all by default):
#   reply    kefud under wsload, 100 connections, closed loop, 8 s: every thread of the
#            daemon while it answers text (service thread, workers, store writer, review)
#   predict  one text prediction, repeated: nlu_predict_bench on BANKING77 (the ensemble)
#   picture  `kefu see` of a screenshot with an error message and words: decode, OCR,
#            codes, MobileNetV2 views, catalogue, policy, repeated
#   cnn      the MobileNetV2 forward pass alone (bench_vision cnn)
#   train    `kefu train` of the demo store (text encoder, pictures, fusion)
# Needs: perf (linux-perf), the demo store made by `kefu init`, ../shared/data/banking77.
# The machine's other load does not change a profile's shares much, only its length.
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD OUTDIR [PATH...]}" && pwd)
out=$(mkdir -p "${2:?usage: $0 BUILD OUTDIR [PATH...]}" && cd "$2" && pwd)
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
data=${KEFU_DATA:-$src/../shared/data}
paths=("$@")
all="reply predict picture cnn train"
[ ${#paths[@]} -gt 0 ] || read -ra paths <<<"$all"
command -v perf >/dev/null || { echo "prof: perf is missing (scripts/deps/bench.apt)" >&2; exit 1; }
export KEFU_MODELS=${KEFU_MODELS:-$src/models}
tmp=$(mktemp -d /tmp/kefu-prof.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
rec=(perf record -q --call-graph dwarf,16384 -F 400)
flame() { # name title [--threads]
	/usr/bin/python3 "$src/bench/prof/flame.py" "$tmp/$1.data" "$out/flame-$1.svg" \
		--title "$2" --top 12 "${@:3}"
}

"$build/tools/kefu/kefu" init --db "$tmp/demo.db" >/dev/null
prof_reply() {
	cp "$tmp/demo.db" "$tmp/reply.db"
	"$build/tools/kefu/kefu" train --db "$tmp/reply.db" >/dev/null 2>&1
	"$build/daemon/kefud" --db "$tmp/reply.db" --listen 127.0.0.1:0 --asr false \
		--port-file "$tmp/port" --rate-limit 1000000 --log-level warn \
		>"$tmp/kefud.log" 2>&1 &
	kpid=$!
	for _ in $(seq 1 1200); do
		[ -s "$tmp/port" ] && break
		sleep 0.1
	done
	port=$(cat "$tmp/port" 2>/dev/null || true)
	[ -n "$port" ] || { echo "prof: kefud did not start" >&2; cat "$tmp/kefud.log" >&2; exit 1; }
	"$build/bench/ws/wsload" --port "$port" -c 100 -d 12 --warmup 2 >"$tmp/wsload.txt" &
	lpid=$!
	sleep 3
	"${rec[@]}" -o "$tmp/reply.data" -p "$kpid" -- sleep 8
	wait "$lpid"
	kill "$kpid"; wait "$kpid" || true
	tail -1 "$tmp/wsload.txt"
	flame reply "kefud answering text: 100 connections, closed loop (threads first)" --threads
}

prof_predict() {
	b77=("$data/banking77/train.csv" "$data/banking77/train.csv" --model "$tmp/b77.kefu")
	"$build/bench/nlu/nlu_predict_bench" "${b77[@]}" --reps 1 >/dev/null  # trains, writes
	"${rec[@]}" -o "$tmp/predict.data" -- "$build/bench/nlu/nlu_predict_bench" \
		"${b77[@]}" --reps 5 | tail -2
	flame predict "text prediction (BANKING77 ensemble, the model read from its file)"
}

prof_picture() {
	"${rec[@]}" -o "$tmp/picture.data" -- bash -c 'for i in 1 2 3 4 5; do
		"$0" see --db "$1" --words "this error came up when I paid" "$2" >/dev/null; done' \
		"$build/tools/kefu/kefu" "$tmp/demo.db" "$src/vision/testdata/ocr_error.png"
	flame picture "a screenshot with words through kefu see (x5, start-up included)"
}

prof_cnn() {
	"${rec[@]}" -o "$tmp/cnn.data" -- "$build/bench/vision/bench_vision" cnn \
		"$KEFU_MODELS" 40 | tail -3
	flame cnn "MobileNetV2 forward passes (bench_vision cnn)"
}

prof_train() {
	cp "$tmp/demo.db" "$tmp/train.db"
	"${rec[@]}" -F 100 -o "$tmp/train.data" -- "$build/tools/kefu/kefu" train \
		--db "$tmp/train.db" >"$tmp/train.out" 2>&1
	grep -v 'about .* left' "$tmp/train.out" | tail -3
	flame train "kefu train of the demo store"
}

for p in "${paths[@]}"; do
	declare -F "prof_$p" >/dev/null || { echo "prof: unknown path $p" >&2; exit 2; }
	echo "== $p"
	"prof_$p"
done
