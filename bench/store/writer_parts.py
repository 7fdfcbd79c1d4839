#!/usr/bin/python3
"""bench/store/writer_parts.py — where kefud's store writer thread spends its CPU, from a
perf profile of that thread: each sample is put in one part by the functions on its
stack (the turns' inserts and what they do in SQLite, COMMIT's WAL frames, the log index
passes, the session state, ...), and its reads of the WAL or the database file (pread: a
page SQLite's page cache did not hold, or in COMMIT frames read back to checksum them
again after the cache spilled pages in mid-transaction) are counted beside.

    perf record -F 999 --call-graph dwarf,16384 -t TID_OF_KD_WRITER -o perf.data -- sleep 5
    perf script -i perf.data -F comm,tid,ip,sym > writer.txt
    bench/store/writer_parts.py writer.txt [TURNS]

TURNS: the turns the writer committed during the record (kefu_store_turns_total of
/metrics before and after); with it each part is also given in µs a turn (samples ÷ the
sampling rate ÷ turns; --hz, 999 by default).  Debian's libsqlite3 has no symbols for its
static functions (FTS5, JSON, most of the pager): they show as [unknown] and are classed
by the exported functions around them.  docs/performance.md "Issue 14, eleventh session".
"""
import argparse
import collections


def stacks(path):
    """Yields each sample's stack, leaf first."""
    cur = None
    for line in open(path, errors='replace'):
        if not line.strip():
            if cur:
                yield cur
            cur = None
        elif not line[0].isspace():
            cur = []                      # a sample's header line
        elif cur is not None:
            parts = line.split(None, 1)
            cur.append(parts[1].strip().replace(' (inlined)', '') if len(parts) > 1 else '?')
    if cur:
        yield cur


# (sets of frames, part): a sample matches when its stack holds at least one frame of each
# set; the first rule that matches names its part; a stack that matches none is "other".
PASS = {'index_pass', 'store_log_index', 'store_log_rollup'}
INSERT = {'store_message_add'}
PARTS = [
    ([{'store_log_rollup'}], 'pass: rollups counted in C'),
    ([{'sqlite3WalFrames', 'sqlite3VdbeHalt'}, PASS], 'pass: its COMMIT'),
    ([PASS], 'pass: FTS5, last_ms, watermark'),
    ([{'store_log_session_note'}], 'turn: session state'),
    ([{'store_log_sessions_begin'}], 'batch: data_version'),
    ([{'sqlite3BtreeIndexMoveto'}, INSERT], 'turn insert: index seeks'),
    ([{'sqlite3BtreeTableMoveto'}, INSERT], 'turn insert: table seeks (rowid, foreign key)'),
    ([{'sqlite3BtreeInsert'}, INSERT], 'turn insert: b-tree inserts'),
    ([{'sqlite3VdbeExec'}, INSERT], 'turn insert: the statement otherwise'),
    ([INSERT], 'turn insert: binding, step, reset'),
    ([{'wal_hook'}], "wal_hook (the writer's own checkpoint)"),
    ([{'sqlite3WalFrames'}], 'COMMIT: WAL frames'),
    ([{'sqlite3VdbeHalt', 'sqlite3BtreeCommitPhaseTwo'}], 'COMMIT: otherwise'),
    ([{'sqlite3VdbeExec', 'sqlite3BtreeBeginTrans'}], 'BEGIN, other statements'),
    ([{'store_turn_free'}], 'turns freed'),
    ([{'turn_done'}], 'done() (the reply handed back)'),
    ([{'cm_queue_pop_many'}], 'the queue'),
]
# where a read of the WAL or the file happened, the same way
READS = [
    (PASS, 'in passes'),
    ({'sqlite3WalFrames'}, 'in COMMIT'),
    (INSERT, 'in the inserts'),
]
PREAD = {'__libc_pread64', '__x64_sys_pread64', 'wv_read'}


def part(st):
    if st[0].startswith('finish_task_switch'):
        return 'asleep (queue wait)'
    s = set(st)
    return next((name for sets, name in PARTS if all(s & x for x in sets)), 'other')


def where_read(st):
    s = set(st)
    if not s & PREAD:
        return None
    return next((name for any_of, name in READS if s & any_of), 'elsewhere')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('script', help='perf script -F comm,tid,ip,sym output of kd-writer')
    ap.add_argument('turns', nargs='?', type=float, default=0)
    ap.add_argument('--hz', type=float, default=999)
    a = ap.parse_args()
    parts, reads, n = collections.Counter(), collections.Counter(), 0
    for st in stacks(a.script):
        n += 1
        parts[part(st)] += 1
        r = where_read(st)
        if r:
            reads[r] += 1
    if not n:
        raise SystemExit('no samples in ' + a.script)
    us = (lambda v: f'{v / a.hz / a.turns * 1e6:6.2f} µs a turn') if a.turns else (lambda v: '')
    print(f'{n} samples of kd-writer' + (f', {a.turns:.0f} turns' if a.turns else ''))
    for k, v in parts.most_common():
        print(f'  {k:46s} {100 * v / n:5.1f} %  {us(v)}')
    print(f'  of which reads of the WAL or file (pread)       {100 * sum(reads.values()) / n:5.1f} %'
          f'  {us(sum(reads.values()))}')
    for k, v in reads.most_common():
        print(f'    {k:44s} {100 * v / n:5.1f} %')


if __name__ == '__main__':
    main()
