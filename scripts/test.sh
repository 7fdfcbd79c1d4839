#!/usr/bin/env bash
# scripts/test.sh — install what is missing, build twice (optimised, and ASan+UBSan), and
# run the whole test suite in both builds: unit tests, integration tests against a real
# kefud, browser tests; then the fuzz harnesses briefly (scripts/fuzz.sh ci).  Prints
# "N passed, N failed" last; exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh" || { echo "setup failed"; exit 1; }

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export KEFU_MODELS="$root/models"

passed=0; failed=0; status=0
run_build() { # name dir meson-args...
	local name=$1 dir=$2; shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$root" "$@" >/dev/null || { echo "$name: meson setup failed"; return 1; }
	fi
	echo "== $name: build"
	ninja -C "$dir" >/dev/null || { ninja -C "$dir" 2>&1 | tail -40; return 1; }
	echo "== $name: tests"
	meson test -C "$dir" --print-errorlogs --num-processes 2 2>&1 | grep -vE '^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout): ' \
		| sed -n '/^ *[0-9]*\/[0-9]* /p;/^-----/,/^=====/p'
	local log="$dir/meson-logs/testlog.json"
	local counts
	counts=$(/usr/bin/python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
	read -r p f s <<<"$counts"
	echo "== $name: $p passed, $f failed, $s skipped"
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" = 0 ]
}

run_build "release" "$root/build" --buildtype=release || status=1
# under ASan a kefud finishing a live reload (LM rebuild, picture embeddings) at SIGTERM
# takes longer than release's 30 s allowance (test_picture: a CPU-bound reload, over 120 s)
export KEFU_TEST_STOP_TIMEOUT=280
run_build "asan+ubsan" "$root/build-asan" --buildtype=debug \
	-Db_sanitize=address,undefined -Db_lundef=false -Dbrowser_tests=false || status=1

# The libFuzzer harnesses (docs/fuzzing.md): built with clang in build-fuzz/, each run 3 s on
# its seed corpus (meson suite `fuzz`), so they keep building and their seeds keep passing.
echo "== fuzz: build, then each harness 3 s on its corpus"
if bash "$root/scripts/fuzz.sh" ci >/dev/null 2>&1; then
	passed=$((passed + 1)); echo "== fuzz: ok"
else
	failed=$((failed + 1)); status=1
	echo "== fuzz: FAILED (build-fuzz/meson-logs/testlog.txt)"
fi

echo "$passed passed, $failed failed"
exit $status
