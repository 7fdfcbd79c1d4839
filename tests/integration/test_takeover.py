"""tests/integration/test_takeover.py — a customer and an operator in one test, against a
real kefud: the customer chats with the bot, asks for a person (the operator's /ops
channel hears it, the inbox shows it waiting, the widget is told someone is online);
the operator takes over (the customer gets operator_joined), messages go both ways (the
customer's reach the operator and are acknowledged, not answered by the bot; the
operator's reach the customer as reply frames from: operator with the name), typing
both ways; kefud is killed with -9 during the take-over and restarted: nothing either
side saw is lost, the conversation is still taken over, the customer's history has the
operator's message; hand back (operator_left) and the bot answers again; resolve.
/ops refuses a missing cookie, a foreign Origin and a forged session.
"""
import json
import sqlite3
import time

import kefutest as kt
from kefutest import check
from test_api_http import PW, PW_AGENT, Client, add_operator


def ops_ws(d, cookie, origin=None):
    return kt.RawWS(d.port, path="/ops", subprotocol="kefu.ops",
                    origin=origin or "http://127.0.0.1:%d" % d.port,
                    headers={"Cookie": cookie} if cookie else None)


def expect_type(ws, ftype, skip=("activity", "operators"), timeout=kt.REPLY_TIMEOUT):
    """The next frame of type ftype, skipping the push kinds in skip."""
    while True:
        f = ws.recv_json(timeout=timeout)
        if f["type"] in skip and f["type"] != ftype:
            continue
        check(f["type"] == ftype, "expected %s, got %r", ftype, f)
        return f


def post(c, path, body=None):
    st, j, _ = c.call("POST", path, body, headers={"X-CSRF-Token": c.csrf})
    return st, j


def refused(d, cookie, origin=None):
    try:
        ws = ops_ws(d, cookie, origin)
    except kt.TestFailure:
        return True
    try:
        ws.recv_json(timeout=5)
    except Exception:
        return True
    return False


