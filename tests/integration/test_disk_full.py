"""tests/integration/test_disk_full.py — kefud on a really full disk: a small ext4 file
system on a loop device made here (mkfs.ext4, mount -o loop; root only).

The seeded database is copied onto it, kefud serves from there (min_free_disk 1 MiB: it
refuses uploads below that floor, test_attacks.py; text turns still go to SQLite, which
meets the full disk itself), a filler file takes every free block, and a customer keeps
writing long messages:
- each message is either answered (the write-ahead log still had room) or gets the stable
  error `storage_full` — never `internal`, never a dropped connection — and kefud stays up
  (/healthz 200, /readyz 503 naming the disk);
- a new chat is refused with the same `storage_full` (its session row cannot be written);
- the filler is deleted and, without a restart, the next message is answered again;
- after a clean SIGTERM every reply the customer received is in the log once and
  `kefu check` finds the database intact;
- with min_free_disk 0 (no floor: only SQLite meets the full disk) /readyz says 503 naming
  the session log's failed commit while turns get storage_full, and 200 again once a turn
  commits after the space returned.
Skipped (exit 77, with the reason) when the test is not root or the loop mount fails.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import kefutest as kt
from kefutest import check

MB = 1 << 20
IMAGE_MB = 40


def skip(why):
    print("skipped: %s" % why, flush=True)
    sys.exit(77)


def readyz(d):
    st, _, body = kt.http_get(d.port, "/readyz")
    return st, json.loads(body or b"{}")


def mount_small_fs(tmp):
    if os.geteuid() != 0:
        skip("mounting a loop file system needs root (CI runs as root)")
    img, mnt = os.path.join(tmp, "fs.img"), os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    with open(img, "wb") as f:
        f.truncate(IMAGE_MB * MB)
    p = subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", img], capture_output=True)
    if p.returncode:
        skip("mkfs.ext4 failed: %s" % p.stderr.decode(errors="replace").strip())
    p = subprocess.run(["mount", "-o", "loop", img, mnt], capture_output=True)
    if p.returncode:
        skip("mount -o loop is not permitted here: %s" %
             p.stderr.decode(errors="replace").strip())
    return mnt


def fill(path):
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * MB)
                f.flush()
        except OSError:
            pass
        try:
            while True:                     # the last partial megabyte
                f.write(b"\0" * 4096)
                f.flush()
        except OSError:
            pass


def until_full(ws, prefix, received):
    """Long messages until one gets storage_full; returns (that frame, answered)."""
    for i in range(3000):
        mid = "%s-%d" % (prefix, i)
        ws.message(mid, "%d I lost my card and need a new one quickly please " % i * 30)
        f = ws.recv_json()
        check(f.get("id") == mid, "frame for %s: %r", mid, f)
        if f["type"] == "reply":
            received[mid] = f["text"]
            continue
        check(f["type"] == "error" and f.get("code") == "storage_full",
              "on a full disk %s got %r (expected a reply or storage_full)", mid, f)
        return f, i
    check(False, "3000 long messages on a full disk never met storage_full")


def until_answered(ws, prefix, received):
    """Short messages every 0.5 s until one is answered (20 s at most); returns tries."""
    deadline = time.monotonic() + 20
    i = 0
    while True:
        mid = "%s-%d" % (prefix, i)
        i += 1
        ws.message(mid, "I lost my card")
        f = ws.recv_json()
        if f["type"] == "reply":
            received[mid] = f["text"]
            return i
        check(f.get("code") == "storage_full", "after the space returned: %r", f)
        check(time.monotonic() < deadline, "no reply 20 s after the space returned")
        time.sleep(0.5)


def no_floor(db, mnt):
    """min_free_disk 0: /readyz follows the session log writer's last commit."""
    d = kt.Kefud("--min-free-disk", "0", "--asr", "false", "--vision", "false",
                 "--rate-limit", "1000000", db=db, name="kefud-nofloor").start()
    ws = d.ws()
    token = ws.welcome()["session"]
    received = {}
    rst, rbody = readyz(d)
    check(rst == 200, "/readyz before the disk fills: %s %r", rst, rbody)
    fill(os.path.join(mnt, "filler"))
    full, answered = until_full(ws, "nofloor", received)
    rst, rbody = readyz(d)
    check(rst == 503 and rbody.get("reason", "").startswith("store: the session log's last "
                                                            "commit failed"),
          "/readyz with min_free_disk 0 while turns get storage_full: %s %r", rst, rbody)
    kt.log("min_free_disk 0: %d messages answered, then storage_full; /readyz %s %r",
           answered, rst, rbody.get("reason"))
    os.unlink(os.path.join(mnt, "filler"))
    tries = until_answered(ws, "nofloor-after", received)
    rst, rbody = readyz(d)
    check(rst == 200, "/readyz after a turn committed again: %s %r", rst, rbody)
    kt.log("space returned: answered after %d attempt(s); /readyz 200 again", tries)
    ws.close()
    d.stop()
    d.start()
    kt.check_logged(d, {token: received})
    d.stop()


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-diskfull-")
    seed = kt.Kefud("--asr", "false", "--vision", "false").start()
    seed.stop()
    mnt = mount_small_fs(tmp)
    try:
        db = os.path.join(mnt, "kefu.db")
        shutil.copy(seed.db, db)
        d = kt.Kefud("--min-free-disk", "1", "--asr", "false", "--vision", "false",
                     "--rate-limit", "1000000", "--history-limit", "100000",
                     "--history-bytes", str(16 << 20), db=db).start()
        ws = d.ws()
        token = ws.welcome()["session"]
        received = {}
        r = ws.ask("before", "I lost my card")
        received["before"] = r["text"]

        fill(os.path.join(mnt, "filler"))
        st = os.statvfs(mnt)
        kt.log("filled: %d bytes free on the %d MB file system", st.f_bavail * st.f_frsize,
               IMAGE_MB)
        full, answered = until_full(ws, "full", received)
        check(d.alive(), "kefud died on the full disk")
        check(d.healthz()["status"] == "ok", "/healthz on a full disk")
        time.sleep(1.1)                     # the disk is looked at once a second
        rst, rbody = readyz(d)
        check(rst == 503 and rbody.get("reason", "").startswith(("disk", "store")),
              "/readyz on a full disk: %s %r", rst, rbody)
        # a new chat cannot get its session row: it is told so, with the same code
        w2 = d.ws()
        e = w2.recv_json()
        check(e.get("type") == "error" and e.get("code") == "storage_full",
              "a new chat on a full disk: %r", e)
        w2.close()
        kt.log("full disk: %d long messages answered, then storage_full (%r); kefud up, "
               "/readyz %s %r; a new chat gets storage_full too", answered,
               full.get("message"), rst, rbody.get("reason"))

        os.unlink(os.path.join(mnt, "filler"))
        i = until_answered(ws, "after", received)
        kt.log("space returned: answered again after %d attempt(s), no restart", i)
        ws.close()
        d.stop()
        d.start()
        kt.check_logged(d, {token: received})
        d.stop()
        _, out, _ = kt.run_kefu("check", "--db", db, "--json")
        c = json.loads(out)
        check(c.get("ok") is True and c.get("integrity") == "ok", "kefu check: %r", c)
        kt.log("after SIGTERM and restart: all %d received replies logged; kefu check ok",
               len(received))
        no_floor(db, mnt)
    finally:
        subprocess.run(["umount", "-l", mnt])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    kt.main(run)
