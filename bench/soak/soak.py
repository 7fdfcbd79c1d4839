#!/usr/bin/python3
"""bench/soak/soak.py — kefud under many paced sessions of mixed traffic for a while.

    bench/soak/soak.py BUILD_DIR                 # short: 200 sessions, 20 s, a line per 5 s
    bench/soak/soak.py BUILD_DIR --full          # the issue's soak: 1000 sessions, 60 s
    bench/soak/soak.py BUILD_DIR --long          # 300 sessions, 30 min: does RSS grow?
    bench/soak/soak.py BUILD_DIR --sessions 500 --seconds 120 --think 90   # anything else

Starts BUILD_DIR/daemon/kefud on a fresh demo database (a free loopback port, its own
temp folder), opens --sessions chat sessions (python3-websockets, one asyncio loop) and
has each send, after an exponentially distributed think time (mean --think s), a text
question, a picture (a PNG of words: OCR, codes, embedding) or a voice clip (flite WAV:
ASR) in the --mix proportions, waiting for the answer before thinking again.  Every
--interval seconds it prints kefud's RSS and, per kind, answers, p50/p99 latency, busy
(kefud's back-pressure, a legitimate answer) and errors; at the end the totals beside the
reference, the first interval: RSS growth, latency drift, requests still unanswered 30 s
after the end (kefud's queue was longer than that) and whether kefud is still alive.
Exit 0 only when every request was answered, every session opened and none dropped.
"""
import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lib"))
from media import picture_png, voice_wav  # noqa: E402

KINDS = ("text", "image", "audio")
QUESTIONS = ["I lost my card", "How do I top up my account?", "Where is my new card?",
             "My transfer has not arrived yet", "What exchange rate do you use?",
             "Can I change my PIN?", "我的卡丢了", "怎么修改密码", "我想退款", "你们几点营业"]


