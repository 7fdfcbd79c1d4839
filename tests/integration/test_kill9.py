"""tests/integration/test_kill9.py — `kill -9` during load loses no reply a customer saw.
40 sessions send messages in a closed loop and record every reply they receive; kefud
is SIGKILLed mid-load, restarted on the same database, and each session is resumed with
its token: every received reply must be in its history (same id and text), and
`kefu stats --json` must count at least as many bot replies as were received, every
logged customer message with its reply."""
import kefutest as kt
from kefutest import check

SESSIONS = 40


def run():
    d = kt.Kefud("--rate-limit", "1000000", "--history-limit", "100000").start()
    got = kt.load_then(d, SESSIONS, 800, d.kill9)   # every client has a message in flight
    n = sum(len(v) for v in got.values())
    check(n >= 100 and len(got) == SESSIONS, "only %d replies in %d sessions before the kill",
          n, len(got))
    kt.log("received %d replies in %d sessions before kill -9", n, len(got))
    d.start()
    kt.check_logged(d, got)
    d.stop()
    s = kt.kefu_stats(d.db)
    kt.log("after restart: %s", s)
    check(s["bot_replies"] >= n, "stats count %d bot replies, %d were received",
          s["bot_replies"], n)
    check(s["customer_messages"] == s["bot_replies"], "turns half-logged: %r", s)


kt.main(run)
