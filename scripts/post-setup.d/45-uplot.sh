#!/usr/bin/env bash
# scripts/post-setup.d/45-uplot.sh ROOT — vendors the charts library of the console's
# Reports page: the ES module build and stylesheet of the pinned npm package uplot (MIT),
# installed by setup.sh's `npm ci` in scripts/npm/uplot and sha512-checked by its
# package-lock.json, are copied into ROOT/web/console/vendor/ (git-ignored, served at
# /console/vendor/) as uPlot.js and uPlot.css with LICENSE.uplot.  No build step, no Node
# at run time, no CDN.  The console's CSP (style-src 'self', no inline style) holds
# because uPlot sets styles through the CSSOM (element.style), never a style attribute,
# <style> element or innerHTML: the step fails if the build does any of these or evals.
# Idempotent: skips when vendor/SHA256SUMS.uplot records the same lock and files (40-
# console.sh owns vendor/SHA256SUMS).
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
nm="$root/scripts/npm/uplot/node_modules/uplot"
out="$root/web/console/vendor"
stamp="$out/SHA256SUMS.uplot"
lock_sum=$(sha256sum "$root/scripts/npm/uplot/package-lock.json" | cut -d' ' -f1)

want() {
	echo "lock $lock_sum"
	(cd "$out" && sha256sum uPlot.js uPlot.css LICENSE.uplot 2>/dev/null)
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(want)" ]; then
	echo "setup: web/console/vendor uPlot up to date"
	exit 0
fi
for f in dist/uPlot.esm.js dist/uPlot.min.css LICENSE; do
	if [ ! -f "$nm/$f" ]; then
		echo "setup: $nm/$f missing (npm ci in scripts/npm/uplot failed?)" >&2
		exit 1
	fi
done
if grep -qE "innerHTML|outerHTML|setAttribute\(['\"]style|createElement\(['\"]style|new Function|eval\(" \
	"$nm/dist/uPlot.esm.js"; then
	echo "setup: this uPlot build writes HTML, inline style or evals: the console's CSP" \
		"would break it; check 45-uplot.sh" >&2
	exit 1
fi
mkdir -p "$out"
cp "$nm/dist/uPlot.esm.js" "$out/uPlot.js"
cp "$nm/dist/uPlot.min.css" "$out/uPlot.css"
cp "$nm/LICENSE" "$out/LICENSE.uplot"
want > "$stamp"
echo "setup: web/console/vendor: uPlot $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$nm/package.json" | head -1)"
