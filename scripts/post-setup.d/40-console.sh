#!/usr/bin/env bash
# scripts/post-setup.d/40-console.sh ROOT — vendors the operator console's front-end
# libraries: the ES module builds of the pinned npm packages preact (MIT) and htm
# (Apache-2.0), installed by setup.sh's `npm ci` in scripts/npm/console and sha512-checked
# by its package-lock.json, are copied into ROOT/web/console/vendor/ (git-ignored), which
# kefud serves at /console/vendor/.  No build step, no Node at run time, no CDN.
# preact/hooks imports the bare specifier "preact", which a browser without an import map
# cannot resolve (and an import map would be an inline script, refused by the console's
# CSP): the copy points that one import at ./preact.js, and the step fails if the file
# does not have exactly that one import.  Idempotent: skips when vendor/SHA256SUMS records
# the same package lock and files.  Named .js, not .mjs: lws serves .js as
# application/javascript, which a module script requires.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
nm="$root/scripts/npm/console/node_modules"
out="$root/web/console/vendor"
stamp="$out/SHA256SUMS"
lock_sum=$(sha256sum "$root/scripts/npm/console/package-lock.json" | cut -d' ' -f1)

want() {
	echo "lock $lock_sum"
	(cd "$out" && sha256sum preact.js hooks.js htm.js LICENSE.preact LICENSE.htm 2>/dev/null)
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(want)" ]; then
	echo "setup: web/console/vendor up to date"
	exit 0
fi
for f in preact/dist/preact.module.js preact/hooks/dist/hooks.module.js htm/dist/htm.module.js; do
	if [ ! -f "$nm/$f" ]; then
		echo "setup: $nm/$f missing (npm ci in scripts/npm/console failed?)" >&2
		exit 1
	fi
done
imports=$(grep -o 'from"[^"]*"' "$nm/preact/hooks/dist/hooks.module.js")
if [ "$imports" != 'from"preact"' ]; then
	echo "setup: preact/hooks does not import exactly \"preact\": update 40-console.sh" >&2
	exit 1
fi
mkdir -p "$out"
cp "$nm/preact/dist/preact.module.js" "$out/preact.js"
sed 's|from"preact"|from"./preact.js"|' "$nm/preact/hooks/dist/hooks.module.js" > "$out/hooks.js"
cp "$nm/htm/dist/htm.module.js" "$out/htm.js"
cp "$nm/preact/LICENSE" "$out/LICENSE.preact"
cp "$nm/htm/LICENSE" "$out/LICENSE.htm"
want > "$stamp"
echo "setup: web/console/vendor: preact $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$nm/preact/package.json" | head -1), htm $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$nm/htm/package.json" | head -1)"
