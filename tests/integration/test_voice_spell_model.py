"""tests/integration/test_voice_spell_model.py — the spelling pass on its own acoustic model
(conf asr_spell_model, models/en-us-an4-spell, docs/speech.md "Twelfth round") on a real kefud.

Set-up (scripts/post-setup.d/50-an4-spell-model.sh) assembles models/en-us-an4-spell from
Debian's model and the means shipped in third_party/en-us-an4-spell.  A real human clip of a
spelled code (CMU AN4, a training speaker's "b e e l e r", from ../shared/data/an4-train beside
the checkout, as test_voice_letters' clip) goes to two daemons: kefud's default reads it
exactly with the adapted model in the spelling pass, and with --asr-spell-model false (Debian's
model in both passes) it reads "p e e l e r" — the E-set's b heard as p.  Without the an4
data the test logs that and checks nothing else; without the model folder it fails unless
Debian's model is not the one the means were adapted from (set-up then installs nothing).
"""
import hashlib
import os

import kefutest as kt
from kefutest import check
from test_voice_letters import an4_clip, heard

CLIP = "audio/cen4-mmal-b.flac"
ON_TEXT = "b e e l e r"
OFF_TEXT = "p e e l e r"
DEBIAN_MEANS = "/usr/share/pocketsphinx/model/en-us/en-us/means"
DEBIAN_SHA = "832019e32cac12eb318964f96f469034acb12d0348eeddc3831831a100cb4dd4"


def models_dir():
    src = os.environ.get("KEFU_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    return os.environ.get("KEFU_MODELS") or os.path.join(src, "models")


def model_there():
    models = models_dir()
    if os.path.exists(os.path.join(models, "en-us-an4-spell", "means")):
        return True
    with open(DEBIAN_MEANS, "rb") as f:
        pinned = hashlib.sha256(f.read()).hexdigest() == DEBIAN_SHA
    check(not pinned, "set-up did not assemble %s/en-us-an4-spell", models)
    kt.log("Debian's model is not the pinned one: set-up installs no spelling model")
    return False


def run():
    data = an4_clip(CLIP)
    if data is None:
        kt.log("an4-train not found beside the checkout: nothing to check")
        return
    if not model_there():
        return
    on = heard(data, "--models", models_dir(), name="kefud")
    check(on == ON_TEXT, "kefud's default heard %r", on)
    off = heard(data, "--models", models_dir(), "--asr-spell-model", "false",
                name="kefud-debian-spelling")
    check(off == OFF_TEXT, "--asr-spell-model false heard %r", off)


if __name__ == "__main__":
    kt.main(run)
