#!/usr/bin/python3
"""bench/ws/log_cost.py — what one logged turn costs the store writer, trigger by trigger.

    bench/ws/log_cost.py STORE.db [--turns N] [--batch B]

Copies STORE.db (a store that served traffic, so its tables and indexes have their real
size) and replays the store writer's statements for N turns (store/stmt.c: the customer
message, the bot reply with a reply meta like kefud's, the session touch) in
transactions of B turns (WAL, synchronous=NORMAL, foreign keys on, as store/ opens it),
once with the schema as it is and once without each group of AFTER INSERT triggers on
`messages`: the FTS5 trigram index of customer and operator words, the report counters
(report_customer, report_bot), the session language, the conversation flags; then
without each index the insert maintains (messages_session, messages_client), without
the session touch, and in transactions of 10 × B turns.  Prints
the process CPU time per turn of each variant (Python's own overhead included: compare
the rows with each other, not with bench/ws's "log" column).  docs/performance.md has
the figures.

Since schema step 13 (store/log_index.c) a store has no FTS5 or report trigger on
messages: those variants then measure the same as "every trigger", and the index work is
done by passes that this script does not replay (bench/reports prints their CPU per
message).  Give it a store at schema 12 to see the per-row triggers' cost.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "lib"))
import scratch_store  # noqa: E402

META = ('{"title":"Recipient hasn\'t got my transfer","fallback":false,"lang":"en",'
        '"quick_replies":[],"client_id":"c37-276","why":"words"}')
INSERT = ("INSERT INTO messages (session_id, kind, client_id, text, answer_id, confidence,"
          " latency_us, meta, reply_to, created_ms) VALUES (?,?,?,?,?,?,?,?,?,?)"
          " ON CONFLICT DO NOTHING")
VARIANTS = [
    ("every trigger", []),
    ("without the FTS5 trigram index", ["messages_fts_insert"]),
    ("without report_customer", ["report_customer"]),
    ("without report_bot", ["report_bot"]),
    ("without messages_lang", ["messages_lang"]),
    ("without report_conversation, messages_reopen", ["report_conversation", "messages_reopen"]),
    ("without any of these", ["messages_fts_insert", "report_customer", "report_bot",
                              "messages_lang", "report_conversation", "messages_reopen"]),
    # what the rest costs: an index entry of each turn lands on its session's page
    ("without the index messages_session", ["INDEX messages_session"]),
    ("without the index messages_client", ["INDEX messages_client"]),
    ("without the session touch", ["TOUCH"]),
    ("transactions 10x larger", ["BATCH10"]),
]


def run(src, tmp, drop, turns, batch):
    db = scratch_store.open_copy(src, tmp)
    db.execute("PRAGMA foreign_keys=on")
    db.execute("PRAGMA secure_delete=on")   # as store/db.c opens it
    touch = "TOUCH" not in drop
    if "BATCH10" in drop:
        batch *= 10
    for t in drop:
        if t.startswith("INDEX "):
            db.execute("DROP " + t)
        elif t not in ("TOUCH", "BATCH10"):
            db.execute("DROP TRIGGER IF EXISTS " + t)
    sids = [r[0] for r in db.execute("SELECT id FROM sessions")] or [None]
    if sids == [None]:
        raise SystemExit("log_cost.py: the store has no session; give it one that served")
    k = 0
    t0 = time.process_time()
    for _ in range(turns // batch):
        db.execute("BEGIN IMMEDIATE")
        for _ in range(batch):
            s = sids[k % len(sids)]
            k += 1
            now = int(time.time() * 1000)
            c = db.execute(INSERT, (s, 0, "lc%d" % k, "How do I top up my account?", None,
                                    None, None, None, None, now)).lastrowid
            db.execute(INSERT, (s, 1, None, "You can top up by card or bank transfer.", 5,
                                0.9, 1234, META, c, now))
            if touch:
                db.execute("UPDATE sessions SET last_ms = ? WHERE id = ?", (now, s))
        db.execute("COMMIT")
    us = (time.process_time() - t0) / k * 1e6
    db.close()
    return us


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("store")
    p.add_argument("--turns", type=int, default=6000)
    p.add_argument("--batch", type=int, default=50)
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="kefu-logcost-")
    try:
        print("CPU per logged turn (customer message + reply + session touch), "
              "%d turns in transactions of %d" % (a.turns, a.batch))
        for name, drop in VARIANTS:
            print("  %-48s %7.1f µs" % (name, run(a.store, tmp, drop, a.turns, a.batch)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
