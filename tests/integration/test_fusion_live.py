"""tests/integration/test_fusion_live.py — a fusion model saved while kefud runs (what
`kefu train` does; here daemon/fusion_fixture, which saves one the same way) is picked up
by kefud's live thread (daemon/answers_live.c, the fusion model's version) without a
SIGHUP or restart, and the customer connected before it — never reconnected — gets its
answers: the same words with a t-shirt or a shoe picture each get their own answer, and
where the words alone name the other one, the reply says the fusion model decided.  Runs on the test's main thread against one
real kefud."""
import os
import subprocess
import time

import kefutest as kt
from kefutest import check

TIMEOUT = 120
TESTDATA = os.path.join(kt.SRCDIR, "vision", "testdata")


def picture_reply(ws, mid, name, text):
    with open(os.path.join(TESTDATA, name), "rb") as f:
        data = f.read()
    ws.send_json({"type": "image", "id": mid, "bytes": len(data), "mime": "image/png",
                  "text": text})
    ws.send_frame(kt.OP_BINARY, data)
    ws.expect("seen", timeout=TIMEOUT, id=mid)
    return ws.expect("reply", timeout=TIMEOUT, id=mid)


def run():
    # a small store (the demo's 400 catalogue pictures would make the live thread
    # compute their embeddings first, a minute)
    d = kt.Kefud("--workers", "1", "--demo", "false")
    kt.import_answers(d.db, [("Lost or stolen card", "Call us to block your card.",
                              ["I lost my card", "my card was stolen", "block my card"])])
    d.start()
    ws = d.ws(timeout=TIMEOUT)
    ws.welcome()
    check(ws.ask("q0", "I lost my card")["title"] == "Lost or stolen card", "before")
    check("fusion model loaded" not in d.log_tail(100000), "a fusion model before the test")

    fixture = os.path.join(os.path.dirname(kt.KEFUD), "fusion_fixture")
    models = os.path.join(kt.SRCDIR, "models")
    embed = "mobilenet_v2_imagenet"          # kefud's image_embed, or its fallback
    if not os.path.exists(os.path.join(models, embed + ".kfm")):
        embed = "mobilenet_v2_mid"
    out = subprocess.run([fixture, d.db, models, embed,
                          "shoes=" + os.path.join(TESTDATA, "cnn_shoes.png"),
                          "tshirt=" + os.path.join(TESTDATA, "cnn_tshirt.png")],
                         capture_output=True, timeout=TIMEOUT)
    check(out.returncode == 0, "fusion_fixture: %s", out.stderr.decode(errors="replace"))
    t0 = time.monotonic()
    while "fusion model loaded" not in d.log_tail(100000):
        check(time.monotonic() - t0 < TIMEOUT, "no fusion model %d s after it was saved",
              TIMEOUT)
        time.sleep(0.1)
    kt.log("the fusion model was live %.2f s after it was saved", time.monotonic() - t0)
    check("SIGHUP" not in d.log_tail(100000), "no SIGHUP was needed")

    # the words alone name one of the two (a tie of the same examples); the picture whose
    # answer is the other one can only be answered right by the fusion model
    words = ws.ask("q-words", "can I return this?")["title"]
    fused = 0
    for i, (pic, want) in enumerate([("cnn_tshirt.png", "Returning a tshirt"),
                                     ("cnn_shoes.png", "Returning a shoes")]):
        r = picture_reply(ws, "fu-%d" % i, pic, "can I return this?")
        kt.log("%s + 'can I return this?' -> %r (%.3f, why %s; words alone %r)", pic,
               r["title"], r["confidence"], r.get("why"), words)
        check(r["title"] == want, "%s with the same words: %r, want %s", pic, r, want)
        check(want == words or r.get("why") == "fusion", "not the fusion model's: %r", r)
        fused += r.get("why") == "fusion"
    check(fused >= 1, "no reply decided by the fusion model")
    check(ws.ask("q1", "I lost my card")["title"] == "Lost or stolen card", "words alone")
    ws.close()
    d.stop()


if __name__ == "__main__":
    kt.main(run)
