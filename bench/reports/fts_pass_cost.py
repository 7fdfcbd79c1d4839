#!/usr/bin/python3
"""bench/reports/fts_pass_cost.py — what a log index pass's FTS5 part costs a message, by
pass size and FTS5 merge setting, on a big index.

    bench/reports/fts_pass_cost.py STORE.db [--passes K] [SETTING:SIZE ...]

STORE.db: a store whose log is indexed (bench/reports leaves DIR/reportsbench.db, a
million messages).  For each SETTING:SIZE (SETTING an FTS5 option such as
"automerge=16", FTS5's default being automerge=4, or "store" for the store's own; SIZE
messages a pass), copies the store, sets the option, and adds the newest K*SIZE
messages' words to messages_fts again in K transactions of SIZE messages (INSERT ...
SELECT, then COMMIT: what store/log_index.c's pass does; the rows are indexed twice on
the copy, which costs FTS5 the same as new ones), WAL and synchronous=NORMAL as kefu
opens a store.  Prints the process CPU per message of the
range (customer, bot and operator messages; only customers' and operators' words are
indexed).  docs/performance.md "The log index" has the figures.
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


def run(src, tmp, setting, size, passes):
    db = scratch_store.open_copy(src, tmp)
    if setting != "store":
        k, v = setting.split("=")
        db.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES (?, ?)", (k, int(v)))
    top = db.execute("SELECT max(id) FROM messages").fetchone()[0]
    lo = top - size * passes
    t0 = time.process_time()
    for i in range(passes):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages"
                   " WHERE id > ?1 AND id <= ?2 AND kind IN (0, 2)",
                   (lo + i * size, lo + (i + 1) * size))
        db.execute("COMMIT")
    us = (time.process_time() - t0) / (size * passes) * 1e6
    db.close()
    return us


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("store")
    p.add_argument("--passes", type=int, default=20)
    p.add_argument("runs", nargs="*", default=["automerge=4:2048", "automerge=16:2048",
                                              "automerge=4:4096", "automerge=16:4096",
                                              "automerge=4:8192", "automerge=16:8192"])
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="kefu-ftspass-")
    try:
        print("FTS5 part of a log index pass, %d passes each, CPU per message" % a.passes)
        for r in a.runs:
            setting, size = r.rsplit(":", 1)
            print("  %-16s %6s messages a pass  %7.2f µs" %
                  (setting, size, run(a.store, tmp, setting, int(size), a.passes)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
