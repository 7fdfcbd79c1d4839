#!/bin/sh
# fuzz/run.sh BIN CORPUS SECONDS [DICT] — the `fuzz` meson suite: runs one harness for
# SECONDS on its seed corpus without writing into the repository (libFuzzer writes new
# inputs only into its first corpus folder: a temporary one here; the seeds are read
# from the second).  Fails on any crash, leak, timeout or sanitizer report.
set -eu
bin=$1 corpus=$2 secs=$3 dict=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# exit 1 on a finding: libFuzzer's own codes (77 for a crash) would read as "skipped" to meson
set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
	-error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$work/" -print_final_stats=1
[ -n "$dict" ] && set -- "$@" -dict="$dict"
exec "$bin" "$@" "$work" "$corpus"
