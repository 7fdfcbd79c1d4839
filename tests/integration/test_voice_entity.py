"""tests/integration/test_voice_entity.py — entities by voice (docs/protocol.md "Entities by
voice", docs/speech.md "Grammars") on a real kefud with a small store.

An admin sets the "Track an order" answer to expect a code through /api/v1/answers (an
unknown kind is refused with invalid_value).  A customer asks (typed) where the order is and
gets that answer; the clip that follows (flite reading "alpha bravo seven seven three") is
decoded with the code grammar: the reply carries the entity (kind code, value AB773) and
"Did you say A B 7 7 3?" with the Yes / No quick replies.  "No" gets the say-again reply
(expecting a code again); the clip sent again is confirmed again; "Yes" gets the confirmed
reply with the entity marked confirmed.  Without any expectation, a clip of a digit string
("one five two one seven") is read as a number and confirmed too, while a spoken question
is answered as before.  The log keeps the entity on the customer's row and on the replies;
a resend of the clip answers from the log with the same entity.  kefu-voice (--input, --json)
sending the code clip on a session of its own prints the entity and the Yes / No quick
replies (when kefu-voice is built: PortAudio).
"""
import json
import os
import sqlite3
import subprocess
import tempfile

import kefutest as kt
from kefutest import check

from test_answers_api import Client, kefu

TIMEOUT = 120
PW = "correct horse battery"
CSV = """question,answer_title,answer
where is my order,Track an order,Please read me your order number.
track my parcel,Track an order,
I lost my card,Lost card,Freeze your card in the app.
my card was stolen,Lost card,
"""


def flite(text):
    path = os.path.join(tempfile.gettempdir(), "kefu-entity-%d.wav" % os.getpid())
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", path], check=True)
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


def say(ws, mid, data):
    ws.send_json({"type": "audio", "id": mid, "bytes": len(data), "mime": "audio/wav"})
    ws.send_frame(kt.OP_BINARY, data)
    t = ws.expect("transcript", timeout=TIMEOUT, id=mid)
    r = ws.expect("reply", timeout=TIMEOUT, id=mid)
    kt.log("%s: heard %r -> %r (%s) %r", mid, t["text"], r["text"], r.get("why"),
           r.get("entity"))
    return t, r


def tell(ws, mid, text):
    """A typed message whose reply may carry no answer (ws.ask wants one)."""
    ws.message(mid, text)
    return ws.expect("reply", id=mid)


def check_confirm(r, kind, value, spaced):
    check(r.get("why") == "entity_confirm", "why %r", r)
    check(r.get("entity", {}).get("kind") == kind and r["entity"]["value"] == value,
          "entity %r", r)
    check(r["text"] == "Did you say %s?" % spaced, "text %r", r["text"])
    check([q["title"] for q in r["quick_replies"]] == ["Yes", "No"], "quick %r", r)
    check(r["answer_id"] is None, "no answer chosen %r", r)


def run():
    code = flite("alpha bravo seven seven three")
    digits = flite("one five two one seven")
    question = flite("I lost my card")
    d = kt.Kefud("--workers", "1", "--max-frame", "524288", "--max-upload", "400000")
    csv = os.path.join(d.tmp, "store.csv")
    with open(csv, "w") as f:
        f.write(CSV)
    kefu("init", "--demo", "false", "--db", d.db)
    kefu("import", csv, "--db", d.db)
    kefu("operator", "add", "ann", "--role", "admin", "--db", d.db, stdin=(PW + "\n").encode())
    d.start()

    ann = Client(d.port).login("ann", PW)
    st, j, _ = ann.call("GET", "answers?q=order")
    check(st == 200 and j["total"] == 1, "search %s %s", st, j)
    aid = j["answers"][0]["id"]
    st, j, _ = ann.call("GET", "answers/%d" % aid)
    check(st == 200 and j["answer"]["expects"] == "none", "default expects %s", j)
    st, j, _ = ann.call("POST", "answers/%d" % aid, {"expects": "phone"})
    check(st == 400 and j["code"] == "invalid_value", "bad kind %s %s", st, j)
    st, j, _ = ann.call("POST", "answers/%d" % aid, {"expects": "code"})
    check(st == 200 and j["answer"]["expects"] == "code", "set expects %s %s", st, j)

    ws = d.ws(timeout=TIMEOUT)
    ws.welcome()
    r = ws.ask("t-1", "where is my order")
    check(r["answer_id"] == aid, "typed question %r", r)

    t, r = say(ws, "a-1", code)
    check_confirm(r, "code", "AB773", "A B 7 7 3")
    r = tell(ws, "t-2", "No")
    check(r.get("why") == "entity_retry" and "say it again" in r["text"], "no -> %r", r)
    t, r = say(ws, "a-2", code)
    check_confirm(r, "code", "AB773", "A B 7 7 3")
    r = tell(ws, "t-3", "yes")
    check(r.get("why") == "entity_confirmed" and r["text"] == "Thank you, I have noted A B 7 7 3.",
          "yes -> %r", r)
    check(r.get("entity") == {"kind": "code", "value": "AB773", "confirmed": True}, "%r", r)

    # nothing expected now: a digit string is still read (auto) and confirmed, a question
    # is answered as before
    t, r = say(ws, "a-3", digits)
    check_confirm(r, "number", "15217", "1 5 2 1 7")
    r = tell(ws, "t-4", "No")
    check(r.get("why") == "entity_retry", "no -> %r", r)
    t, r = say(ws, "a-4", question)
    check("card" in t["text"] and r.get("why") == "transcript" and "entity" not in r,
          "question %r %r", t, r)

    # a resend answers from the log with the same entity
    t2, r2 = say(ws, "a-1", code)
    check(r2.get("entity", {}).get("value") == "AB773" and r2.get("why") == "entity_confirm",
          "resend %r", r2)

    # kefu-voice on a fresh session: nothing expected, the code is read all the same
    kv = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(kt.KEFUD))), "tools",
                      "kefu-voice", "kefu-voice")
    if os.access(kv, os.X_OK):
        clip = os.path.join(d.tmp, "code.wav")
        with open(clip, "wb") as f:
            f.write(code)
        p = subprocess.run([kv, "--input", clip, "--json", "--url",
                            "ws://127.0.0.1:%d/ws" % d.port], capture_output=True,
                           timeout=TIMEOUT)
        check(p.returncode == 0, "kefu-voice: %s", p.stderr.decode())
        turn = json.loads(p.stdout.decode().strip().splitlines()[-1])
        check(turn.get("entity") == {"kind": "code", "value": "AB773", "confirmed": False} and
              turn["quick_replies"] == ["Yes", "No"], "kefu-voice turn %r", turn)
    else:
        kt.log("kefu-voice not built: its part skipped")

    db = sqlite3.connect(d.db)
    rows = db.execute("SELECT kind, client_id, meta FROM messages ORDER BY id").fetchall()
    metas = [json.loads(m) if m else {} for _, _, m in rows]
    cust = [m for (k, c, _), m in zip(rows, metas) if k == 0 and c == "a-1"]
    check(cust and cust[0].get("entity", {}).get("value") == "AB773", "customer row %r", cust)
    whys = [m.get("why") for (k, _, _), m in zip(rows, metas) if k == 1]
    confirms = 4 if os.access(kv, os.X_OK) else 3      # kefu-voice's session asked once
    check(whys.count("entity_confirm") == confirms and whys.count("entity_confirmed") == 1 and
          whys.count("entity_retry") == 2, "logged replies %r", whys)
    d.stop()


if __name__ == "__main__":
    kt.main(run)
