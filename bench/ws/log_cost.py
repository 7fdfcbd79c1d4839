#!/usr/bin/python3
"""bench/ws/log_cost.py — what one logged turn costs the store writer, part by part.

    bench/ws/log_cost.py STORE.db [--turns N] [--batch B] [--repeat R] [--only I,J,...]

Copies STORE.db (a store that served traffic, so its tables and indexes have their real
size) and replays the store writer's statements for N turns (store/stmt.c: the customer
message, the bot reply with a reply meta like kefud's, the session touch) in
transactions of B turns (WAL, synchronous=NORMAL, foreign keys on, as store/ opens it),
once with the schema as it is and once per variant: without each group of AFTER INSERT
triggers on `messages` (the FTS5 trigram index of customer and operator words, the
report counters, the session language, the conversation flags), without each index the
insert maintains (messages_session, messages_client, sessions_last), without the session
touch (since the third pass of issue 14 the writer no longer touches: log index passes
set last_ms), in transactions of 10 x B turns, with another page size, a checkpoint every
4000 WAL pages, a 64 MB page cache, the customer message's two session triggers
folded into one that also touches, and one row a turn (the reply's columns added to the
customer message's row: what a schema with one row per turn would write).  The first batch of each variant warms the cache and
is not counted; every variant runs R times, round by round (so the machine's load moves
the rows alike), and the median is printed with the single runs.  Prints the process
CPU time per turn (Python's own overhead included: compare the rows with each other, not
with bench/ws's "log" column).  docs/performance.md has the figures.

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
REPLY_COLS = ("r_text TEXT", "r_answer INTEGER", "r_conf REAL", "r_latency INTEGER", "r_meta TEXT")
INSERT_ONE = ("INSERT INTO messages (session_id, kind, client_id, text, created_ms, r_text,"
              " r_answer, r_conf, r_latency, r_meta) VALUES (?,?,?,?,?,?,?,?,?,?)"
              " ON CONFLICT DO NOTHING")
ONE_TRIGGER = (
    "DROP TRIGGER messages_reopen; DROP TRIGGER report_conversation;"
    "CREATE TRIGGER messages_customer AFTER INSERT ON messages WHEN NEW.kind = 0 BEGIN"
    " UPDATE sessions SET last_ms = NEW.created_ms, resolved_ms = NULL,"
    "  report_flags = report_flags | 1 WHERE id = NEW.session_id; END")
VARIANTS = [
    ("every trigger", []),
    ("without the FTS5 trigram index", ["messages_fts_insert"]),
    ("without report_customer", ["report_customer"]),
    ("without report_bot", ["report_bot"]),
    ("without messages_lang", ["messages_lang"]),
    ("without report_conversation, messages_reopen", ["report_conversation", "messages_reopen"]),
    ("without the three session triggers", ["messages_lang", "report_conversation",
                                             "messages_reopen"]),
    ("without any of these", ["messages_fts_insert", "report_customer", "report_bot",
                              "messages_lang", "report_conversation", "messages_reopen"]),
    # what the rest costs: an index entry of each turn lands on its session's page
    ("without the index messages_session", ["INDEX messages_session"]),
    ("without the index messages_client", ["INDEX messages_client"]),
    ("without the index messages_reply_to", ["INDEX messages_reply_to"]),
    ("without the index sessions_last", ["INDEX sessions_last"]),
    ("with a session touch per turn (before issue 14's third pass)", ["TOUCH"]),
    ("transactions 10x larger", ["BATCH10"]),
    # how each dirtied page costs: its bytes in the WAL and in the checkpoint's copy
    ("page size 1024", ["PAGE 1024"]),
    ("page size 2048", ["PAGE 2048"]),
    ("checkpoint every 4000 pages", ["CKPT 4000"]),
    ("page cache 64 MB", ["CACHE 64"]),
    # a customer message's two session triggers as one, with the session touch
    ("one customer trigger, touch in it", ["TOUCH IN TRIGGER", "SQL " + ONE_TRIGGER]),
    # the reply in its customer message's row (columns added here): one row, one
    # messages_session entry and one foreign-key look-up a turn, no messages_reply_to
    ("one row a turn (the reply in the customer's row)", ["ONE ROW"]),
]


def run(src, tmp, drop, turns, batch):
    db = scratch_store.open_copy(src, tmp)
    for t in drop:
        if t.startswith("PAGE "):   # a page size is set by rewriting the file
            db.execute("PRAGMA journal_mode=delete")
            db.execute("PRAGMA page_size=" + t.split()[1])
            db.execute("VACUUM")
            db.execute("PRAGMA journal_mode=wal")
    db.execute("PRAGMA foreign_keys=on")
    db.execute("PRAGMA secure_delete=on")   # as store/db.c opens it
    touch = "TOUCH" in drop
    one_row = "ONE ROW" in drop
    for c in REPLY_COLS if one_row else ():
        db.execute("ALTER TABLE messages ADD COLUMN " + c)
    for t in drop:
        if t == "BATCH10":
            batch *= 10
        elif t.startswith("INDEX "):
            db.execute("DROP " + t)
        elif t.startswith("CKPT "):
            db.execute("PRAGMA wal_autocheckpoint=" + t.split()[1])
        elif t.startswith("CACHE "):
            db.execute("PRAGMA cache_size=-%d" % (int(t.split()[1]) * 1024))
        elif t.startswith("SQL "):
            db.executescript("BEGIN;" + t[4:] + ";COMMIT")
        elif not t.startswith(("TOUCH", "PAGE ", "ONE ROW")):
            db.execute("DROP TRIGGER IF EXISTS " + t)
    sids = [r[0] for r in db.execute("SELECT id FROM sessions")] or [None]
    if sids == [None]:
        raise SystemExit("log_cost.py: the store has no session; give it one that served")
    # warm the page cache as a running writer has it: the first batch is not counted
    k = 0
    t0 = None
    for i in range(turns // batch + 1):
        if i == 1:
            t0 = time.process_time()
            k0 = k
        db.execute("BEGIN IMMEDIATE")
        for _ in range(batch):
            s = sids[k % len(sids)]
            k += 1
            now = int(time.time() * 1000)
            if one_row:
                db.execute(INSERT_ONE, (s, 0, "lc%d" % k, "How do I top up my account?", now,
                                        "You can top up by card or bank transfer.", 5, 0.9,
                                        1234, META))
                continue
            c = db.execute(INSERT, (s, 0, "lc%d" % k, "How do I top up my account?", None,
                                    None, None, None, None, now)).lastrowid
            db.execute(INSERT, (s, 1, None, "You can top up by card or bank transfer.", 5,
                                0.9, 1234, META, c, now))
            if touch:
                db.execute("UPDATE sessions SET last_ms = ? WHERE id = ?", (now, s))
        db.execute("COMMIT")
    us = (time.process_time() - t0) / (k - k0) * 1e6
    db.close()
    return us


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("store")
    p.add_argument("--turns", type=int, default=6000)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--repeat", type=int, default=3,
                   help="rounds over every variant (the median is printed)")
    p.add_argument("--only", default="", help="comma-separated variant numbers (0 = first)")
    a = p.parse_args()
    chosen = [VARIANTS[int(i)] for i in a.only.split(",")] if a.only else VARIANTS
    tmp = tempfile.mkdtemp(prefix="kefu-logcost-")
    try:
        got = {name: [] for name, _ in chosen}
        for _ in range(a.repeat):   # rounds, so the machine's load moves every row alike
            for name, drop in chosen:
                got[name].append(run(a.store, tmp, drop, a.turns, a.batch))
        print("CPU per logged turn (customer message + reply), "
              "%d turns in transactions of %d, median of %d; load average %.1f"
              % (a.turns, a.batch, a.repeat, os.getloadavg()[0]))
        for name, _ in chosen:
            v = sorted(got[name])
            print("  %-48s %7.1f µs  (%s)" % (name, v[len(v) // 2],
                                             " ".join("%.1f" % x for x in got[name])))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
