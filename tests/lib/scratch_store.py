"""tests/lib/scratch_store.py — a scratch copy of a kefu store for benches that change it:
the copy replaces any earlier one (its WAL and shared-memory files too) and is opened as
kefu opens a store (WAL, synchronous=NORMAL, autocommit: the caller's BEGIN/COMMIT)."""
import os
import shutil
import sqlite3


def open_copy(src, tmp, name="x.db"):
    """Copies the store src to tmp/name and returns a connection to the copy."""
    path = os.path.join(tmp, name)
    for f in (path, path + "-wal", path + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    shutil.copy(src, path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=wal")
    db.execute("PRAGMA synchronous=normal")
    return db
