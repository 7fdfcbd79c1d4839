"""tests/integration/test_idempotent.py — a resend with an id the session already used
gets the first reply again and logs nothing new (stats count the turn once), also on
another connection after resuming; a new id with the same text is a new turn."""
import kefutest as kt
from kefutest import check


def run():
    d = kt.Kefud().start()
    ws = d.ws()
    token = ws.welcome()["session"]
    r1 = ws.ask("dup-1", "I lost my card")
    r2 = ws.ask("dup-1", "I lost my card")
    check(r1 == r2, "resend answered differently:\n%r\n%r", r1, r2)
    # the resend's text is not looked at: same id -> the logged reply
    r3 = ws.ask("dup-1", "What exchange rate do you use?")
    check(r3 == r1, "resend with other text gave another reply: %r", r3)
    ws.close()
    ws = d.ws()
    ws.welcome()
    ws.send_json({"type": "hello", "session": token})
    ws.expect("history")
    r4 = ws.ask("dup-1", "I lost my card")
    check(r4 == r1, "resend after resume gave another reply: %r", r4)
    r5 = ws.ask("new-2", "I lost my card")
    check(r5["answer_id"] == r1["answer_id"], "same text, new id: other answer %r", r5)
    ws.close()
    d.stop()
    s = kt.kefu_stats(d.db)
    kt.log("stats after 2 distinct + 3 resent messages: %s", s)
    check(s["customer_messages"] == 2 and s["bot_replies"] == 2,
          "resends were logged again: %r (want 2 customer messages, 2 replies)", s)
    check(s["sessions"] >= 1, "stats sessions: %r", s)


kt.main(run)
