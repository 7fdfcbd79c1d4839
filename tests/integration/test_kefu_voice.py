"""tests/integration/test_kefu_voice.py — kefu-voice, the microphone client
(docs/voice-client.md), against a real kefud:

- `--input FILE --json`: a flite question round-trips (transcript, the same answer as the
  typed question); a file with two questions and a pause is split into two turns on one
  session.
- the microphone through a real PortAudio stream: ALSA `file` PCMs over the `null` plugin,
  defined in an asoundrc that ALSA_CONFIG_PATH adds after Debian's alsa.conf.  Capture reads
  the PCM's `infile` (raw 16 kHz mono S16_LE: the questions then 3 s of silence, because the
  file plugin repeats its last buffer once the infile ends); hands-free mode gets both
  transcripts and answers; `--capture-rate 48000` on a 48 kHz infile goes through the
  libsamplerate path; `--speak` plays to a file PCM whose output file must hold the spoken
  reply: as many samples as the reply's WAV, not silent.
- push-to-talk on the same PCM with kefud asking "Did you say ...?" (asr_threshold 0.99):
  the prompt and its numbered quick replies are shown, and "1" + Enter sends the first.
- kefud stopped and started again (same port and database) between two spoken questions:
  the second turn reconnects, resumes the session and is answered.
- errors: kefud unreachable (3), an unknown device (2), an unreadable or non-audio --input
  (4), a server error code printed with its message (audio_too_long; exit 5).
Skipped (77) only when kefu-voice was not built (no PortAudio) or ALSA's configuration is
missing.  Few clips are decoded: ASR is slow under ASan.
"""
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import wave

import kefutest as kt
from kefutest import check

TIMEOUT = 240           # one kefu-voice run (ASan: decoder loading and ASR are slow)
ALSA_CONF = "/usr/share/alsa/alsa.conf"


def voice_binary():
    if os.environ.get("KEFU_VOICE"):
        return os.environ["KEFU_VOICE"]
    build = os.path.dirname(os.path.dirname(os.path.abspath(kt.KEFUD)))
    return os.path.join(build, "tools", "kefu-voice", "kefu-voice")


VOICE = voice_binary()


def flite_pcm(text):
    """16 kHz mono int16 little-endian samples of flite's slt voice saying text."""
    path = os.path.join(tempfile.gettempdir(), "kefu-kv-%d.wav" % os.getpid())
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", path], check=True)
    r = wave.open(path, "rb")
    check(r.getframerate() == 16000 and r.getnchannels() == 1, "flite slt is not 16 kHz mono")
    pcm = r.readframes(r.getnframes())
    r.close()
    os.unlink(path)
    return pcm


def silence(seconds, rate=16000):
    return b"\0\0" * int(seconds * rate)


