#!/usr/bin/python3
"""bench/store/wal_pages.py — which b-trees the frames of a store's WAL are, per commit.

    bench/store/wal_pages.py COPY.db COPY.db-wal

COPY.db and COPY.db-wal: copies of a store and its WAL taken while kefud writes (stop it
with SIGSTOP under load, copy both, then end it).  Reads the frame headers of the WAL's
last generation (page number; a non-zero second word ends a commit), names each page's
b-tree with SQLite's dbstat table on COPY.db (opened read-only, without the WAL) and
prints the mean frames per commit by b-tree over the commits of more than 3 frames (the
log writer's batches).  docs/performance.md ("fifth pass") has the figures.
"""
import collections
import sqlite3
import struct
import sys


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    wal = open(sys.argv[2], "rb").read()
    psz = struct.unpack(">I", wal[8:12])[0]
    salts = wal[40:48]               # the first frame's: the generation on the disk
    off, commits, cur = 32, [], []
    while off + 24 + psz <= len(wal) and wal[off + 8:off + 16] == salts:
        page, size = struct.unpack(">II", wal[off:off + 8])
        cur.append(page)
        if size:
            commits.append(cur)
            cur = []
        off += 24 + psz
    db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
    name = dict(db.execute("SELECT pageno, name FROM dbstat"))
    big = [c for c in commits if len(c) > 3]
    if not big:
        raise SystemExit("wal_pages.py: no commit of more than 3 frames in the WAL")
    by = collections.Counter(name.get(p, "?") for c in big for p in c)
    print("page size %d, %d commits of more than 3 frames, %.1f frames a commit"
          % (psz, len(big), sum(map(len, big)) / len(big)))
    for k, v in by.most_common(12):
        print("  %-28s %6.1f" % (k, v / len(big)))


if __name__ == "__main__":
    main()
