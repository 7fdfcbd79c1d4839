#!/usr/bin/env bash
# scripts/post-setup.d/50-an4-spell-model.sh ROOT — assembles models/en-us-an4-spell/, the
# acoustic model of kefud's spelling pass (speech/speech.h ASR_SPELL_HMM_DIR; docs/speech.md
# "Twelfth round"): Debian's en-us model (pocketsphinx-en-us) with the means shipped in
# third_party/en-us-an4-spell (MAP-adapted to the an4 training speakers; SHA-256 pinned here
# and in its SHA256SUMS).  The folder holds the shipped means, Debian's variances, mdef,
# transition matrices, feat.params and noisedict, and its quantised mixture weights back as
# the float file map_adapt read (speech/adapt/sendump_mixw.py, python3-numpy): the model the
# benches measured.  When Debian's model is not the version the means were adapted from,
# nothing is installed (a stale folder is removed) and the spelling pass keeps Debian's
# model.  Idempotent: skips when models/en-us-an4-spell.sha256 records the same inputs and
# output files.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
ship="$root/third_party/en-us-an4-spell"
hmm=/usr/share/pocketsphinx/model/en-us/en-us
out="$root/models/en-us-an4-spell"
stamp="$root/models/en-us-an4-spell.sha256"
conv="$root/speech/adapt/sendump_mixw.py"
if ! echo "b6c4bbab632921e313abf5ae18f40f080a5b2ecc01b9758d8816aa13fe84b2ae  $ship/means" | sha256sum --check --status; then
	echo "setup: $ship/means does not match its pinned SHA-256 (a damaged clone?)" >&2
	exit 1
fi
if ! echo "9f8058c107ebbc42abef6d39c67c6aedbcf60ac371332e550994e12a0392cb02  $hmm/feat.params
2360f9a86889c1cfee8bd618a0269387911e5fb2920a594f506b18b8c79683b0  $hmm/mdef
832019e32cac12eb318964f96f469034acb12d0348eeddc3831831a100cb4dd4  $hmm/means
7295b07df2c204c4f87c6782b6be1a3859d7006d4e3864181c955d6dab105a33  $hmm/noisedict
8c9564c0d5bef69ca9d9bf1014abe162f071644cf02cf1fa8a483c3dc165a7a8  $hmm/sendump
c1f7f28ea43177be734be1f88bd7f1b9a853d0e660f8599c67c6eaeca8bb539a  $hmm/transition_matrices
b00d696f85e96834fc10f8e5f06428d8c4db6bffdbe5845b6f69bf6efbc48fa5  $hmm/variances" |
	sha256sum --check --status 2>/dev/null; then
	echo "setup: $hmm is not the pocketsphinx-en-us model the shipped means were adapted" \
		"from; the spelling pass keeps Debian's model" >&2
	rm -rf "$out" "$stamp"
	exit 0
fi
want() {
	sha256sum "$ship/means" "$conv" | cut -d' ' -f1
	for f in feat.params mdef means mixture_weights noisedict transition_matrices variances; do
		[ -f "$out/$f" ] && sha256sum "$out/$f" | cut -d' ' -f1
	done
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(want)" ]; then
	echo "setup: models/en-us-an4-spell up to date"
	exit 0
fi
mkdir -p "$root/models"
rm -rf "$out.tmp"
mkdir "$out.tmp"
cp "$hmm/feat.params" "$hmm/mdef" "$hmm/noisedict" "$hmm/transition_matrices" \
	"$hmm/variances" "$out.tmp/"
/usr/bin/python3 "$conv" "$hmm/sendump" "$out.tmp/mixture_weights" > /dev/null
if ! echo "db6aee4cad6d972f45206e3aceff7e2eafd519679496114c36fafd43005b4069  $out.tmp/mixture_weights" | sha256sum --check --status; then
	echo "setup: $conv did not reproduce the mixture weights the model was measured with" >&2
	rm -rf "$out.tmp"
	exit 1
fi
cp "$ship/means" "$out.tmp/means"
rm -rf "$out"
mv "$out.tmp" "$out"
want > "$stamp"
echo "setup: models/en-us-an4-spell assembled (Debian's en-us + third_party/en-us-an4-spell means)"
