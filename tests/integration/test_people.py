"""tests/integration/test_people.py — the widget's people frames (docs/protocol.md,
"People"): thumbs up/down on a reply is acked and stored (a second vote replaces the
first), feedback on an id with no reply is unknown_message, bad values are
invalid_value / missing_field; a star rating with a comment is stored; a hand-off opens
one handoffs row, sets the session "waiting", answers that no operator is online, a
second request opens nothing new, and a resumed history shows the hand-off note.
Every error leaves the connection usable."""
import sqlite3

import kefutest as kt
from kefutest import check


def rows(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def run():
    d = kt.Kefud().start()
    ws = d.ws()
    token = ws.welcome()["session"]
    ws.ask("c-1", "I lost my card")
    ws.ask("c-2", "What exchange rate do you use?")

    # feedback: ack, stored on the reply to c-1; the second vote replaces the first
    ws.send_json({"type": "feedback", "id": "f-1", "message": "c-1", "value": 1})
    ws.expect("ack", id="f-1")
    ws.send_json({"type": "feedback", "id": "f-2", "message": "c-2", "value": 1})
    ws.expect("ack", id="f-2")
    ws.send_json({"type": "feedback", "id": "f-3", "message": "c-2", "value": -1})
    ws.expect("ack", id="f-3")

    # feedback errors
    ws.send_json({"type": "feedback", "id": "f-4", "message": "nope", "value": 1})
    ws.expect_error("unknown_message", "f-4")
    ws.send_json({"type": "feedback", "id": "f-5", "message": "c-1", "value": 2})
    ws.expect_error("invalid_value", "f-5")
    ws.send_json({"type": "feedback", "id": "f-6", "message": "c-1"})
    ws.expect_error("missing_field", "f-6")
    ws.send_json({"type": "feedback", "id": "f-7", "value": 1})
    ws.expect_error("missing_field", "f-7")
    ws.send_json({"type": "feedback", "message": "c-1", "value": 1})
    ws.expect_error("missing_field", None)

    # rating
    ws.send_json({"type": "rating", "id": "r-1", "stars": 4, "comment": "quick and helpful"})
    ws.expect("ack", id="r-1")
    ws.send_json({"type": "rating", "id": "r-2", "stars": 6})
    ws.expect_error("invalid_value", "r-2")
    ws.send_json({"type": "rating", "id": "r-3", "stars": "5"})
    ws.expect_error("missing_field", "r-3")
    ws.send_json({"type": "rating", "id": "r-4", "stars": 2, "comment": 7})
    ws.expect_error("missing_field", "r-4")

    # the connection still answers questions
    ws.ask("c-3", "I forgot my passcode")

    # hand-off: waiting, nobody online, one row; asking again opens no second one
    ws.send_json({"type": "handoff", "id": "h-1", "reason": "I want a human"})
    h1 = ws.expect("handoff", id="h-1", state="waiting", operators_online=0)
    check("No operator is available" in h1.get("text", ""), "handoff text: %r", h1)
    ws.send_json({"type": "handoff", "id": "h-2"})
    h2 = ws.expect("handoff", id="h-2", state="waiting")
    check(h2["text"] == h1["text"], "a repeated request changes the answer: %r", h2)
    ws.send_json({"type": "handoff", "id": "h-3", "reason": "人工客服"})
    h3 = ws.expect("handoff", id="h-3", state="waiting")
    ws.ask("c-4", "How do I activate my card?")
    ws.close()

    # another connection resumes: the history ends with the hand-off note, then c-4
    ws = d.ws()
    ws.welcome()
    ws.send_json({"type": "hello", "session": token})
    hist = ws.expect("history")["messages"]
    systems = [m for m in hist if m["from"] == "system"]
    check(len(systems) == 1 and systems[0]["text"] == h1["text"],
          "history should hold one hand-off note: %r", systems)
    check("人工客服" in h3["text"], "a Chinese reason gets the Chinese text: %r", h3)
    # a fresh session asking in Chinese
    ws2 = d.ws()
    ws2.welcome()
    ws2.send_json({"type": "handoff", "id": "h-9", "reason": "我想找人工客服"})
    hz = ws2.expect("handoff", id="h-9", state="waiting")
    check("人工客服" in hz["text"], "Chinese hand-off text: %r", hz)
    ws2.close()
    ws.close()
    # /metrics counts the frames accepted for a worker (refused ones count as errors)
    m = d.metrics()
    kinds = {k: kt.metric_sum(m, lambda n: n == "kefu_messages_total",
                              lambda lab, k=k: lab.get("kind") == k)
             for k in ("feedback", "rating", "handoff")}
    check(kinds == {"feedback": 4, "rating": 1, "handoff": 4}, "people kinds: %r", kinds)
    d.stop()

    fb = rows(d.db, "SELECT c.client_id, f.value FROM feedback f JOIN messages b ON b.id ="
                    " f.message_id JOIN messages c ON c.id = b.reply_to ORDER BY c.client_id")
    check(fb == [("c-1", 1), ("c-2", -1)], "feedback rows: %r", fb)
    rt = rows(d.db, "SELECT stars, comment FROM ratings")
    check(rt == [(4, "quick and helpful")], "rating rows: %r", rt)
    ho = rows(d.db, "SELECT s.token, h.reason, h.closed_ms, s.state FROM handoffs h"
                    " JOIN sessions s ON s.id = h.session_id ORDER BY h.id")
    check(len(ho) == 2 and ho[0][0] == token and ho[0][1] == "I want a human" and
          ho[0][2] is None and ho[0][3] == "waiting", "handoff rows: %r", ho)
    kt.log("feedback %r, ratings %r, handoffs %d", fb, rt, len(ho))


kt.main(run)
