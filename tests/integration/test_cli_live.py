"""tests/integration/test_cli_live.py — what the command line changes reaches a running
kefud without SIGHUP or restart: `kefu import` (a new answer), `kefu texts set` (the
hand-off text) and `kefu train` (the trained model) each move the store's content mark,
kefud's live thread (daemon/answers_live.c) reloads the bot, and the customer connected
before any of it — never reconnected — gets the new answer, the new text and the
trained model's answers.  The log must show no SIGHUP.  Needs the kefu CLI (skips
without).  Runs on the test's main thread against one real kefud."""
import time

import kefutest as kt
from kefutest import check

STORE = [
    ("Lost or stolen card", "Call us to block your card.", [
        "I lost my card", "my card was stolen", "block my card", "card missing"]),
    ("Refunds", "Refunds take 5 working days.", [
        "I want a refund", "how do I get my money back", "refund status"]),
]
NEW = ("Opening hours", "Branches open 9:00-17:00, Monday to Saturday.", [
    "when are you open", "opening hours of the branch", "what time do you close"])


def until(what, fn, timeout=15):
    """Polls fn() until it is true; returns the seconds it took."""
    t0 = time.monotonic()
    while not fn():
        check(time.monotonic() - t0 < timeout, "%s: not live after %d s", what, timeout)
        time.sleep(0.1)
    return time.monotonic() - t0


def run():
    d = kt.Kefud("--demo", "false")
    kt.import_answers(d.db, STORE)
    d.start()
    ws = d.ws()
    ws.welcome()
    r = ws.ask("q0", "I lost my card")
    check(r.get("title") == "Lost or stolen card", "before: %r", r)

    # kefu import: a new answer for the customer already connected
    kt.import_answers(d.db, [NEW])
    n = [0]

    def answered():
        n[0] += 1
        ws.message("imp-%d" % n[0], "when are you open")
        return "9:00-17:00" in ws.expect("reply", id="imp-%d" % n[0])["text"]
    kt.log("kefu import reached the connected customer in %.2f s",
           until("kefu import", answered))

    # kefu train: kefud answers with the trained model
    check(not d.healthz().get("model", "").startswith("trained"), "trained before training")
    kt.run_kefu("train", "--db", d.db, "--demo", "false", "--cv", "0", "--json")
    kt.log("kefu train reached kefud in %.2f s", until(
        "kefu train", lambda: d.healthz().get("model", "").startswith("trained v1"), 30))
    r = ws.ask("q1", "my card was stolen")
    check(r.get("title") == "Lost or stolen card", "after training: %r", r)

    # kefu texts set: the hand-off text the same connection gets
    wait = "A colleague from the test bank will be with you shortly."
    kt.run_kefu("texts", "set", "handoff", "en", wait, "--db", d.db)
    t0 = time.monotonic()
    while True:
        ws2 = d.ws()
        ws2.welcome()
        ws2.send_json({"type": "handoff", "id": "h", "reason": "a person please"})
        got = ws2.expect("handoff", id="h")["text"]
        ws2.close()
        if got == wait:
            break
        check(time.monotonic() - t0 < 15, "kefu texts set: not live after 15 s: %r", got)
        time.sleep(0.2)
    ws.send_json({"type": "handoff", "id": "h1", "reason": "a person please"})
    check(ws.expect("handoff", id="h1")["text"] == wait, "the connected customer's hand-off")
    kt.log("kefu texts set reached customers in %.2f s", time.monotonic() - t0)
    check("SIGHUP" not in d.log_tail(400), "no SIGHUP was needed")
    ws.close()
    d.stop()


if __name__ == "__main__":
    kt.main(run)
