#!/usr/bin/env bash
# scripts/fuzz.sh TARGET|all SECONDS — builds kefu's libFuzzer harnesses (fuzz/, see
# docs/fuzzing.md) in build-fuzz/ with Debian's clang, ASan and UBSan (configured once,
# rebuilt incrementally), then runs one harness (or each in turn) for SECONDS at nice 19.
# A harness works on build-fuzz/fuzz-work/TARGET/, a copy of fuzz/corpus/TARGET/ that
# keeps growing across runs (the repository's corpus is never written); a crash input goes
# to build-fuzz/fuzz-crashes/TARGET/.  Prints the executions, exec/s and the running total
# of executions over all runs of that target (build-fuzz/fuzz-work/TARGET.total).
# `scripts/fuzz.sh list` names the targets; `scripts/fuzz.sh ci` builds every harness and
# runs the meson suite `fuzz` (each harness 3 s on its corpus: scripts/test.sh does this).
# Extra libFuzzer flags: FUZZ_FLAGS="..." (FUZZ_FLAGS=-runs=10000000 stops at exactly that
# many executions; the line printed gives the run's wall time).  Never pause a running
# harness (SIGSTOP): the paused input is then reported as a -timeout=10 failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
read -ra targets <<<"proto image audio conf import_csv import_json import_rasa model_kefu model_cnn model_head model_letters api_body review_meta"
declare -A dicts=([proto]=proto.dict [conf]=conf.dict [import_json]=json.dict
		  [import_rasa]=rasa.dict [api_body]=api.dict [review_meta]=review_meta.dict)
# LeakSanitizer suppressions of third-party leaks, the module's own file (see fuzz/meson.build)
declare -A supps=([audio]=speech/lsan.supp [image]=vision/lsan.supp
		  [model_letters]=speech/lsan.supp)

usage() { echo "usage: $0 TARGET|all|list SECONDS  (targets: ${targets[*]})" >&2; exit 2; }
[ $# -ge 1 ] || usage
if [ "$1" = list ]; then printf '%s\n' "${targets[@]}"; exit 0; fi
if [ "$1" = ci ]; then run=("${targets[@]}") secs=0; else
	[ $# -eq 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage
	if [ "$1" = all ]; then run=("${targets[@]}"); else
		[[ " ${targets[*]} " == *" $1 "* ]] || usage
		run=("$1")
	fi
	secs=$2
fi

command -v clang >/dev/null || { echo "fuzz: clang is missing (apt-get install \$(grep -o '^[^ #]*' scripts/deps/fuzz.apt))" >&2; exit 1; }
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$root" --buildtype=debugoptimized -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbrowser_tests=false >/dev/null
fi
nice -n 19 ninja -C "$build" -j2 "${run[@]/#/fuzz/fuzz_}" >/dev/null \
	|| { ninja -C "$build" -j1 "${run[@]/#/fuzz/fuzz_}" 2>&1 | tail -30; exit 1; }
if [ "$1" = ci ]; then
	exec meson test -C "$build" --no-rebuild --suite fuzz --print-errorlogs
fi

status=0
for t in "${run[@]}"; do
	work=$build/fuzz-work/$t
	crashes=$build/fuzz-crashes/$t
	log=$build/fuzz-work/$t.log
	mkdir -p "$work" "$crashes"
	cp -n "$root/fuzz/corpus/$t/"* "$work/" 2>/dev/null || true
	flags=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512
	       -artifact_prefix="$crashes/" -print_final_stats=1)
	[ -n "${dicts[$t]:-}" ] && flags+=(-dict="$root/fuzz/dict/${dicts[$t]}")
	rc=0
	started=$SECONDS
	# shellcheck disable=SC2086
	supp=${supps[$t]:+suppressions=$root/${supps[$t]}}
	ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" LSAN_OPTIONS="${LSAN_OPTIONS:-$supp}" \
		nice -n 19 "$build/fuzz/fuzz_$t" "${flags[@]}" ${FUZZ_FLAGS:-} "$work" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	total_file=$build/fuzz-work/$t.total
	total=$(( $(cat "$total_file" 2>/dev/null || echo 0) + ${execs:-0} ))
	echo "$total" >"$total_file"
	echo "fuzz $t: ${execs:-?} executions in $((SECONDS - started)) s, ${rate:-?} exec/s, corpus $(ls "$work" | wc -l) inputs, total over all runs $total"
	if [ "$rc" != 0 ]; then
		status=1
		echo "fuzz $t: FAILED (exit $rc), see $log:" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" | head -8 >&2
	fi
done
exit $status
