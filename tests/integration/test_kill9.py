"""tests/integration/test_kill9.py — `kill -9` during load loses no reply a customer saw.
40 sessions send messages in a closed loop and record every reply they receive; kefud
is SIGKILLed mid-load, restarted on the same database, and each session is resumed with
its token: every received reply must be in its history (same id and text), and
`kefu stats --json` must count at least as many bot replies as were received."""
import asyncio
import time

import kefutest as kt
from kefutest import check

SESSIONS = 40


async def client(port, k, got, stop):
    ws, token = await kt.aws_connect(port)
    got[token] = {}
    i = 0
    try:
        while not stop.is_set():
            mid = "k%d-%d" % (k, i)
            i += 1
            r = await kt.aws_ask(ws, mid, kt.question(k + i), timeout=60)
            check(r.get("type") == "reply" and r.get("id") == mid, "%s: %r", mid, r)
            got[token][mid] = r["text"]
    except Exception:  # the connection dies with the daemon: expected
        pass


async def load_then_kill(d, got):
    stop = asyncio.Event()
    tasks = [asyncio.create_task(client(d.port, k, got, stop)) for k in range(SESSIONS)]
    t0 = time.monotonic()
    while sum(len(v) for v in got.values()) < 800 and time.monotonic() - t0 < 20:
        await asyncio.sleep(0.02)
    d.kill9()                           # mid-load: every client has a message in flight
    stop.set()
    await asyncio.gather(*tasks)


def run():
    d = kt.Kefud("--rate-limit", "1000000", "--history-limit", "100000").start()
    got = {}
    asyncio.run(load_then_kill(d, got))
    n = sum(len(v) for v in got.values())
    check(n >= 100 and len(got) == SESSIONS, "only %d replies in %d sessions before the kill",
          n, len(got))
    kt.log("received %d replies in %d sessions before kill -9", n, len(got))

    d.start()
    for token, replies in got.items():
        ws = d.ws()
        ws.welcome()
        ws.send_json({"type": "hello", "session": token})
        h = ws.expect("history", session=token)
        bot = {m.get("id"): m.get("text") for m in h["messages"] if m.get("from") == "bot"}
        for mid, text in replies.items():
            check(mid in bot, "reply %s was received but is not in the log after kill -9 "
                  "(session %s has %d bot messages)", mid, token, len(bot))
            check(bot[mid] == text, "logged reply %s differs from the one received", mid)
        ws.close()
    d.stop()
    s = kt.kefu_stats(d.db)
    kt.log("after restart: %s", s)
    check(s["bot_replies"] >= n, "stats count %d bot replies, %d were received",
          s["bot_replies"], n)
    check(s["customer_messages"] == s["bot_replies"], "turns half-logged: %r", s)


kt.main(run)
