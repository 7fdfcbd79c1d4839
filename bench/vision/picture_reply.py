#!/usr/bin/env python3
"""bench/vision/picture_reply.py BUILD [REF_BUILD] [N] — how long kefud takes to answer a
picture with words, measured by a client over the WebSocket from the picture's header to
its reply (docs/performance.md "Pictures", issue 14's target: median <= 250 ms).

Two kinds of picture, each with words, alternated N times (default 15):
  screenshot  vision/testdata/ocr_error.png (487x95, "Error 0x80070005: Access is denied.
              Order #A1234567 could not be shipped.") with "what does this error mean?"
  photo       a clothing validation photo (400x533 JPEG; $CLOTHING or shared/data/clothing,
              else vision/testdata/cnn_tshirt.png) with "can I return this?"
plus "first": the first picture (a photo) after a fresh start, sent once the new kefud logged
its vision workers ready (the reference gets the same wait: it makes its vision worker on
its first picture, so this is the first-picture cost a customer sees a few seconds after a
start).  Beside the wall-clock times, "cpu_ms": kefud's own CPU time per picture
(/proc/PID/stat, every thread), which the other processes on the machine do not inflate.

The store is the test fusion fixture (daemon/fusion_fixture: an answer catalogue, its
pictures and a fusion model), so every step of a picture runs: decode, OCR, codes, safety
CNN, 3-view embedding, catalogue, fusion, policy, the logged turn.  kefud runs with
--workers 2 --media-workers 1 (one picture at a time, as on this 2-core machine).

With REF_BUILD (a build of an earlier commit: its daemon/kefud), both daemons run on copies
of the same store at the same time and the pictures are sent to them in turn (ref, new, ref,
new, ...) so both see the same machine load; each line prints the new median beside the
reference's.  Medians and the ratio are what to read on a shared machine.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
import kefutest as kt  # noqa: E402

TESTDATA = os.path.join(SRC, "vision", "testdata")


def photo_path():
    base = os.environ.get("CLOTHING", os.path.join(SRC, "..", "shared", "data", "clothing"))
    for d in (os.path.join(base, "validation", "t-shirt"),):
        if os.path.isdir(d):
            jpgs = sorted(f for f in os.listdir(d) if f.endswith(".jpg"))
            if jpgs:
                return os.path.join(d, jpgs[0]), "image/jpeg"
    return os.path.join(TESTDATA, "cnn_tshirt.png"), "image/png"


class Daemon:
    """One kefud (of one build) on its own copy of the store, with one chat connection."""

    def __init__(self, name, build, db, models):
        self.name = name
        kt.KEFUD = os.path.join(build, "daemon", "kefud")
        self.d = kt.Kefud("--workers", "2", "--media-workers", "1", "--models", models,
                          db=db, name=name)
        self.n = 0
        self.ws = None
        self.seen = []
        self.cpu_s = []

    def cpu(self):
        """kefud's CPU seconds so far (user + system, every thread)."""
        with open("/proc/%d/stat" % self.d.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def picture(self, data, mime, words):
        """Seconds from the header to the reply (the seen frame comes first)."""
        self.n += 1
        c0 = self.cpu()
        t0 = time.monotonic()
        self.ws.send_json({"type": "image", "id": "%s-%d" % (self.name, self.n),
                           "bytes": len(data), "mime": mime, "text": words})
        self.ws.send_frame(kt.OP_BINARY, data)
        seen = self.ws.expect("seen", timeout=120)
        self.ws.expect("reply", timeout=120)
        dt = time.monotonic() - t0
        time.sleep(0.05)          # the turn's log write and the reply's send, then count
        self.cpu_s.append(self.cpu() - c0)
        self.seen.append(seen)
        return dt

    def stop(self):
        self.ws.close()
        self.d.stop(timeout=120)


def med(v):
    return statistics.median(v) * 1000 if v else float("nan")


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    build = os.path.abspath(args[0])
    ref = os.path.abspath(args[1]) if len(args) > 1 and not args[1].isdigit() else None
    n = int(args[-1]) if args[-1].isdigit() else 15
    models = os.environ.get("KEFU_MODELS", os.path.join(SRC, "models"))
    tmp = tempfile.mkdtemp(prefix="kefu-picbench-")
    try:
        # the store: made by kefud, then the fusion fixture's answers, pictures, model
        kt.KEFUD = os.path.join(build, "daemon", "kefud")
        d = kt.Kefud(tmp=tmp)
        d.start()
        d.stop()
        subprocess.run([os.path.join(build, "daemon", "fusion_fixture"), d.db, models,
                        "mobilenet_v2_imagenet",
                        "shoes=" + os.path.join(TESTDATA, "cnn_shoes.png"),
                        "tshirt=" + os.path.join(TESTDATA, "cnn_tshirt.png")],
                       check=True, capture_output=True)
        builds = [("new", build)] + ([("ref", ref)] if ref else [])
        daemons = []
        for name, b in builds:
            db = os.path.join(tmp, name + ".db")
            shutil.copy(d.db, db)
            daemons.append(Daemon(name, b, db, models))
        with open(os.path.join(TESTDATA, "ocr_error.png"), "rb") as f:
            shot = f.read()
        ppath, pmime = photo_path()
        with open(ppath, "rb") as f:
            photo = f.read()
        kinds = [("screenshot", shot, "image/png", "what does this error mean?"),
                 ("photo", photo, pmime, "can I return this?")]
        times = {(dm.name, k[0]): [] for dm in daemons for k in kinds}
        cpus = {(dm.name, k[0]): [] for dm in daemons for k in kinds}
        first = {}
        warm = 0.0
        for dm in daemons:            # one at a time: a start is CPU-heavy
            kt.KEFUD = os.path.join(dict(builds)[dm.name], "daemon", "kefud")
            t0 = time.monotonic()
            dm.d.start(timeout=300)
            if dm.name == "new":      # until its vision workers are made
                while "vision worker" not in dm.d.log_tail(400) and \
                        time.monotonic() - t0 < 120:
                    time.sleep(0.1)
                warm = time.monotonic() - t0
            else:
                time.sleep(max(0.0, warm - (time.monotonic() - t0)))
            dm.ws = dm.d.ws(timeout=120)
            dm.ws.welcome()
            first[dm.name] = dm.picture(photo, pmime, "can I return this?")
            dm.seen.clear()
            dm.cpu_s.clear()
        for _ in range(n):
            for kind, data, mime, words in kinds:
                for dm in reversed(daemons):     # the reference first in each pair
                    times[(dm.name, kind)].append(dm.picture(data, mime, words))
                    cpus[(dm.name, kind)].append(dm.cpu_s[-1])
        print("machine: %d cores, load average %s; %d of each kind; photo %s" %
              (os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]), n,
               os.path.basename(ppath)))
        for kind, *_ in kinds:
            new = times[("new", kind)]
            line = "picture_reply %-10s median_ms %6.1f p90_ms %6.1f cpu_ms %6.1f" % (
                kind, med(new), sorted(new)[int(0.9 * (len(new) - 1))] * 1000,
                med(cpus[("new", kind)]))
            if ref:
                r = times[("ref", kind)]
                line += "   reference median_ms %6.1f cpu_ms %6.1f   ratio %.2f" % (
                    med(r), med(cpus[("ref", kind)]), med(new) / med(r))
            print(line)
        line = "picture_reply first      ms %6.1f" % (first["new"] * 1000)
        if ref:
            line += "   reference ms %6.1f" % (first["ref"] * 1000)
        print(line)
        # where the time goes in the new daemon (the seen frame's own timings, if sent)
        t = [s.get("timings_ms") or s.get("ms") for s in daemons[0].seen]
        t = [x for x in t if isinstance(x, dict)]
        if t:
            keys = sorted({k for x in t for k in x})
            print("new seen timings median_ms " + " ".join(
                "%s %.1f" % (k, statistics.median([x.get(k, 0) for x in t])) for k in keys))
        for dm in daemons:
            dm.stop()
    finally:
        if not os.environ.get("KEFU_TEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
