"""daemon/smoke.py KEFUD SMOKE_FIXTURE — quick end-to-end check of kefud by its author.

Builds a five-answer store with smoke_fixture, starts kefud on a free loopback port,
and walks the protocol once: welcome, English and Chinese replies, every error code a
client can provoke alone (the connection staying usable after each), ping, idempotent
resend, resume with history, unknown session, Origin check, rate limit, /healthz,
/metrics, SIGHUP reload with a connection open, SIGTERM exit status.  The full
black-box suite lives in tests/ (tests/integration); this is the daemon's own smoke
test.  Needs python3-websockets (Debian's /usr/bin/python3).
"""
import asyncio
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import websockets

KEFUD, FIXTURE = sys.argv[1], sys.argv[2]
TIMEOUT = 20


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def http_get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode("utf-8")
    finally:
        c.close()


async def recv(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def ask(ws, mid, text):
    await ws.send(json.dumps({"type": "message", "id": mid, "text": text}))
    r = await recv(ws)
    check(r["type"] == "reply" and r["id"] == mid, "reply to %s: %r" % (mid, r))
    return r


async def expect_error(ws, code, mid=None):
    r = await recv(ws)
    check(r["type"] == "error" and r["code"] == code and r["id"] == mid,
          "expected error %s (id %r), got %r" % (code, mid, r))


async def protocol(port, proc):
    uri = "ws://127.0.0.1:%d/ws" % port
    async with websockets.connect(uri, max_size=None) as ws:
        check(ws.subprotocol is None, "no subprotocol asked, none expected")
        w = await recv(ws)
        check(w["type"] == "welcome" and len(w["session"]) == 32 and not w["resumed"],
              "welcome: %r" % w)
        token = w["session"]
        r1 = await ask(ws, "c1", "I lost my card")
        check(r1["title"] == "Lost or stolen card" and r1["answer_id"] and
              not r1["fallback"] and 0 <= r1["confidence"] <= 1, "reply: %r" % r1)
        r2 = await ask(ws, "c2", "我的卡丢了")
        check(r2["lang"] == "zh" and r2["title"] == "挂失银行卡", "zh reply: %r" % r2)

        bad = [
            ("not json", "invalid_json", None),
            (json.dumps({"id": "e1"}), "unknown_type", "e1"),
            (json.dumps({"type": "dance", "id": "e2"}), "unknown_type", "e2"),
            (json.dumps({"type": "message", "id": "e3"}), "missing_field", "e3"),
            (json.dumps({"type": "message", "id": "e4", "text": " \u3000 "}), "empty_text", "e4"),
            (json.dumps({"type": "message", "id": "e5", "text": "x" * 5000}),
             "frame_too_large", None),
            (json.dumps({"type": "message", "id": "e6", "text": "é" * 201}),
             "text_too_long", "e6"),
        ]
        for i, (frame, code, mid) in enumerate(bad):
            await ws.send(frame)
            await expect_error(ws, code, mid)
            await ask(ws, "ok%d" % i, "when are you open")
        await ws.send(b"\x00\x01binary")
        await expect_error(ws, "unsupported_frame")
        await ws.write_frame(True, 0x1, b'{"type":"ping","x":"\xff"}')   # bad UTF-8 text
        await expect_error(ws, "invalid_utf8")
        await ws.send(json.dumps({"type": "ping"}))
        check((await recv(ws))["type"] == "pong", "pong")

        again = await ask(ws, "c1", "I lost my card")
        check(again == r1, "idempotent resend differs: %r vs %r" % (again, r1))

        # SIGHUP swaps the bot; this connection keeps working.
        proc.send_signal(signal.SIGHUP)
        await asyncio.sleep(0.5)
        await ask(ws, "after-hup", "how do I change my password")

    async with websockets.connect(uri, subprotocols=["kefu.v1"]) as ws:
        check(ws.subprotocol == "kefu.v1", "subprotocol kefu.v1 not selected")
        await recv(ws)
        await ws.send(json.dumps({"type": "hello", "session": token}))
        h = await recv(ws)
        check(h["type"] == "history" and h["session"] == token and h["resumed"],
              "history: %r" % h)
        ids = [(m["from"], m["id"]) for m in h["messages"]]
        check(ids[:4] == [("customer", "c1"), ("bot", "c1"), ("customer", "c2"), ("bot", "c2")],
              "history order: %r" % ids)
        check(sum(1 for m in ids if m == ("customer", "c1")) == 1, "resend was logged twice")
        await ask(ws, "c3", "are you open on saturday")
        await ws.send(json.dumps({"type": "hello", "session": "0" * 32}))
        await expect_error(ws, "unknown_session")
        await ask(ws, "c4", "reset my password")

    # Origin: own and listed ones pass, others are refused.
    async with websockets.connect(uri, origin="http://127.0.0.1:%d" % port) as ws:
        await recv(ws)
    async with websockets.connect(uri, origin="https://shop.example") as ws:
        await recv(ws)
    try:
        async with websockets.connect(uri, origin="http://evil.example") as ws:
            await recv(ws)
        raise AssertionError("a foreign Origin was accepted")
    except (websockets.exceptions.InvalidHandshake, websockets.exceptions.ConnectionClosed,
            OSError):
        pass

    # Rate limit: 20 per 10 s; the 21st message in a burst is refused.
    async with websockets.connect(uri) as ws:
        await recv(ws)
        for i in range(21):
            await ws.send(json.dumps({"type": "message", "id": "r%d" % i, "text": "hello"}))
        got = [await recv(ws) for _ in range(21)]
        limited = [g for g in got if g["type"] == "error" and g["code"] == "rate_limited"]
        check(len(limited) == 1 and limited[0]["id"] == "r20", "rate limit: %r" % limited)
        replies = [g["id"] for g in got if g["type"] == "reply"]
        check(replies == ["r%d" % i for i in range(20)], "replies out of order: %r" % replies)


def main():
    tmp = tempfile.mkdtemp(prefix="kefud-smoke-")
    proc = None
    try:
        db = os.path.join(tmp, "kefu.db")
        subprocess.run([FIXTURE, db], check=True)
        port_file = os.path.join(tmp, "port")
        log = open(os.path.join(tmp, "kefud.log"), "wb")
        proc = subprocess.Popen([KEFUD, "--db", db, "--demo", "false", "--workers", "2",
                                 "--listen", "127.0.0.1:0", "--port-file", port_file,
                                 "--max-frame", "4096", "--max-text", "200",
                                 "--rate-limit", "20", "--origins", "https://shop.example"],
                                stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
        deadline = time.monotonic() + 60
        port = None
        while time.monotonic() < deadline and port is None:
            check(proc.poll() is None, "kefud exited during start-up")
            if os.path.exists(port_file):
                port = int(open(port_file).read())
            time.sleep(0.05)
        check(port, "no port file")

        st, body = http_get(port, "/healthz")
        h = json.loads(body)
        check(st == 200 and h["status"] == "ok" and h["answers"] == 5, "healthz: %r" % h)

        asyncio.run(protocol(port, proc))

        st, body = http_get(port, "/metrics")
        check(st == 200, "metrics status")
        lines = dict(l.rsplit(" ", 1) for l in body.splitlines() if l and l[0] != "#")
        check(float(lines['kefu_messages_total{kind="reply"}']) >= 18, "reply counter")
        check(float(lines['kefu_messages_total{kind="resend"}']) == 1, "resend counter")
        check(float(lines['kefu_errors_total{code="rate_limited"}']) == 1, "error counter")
        check(float(lines['kefu_reply_latency_seconds_count']) >= 19, "latency count")
        check(float(lines['kefu_model_reloads_total']) == 1, "reload counter")
        check(float(lines['kefu_connections_rejected_total{reason="origin"}']) == 1, "origin")
        st, _ = http_get(port, "/nope.html")
        check(st == 404, "unknown file status %d" % st)

        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(20)
        check(rc == 0, "kefud exit status %s after SIGTERM" % rc)
        proc = None
        print("ok")
    except BaseException:
        if proc:
            proc.kill()
            proc.wait()
        sys.stdout.write(open(os.path.join(tmp, "kefud.log"), errors="replace").read()[-4000:])
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
