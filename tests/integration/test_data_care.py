"""tests/integration/test_data_care.py — privacy and data care against a real kefud:

- `redact_log`: a card number, an e-mail address and a phone number a customer types are
  logged as [card], [email], [phone] (read back with `kefu export-customer --session`);
- `kefu forget --customer NUMBER` removes exactly the sessions where the customer typed
  it; `kefu export-customer` of an unknown customer exports nothing;
- `kefu backup` while kefud is answering a stream of messages: each copy passes
  `kefu check` and holds whole turns only; a kefud started on a copy (the restore)
  resumes a session taken from it;
- `retention_days`: a session made 10 days old is gone after kefud starts with
  --retention-days 5 (the retention thread purges at start), the recent one stays;
  `kefu purge --days 1` and `kefu check` on a file newer than this kefu.
"""
import json
import os
import sqlite3
import threading
import time

import kefutest as kt
from kefutest import check


def export(db, *who):
    _, out, _ = kt.run_kefu("export-customer", "--db", db, *who)
    return json.loads(out)


def run():
    d = kt.Kefud("--workers", "1", "--asr", "false", "--redact-log",
                 "--rate-limit", "1000000").start()
    db = d.db

    # 1. redaction in the stored log
    ws = d.ws()
    tok_a = ws.welcome()["session"]
    ws.ask("a1", "my card 4111 1111 1111 1111 was stolen, write to jane@example.com")
    ws.ask("a2", "我的手机号是13812345678，客户号 CUST-7781")
    ws.close()
    ws = d.ws()
    tok_b = ws.welcome()["session"]
    ws.ask("b1", "I lost my card")
    ws.close()
    e = export(db, "--session", tok_a)
    check(len(e["sessions"]) == 1, "export of one session: %r", e)
    texts = [m["text"] for m in e["sessions"][0]["messages"] if m["kind"] == 0]
    check(texts == ["my card [card] was stolen, write to [email]",
                    "我的手机号是[phone]，客户号 CUST-7781"], "logged customer texts %r", texts)
    check("4111" not in json.dumps(e) and "jane@" not in json.dumps(e),
          "personal data left in the export")

    # 2. forget by a customer number typed in a message; an unknown one matches nothing
    check(export(db, "--customer", "nobody@nowhere.example")["sessions"] == [],
          "an unknown customer exported sessions")
    _, out, _ = kt.run_kefu("forget", "--db", db, "--customer", "cust-7781")
    check("forgot 1 sessions, 4 messages" in out, "kefu forget said %r", out)
    check(export(db, "--session", tok_a)["sessions"] == [], "forgotten session still there")
    check(len(export(db, "--session", tok_b)["sessions"]) == 1, "another customer lost")
    rc, _, err = kt.run_kefu("forget", "--db", db, "--customer", "cust-7781", ok=False)
    check(rc == 1 and "no session" in err, "forgetting twice: %s %r", rc, err)

    # 3. online backups while kefud answers a stream of messages, then a restore
    stop = threading.Event()
    sent = [0]
    failed = []

    def talk():
        try:
            w = d.ws()
            w.welcome()
            while not stop.is_set():
                w.ask("s%d" % sent[0], "How do I top up?")
                sent[0] += 1
            w.close()
        except Exception as e:  # noqa: BLE001 — reported by the main thread
            failed.append(e)

    t = threading.Thread(target=talk)
    t.start()
    copies = []
    try:
        while sent[0] < 20 and not failed:
            time.sleep(0.05)
        for i in range(3):
            out_path = os.path.join(d.tmp, "backup%d.db" % i)
            _, out, _ = kt.run_kefu("backup", "--db", db, "--out", out_path)
            check("integrity ok" in out, "kefu backup said %r", out)
            copies.append(out_path)
            time.sleep(0.2)
    finally:
        stop.set()
        t.join()
    check(not failed, "the message stream failed: %r", failed)
    check(sent[0] > 20, "the stream stalled during backups (%d)", sent[0])
    for c in copies:
        _, out, _ = kt.run_kefu("check", "--db", c, "--json")
        r = json.loads(out)
        check(r["ok"] and r["integrity"] == "ok" and r["schema_version"] == r["schema_latest"],
              "kefu check of %s: %r", c, r)
        con = sqlite3.connect("file:%s?mode=ro" % c, uri=True)
        half = con.execute("SELECT count(*) FROM messages m WHERE kind = 0 AND NOT EXISTS "
                           "(SELECT 1 FROM messages r WHERE r.reply_to = m.id)").fetchone()[0]
        con.close()
        check(half == 0, "%s holds %d customer messages without their reply", c, half)
    d.stop()
    restored = kt.Kefud("--workers", "1", "--asr", "false", db=copies[-1],
                        name="restored").start()
    ws = restored.ws()
    ws.welcome()
    ws.send_json({"type": "hello", "session": tok_b})
    h = ws.expect("history", session=tok_b, resumed=True)
    check(len(h["messages"]) == 2, "restored history %r", h)
    ws.close()
    restored.stop()

    # 4. retention: the thread purges at start
    con = sqlite3.connect(db)
    con.execute("UPDATE sessions SET last_ms = last_ms - 10*86400000 WHERE token = ?",
                (tok_b,))
    con.commit()
    con.close()
    d.args += ["--retention-days", "5"]
    d.start()
    deadline = time.monotonic() + 20
    while export(db, "--session", tok_b)["sessions"] and time.monotonic() < deadline:
        time.sleep(0.2)
    check(export(db, "--session", tok_b)["sessions"] == [], "10-day-old session kept")
    check(kt.kefu_stats(db)["sessions"] >= 1, "recent sessions purged too")
    d.stop()
    with open(d.logpath, errors="replace") as f:
        check("retention: 1 sessions" in f.read(), "no retention line in the log")
    _, out, _ = kt.run_kefu("purge", "--db", db, "--days", "1")
    check(out.startswith("deleted 0 sessions"), "kefu purge said %r", out)

    # 5. a file from a newer kefu
    con = sqlite3.connect(db)
    latest = con.execute("PRAGMA user_version").fetchone()[0]
    con.execute("PRAGMA user_version = %d" % (latest + 1))
    con.commit()
    con.close()
    rc, out, _ = kt.run_kefu("check", "--db", db, ok=False)
    check(rc == 1 and "newer than this kefu" in out, "check of a newer file: %s %r", rc, out)


if __name__ == "__main__":
    kt.main(run)