def write_wav(path, pcm, rate=16000):
    w = wave.open(path, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(pcm)
    w.close()


def upsample3(pcm):
    """16 kHz -> 48 kHz by linear interpolation (good enough to test the resampler path)."""
    s = struct.unpack("<%dh" % (len(pcm) // 2), pcm)
    out = []
    for i in range(len(s)):
        a, b = s[i], s[i + 1] if i + 1 < len(s) else s[i]
        out += [a, (2 * a + b) // 3, (a + 2 * b) // 3]
    return struct.pack("<%dh" % len(out), *out)


def run_voice(args, env=None, timeout=TIMEOUT, stdin=None):
    """Runs kefu-voice; returns (exit code, JSON lines of stdout, stdout, stderr)."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([VOICE] + args, env=e, capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL if stdin is None else stdin)
    lines = []
    for ln in p.stdout.splitlines():
        if ln.startswith("{"):
            lines.append(json.loads(ln))
    kt.log("kefu-voice %s -> %d\n%s%s", " ".join(args), p.returncode,
           p.stdout[-1500:], p.stderr[-1500:])
    return p.returncode, lines, p.stdout, p.stderr


def check_turn(t, words, answer_id, what):
    check(t["error"] is None, "%s: error %r", what, t)
    check(all(w in (t["transcript"] or "") for w in words), "%s: transcript %r", what,
          t["transcript"])
    check(t["answer_id"] == answer_id, "%s: answer %r (%r), typed question got %r", what,
          t["answer_id"], t["title"], answer_id)
    check(0 < t["asr_confidence"] <= 1 and t["latency_ms"]["reply"] > 0, "%s: %r", what, t)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def alsa_env(tmp, pcms):
    """An asoundrc defining the given `file` PCMs (name -> (infile or None, outfile)), and the
    environment that makes ALSA read it after Debian's own configuration."""
    conf = os.path.join(tmp, "asoundrc")
    with open(conf, "w") as f:
        for name, (infile, outfile) in pcms.items():
            f.write("pcm.%s {\n\ttype file\n\tslave.pcm null\n\tfile \"%s\"\n\tformat \"raw\"\n"
                    % (name, outfile))
            if infile:
                f.write("\tinfile \"%s\"\n" % infile)
            f.write("}\n")
    return {"ALSA_CONFIG_PATH": ALSA_CONF + ":" + conf}


def run():
    if not os.access(VOICE, os.X_OK):
        print("kefu-voice not built (PortAudio missing? scripts/deps/voice.apt): skipped")
        sys.exit(77)
    if not os.path.exists(ALSA_CONF):
        print("no ALSA configuration (%s; libasound2-data): skipped" % ALSA_CONF)
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="kefu-kv-")
    lost, topup = flite_pcm("I lost my card"), flite_pcm("How do I top up my account")

    d = kt.Kefud("--workers", "1").start()
    url = "ws://127.0.0.1:%d/ws" % d.port
    ws = d.ws()
    ws.welcome()
    lost_id = ws.ask("t-1", "I lost my card")["answer_id"]
    topup_id = ws.ask("t-2", "How do I top up my account")["answer_id"]
    ws.close()
    check(lost_id is not None and topup_id is not None and lost_id != topup_id,
          "typed answers %r %r", lost_id, topup_id)
    latencies = []

    # ---- --input: one question, then two questions with a pause in one file ----------
    q1 = os.path.join(tmp, "question.wav")
    write_wav(q1, silence(0.3) + lost + silence(0.3))
    rc, turns, _, _ = run_voice(["--input", q1, "--json", "--url", url])
    check(rc == 0 and len(turns) == 1, "--input question.wav: exit %d, %d turns", rc, len(turns))
    check_turn(turns[0], ["lost", "card"], lost_id, "--input question.wav")
    latencies.append(turns[0]["latency_ms"]["reply"])

    two = os.path.join(tmp, "two.wav")
    write_wav(two, silence(0.5) + lost + silence(1.5) + topup + silence(0.5))
    rc, turns, _, _ = run_voice(["--input", two, "--json", "--url", url])
    check(rc == 0 and len(turns) == 2, "--input two.wav: exit %d, %d turns", rc, len(turns))
    check_turn(turns[0], ["lost", "card"], lost_id, "two.wav turn 1")
    check_turn(turns[1], ["top", "account"], topup_id, "two.wav turn 2")
    check(turns[0]["session"] == turns[1]["session"] and turns[0]["id"] != turns[1]["id"],
          "two turns of one run: one session, two ids: %r", turns)
    end1 = turns[0]["start"] + turns[0]["clip_seconds"]
    check(end1 <= turns[1]["start"], "the turns overlap: %r", turns)
    check(abs(turns[0]["latency_ms"]["endpoint"] - 800) < 1,
          "end-pointing delay %r (hangover 200 + pause 600 ms)", turns[0]["latency_ms"])
    latencies += [t["latency_ms"]["reply"] for t in turns]

    # ---- the microphone: PortAudio reading an ALSA file PCM's infile ------------------
    mic_raw = os.path.join(tmp, "two.raw")
    with open(mic_raw, "wb") as f:
        f.write(silence(0.5) + lost + silence(1.5) + topup + silence(3.0))
    one_raw = os.path.join(tmp, "question.raw")
    with open(one_raw, "wb") as f:
        f.write(silence(0.3) + lost + silence(3.0))
    raw48 = os.path.join(tmp, "question48.raw")
    with open(raw48, "wb") as f:
        f.write(upsample3(silence(0.3) + lost) + silence(3.0, 48000))
    spk_out = os.path.join(tmp, "speaker.raw")
    env = alsa_env(tmp, {"kefumic": (mic_raw, "/dev/null"), "kefuone": (one_raw, "/dev/null"),
                         "kefumic48": (raw48, "/dev/null"), "kefuspk": (None, spk_out)})

    rc, _, out, err = run_voice(["--list-devices"], env=env)
    check(rc == 0 and all(n in out for n in ("kefumic", "kefuone", "kefuspk")),
          "--list-devices does not show the test PCMs (PortAudio without ALSA?)")

    t0 = time.monotonic()
    rc, turns, _, err = run_voice(["--device", "kefumic", "--hands-free", "--turns", "2",
                                   "--json", "--url", url], env=env)
    took = time.monotonic() - t0
    check(rc == 0 and len(turns) == 2, "microphone: exit %d, %d turns", rc, len(turns))
    check_turn(turns[0], ["lost", "card"], lost_id, "microphone turn 1")
    check_turn(turns[1], ["top", "account"], topup_id, "microphone turn 2")
    # capture is paced to the wall clock: the second question ends ~5.9 s into the stream
    check(took > 5.5, "microphone run took %.1f s: not real time", took)
    kt.log("microphone: 2 turns in %.1f s", took)

    rc, turns, _, err = run_voice(["--device", "kefumic48", "--capture-rate", "48000",
                                   "--hands-free", "--turns", "1", "--json", "--verbose",
                                   "--url", url], env=env)
    check(rc == 0 and len(turns) == 1, "48 kHz capture: exit %d, %d turns", rc, len(turns))
    check("capturing at 48000 Hz" in err, "48 kHz capture not resampled: %r", err[-500:])
    check_turn(turns[0], ["lost", "card"], lost_id, "48 kHz capture")

    rc, turns, _, err = run_voice(["--device", "kefuone", "--hands-free", "--turns", "1",
                                   "--speak", "--output-device", "kefuspk", "--json",
                                   "--url", url], env=env)
    check(rc == 0 and len(turns) == 1, "--speak: exit %d, %d turns", rc, len(turns))
    check_turn(turns[0], ["lost", "card"], lost_id, "--speak")
    spoken = turns[0].get("speech_seconds")
    check(spoken and spoken > 2, "no spoken reply: %r", turns[0])
    with open(spk_out, "rb") as f:
        played = f.read()
    n = len(played) // 2
    samples = struct.unpack("<%dh" % n, played)
    loud = [i for i, x in enumerate(samples) if abs(x) > 500]
    rms = (sum(x * x for x in samples) / max(n, 1)) ** 0.5
    kt.log("--speak: %.2f s played, reply %.2f s, rms %.0f, sound %.2f-%.2f s", n / 16000,
           spoken, rms, loud[0] / 16000 if loud else -1, loud[-1] / 16000 if loud else -1)
    check(abs(n / 16000 - spoken) < 0.05, "played %.2f s, the spoken reply is %.2f s",
          n / 16000, spoken)
    check(rms > 300 and loud and (loud[-1] - loud[0]) / 16000 > 0.8 * spoken,
          "the played audio is (nearly) silent: rms %.0f", rms)

    # ---- errors ------------------------------------------------------------------------
    rc, _, _, err = run_voice(["--input", q1, "--url", "ws://127.0.0.1:%d/ws" % free_port()])
    check(rc == 3 and "cannot reach kefud" in err, "unreachable kefud: exit %d %r", rc, err)
    rc, _, _, err = run_voice(["--device", "nosuchmic", "--url", url], env=env)
    check(rc == 2 and "no input device named 'nosuchmic'" in err, "unknown device: %d %r",
          rc, err)
    rc, _, _, err = run_voice(["--device", "99", "--url", url], env=env)
    check(rc == 2 and "no audio device 99" in err, "device 99: exit %d %r", rc, err)
    rc, _, _, err = run_voice(["--input", os.path.join(tmp, "missing.wav"), "--url", url])
    check(rc == 4 and "cannot read" in err, "missing input: exit %d %r", rc, err)
    junk = os.path.join(tmp, "junk.wav")
    with open(junk, "wb") as f:
        f.write(b"this is not audio at all\n" * 40)
    rc, _, _, err = run_voice(["--input", junk, "--url", url])
    check(rc == 4 and "unsupported_audio" in err, "not-audio input: exit %d %r", rc, err)
    rc, _, _, err = run_voice(["--pause", "5"])
    check(rc == 1 and "--pause" in err, "bad option value: exit %d %r", rc, err)

    # ---- a second kefud: "Did you say ...?" in push-to-talk, and a server error code ----
    d2 = kt.Kefud("--workers", "1", "--asr-threshold", "0.99", "--max-audio-seconds", "4",
                  name="kefud-strict").start()
    url2 = "ws://127.0.0.1:%d/ws" % d2.port
    long_wav = os.path.join(tmp, "long.wav")
    write_wav(long_wav, silence(0.3) + lost + silence(0.2) + topup + silence(0.3))
    rc, turns, _, err = run_voice(["--input", long_wav, "--json", "--url", url2])
    check(rc == 5 and len(turns) == 1 and turns[0]["error"]["code"] == "audio_too_long" and
          turns[0]["error"]["message"], "audio_too_long: exit %d %r", rc, turns)
    rc, _, out, _ = run_voice(["--input", long_wav, "--url", url2])
    check(rc == 5 and "kefud error audio_too_long: " in out, "error not printed: %r", out)

    p = subprocess.Popen([VOICE, "--device", "kefuone", "--url", url2],
                         env=dict(os.environ, **env), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "Enter starts recording" not in line:
            line = p.stderr.readline()
            check(line, "push-to-talk: no prompt")
        p.stdin.write("\n")
        p.stdin.flush()
        time.sleep(2.6)            # the infile: 0.3 s silence, the question (1.5 s), silence
        p.stdin.write("\n")
        p.stdin.flush()
        shown = []
        while not any("quick replies:" in s for s in shown):
            line = p.stdout.readline()
            check(line, "push-to-talk: no quick replies after %r", shown)
            shown.append(line)
        text = "".join(shown)
        check("you said: \"i lost my card\"" in text and "Did you say" in text and
              "[1] i lost my card" in text, "push-to-talk 'Did you say': %r", text)
        p.stdin.write("1\n")       # the first quick reply
        p.stdin.flush()
        while "(Lost or stolen card" not in line:
            line = p.stdout.readline()
            check(line, "push-to-talk: no answer to the quick reply")
        p.stdin.close()
        rc = p.wait(timeout=30)
        check(rc == 0, "push-to-talk exit %d", rc)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()

    # ---- kefud restarts between two questions: the same session goes on --------------
    port3 = free_port()
    d3 = kt.Kefud("--workers", "1", "--listen", "127.0.0.1:%d" % port3,
                  name="kefud-restart").start()
    check(d3.port == port3, "kefud did not take --listen %d (port %r)", port3, d3.port)
    gap_raw = os.path.join(tmp, "gap.raw")
    with open(gap_raw, "wb") as f:
        f.write(silence(0.5) + lost + silence(8.0) + topup + silence(3.0))
    os.makedirs(os.path.join(tmp, "gap"))
    env_gap = alsa_env(os.path.join(tmp, "gap"), {"kefugap": (gap_raw, "/dev/null")})
    p = subprocess.Popen([VOICE, "--device", "kefugap", "--hands-free", "--turns", "2",
                          "--json", "--url", "ws://127.0.0.1:%d/ws" % port3],
                         env=dict(os.environ, **env_gap), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(p.stdout.readline() or "null")
        check(first and first["error"] is None, "restart: first turn %r", first)
        d3.stop()                  # while the pause is being spoken
        d3.start()
        out, err = p.communicate(timeout=TIMEOUT)
        kt.log("restart run:\n%s%s", out, err[-800:])
        second = json.loads(out.splitlines()[0]) if out.strip() else None
        check(p.returncode == 0 and second, "restart: exit %d, %r", p.returncode, out)
        check(second["session"] == first["session"] and second.get("resent") is True,
              "after the restart: session %r (was %r), resent %r", second["session"],
              first["session"], second.get("resent"))
        check_turn(second, ["top", "account"], topup_id, "after the restart")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    d3.stop()

    kt.log("--input: reply %s ms after the clip was sent (median %.0f)",
           ", ".join("%.0f" % x for x in latencies), statistics.median(latencies))
    d2.stop()
    d.stop()


if __name__ == "__main__":
    kt.main(run)
