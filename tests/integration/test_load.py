"""tests/integration/test_load.py — 100 concurrent sessions x 50 messages each (closed
loop per connection, all connections at once): every message gets exactly its reply
(matching id, no error, none missing), and the session log holds every turn.  Then 50
connections drop right after sending 5 messages each, and kefud carries on."""
import asyncio
import json
import time

import kefutest as kt
from kefutest import check

SESSIONS, MESSAGES = 100, 50


async def client(port, k, lat):
    ws, token = await kt.aws_connect(port)
    try:
        for i in range(MESSAGES):
            mid = "s%d-m%d" % (k, i)
            t0 = time.monotonic()
            r = await kt.aws_ask(ws, mid, kt.question(k + i))
            lat.append(time.monotonic() - t0)
            check(r.get("type") == "reply", "session %d message %d: %r", k, i, r)
            check(r.get("id") == mid, "session %d: reply id %r for %r", k, r.get("id"), mid)
            kt.check_reply(r)
    finally:
        await ws.close()
    return token


async def load(port):
    lat = []
    t0 = time.monotonic()
    res = await asyncio.gather(*(client(port, k, lat) for k in range(SESSIONS)),
                               return_exceptions=True)
    dt = time.monotonic() - t0
    errs = [r for r in res if isinstance(r, BaseException)]
    if errs:
        raise TestFailureGroup(errs)
    lat.sort()
    kt.log("%d x %d messages in %.2f s: %.0f replies/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
           SESSIONS, MESSAGES, dt, len(lat) / dt, 1e3 * lat[len(lat) // 2],
           1e3 * lat[int(len(lat) * 0.99)], 1e3 * lat[-1])
    check(len(lat) == SESSIONS * MESSAGES, "only %d replies", len(lat))
    check(len(set(res)) == SESSIONS, "sessions share tokens")


class TestFailureGroup(kt.TestFailure):
    def __init__(self, errs):
        super().__init__("%d of %d sessions failed; first: %r" % (len(errs), SESSIONS, errs[0]))


def abrupt(d, n=50):
    """n connections each send 5 messages in one write and drop the TCP connection at
    once, with their jobs still queued or running: kefud must carry on (the session is
    gone when the reply comes back), log those turns, and shut down cleanly."""
    for k in range(n):
        ws = d.ws()
        ws.welcome()
        ws.send_raw(b"".join(kt.ws_frame(kt.OP_TEXT, json.dumps(
            {"type": "message", "id": "x%d" % i, "text": kt.question(k + i)},
            ensure_ascii=False).encode()) for i in range(5)))
        ws.sock.close()
    ws = d.ws()
    ws.welcome()
    ws.ask("after-abrupt", "I lost my card")
    ws.close()


def run():
    d = kt.Kefud("--rate-limit", "100000").start()
    asyncio.run(load(d.port))
    abrupt(d)
    d.stop()
    s = kt.kefu_stats(d.db)
    n = SESSIONS * MESSAGES + 1
    check(n <= s["customer_messages"] <= n + 250 and s["bot_replies"] == s["customer_messages"],
          "session log after the load: %r (want %d..%d turns, each with its reply)", s, n,
          n + 250)


kt.main(run)
