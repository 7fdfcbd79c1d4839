"""tests/integration/test_limits.py — the two load limits.
rate_limited: more than --rate-limit messages in 10 s from one session are refused with
  their id; another session is unaffected; once the window has passed the same
  connection is answered again.
busy: with --queue-size 1 --workers 1 a flood of messages sent in one TCP write gets at
  least one `busy`, every other message its reply (exactly one answer per id), and the
  next message after the flood is answered."""
import json
import time

import kefutest as kt
from kefutest import check

RATE = 5


def rate_limit():
    d = kt.Kefud("--rate-limit", str(RATE)).start()
    ws = d.ws()
    ws.welcome()
    t0 = time.monotonic()
    for i in range(RATE):
        ws.ask("r%d" % i, kt.question(i))
    ws.message("r-over", "I lost my card")
    ws.expect_error("rate_limited", "r-over")
    other = d.ws()
    other.welcome()
    other.ask("o1", "I lost my card")          # per session, not global
    other.close()
    # the window is 10 s: retry once a second until the same connection is answered
    n = 0
    while True:
        n += 1
        ws.message("again%d" % n, "Where is my new card?")
        r = ws.recv_json()
        if r["type"] == "reply":
            check(r["id"] == "again%d" % n, "reply id %r", r)
            break
        check(r.get("code") == "rate_limited", "expected rate_limited or a reply: %r", r)
        check(time.monotonic() - t0 < 12.5, "still rate limited %.1f s after the first "
              "message of a 10 s window", time.monotonic() - t0)
        time.sleep(1.0)
    kt.log("rate limit: answered again after %.1f s", time.monotonic() - t0)
    ws.close()
    d.stop()


def busy():
    d = kt.Kefud("--queue-size", "1", "--workers", "1", "--rate-limit", "1000000").start()
    ws = d.ws()
    ws.welcome()
    total_busy = 0
    for rnd, n in enumerate((300, 1000, 3000)):
        ids = ["f%d-%d" % (rnd, i) for i in range(n)]
        burst = b"".join(kt.ws_frame(kt.OP_TEXT, json.dumps(
            {"type": "message", "id": mid, "text": kt.question(i)},
            ensure_ascii=False).encode()) for i, mid in enumerate(ids))
        ws.send_raw(burst)
        answers = {}
        while len(answers) < n:
            r = ws.recv_json()
            check(r["type"] in ("reply", "error"), "unexpected frame in the flood: %r", r)
            check(r.get("id") in ids, "answer to an unknown id: %r", r)
            check(r["id"] not in answers, "two answers for %r: %r and %r", r["id"],
                  answers.get(r["id"]), r)
            if r["type"] == "error":
                check(r.get("code") == "busy", "flood error other than busy: %r", r)
            else:
                kt.check_reply(r)
            answers[r["id"]] = r
        nbusy = sum(1 for r in answers.values() if r["type"] == "error")
        kt.log("flood of %d: %d busy, %d replies", n, nbusy, n - nbusy)
        total_busy += nbusy
        if nbusy:
            break
    check(total_busy > 0, "no busy error with --queue-size 1 --workers 1 after floods of "
          "300, 1000 and 3000 messages in one write")
    ws.ask("after", "I lost my card")
    ws.close()
    d.stop()


def run():
    busy()
    rate_limit()


kt.main(run)
