#!/usr/bin/env python3
"""bench/speech/voice_latency.py — how long kefud takes to answer a 3-second voice clip.

Starts a real kefud (one media worker, the test harness's demo store, its domain language
model built at start as in production: generic + store + entity models), sends one clip to
load the worker's decoder, then N clips (default 12) of exactly 3.0 s: a flite question
(slt, 16 kHz WAV) padded with quiet to 3 s, one at a time on one WebSocket, and measures
from the last byte sent to the transcript frame and to the reply frame, and kefud's CPU for
the clip (the whole process, and its kd-worker threads: /proc/PID/task/*/schedstat, ns).
Prints each clip and the medians / p90 beside the issue's budget (200 ms).

With KEFUD_REF=OTHER/kefud a second kefud (the reference, e.g. main's build) runs beside
the first, and each clip goes to both, the order alternating clip by clip, so both are
measured in the same period of a shared machine; the medians of both and their ratios are
printed.  Where the worker's CPU goes inside a clip: `perf record -g -p PID` (the pid is
printed), docs/performance.md "Voice clip profile".  KEFUD ARGS (after --) go to KEFUD only.

  KEFUD=build/daemon/kefud KEFU=build/tools/kefu/kefu KEFU_MODELS=models \
      [KEFUD_REF=/work/main/build/daemon/kefud] bench/speech/voice_latency.py [N] [-- KEFUD ARGS]

flite (scripts/deps/speech.apt).  The wall figures depend on the machine's load: read them
beside the load average printed, and the CPU figures and the paired ratios first.
"""
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
import kefutest as kt  # noqa: E402

QUESTIONS = ["I lost my card", "how do I top up my account", "my card has not arrived",
             "what is the exchange rate", "I want to close my account",
             "can I get a refund", "my top up failed", "where is my card"]


def clip(text, seconds=3.0):
    path = os.path.join(tempfile.gettempdir(), "kefu-lat-%d.wav" % os.getpid())
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", path], check=True)
    with wave.open(path, "rb") as r:
        rate, frames = r.getframerate(), r.readframes(r.getnframes())
    os.unlink(path)
    want = int(seconds * rate) * 2
    pad = max(0, want - len(frames))
    frames = b"\0" * (pad // 4 * 2) + frames + b"\0" * (pad - pad // 4 * 2)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames[:want])
    return out.getvalue()


def cpu_ns(pid):
    """(process CPU, kd-worker threads' CPU) of pid so far, in ns."""
    total = worker = 0
    tasks = "/proc/%d/task" % pid
    for tid in os.listdir(tasks):
        try:
            with open("%s/%s/schedstat" % (tasks, tid)) as f:
                ns = int(f.read().split()[0])
            with open("%s/%s/comm" % (tasks, tid)) as f:
                name = f.read().strip()
        except OSError:
            continue            # a thread that ended meanwhile
        total += ns
        if name == "kd-worker":
            worker += ns
    return total, worker


class Side:
    """One kefud under measurement: its WebSocket and each clip's figures."""

    def __init__(self, name, exe, args):
        kt.KEFUD = exe          # Kefud.start reads the module's path
        self.name = name
        self.d = kt.Kefud("--workers", "1", "--max-audio-seconds", "30", *args,
                          name=name).start()
        self.pid = self.d.proc.pid
        for attempt in range(30):
            # under load the start-up's seeding can hold the database past the first
            # session's creation ("database is locked"): try again
            self.ws = self.d.ws(timeout=120)
            try:
                self.ws.welcome()
                break
            except kt.TestFailure:
                self.ws.close()
                if attempt == 29:
                    raise
                time.sleep(2)
        self.got = []           # (transcript ms, reply ms, process CPU ms, worker CPU ms)
        print("%s: %s pid %d" % (name, exe, self.pid))

    def clip(self, i, data, text):
        ws = self.ws
        ws.send_json({"type": "audio", "id": "lat-%d" % i, "bytes": len(data),
                      "mime": "audio/wav"})
        c0 = cpu_ns(self.pid)
        t0 = time.monotonic()
        ws.send_frame(kt.OP_BINARY, data)
        t = ws.expect("transcript", timeout=120, id="lat-%d" % i)
        t1 = time.monotonic()
        ws.expect("reply", timeout=120, id="lat-%d" % i)
        t2 = time.monotonic()
        c1 = cpu_ns(self.pid)
        if i == 0:
            print("%s warm-up (decoder load): %.0f ms" % (self.name, 1000 * (t2 - t0)))
            return
        self.got.append((1000 * (t1 - t0), 1000 * (t2 - t0), (c1[0] - c0[0]) / 1e6,
                         (c1[1] - c0[1]) / 1e6))
        g = self.got[-1]
        print("%-4s %-30s transcript %6.1f ms  reply %6.1f ms  CPU %5.1f ms (worker %5.1f)"
              "  %r" % (self.name, text, g[0], g[1], g[2], g[3], t.get("text")))

    def medians(self):
        cols = list(zip(*self.got))
        return [statistics.median(c) for c in cols], [p90(c) for c in cols]

    def stop(self):
        self.ws.close()
        self.d.stop()


def p90(v):
    v = sorted(v)
    return v[min(len(v) - 1, int(0.9 * len(v)))]


def run():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    n = int(argv[0]) if argv else 12
    mine, ref = os.environ.get("KEFUD", ""), os.environ.get("KEFUD_REF", "")
    sides = [Side("new", mine, extra)]
    if ref:
        sides.append(Side("ref", ref, []))
    clips = [clip(QUESTIONS[i % len(QUESTIONS)]) for i in range(n + 1)]
    for i, data in enumerate(clips):
        order = sides if i % 2 == 0 else sides[::-1]
        for s in order:
            s.clip(i, data, QUESTIONS[i % len(QUESTIONS)])
    for s in sides:
        s.stop()
    load = os.getloadavg()[0]
    med = {}
    for s in sides:
        m, q = s.medians()
        med[s.name] = m
        print("%s 3.0-s clips: %d; transcript median %.0f ms, p90 %.0f; reply median %.0f ms, "
              "p90 %.0f (budget 200 ms); kefud CPU per clip median %.1f ms (kd-worker %.1f); "
              "load average %.1f" % (s.name, len(s.got), m[0], q[0], m[1], q[1], m[2], m[3],
                                      load))
    if ref:
        a, b = med["new"], med["ref"]
        print("new/ref, same period, alternating: reply %.2f, CPU %.2f, worker CPU %.2f" % (
            a[1] / b[1], a[2] / b[2], a[3] / b[3]))


if __name__ == "__main__":
    kt.main(run)
