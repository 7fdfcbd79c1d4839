#!/usr/bin/env python3
"""bench/speech/voice_latency.py — how long kefud takes to answer a 3-second voice clip.

Starts a real kefud (one media worker, the test harness's demo store, its domain language
model built at start as in production: generic + store + entity models), sends one clip to
load the worker's decoder, then N clips (default 12) of exactly 3.0 s: a flite question
(slt, 16 kHz WAV) padded with quiet to 3 s, one at a time on one WebSocket, and measures
from the last byte sent to the transcript frame and to the reply frame.  Prints each clip
and the median / p90 beside the issue's budget (200 ms).  Where the time goes inside the
recogniser (decode, VAD, search) is printed by speechbench's CPU split line.

  KEFUD=build/daemon/kefud KEFU=build/tools/kefu/kefu KEFU_MODELS=models \
      bench/speech/voice_latency.py [N]

flite (scripts/deps/speech.apt).  The figure is wall time on a shared machine: run it when
the machine is quiet, or read it beside `uptime`.
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


def run():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    d = kt.Kefud("--workers", "1", "--max-audio-seconds", "30").start()
    ws = d.ws(timeout=120)
    ws.welcome()
    clips = [clip(QUESTIONS[i % len(QUESTIONS)]) for i in range(n + 1)]
    got = []
    for i, data in enumerate(clips):
        ws.send_json({"type": "audio", "id": "lat-%d" % i, "bytes": len(data),
                      "mime": "audio/wav"})
        t0 = time.monotonic()
        ws.send_frame(kt.OP_BINARY, data)
        t = ws.expect("transcript", timeout=120, id="lat-%d" % i)
        t1 = time.monotonic()
        ws.expect("reply", timeout=120, id="lat-%d" % i)
        t2 = time.monotonic()
        if i == 0:
            print("warm-up (decoder load): %.0f ms" % (1000 * (t2 - t0)))
            continue
        got.append((1000 * (t1 - t0), 1000 * (t2 - t0)))
        print("%-32s transcript %6.1f ms  reply %6.1f ms  %r" % (
            QUESTIONS[i % len(QUESTIONS)], got[-1][0], got[-1][1], t.get("text")))
    ws.close()
    d.stop()
    tr = sorted(g[0] for g in got)
    rp = sorted(g[1] for g in got)
    p90 = lambda v: v[min(len(v) - 1, int(0.9 * len(v)))]  # noqa: E731
    print("3.0-s clips: %d; transcript median %.0f ms, p90 %.0f; reply median %.0f ms, p90 "
          "%.0f (budget 200 ms); load average %s" % (
              len(got), statistics.median(tr), p90(tr), statistics.median(rp), p90(rp),
              os.getloadavg()[0]))


if __name__ == "__main__":
    kt.main(run)
