#!/usr/bin/python3
"""bench/mem/smaps.py — where a process's resident memory is, by kind of mapping.

    bench/mem/smaps.py PID            # one table
    bench/mem/smaps.py PID --json     # the same as one JSON object

Reads /proc/PID/smaps and sums Rss (and Pss, Private_Dirty) over the mappings of each
kind: the models kefud maps read-only (models/*.kfm, *.kfv), tesseract and pocketsphinx
data files, shared libraries (OpenBLAS apart), the SQLite files, the main heap, glibc's
per-thread malloc arenas (anonymous mappings inside a 64 MiB-aligned arena reservation),
thread stacks and other anonymous memory.  docs/performance.md ("Memory") has the
figures for kefud.  Linux only; no dependency beyond python3.
"""
import json
import re
import sys

ARENA = 64 << 20
HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def kind_of(path, start, end, perms):
    if path.endswith((".kfm", ".kfv")) or "/models/" in path:
        return "models (mmapped files)"
    if "tessdata" in path or path.endswith(".traineddata"):
        return "tesseract data"
    if "pocketsphinx" in path or "sphinx" in path:
        return "pocketsphinx data"
    if "openblas" in path:
        return "OpenBLAS library"
    if ".so" in path:
        return "other shared libraries"
    if path.endswith((".db", ".db-shm", ".db-wal")):
        return "SQLite files"
    if path == "[heap]":
        return "main heap (brk)"
    if path.startswith("[stack"):
        return "main stack"
    if path.startswith("["):
        return "kernel (vdso, vvar)"
    if path:
        return "other files"
    if perms == "---p":
        return "guard pages / reserved"
    if start % ARENA == 0 or (end - start) <= ARENA and start // ARENA == (end - 1) // ARENA \
            and (end - start) != 8 << 20:
        # glibc arenas are carved out of 64 MiB-aligned reservations; a thread stack is
        # an 8 MiB mapping of its own
        return "glibc arenas and other anonymous"
    if (end - start) == 8 << 20:
        return "thread stacks"
    return "glibc arenas and other anonymous"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    pid = sys.argv[1]
    sums = {}
    cur = None
    with open("/proc/%s/smaps" % pid) as f:
        for line in f:
            m = HEADER.match(line)
            if m:
                start, end = int(m.group(1), 16), int(m.group(2), 16)
                cur = sums.setdefault(kind_of(m.group(4).strip(), start, end, m.group(3)),
                                      {"rss_kb": 0, "pss_kb": 0, "private_dirty_kb": 0,
                                       "mappings": 0})
                cur["mappings"] += 1
                continue
            key, _, rest = line.partition(":")
            if cur is not None and key in ("Rss", "Pss", "Private_Dirty"):
                cur[{"Rss": "rss_kb", "Pss": "pss_kb",
                     "Private_Dirty": "private_dirty_kb"}[key]] += int(rest.split()[0])
    if "--json" in sys.argv:
        print(json.dumps(sums, indent=1, sort_keys=True))
        return
    total = sum(v["rss_kb"] for v in sums.values())
    print("%-34s %9s %9s %9s %6s" % ("kind", "RSS MB", "PSS MB", "dirty MB", "maps"))
    for k, v in sorted(sums.items(), key=lambda kv: -kv[1]["rss_kb"]):
        print("%-34s %9.1f %9.1f %9.1f %6d" % (k, v["rss_kb"] / 1024, v["pss_kb"] / 1024,
                                                v["private_dirty_kb"] / 1024, v["mappings"]))
    print("%-34s %9.1f" % ("total", total / 1024))


if __name__ == "__main__":
    main()
