"""tests/integration/test_media_shed.py — pictures that would wait too long are shed
(docs/daemon.md "Scheduling", docs/protocol.md "busy"): kefud with one media worker and
media_wait_max_ms 300 gets a burst of pictures from 8 connections at once.
- every picture gets either its reply (after its seen frame) or the error `busy` with its
  id and a whole `retry_after` of at least 1 second — nothing is left unanswered;
- at least one picture is answered and at least one is shed (the first one keeps the only
  media worker for longer than 300 ms: the others waited, or would have waited, longer);
- a text message sent during the burst is answered within 2 s (text is never shed);
- kefu_media_shed_total counts exactly the busy errors the clients got;
- once the burst is over a refused picture sent again with the same id is answered, and
  nothing of a shed picture was logged."""
import os
import sqlite3
import time

import kefutest as kt
from kefutest import check

MAX_MS = 300
CLIENTS = 8
TIMEOUT = 120


def picture():
    with open(os.path.join(kt.SRCDIR, "vision", "testdata", "ocr_error.png"), "rb") as f:
        return f.read()


def send_image(ws, mid, data):
    ws.send_json({"type": "image", "id": mid, "bytes": len(data), "mime": "image/png"})
    ws.send_frame(kt.OP_BINARY, data)


def outcome(ws, mid):
    """Reads frames until mid's reply or error: ("reply", frame) or ("busy", frame)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        f = ws.recv_json(timeout=max(0.1, deadline - time.monotonic()))
        if f["type"] == "seen":
            check(f.get("id") == mid, "seen frame for another picture: %r", f)
            continue
        check(f.get("id") == mid, "frame for another request while waiting for %s: %r", mid, f)
        if f["type"] == "reply":
            return "reply", f
        check(f["type"] == "error" and f.get("code") == "busy",
              "picture %s: expected its reply or busy, got %r", mid, f)
        ra = f.get("retry_after")
        check(isinstance(ra, int) and 1 <= ra <= 600, "busy without a retry_after: %r", f)
        return "busy", f


def shed_count(d):
    return kt.metric_sum(d.metrics(), lambda n: n == "kefu_media_shed_total")


def run():
    d = kt.Kefud("--workers", "2", "--media-workers", "1", "--media-wait-max-ms", str(MAX_MS),
                 "--rate-limit", "1000000", "--upload-quota-ip", "0").start()
    pic = picture()
    clients = [d.ws() for _ in range(CLIENTS)]
    tokens = [c.welcome()["session"] for c in clients]
    texter = d.ws()
    texter.welcome()
    busy, replied = [], []
    for rnd in range(2):                      # the 2nd burst meets a known service time
        for i, c in enumerate(clients):
            send_image(c, "p%d-%d" % (rnd, i), pic)
        t0 = time.monotonic()
        texter.ask("t%d" % rnd, "I lost my card")
        t_text = time.monotonic() - t0
        check(t_text <= 2.0, "a text during the picture burst took %.3f s", t_text)
        for i, c in enumerate(clients):
            mid = "p%d-%d" % (rnd, i)
            kind, f = outcome(c, mid)
            (busy if kind == "busy" else replied).append((i, mid))
        kt.log("burst %d: text answered in %.3f s; so far %d pictures answered, %d busy",
               rnd + 1, t_text, len(replied), len(busy))
    check(replied, "no picture of the bursts was answered")
    check(busy, "no picture of %d x 2 was shed with media_wait_max_ms %d", CLIENTS, MAX_MS)
    shed = shed_count(d)
    check(shed == len(busy), "kefu_media_shed_total %s, clients got %d busy", shed, len(busy))

    # the queue is empty now: a refused picture sent again is answered
    i, mid = busy[0]
    kind, f = outcome_after(clients[i], mid, pic)
    check(kind == "reply", "the retried picture %s: %r", mid, f)
    for c in clients + [texter]:
        c.close()
    d.stop()

    # shed pictures left nothing in the log; answered ones are there once
    db = sqlite3.connect(d.db)
    logged = {r[0]: r[1] for r in db.execute(
        "SELECT client_id, COUNT(*) FROM messages WHERE client_id LIKE 'p%' "
        "GROUP BY client_id")}
    db.close()
    for _, m in busy[1:]:
        check(m not in logged, "the shed picture %s was logged", m)
    for _, m in replied + [busy[0]]:
        check(logged.get(m) == 1, "the answered picture %s logged %s times", m, logged.get(m))
    kt.log("%d pictures answered, %d shed with busy (kefu_media_shed_total %d); the retried "
           "one answered; log holds exactly the answered ones", len(replied), len(busy), shed)


def outcome_after(ws, mid, pic):
    send_image(ws, mid, pic)
    return outcome(ws, mid)


if __name__ == "__main__":
    kt.main(run)
