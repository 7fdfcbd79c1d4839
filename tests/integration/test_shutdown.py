"""tests/integration/test_shutdown.py — SIGTERM under load: kefud exits by itself with
status 0 within the timeout while 40 sessions have messages in flight, and after a
restart every reply a client received is in the session log."""
import signal
import time

import kefutest as kt
from kefutest import check

SESSIONS = 40


def run():
    d = kt.Kefud("--rate-limit", "1000000", "--history-limit", "100000").start()
    t = []
    got = kt.load_then(d, SESSIONS, 400,
                       lambda: (t.append(time.monotonic()), d.signal(signal.SIGTERM)))
    d.wait_exit(30)
    n = sum(len(v) for v in got.values())
    kt.log("SIGTERM with %d sessions busy: exit 0 after %.2f s; %d replies received",
           len(got), time.monotonic() - t[0], n)
    check(n >= 50, "only %d replies before SIGTERM", n)
    d.start()
    kt.check_logged(d, got)
    d.stop()
    s = kt.kefu_stats(d.db)
    check(s["customer_messages"] == s["bot_replies"] >= n, "log after SIGTERM: %r, %d "
          "replies received", s, n)


kt.main(run)
