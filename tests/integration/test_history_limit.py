"""tests/integration/test_history_limit.py — `hello` sends the LAST history_limit
messages of the session, each with its id (a bot reply carries the client id of the
customer message it answered, also when that message itself is cut off), and [] when
history_limit is 0."""
import kefutest as kt
from kefutest import check


def run():
    """--history-limit 3 sends the LAST three messages; 0 sends []."""
    d = kt.Kefud("--history-limit", "3").start()
    ws = d.ws()
    token = ws.welcome()["session"]
    for i in range(3):
        ws.ask("t%d" % i, kt.question(i))
    ws.close()
    ws = d.ws()
    ws.welcome()
    ws.send_json({"type": "hello", "session": token})
    h = ws.expect("history", session=token)
    got = [(m.get("from"), m.get("id")) for m in h["messages"]]
    check(got == [("bot", "t1"), ("customer", "t2"), ("bot", "t2")],
          "history with --history-limit 3: %r", got)
    ws.close()
    d.stop()
    d = kt.Kefud("--history-limit", "0", db=d.db, tmp=d.tmp, name="kefud-limit0").start()
    ws = d.ws()
    ws.welcome()
    ws.send_json({"type": "hello", "session": token})
    h = ws.expect("history", session=token, resumed=True)
    check(h["messages"] == [], "history with --history-limit 0: %r", h["messages"])
    ws.close()
    d.stop()


kt.main(run)
