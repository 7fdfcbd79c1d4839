"""tests/integration/test_texts.py — kefu's own words come from the store: `kefu texts
set` changes what customers of a running kefud see without SIGHUP (kefud's live thread
sees the store's content mark move and reloads the bot, which holds the texts; a SIGHUP
still works), in the language kefud picks (the browser's Accept-Language for
the greeting, the customer's words for a hand-off), and `kefu texts reset` plus a restart
brings a default back while the other changes stay.  Needs the kefu CLI (skips without).
Runs on the test's main thread against one real kefud."""
import json
import os
import signal
import time

import kefutest as kt
from kefutest import check

ZH = "zh-CN,zh;q=0.9,en;q=0.8"


def texts(d):
    _, out, _ = kt.run_kefu("texts", "list", "--json", "--db", d.db)
    return {(r["key"], r["lang"]): r for r in json.loads(out)}


def greeting(d, accept=None):
    ws = d.ws(accept_language=accept)
    text = ws.welcome()["text"]
    ws.close()
    return text


def handoff(d, reason):
    ws = d.ws()
    ws.welcome()
    ws.send_json({"type": "handoff", "id": "h-1", "reason": reason})
    text = ws.expect("handoff", id="h-1")["text"]
    ws.close()
    return text


def sighup(d):
    before = d.healthz()["reloads"]
    d.signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while d.healthz()["reloads"] == before:
        check(d.alive() and time.monotonic() < deadline, "SIGHUP: no reload within 30 s")
        time.sleep(0.05)


def run():
    d = kt.Kefud().start()
    t = texts(d)
    with open(os.path.join(kt.SRCDIR, "store", "texts.json"), encoding="utf-8") as f:
        shipped = {(k, lang) for k, v in json.load(f).items() if not k.startswith("_")
                   for lang in ("en", "zh") if lang in v}
    check(set(t) == shipped and not any(r["custom"] for r in t.values()),
          "defaults %r, shipped %r", sorted(t), sorted(shipped))
    check(greeting(d) == t["greeting", "en"]["text"], "English greeting")
    check(greeting(d, ZH) == t["greeting", "zh"]["text"], "Chinese greeting for %s", ZH)
    check(handoff(d, "我要找人工客服") == t["handoff", "zh"]["text"], "Chinese hand-off text")
    check(handoff(d, "a person please") == t["handoff", "en"]["text"], "English hand-off text")

    hello = "Welcome to the test bank! Ask me anything about your account."
    wait_zh = "请稍候，我们的客服会尽快回复您。"
    unsure = "Hmm, I am not sure what you mean. Is it one of these?"
    nothing = "I have no answer for that yet, sorry. Try other words?"
    for key, lang, text in (("greeting", "en", hello), ("handoff", "zh", wait_zh),
                            ("fallback", "en", unsure), ("no_match", "en", nothing)):
        kt.run_kefu("texts", "set", key, lang, text, "--db", d.db)
    rc, _, err = kt.run_kefu("texts", "set", "did_you_say", "en", "Did you say that?",
                             "--db", d.db, ok=False)
    check(rc == 2 and "{transcript}" in err, "a text without its placeholder: %d %s", rc, err)
    t2 = texts(d)
    check(t2["greeting", "en"]["custom"] and t2["greeting", "en"]["text"] == hello,
          "kefu texts list after set: %r", t2["greeting", "en"])

    # the live thread reloads the bot (and its texts) without SIGHUP
    t0 = time.monotonic()
    while greeting(d) != hello:
        check(time.monotonic() - t0 < 10, "greeting not live 10 s after kefu texts set: %r",
              greeting(d))
        time.sleep(0.1)
    kt.log("kefu texts set reached new customers in %.2f s", time.monotonic() - t0)
    check("SIGHUP" not in d.log_tail(200), "no SIGHUP was needed")
    sighup(d)                  # and SIGHUP reloads the same texts
    check(greeting(d) == hello, "greeting after SIGHUP: %r", greeting(d))
    check(greeting(d, ZH) == t["greeting", "zh"]["text"], "Chinese greeting after SIGHUP")
    check(handoff(d, "我要找人工客服") == wait_zh, "Chinese hand-off after SIGHUP")
    check(handoff(d, "a person please") == t["handoff", "en"]["text"], "English hand-off")
    ws = d.ws()
    ws.welcome()
    ws.message("m1", "zxqv blorfle wumpus")
    r = ws.expect("reply", id="m1")
    check(r["fallback"] and r["text"] in (unsure, nothing), "unsure reply: %r", r)
    ws.close()

    # reset one, restart: that default is back, the other changes stay
    kt.run_kefu("texts", "reset", "greeting", "en", "--db", d.db)
    d.stop()
    d.start()
    check(greeting(d) == t["greeting", "en"]["text"], "greeting after reset + restart")
    check(handoff(d, "我要找人工客服") == wait_zh, "Chinese hand-off after restart")
    d.stop()


if __name__ == "__main__":
    kt.main(run)
