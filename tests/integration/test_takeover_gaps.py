"""tests/integration/test_takeover_gaps.py — what a take-over must also hold (issue 11),
against a real kefud with a customer and operators:

- uploads while a person holds the conversation: a picture (with words) and a voice clip
  are seen/heard and logged with their bytes, the customer gets the seen/transcript frame
  and an ack, never a bot reply, and the operators' /ops gets each as a customer message
  (upload "image" / "audio");
- "operator is typing" lapses: a typing frame with no follow-up reaches the customer,
  then kefud itself sends typing off a few seconds later;
- /ops re-checks the operator's session while open: after a logout (nothing sent, the
  timer finds it) and after the operator is disabled (the next frame finds it), the
  connection gets {"type": "error", "code": "session_expired"} and is closed with 1008.
"""
import os
import sqlite3
import subprocess
import tempfile
import time

import kefutest as kt
from kefutest import check
from test_api_http import PW, PW_AGENT, Client, add_operator
from test_takeover import expect_type, ops_ws, post

SRC = os.environ.get("KEFU_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def flite(text):
    path = os.path.join(tempfile.gettempdir(), "kefu-gaps-%d.wav" % os.getpid())
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", path], check=True)
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


def send_upload(ws, kind, mid, data, mime, text=None):
    hdr = {"type": kind, "id": mid, "bytes": len(data), "mime": mime}
    if text is not None:
        hdr["text"] = text
    ws.send_json(hdr)
    ws.send_frame(kt.OP_BINARY, data)


def lapsed(ws, timeout):
    """The next frames up to the close: a session_expired error, then close 1008."""
    t0 = time.monotonic()
    err = expect_type(ws, "error", skip=("activity", "operators", "pong"), timeout=timeout)
    check(err["code"] == "session_expired", "error code: %s", err)
    try:
        f = ws.recv_json(timeout=10)
        check(False, "frame after session_expired: %s", f)
    except kt.WSClosed:
        pass
    check(ws.close_code == 1008, "closed with 1008, got %s", ws.close_code)
    return time.monotonic() - t0


def run():
    d = kt.Kefud("--operator-capacity", "0")
    d.start()
    d.stop()
    add_operator(d.db, "ann", "admin", PW)
    add_operator(d.db, "bob", "agent", PW_AGENT)
    d.start()

    op = Client(d.port)
    check(op.login("ann", PW)[0] == 200, "ann signs in")
    ops = ops_ws(d, op.cookie)
    expect_type(ops, "hello")

    cu = d.ws()
    cu.welcome()
    cu.send_json({"type": "handoff", "id": "h1"})
    cu.expect("handoff")
    sid = expect_type(ops, "handoff")["conversation_id"]
    st, j = post(op, "/api/v1/conversations/%d/take" % sid)
    check(st == 200, "take: %s %s", st, j)
    cu.expect("operator_joined")
    expect_type(ops, "assigned", skip=("activity", "operators", "summary"))

    # ---- uploads while taken over: seen/heard, logged, acknowledged, not answered ----
    with open(os.path.join(SRC, "vision", "testdata", "cnn_dress.png"), "rb") as f:
        png = f.read()
    send_upload(cu, "image", "p1", png, "image/png", text="does this come in blue?")
    seen = cu.expect("seen", id="p1")
    check("unsafe" in seen, "seen frame: %s", seen)
    ack = cu.recv_json()
    check(ack["type"] == "ack" and ack["id"] == "p1",
          "a picture during a take-over is acknowledged, not answered by the bot: %s", ack)
    ev = expect_type(ops, "message", skip=("activity", "operators", "summary"))
    m = ev["message"]
    check(ev["conversation_id"] == sid and m["kind"] == "customer" and m["client_id"] == "p1"
          and m["upload"] == "image" and m["text"] == "does this come in blue?",
          "the picture is pushed to the operators: %s", ev)

    clip = flite("how do I reset my password")
    send_upload(cu, "audio", "v1", clip, "audio/wav")
    tr = cu.expect("transcript", id="v1")
    ack = cu.recv_json()
    check(ack["type"] == "ack" and ack["id"] == "v1",
          "a voice clip during a take-over is acknowledged, not answered: %s", ack)
    ev = expect_type(ops, "message", skip=("activity", "operators", "summary"))
    check(ev["message"]["upload"] == "audio" and ev["message"]["client_id"] == "v1" and
          ev["message"]["text"] == tr["text"], "the clip is pushed with its transcript: %s", ev)

    con = sqlite3.connect(d.db)
    rows = con.execute("SELECT m.kind, m.client_id, a.kind FROM messages m LEFT JOIN "
                       "attachments a ON a.message_id = m.id WHERE m.session_id = ? "
                       "ORDER BY m.id", (sid,)).fetchall()
    con.close()
    check(("0", "p1", "image") in [(str(k), c, a) for k, c, a in rows] and
          ("0", "v1", "audio") in [(str(k), c, a) for k, c, a in rows],
          "both uploads logged with their bytes: %s", rows)
    check(not any(k == 1 for k, _, _ in rows), "no bot message in a taken-over chat: %s",
          rows)

    # ---- "operator is typing" lapses without a new typing frame ----
    ops.send_json({"type": "typing", "conversation_id": sid, "on": True})
    f = cu.expect("typing")
    check(f["on"] is True and f["from"] == "operator", "typing on: %s", f)
    t0 = time.monotonic()
    f = cu.expect("typing", timeout=15)
    dt = time.monotonic() - t0
    check(f["on"] is False and f["from"] == "operator" and 3 <= dt <= 12,
          "typing off after a few seconds without a typing frame: %s after %.1f s", f, dt)

    # ---- /ops re-checks the session: logout (timer) and disable (next frame) ----
    bob = Client(d.port)
    check(bob.login("bob", PW_AGENT)[0] == 200, "bob signs in")
    bws = ops_ws(d, bob.cookie)
    bob_id = expect_type(bws, "hello")["operator"]["id"]
    st, _ = post(bob, "/api/v1/logout")
    check(st == 200, "bob logs out: %s", st)
    dt = lapsed(bws, timeout=20)
    check(dt <= 15, "the timer found the logout within its period: %.1f s", dt)

    bob = Client(d.port)       # a new connection: the old one idled out meanwhile
    check(bob.login("bob", PW_AGENT)[0] == 200, "bob signs in again")
    bws = ops_ws(d, bob.cookie)
    expect_type(bws, "hello")
    time.sleep(1.2)            # past the once-a-second limit of frame re-checks
    adm = Client(d.port)
    check(adm.login("ann", PW)[0] == 200, "ann signs in on a new connection")
    st, j = post(adm, "/api/v1/operators/%d/disable" % bob_id)
    check(st == 200, "ann disables bob: %s %s", st, j)
    bws.send_json({"type": "ping"})
    dt = lapsed(bws, timeout=10)
    check(dt <= 5, "a frame finds the disabled operator at once: %.1f s", dt)

    # ann's channel is untouched
    ops.send_json({"type": "ping"})
    expect_type(ops, "pong", skip=("activity", "operators", "summary", "typing"))
    cu.close()
    d.stop()


if __name__ == "__main__":
    kt.main(run)
