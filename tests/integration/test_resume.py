"""tests/integration/test_resume.py — reconnect with the session token: `hello` gets the
history with the earlier turns (oldest first, every reply field kept); an unknown token
gets unknown_session and the connection keeps working on its fresh session; the empty
session a connection got at welcome is dropped when it resumes another one."""
import kefutest as kt
from kefutest import check


def run():
    d = kt.Kefud().start()
    ws = d.ws()
    token = ws.welcome()["session"]
    sent = [("a1", "I lost my card"), ("a2", "我的卡丢了"), ("a3", "Can I change my PIN?")]
    replies = {mid: ws.ask(mid, text) for mid, text in sent}
    ws.close()

    ws = d.ws()
    other = ws.welcome()["session"]
    check(other != token, "two connections got the same token")
    ws.send_json({"type": "hello", "session": token})
    h = ws.expect("history", session=token, resumed=True)
    msgs = h.get("messages")
    check(isinstance(msgs, list) and len(msgs) == 2 * len(sent),
          "history should hold %d messages: %r", 2 * len(sent), h)
    for i, (mid, text) in enumerate(sent):
        c, b = msgs[2 * i], msgs[2 * i + 1]
        check(c.get("from") == "customer" and c.get("id") == mid and c.get("text") == text,
              "history[%d] should be the customer's %r: %r", 2 * i, mid, c)
        check(b.get("from") == "bot" and b.get("id") == mid,
              "history[%d] should be the reply to %r: %r", 2 * i + 1, mid, b)
        for k in ("text", "answer_id", "title", "confidence", "fallback", "lang",
                  "quick_replies"):
            check(b.get(k, "absent") == replies[mid].get(k),
                  "history reply to %r: %s is %r, the reply had %r", mid, k, b.get(k, "absent"),
                  replies[mid].get(k))
        check(isinstance(c.get("ts"), int) and isinstance(b.get("ts"), int) and
              b["ts"] >= c["ts"], "history timestamps: %r %r", c, b)
    # Later messages belong to the resumed session; a resend of a used id is answered
    # from the log, the same reply as the first time.
    r = ws.ask("a1", "I lost my card")
    check(r["text"] == replies["a1"]["text"], "resend after resume gave another reply")
    ws.ask("a4", "Where is my new card?")
    ws.close()

    ws = d.ws()
    ws.welcome()
    ws.send_json({"type": "hello", "session": token})
    h = ws.expect("history", session=token)
    check(len(h["messages"]) == 2 * (len(sent) + 1), "a4 missing from the resumed history: %r",
          h["messages"][-2:])
    ws.close()

    ws = d.ws()
    fresh = ws.welcome()["session"]
    ws.send_json({"type": "hello", "session": "0" * 32})
    ws.expect_error("unknown_session")
    ws.ask("u1", "I lost my card")
    ws.send_json({"type": "hello", "session": "not-even-hex"})
    ws.expect_error("unknown_session")
    ws.ask("u2", "What exchange rate do you use?")
    ws.close()
    # The fresh session kept the messages sent after the failed hello.
    ws = d.ws()
    ws.welcome()
    ws.send_json({"type": "hello", "session": fresh})
    h = ws.expect("history", session=fresh)
    ids = [m.get("id") for m in h["messages"]]
    check(ids == ["u1", "u1", "u2", "u2"], "fresh session history after unknown_session: %r", ids)
    ws.close()
    d.stop()
    # Five connections, two sessions: each welcome session a hello left empty is dropped
    # (a failed hello keeps it).
    n = kt.kefu_stats(d.db)["sessions"]
    check(n == 2, "sessions in the store: %d, want 2 (empty welcome sessions dropped)", n)


kt.main(run)
