#!/usr/bin/env bash
# tests/run_integration.sh BUILD_DIR [meson test args...] — runs only the black-box
# integration tests of a configured build (release or ASan), after building it.
# Example: tests/run_integration.sh /work/build-asan --print-errorlogs
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [meson test args...]}
shift
ninja -C "$build" >/dev/null
exec meson test -C "$build" --suite integration --print-errorlogs "$@"