def run():
    d = kt.Kefud("--operator-capacity", "0")   # hand-offs wait: the operator takes them
    d.start()
    d.stop()
    add_operator(d.db, "ann", "admin", PW)
    add_operator(d.db, "bob", "agent", PW_AGENT)
    con = sqlite3.connect(d.db)
    with con:
        con.execute("UPDATE operators SET name = 'Ann' WHERE login = 'ann'")
    con.close()
    d.start()

    op = Client(d.port)
    st, j = op.login("ann", PW)
    check(st == 200, "login: %s", j)

    # /ops: same origin, signed in
    check(refused(d, None), "/ops without a cookie is refused")
    check(refused(d, op.cookie, origin="https://evil.example"), "/ops cross-site refused")
    check(refused(d, "__Host-kefu=" + "0" * 64), "/ops with a forged session is refused")
    ops = ops_ws(d, op.cookie)
    hello = expect_type(ops, "hello")
    check(hello["operator"]["login"] == "ann" and hello["taken"] == [], "ops hello: %s", hello)

    # the customer chats with the bot, then asks for a person
    cu = d.ws()
    token = cu.welcome()["session"]
    r = cu.ask("m1", "I lost my card")
    check(r.get("from", "bot") == "bot", "bot reply: %s", r)
    cu.send_json({"type": "handoff", "id": "h1"})
    h = cu.expect("handoff")
    check(h["operators_online"] == 1 and "moment" in h["text"], "widget told: %s", h)
    ev = expect_type(ops, "handoff")
    sid = ev["conversation_id"]
    card = expect_type(ops, "summary")
    check(card["conversation_id"] == sid and card["card"]["asked_for_person"] is True,
          "the summary card is pushed at the hand-off: %s", card)
    st, j, _ = op.call("GET", "/api/v1/conversations?status=waiting")
    check(st == 200 and [c["id"] for c in j["conversations"]] == [sid] and
          j["conversations"][0]["waiting_s"] is not None, "waiting in the inbox: %s", j)

    # the summary card for whoever takes over
    st, j, _ = op.call("GET", "/api/v1/conversations/%d/summary" % sid)
    check(st == 200 and j["asked_for_person"] is True and "card" in j["problem"].lower(),
          "summary card: %s %s", st, j)

    # take over
    st, j = post(op, "/api/v1/conversations/%d/take" % sid)
    check(st == 200 and j["assignee"]["login"] == "ann", "take: %s %s", st, j)
    f = cu.expect("operator_joined")
    check(f["name"] == "Ann", "operator_joined: %s", f)
    ev = expect_type(ops, "assigned")
    check(ev["conversation_id"] == sid, "assigned pushed: %s", ev)

    # the customer's message reaches the operator, not the bot
    cu.send_json({"type": "message", "id": "m2", "text": "are you a real person?"})
    ack = cu.expect("ack")
    check(ack["id"] == "m2", "ack: %s", ack)
    ev = expect_type(ops, "message")
    check(ev["message"]["kind"] == "customer" and ev["message"]["text"] ==
          "are you a real person?", "customer message pushed: %s", ev)

    # typing both ways
    cu.send_json({"type": "typing", "on": True})
    ev = expect_type(ops, "typing")
    check(ev["from"] == "customer" and ev["on"] is True and ev["conversation_id"] == sid,
          "customer typing: %s", ev)
    ops.send_json({"type": "typing", "conversation_id": sid, "on": True})
    f = cu.expect("typing")
    check(f["from"] == "operator" and f["name"] == "Ann", "operator typing: %s", f)

    # the operator's message reaches the customer
    st, j = post(op, "/api/v1/conversations/%d/messages" % sid,
                 {"text": "Yes, I'm Ann. Let me freeze the card."})
    check(st == 201, "send: %s %s", st, j)
    f = cu.expect("reply")
    check(f["from"] == "operator" and f["name"] == "Ann" and "freeze" in f["text"],
          "operator reply: %s", f)
    ev = expect_type(ops, "message")
    check(ev["message"]["kind"] == "operator", "operator message pushed: %s", ev)

    # kill -9 during the take-over: what both saw is in the log
    cu.send_json({"type": "message", "id": "m3", "text": "thank you, card ending 4417"})
    cu.expect("ack")
    d.kill9()
    con = sqlite3.connect(d.db)
    rows = con.execute("SELECT kind, text FROM messages WHERE session_id = ? ORDER BY id",
                       (sid,)).fetchall()
    state = con.execute("SELECT state FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
    con.close()
    texts = [t for _, t in rows]
    check("are you a real person?" in texts and "thank you, card ending 4417" in texts and
          any(k == 2 and "freeze" in t for k, t in rows), "log after kill -9: %s", rows)
    check(sum(1 for k, _ in rows if k == 1) == 1, "the bot answered only before: %s", rows)
    check(state == "operator", "still taken over: %s", state)

    d.start()
    op = Client(d.port)
    st, j = op.login("ann", PW)
    check(st == 200, "login again: %s", j)
    ops = ops_ws(d, op.cookie)
    hello = expect_type(ops, "hello")
    check([t["conversation_id"] for t in hello["taken"]] == [sid], "taken after restart: %s",
          hello)
    cu = d.ws()
    cu.welcome()
    cu.send_json({"type": "hello", "session": token})
    hist = cu.expect("history")
    check(any(m["from"] == "operator" and "freeze" in m["text"] for m in hist["messages"]),
          "history has the operator's message: %s", hist)
    f = cu.expect("operator_joined")
    check(f["name"] == "Ann", "told who is there after resuming: %s", f)
    cu.send_json({"type": "message", "id": "m4", "text": "still there?"})
    check(cu.expect("ack")["id"] == "m4", "after restart the operator still gets messages")
    ev = expect_type(ops, "message")
    check(ev["message"]["text"] == "still there?", "pushed after restart: %s", ev)

    # hand back: the bot answers again
    st, j = post(op, "/api/v1/conversations/%d/handback" % sid)
    check(st == 200 and j["state"] == "bot", "handback: %s %s", st, j)
    f = cu.expect("operator_left")
    check(f["name"] == "Ann" and f["reason"] == "handback", "operator_left: %s", f)
    r = cu.ask("m5", "how do I activate my new card")
    check(r["type"] == "reply" and r.get("from", "bot") == "bot" and r["answer_id"],
          "the bot answers again: %s", r)

    # resolve; an agent sees it resolved
    st, j = post(op, "/api/v1/conversations/%d/resolve" % sid)
    check(st == 200 and j["resolved_ms"], "resolve: %s %s", st, j)
    ag = Client(d.port)
    ag.login("bob", PW_AGENT)
    st, j, _ = ag.call("GET", "/api/v1/conversations/%d" % sid)
    kinds = [m["kind"] for m in j["messages"]]
    check(j["conversation"]["resolved_ms"] and "operator" in kinds, "transcript: %s", kinds)
    check(json.dumps(j).count("thank you, card ending 4417") == 1, "m3 logged once")
    cu.close()
    d.stop()
    queue(d)


def metric(d, name):
    m = kt.parse_prometheus(kt.http_get(d.port, "/metrics")[2].decode())
    return kt.metric_sum(m, lambda n: n == name)


def queue(d):
    """The hand-off queue: capacity 1 each; ann holds one, so the next hand-off goes
    to bob, the one after waits (in /metrics) until bob hands his back."""
    d.args = ["--operator-capacity", "1"]
    d.start()
    ann, bob = Client(d.port), Client(d.port)
    check(ann.login("ann", PW)[0] == 200 and bob.login("bob", PW_AGENT)[0] == 200, "logins")
    ops_a = ops_ws(d, ann.cookie)
    expect_type(ops_a, "hello")
    ops_b = ops_ws(d, bob.cookie)
    expect_type(ops_b, "hello")

    def customer(mid):
        cu = d.ws()
        cu.welcome()
        cu.ask(mid, "I lost my card")
        return cu

    c1 = customer("q1")
    sid1 = expect_type(ops_a, "activity", skip=("operators",))["conversation_id"]
    st, _ = post(ann, "/api/v1/conversations/%d/take" % sid1)
    check(st == 200, "ann takes the first by hand")
    c1.expect("operator_joined")

    c2 = customer("q2")
    c2.send_json({"type": "handoff", "id": "h2"})
    c2.expect("handoff")
    f = c2.expect("operator_joined")
    check(f["name"] == "bob", "the least busy operator (bob) got it: %s", f)
    c3 = customer("q3")
    c3.send_json({"type": "handoff", "id": "h3"})
    c3.expect("handoff")
    time.sleep(0.5)
    check(metric(d, "kefu_handoffs_waiting") == 1, "one waits while both are full")
    check(metric(d, "kefu_operators_online") == 2, "two operators online")
    st, j, _ = bob.call("GET", "/api/v1/conversations?status=waiting")
    check(len(j["conversations"]) == 1 and j["conversations"][0]["waiting_s"] is not None,
          "the waiting one is in the inbox: %s", j)
    sid2 = [c["id"] for c in bob.call("GET", "/api/v1/conversations?status=mine")[1]
            ["conversations"]]
    check(len(sid2) == 1, "bob holds one: %s", sid2)
    st, _ = post(bob, "/api/v1/conversations/%d/handback" % sid2[0])
    check(st == 200, "bob hands back")
    c2.expect("operator_left")
    f = c3.expect("operator_joined")
    check(f["name"] == "bob", "the waiting customer goes to bob as he has room: %s", f)
    check(metric(d, "kefu_handoffs_waiting") == 0, "nobody waits")
    check(metric(d, "kefu_handoff_wait_seconds_count") == 2, "two waits observed")
    for c in (c1, c2, c3):
        c.close()

    # nobody online: the widget is told so and the customer leaves a message (and an
    # address) that lands in the inbox
    ops_a.close()
    ops_b.close()
    deadline = time.monotonic() + 10
    while metric(d, "kefu_operators_online") != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    c4 = customer("q4")
    c4.send_json({"type": "handoff", "id": "h4"})
    h = c4.expect("handoff")
    check(h["operators_online"] == 0 and "No operator" in h["text"], "nobody online: %s", h)
    c4.send_json({"type": "leave_message", "id": "l1", "text": "please call me back",
                  "email": "kim@example.org"})
    check(c4.expect("ack")["id"] == "l1", "left message acknowledged")
    c4.send_json({"type": "leave_message", "id": "l2", "text": "x", "email": "not an address"})
    c4.expect_error("invalid_value", "l2")
    c4.send_json({"type": "leave_message", "id": "l3", "text": "x", "phone": "call me"})
    c4.expect_error("invalid_value", "l3")
    c4.send_json({"type": "leave_message", "id": "l4", "text": "x", "name": "\u0007"})
    c4.expect_error("invalid_value", "l4")
    c4.send_json({"type": "leave_message", "id": "l5", "text": "or ring me",
                  "phone": "+86 138-1234-5678", "name": "Kim Lee", "email": None})
    check(c4.expect("ack")["id"] == "l5", "left message with a phone and a name")
    st, j, _ = bob.call("GET", "/api/v1/conversations?status=waiting&q=call+me+back")
    check(len(j["conversations"]) == 1, "the left message is in the inbox: %s", j)
    st, j, _ = bob.call("GET", "/api/v1/conversations/%d" % j["conversations"][0]["id"])
    left = [m for m in j["messages"] if m["text"] == "please call me back"]
    check(left and left[0]["kind"] == "customer" and
          left[0]["meta"] == {"left_message": True, "email": "kim@example.org"},
          "left message with its address: %s", left)
    left = [m for m in j["messages"] if m["text"] == "or ring me"]
    check(left and left[0]["meta"] == {"left_message": True, "phone": "+86 138-1234-5678",
                                       "name": "Kim Lee"},
          "left message with a phone and a name, shown unredacted: %s", left)
    c4.ask("q5", "how do I activate my new card")   # the widget keeps working
    c4.close()
    d.stop()


if __name__ == "__main__":
    kt.main(run)
