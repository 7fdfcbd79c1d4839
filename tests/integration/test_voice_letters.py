"""tests/integration/test_voice_letters.py — the letter classifier after the spelling pass
(conf asr_letters, docs/speech.md "Eighth round" and "Tenth round") on a real kefud.

A real human clip of a spelled name (CMU AN4, a training speaker's "e a r l f o r d", from
../shared/data/an4-train beside the checkout, as test_grammar's clips) goes to two daemons:
kefud's default reads it "e a r l f o r d" — the search's "b" relabelled "e" by the
classifier, and its "l" kept: "k" does not sound like "l", so the rule restricted to letters
that sound alike does not take the classifier's word for it (the eighth round's rule read
"e a r k f o r d") — and with --asr-letters false it stays the search's "b a r l f o r d".
Without the an4 data the test logs that and checks nothing else.
"""
import os

import kefutest as kt
from kefutest import check

TIMEOUT = 180          # the first clip of a worker loads its decoder (slow under ASan)
CLIP = "audio/cen4-fplp-b.flac"


def an4_clip(clip=CLIP):
    """The bytes of an4-train's clip (beside the checkout), or None; test_voice_spell_model's
    too."""
    src = os.environ.get("KEFU_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    for rel in ("../shared/data/an4-train", "../../shared/data/an4-train"):
        path = os.path.join(src, rel, clip)
        if os.path.exists(path):
            with open(path, "rb") as f:
                return f.read()
    return None


def heard(data, *args, name):
    d = kt.Kefud("--workers", "1", "--max-upload", "400000", *args, name=name).start()
    ws = d.ws(timeout=TIMEOUT)
    ws.welcome()
    ws.send_json({"type": "audio", "id": "c-1", "bytes": len(data), "mime": "audio/flac"})
    ws.send_frame(kt.OP_BINARY, data)
    t = ws.expect("transcript", timeout=TIMEOUT, id="c-1")
    ws.expect("reply", timeout=TIMEOUT, id="c-1")
    ws.close()
    d.stop()
    kt.log("%s heard %r", name, t["text"])
    return t["text"]


def run():
    data = an4_clip()
    if data is None:
        kt.log("an4-train not found beside the checkout: nothing to check")
        return
    on = heard(data, name="kefud")
    check(on == "e a r l f o r d", "kefud's default heard %r", on)
    off = heard(data, "--asr-letters", "false", name="kefud-no-letters")
    check(off == "b a r l f o r d", "--asr-letters false heard %r", off)


if __name__ == "__main__":
    kt.main(run)
