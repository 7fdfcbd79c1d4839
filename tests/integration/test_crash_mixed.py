"""tests/integration/test_crash_mixed.py — `kill -9` of kefud, 20 times, under mixed load.

Each round starts kefud on the same database, runs closed-loop clients for 1.5-6 s —
text questions (paced 50 ms apart), pictures (a PNG of words, read by OCR) and voice clips (flite WAV) —
and SIGKILLs kefud with their requests in flight.  Then, before the next start,
`kefu check` must find the database intact (integrity, foreign keys, schema), and after
the restart every session of the round is resumed: every reply its client received is
in the log with the same id and text, and no turn is logged twice (one customer message
and at most one bot reply per id).  At the end `kefu stats` counts every received reply.
"""
import asyncio
import json
import os
import random
import tempfile
import time

import kefutest as kt
from kefutest import check
from media import picture_png, voice_wav

ROUNDS = int(os.environ.get("KEFU_CRASH_ROUNDS", "20"))
TEXT, PICTURE, VOICE = 6, 2, 2
TIMEOUT = 120


SENT = {"text": 0, "image": 0, "audio": 0}


async def client(port, kind, k, blob, got, stop):
    """One closed-loop client: records got[token][id] = reply text for every reply it
    receives, until stop is set or kefud dies; counts what it sent in SENT."""
    import websockets
    try:
        ws, token = await kt.aws_connect(port)
    except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
        return
    got[token] = {}
    i = 0
    try:
        while not stop.is_set():
            mid = "%s%d-%d-%d" % (kind[0], k, i, random.randrange(1 << 30))
            i += 1
            if kind == "text":
                await ws.send(json.dumps({"type": "message", "id": mid,
                                          "text": kt.question(k + i)}))
            else:
                await ws.send(json.dumps({"type": kind, "id": mid, "bytes": len(blob),
                                          "mime": "image/png" if kind == "image"
                                          else "audio/wav"}))
                await ws.send(blob)
            SENT[kind] += 1
            while True:     # seen / transcript frames come first
                f = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                if f.get("id") == mid and f.get("type") in ("reply", "error"):
                    break
            check(f["type"] == "reply", "%s %s: %r", kind, mid, f)
            got[token][mid] = f["text"]
            if kind == "text":
                await asyncio.sleep(0.05)   # paced: media gets its share of the workers
    except (websockets.exceptions.ConnectionClosed, OSError):
        pass


def round_of_load(d, png, wav, seconds):
    async def go():
        got, stop = {}, asyncio.Event()
        tasks = [asyncio.create_task(client(d.port, "text", k, None, got, stop))
                 for k in range(TEXT)]
        tasks += [asyncio.create_task(client(d.port, "image", k, png, got, stop))
                  for k in range(PICTURE)]
        tasks += [asyncio.create_task(client(d.port, "audio", k, wav, got, stop))
                  for k in range(VOICE)]
        await asyncio.sleep(seconds)
        d.kill9()
        stop.set()
        await asyncio.gather(*tasks)
        return got
    return asyncio.run(go())


def check_round(d, got):
    """Every received reply logged once with its text; no customer turn twice."""
    for token, replies in got.items():
        ws = d.ws()
        ws.welcome()
        ws.send_json({"type": "hello", "session": token})
        h = ws.expect("history", session=token)
        check(not h.get("more"), "history of %s is paged: raise history_bytes", token)
        ws.close()
        cust, bot = {}, {}
        for m in h["messages"]:
            side = bot if m.get("from") == "bot" else cust if m.get("from") == "customer" \
                else None
            if side is None or m.get("id") is None:
                continue
            check(m["id"] not in side, "turn %s logged twice (%s) in %s", m["id"],
                  m.get("from"), token)
            side[m["id"]] = m.get("text")
        for mid, text in replies.items():
            check(mid in bot, "reply %s was received but is not in the log", mid)
            check(bot[mid] == text, "logged reply %s differs from the one received", mid)
            check(mid in cust, "reply %s is logged without its customer message", mid)


def db_check(db):
    _, out, _ = kt.run_kefu("check", "--db", db, "--json")
    c = json.loads(out)
    check(c.get("ok") is True and c.get("integrity") == "ok", "kefu check: %r", c)


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-crash-")
    png, wav = picture_png(), voice_wav(tmp)
    d = kt.Kefud("--rate-limit", "1000000", "--history-limit", "100000",
                 "--history-bytes", str(32 << 20), "--workers", "2")
    rnd = random.Random(13)
    total, kinds = 0, {"t": 0, "i": 0, "a": 0}
    t0 = time.monotonic()
    prev = None
    for r in range(ROUNDS):
        d.start()
        if prev is not None:
            check_round(d, prev)
        got = round_of_load(d, png, wav, rnd.uniform(1.5, 6.0))
        n = sum(len(v) for v in got.values())
        for replies in got.values():
            for mid in replies:
                kinds[mid[0]] += 1
        total += n
        db_check(d.db)
        prev = got
        kt.log("round %d: %d replies in %d sessions before kill -9; kefu check ok", r + 1, n,
               len(got))
    d.start()
    check_round(d, prev)
    d.stop()
    s = kt.kefu_stats(d.db)
    check(s["bot_replies"] >= total, "stats count %d bot replies, %d were received",
          s["bot_replies"], total)
    # media were in the load (sent; in a slow build few finish before a kill)
    check(SENT["image"] > 0 and SENT["audio"] > 0, "no picture or voice was sent: %r", SENT)
    kt.log("%d rounds of kill -9 in %.0f s: sent text %d, pictures %d, voice clips %d; "
           "%d replies received (text %d, picture %d, voice %d), all logged once, database "
           "intact every time", ROUNDS, time.monotonic() - t0, SENT["text"], SENT["image"],
           SENT["audio"], total, kinds["t"], kinds["i"], kinds["a"])


if __name__ == "__main__":
    kt.main(run)