def args_of():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("build", help="meson build folder holding daemon/kefud")
    p.add_argument("--sessions", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--interval", type=float, default=5, help="seconds between report lines")
    p.add_argument("--think", type=float, default=60, help="mean think time per session, s")
    p.add_argument("--mix", default="90/5/5", help="text/picture/voice percentages")
    p.add_argument("--full", action="store_true",
                   help="the issue's soak: 1000 sessions for 60 s, a line per 10 s")
    p.add_argument("--long", action="store_true",
                   help="the RSS soak: 300 sessions for 30 minutes, a line a minute")
    p.add_argument("--kefud-args", default="", help="extra kefud flags")
    a = p.parse_args()
    if a.full:
        a.sessions, a.seconds, a.interval = 1000, 60, 10
    if a.long:
        a.sessions, a.seconds, a.interval = 300, 1800, 60
    a.mix = [float(x) for x in a.mix.split("/")]
    if len(a.mix) != 3 or sum(a.mix) <= 0:
        p.error("--mix: three numbers, text/picture/voice")
    return a


def rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def start_kefud(build, tmp, extra):
    kefud = os.path.join(build, "daemon", "kefud")
    if not os.access(kefud, os.X_OK):
        sys.exit("soak.py: %s is not an executable" % kefud)
    port_file = os.path.join(tmp, "port")
    log = open(os.path.join(tmp, "kefud.log"), "wb")
    p = subprocess.Popen([kefud, "--listen", "127.0.0.1:0", "--port-file", port_file,
                          "--db", os.path.join(tmp, "kefu.db"), "--max-sessions", "100000",
                          "--idle-timeout", "0"] + extra.split(),
                         stdout=log, stderr=subprocess.STDOUT)
    for _ in range(1800):
        if p.poll() is not None:
            sys.exit("soak.py: kefud exited during start-up (log in %s)" % tmp)
        if os.path.exists(port_file) and open(port_file).read().strip().isdigit():
            return p, int(open(port_file).read())
        time.sleep(0.05)
    sys.exit("soak.py: kefud wrote no port")


class Stats:
    def __init__(self):
        self.lat = {k: [] for k in KINDS}
        self.busy = {k: 0 for k in KINDS}
        self.err = {k: 0 for k in KINDS}
        self.codes = {}

    def add(self, kind, f, seconds):
        if f["type"] == "reply":
            self.lat[kind].append(seconds)
        elif f.get("code") == "busy":
            self.busy[kind] += 1
        else:
            self.err[kind] += 1
            self.codes[f.get("code")] = self.codes.get(f.get("code"), 0) + 1


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def line(label, s, seconds, rss):
    parts = ["%-9s RSS %6.1f MB" % (label, rss)]
    for k in KINDS:
        parts.append("%s %5d (%5.1f/s) p50 %6.0f p99 %6.0f ms busy %d err %d" % (
            k, len(s.lat[k]), len(s.lat[k]) / seconds, pct(s.lat[k], 0.5) * 1000,
            pct(s.lat[k], 0.99) * 1000, s.busy[k], s.err[k]))
    return " | ".join(parts)


async def session(port, a, blobs, now, stats, pending, stop, rnd, opened):
    import websockets
    try:
        ws = await websockets.connect("ws://127.0.0.1:%d/ws" % port, subprotocols=["kefu.v1"],
                                      max_size=None, ping_interval=None, open_timeout=60,
                                      close_timeout=2)
        json.loads(await asyncio.wait_for(ws.recv(), 60))
    except Exception:                       # noqa: BLE001 — counted as a failed open
        opened["failed"] += 1
        return
    opened["ok"] += 1
    i = 0
    try:
        await asyncio.sleep(rnd.uniform(0, a.think))   # spread the first messages
        while not stop.is_set():
            kind = rnd.choices(KINDS, weights=a.mix)[0]
            mid = "m%d" % i
            i += 1
            t0 = time.monotonic()
            pending[0] += 1
            if kind == "text":
                await ws.send(json.dumps({"type": "message", "id": mid,
                                          "text": rnd.choice(QUESTIONS)}, ensure_ascii=False))
            else:
                await ws.send(json.dumps({"type": kind, "id": mid, "bytes": len(blobs[kind]),
                                          "mime": "image/png" if kind == "image"
                                          else "audio/wav"}))
                await ws.send(blobs[kind])
            while True:
                f = json.loads(await ws.recv())
                if f.get("id") == mid and f.get("type") in ("reply", "error"):
                    break
            pending[0] -= 1
            now[0].add(kind, f, time.monotonic() - t0)
            stats.add(kind, f, time.monotonic() - t0)
            try:
                await asyncio.wait_for(stop.wait(), rnd.expovariate(1 / a.think))
            except asyncio.TimeoutError:
                pass
    except Exception:                       # noqa: BLE001 — the connection ended
        opened["dropped"] += 1
    finally:
        await ws.close()


async def soak(a, port, pid, blobs):
    stats, now, pending = Stats(), [Stats()], [0]
    stop, opened = asyncio.Event(), {"ok": 0, "failed": 0, "dropped": 0}
    rnd = random.Random(7)
    tasks = [asyncio.create_task(session(port, a, blobs, now, stats, pending, stop,
                                         random.Random(rnd.random()), opened))
             for _ in range(a.sessions)]
    t_start = time.monotonic()
    rss0 = rss_mb(pid)
    print("kefud RSS before the sessions: %.1f MB; %d sessions, mix %s, think %.0f s mean"
          % (rss0, a.sessions, "/".join("%g" % x for x in a.mix), a.think), flush=True)
    first, first_rss, rss_max, t = None, None, rss0, 0
    while time.monotonic() - t_start < a.seconds:
        await asyncio.sleep(a.interval)
        t += a.interval
        cur, now[0] = now[0], Stats()
        rss = rss_mb(pid)
        rss_max = max(rss_max, rss)
        if first is None:
            first, first_rss = cur, rss
        print(line("%5.0f s" % t, cur, a.interval, rss) + " | open %d" % opened["ok"],
              flush=True)
    stop.set()
    grace = time.monotonic() + 30
    while pending[0] and time.monotonic() < grace:
        await asyncio.sleep(0.2)
    lost = pending[0]
    for tk in tasks:
        tk.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    secs = time.monotonic() - t_start
    rss_end = rss_mb(pid)
    print("-" * 40)
    print(line("first", first, a.interval, first_rss) + "   <- reference (first interval)")
    print(line("total", stats, secs, rss_end))
    print("RSS: %.1f MB before, %.1f MB after the first interval, %.1f MB peak, %.1f MB at "
          "the end (growth after the first interval %+.1f MB)"
          % (rss0, first_rss, rss_max, rss_end, rss_end - first_rss))
    print("sessions opened %d, failed to open %d, dropped %d; requests unanswered 30 s after "
          "the end %d; error codes %s" % (opened["ok"], opened["failed"], opened["dropped"],
                                          lost, stats.codes or "{}"))
    return lost, opened


def main():
    a = args_of()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp(prefix="kefu-soak-")
    p = None
    try:
        blobs = {"image": picture_png(), "audio": voice_wav(tmp)}
        p, port = start_kefud(a.build, tmp, a.kefud_args)
        lost, opened = asyncio.run(soak(a, port, p.pid, blobs))
        alive = p.poll() is None
        print("kefud %s" % ("alive" if alive else "DIED (exit %s)" % p.returncode))
        if alive:
            p.send_signal(signal.SIGTERM)
            rc = p.wait(60)
            print("kefud stopped with exit %d" % rc)
            alive = rc == 0
        sys.exit(0 if alive and not lost and not opened["failed"] and not opened["dropped"]
                 else 1)
    finally:
        if p and p.poll() is None:
            p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
