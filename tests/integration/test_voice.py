"""tests/integration/test_voice.py — voice clips over the WebSocket (docs/protocol.md,
"Uploads"): a question spoken by flite gets its transcript and then the same answer as the
typed question, in the binary and the inline base64 form; speak:true returns a WAV that
decodes; an 8 kHz and a stereo clip are recognised; a resend after a resume answers from the
log without decoding; every bad clip and every upload mistake gets its error code and the next
message is answered; a low-confidence transcript gets "Did you say ...?" whose quick reply
goes on; the turn, its meta and the clip's bytes are logged; SIGHUP rebuilds the domain
language model.  Few clips are decoded (ASR is slow under ASan): 4 + 1 on a second daemon."""
import base64
import hashlib
import io
import json
import os
import signal
import sqlite3
import struct
import subprocess
import tempfile
import time
import wave

import kefutest as kt
from kefutest import check

TIMEOUT = 120          # first clip of a worker loads its decoder (slow under ASan)


def flite(text, voice="slt"):
    path = os.path.join(tempfile.gettempdir(), "kefu-voice-%d.wav" % os.getpid())
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", path], check=True)
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


def wav_bytes(frames, rate, channels=1):
    """A 16-bit PCM WAV of raw little-endian frames."""
    out = io.BytesIO()
    w = wave.open(out, "wb")
    w.setnchannels(channels)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(frames)
    w.close()
    return out.getvalue()


def pcm_of(wav):
    r = wave.open(io.BytesIO(wav), "rb")
    return r.readframes(r.getnframes()), r.getframerate()


def stereo(wav):
    pcm, rate = pcm_of(wav)
    n = len(pcm) // 2
    samples = struct.unpack("<%dh" % n, pcm)
    return wav_bytes(struct.pack("<%dh" % (2 * n), *[s for x in samples for s in (x, x)]),
                     rate, 2)


def three_hour_header():
    """A WAV whose header declares 3 hours of 16 kHz audio but carries 1 s."""
    data = b"\0" * 32000
    declared = 3 * 3600 * 32000
    hdr = (b"RIFF" + struct.pack("<I", 36 + declared) + b"WAVEfmt " +
           struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16) + b"data" +
           struct.pack("<I", declared))
    return hdr + data


def send_audio(ws, mid, data, speak=False, mime="audio/wav"):
    ws.send_json({"type": "audio", "id": mid, "bytes": len(data), "mime": mime,
                  "speak": speak})
    ws.send_frame(kt.OP_BINARY, data)


def transcript_then_reply(ws, mid):
    t = ws.expect("transcript", timeout=TIMEOUT, id=mid)
    check(isinstance(t.get("text"), str) and 0 <= t["confidence"] <= 1, "transcript %r", t)
    check(isinstance(t.get("words"), list) and t["words"] and
          all(isinstance(w.get("word"), str) and 0 <= w.get("conf", -1) <= 1
              for w in t["words"]), "transcript words %r", t)
    check(t.get("seconds", 0) > 0.5, "transcript seconds %r", t)
    r = ws.expect("reply", timeout=TIMEOUT, id=mid)
    return t, r


def read_speech(ws, mid):
    """Reads the speech frame and its binary WAV; checks the WAV decodes (16 kHz mono)."""
    sp = ws.expect("speech", id=mid, mime="audio/wav")
    op, wav = ws.recv_frame()
    check(op == kt.OP_BINARY and len(wav) == sp["bytes"], "speech binary: op %d, %d bytes "
          "(announced %r)", op, len(wav), sp)
    r = wave.open(io.BytesIO(wav), "rb")
    check(r.getframerate() == 16000 and r.getnchannels() == 1 and r.getnframes() > 16000,
          "spoken reply: %d Hz, %d channels, %d frames", r.getframerate(), r.getnchannels(),
          r.getnframes())


def still_answers(ws, mid):
    r = ws.ask(mid, "I lost my card")
    check(r["title"] == "Lost or stolen card", "after an error: %r", r)


def run():
    lost = flite("I lost my card")
    topup = flite("How do I top up my account")
    d = kt.Kefud("--workers", "1", "--max-frame", "524288", "--max-upload", "200000",
                 "--max-audio-seconds", "30").start()
    ws = d.ws(timeout=TIMEOUT)
    token = ws.welcome()["session"]
    typed = ws.ask("typed-1", "I lost my card")

    # binary form
    t0 = time.monotonic()
    send_audio(ws, "v-1", lost)
    t, r = transcript_then_reply(ws, "v-1")
    kt.log("binary clip: %r conf %.2f, reply %r in %.2f s", t["text"], t["confidence"],
           r.get("title"), time.monotonic() - t0)
    check("lost" in t["text"] and "card" in t["text"], "transcript %r", t)
    kt.check_reply(r)
    check(r["answer_id"] == typed["answer_id"], "spoken answer %r != typed %r", r, typed)

    # inline base64 form, spoken reply
    ws.send_json({"type": "audio", "id": "v-2", "data": base64.b64encode(topup).decode(),
                  "speak": True})
    t, r = transcript_then_reply(ws, "v-2")
    check("top" in t["text"], "transcript %r", t)
    read_speech(ws, "v-2")
    typed2 = ws.ask("typed-2", "How do I top up my account")
    check(r["answer_id"] == typed2["answer_id"], "spoken %r != typed %r", r, typed2)

    # resend of v-2 with speak after a reconnect (hello: where a client resends from; on
    # the connection that opened the session an upload is not looked up first): the
    # logged transcript + reply, a fresh WAV, no decoding
    ws.close()
    ws = d.ws(timeout=TIMEOUT)
    ws.welcome()
    ws.send_json({"type": "hello", "session": token})
    ws.expect("history", session=token, resumed=True)
    m0 = d.metrics()
    ws.send_json({"type": "audio", "id": "v-2", "data": base64.b64encode(topup).decode(),
                  "speak": True})
    t2 = ws.expect("transcript", id="v-2")
    r2 = ws.expect("reply", id="v-2")
    check(t2 == t and r2 == r, "resend differs:\n%r\n%r", (t2, r2), (t, r))
    read_speech(ws, "v-2")
    m1 = d.metrics()
    decoded = lambda m: kt.metric_sum(m, lambda n: n == "kefu_media_seconds_count",
                                      lambda lab: lab.get("kind") == "audio")
    check(decoded(m1) == decoded(m0), "the resend was decoded again")

    # 8 kHz and stereo clips are recognised
    send_audio(ws, "v-3", flite("I lost my card", "kal"))
    t, r = transcript_then_reply(ws, "v-3")
    check("card" in t["text"], "8 kHz transcript %r", t)
    send_audio(ws, "v-4", stereo(lost))
    t, r = transcript_then_reply(ws, "v-4")
    check("lost" in t["text"] and r["answer_id"] == typed["answer_id"], "stereo: %r %r", t, r)

    # bad clips: each its error, the session goes on
    pcm, rate = pcm_of(lost)
    bad = [
        ("truncated", lost[:len(lost) // 2], "corrupt_audio"),
        ("cut header", lost[:30], "corrupt_audio"),
        ("silent", wav_bytes(b"\0" * 64000, 16000), "no_speech"),
        ("3-hour header", three_hour_header(), "audio_too_long"),
        ("44.1 kHz silence", wav_bytes(b"\0" * 88200, 44100), "no_speech"),
        ("not audio", b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "unsupported_audio"),
        ("text", b"hello, this is not a clip at all\n" * 20, "unsupported_audio"),
    ]
    for i, (what, data, code) in enumerate(bad):
        send_audio(ws, "bad-%d" % i, data)
        e = ws.expect_error(code, "bad-%d" % i, timeout=TIMEOUT)
        kt.log("%s clip: %s (%s)", what, code, e["message"])
        still_answers(ws, "after-bad-%d" % i)
    # empty: announced with 0 bytes, and inline
    ws.send_json({"type": "audio", "id": "empty-1", "bytes": 0})
    ws.expect_error("empty_audio", "empty-1")
    ws.send_json({"type": "audio", "id": "empty-2", "data": ""})
    ws.expect_error("empty_audio", "empty-2")
    still_answers(ws, "after-empty")
    # inline base64 past max_upload (max_frame is larger here)
    big = wav_bytes(b"\0" * 210000, 16000)
    ws.send_json({"type": "audio", "id": "big-1", "data": base64.b64encode(big).decode()})
    ws.expect_error("audio_too_large", "big-1")

    # upload mistakes
    ws.send_json({"type": "audio", "id": "up-1", "bytes": 10 ** 8})
    ws.expect_error("upload_too_large", "up-1")
    ws.send_frame(kt.OP_BINARY, b"\0" * 1000)          # its bytes are swallowed
    still_answers(ws, "after-up-1")
    ws.send_json({"type": "audio", "id": "up-2", "bytes": 100})
    ws.send_frame(kt.OP_BINARY, b"\0" * 101)
    ws.expect_error("upload_too_large", "up-2")
    ws.send_json({"type": "audio", "id": "up-3", "bytes": 100})
    ws.send_json({"type": "ping"})                     # ping is fine while waiting
    ws.expect("pong")
    ws.message("up-4", "I lost my card")
    ws.expect_error("upload_expected", "up-3")
    r = ws.expect("reply", id="up-4")
    check(r["title"] == "Lost or stolen card", "message after upload_expected: %r", r)
    ws.send_frame(kt.OP_BINARY, b"\0" * 10)
    ws.expect_error("unsupported_frame", None)
    ws.send_json({"type": "audio", "id": "up-5"})
    ws.expect_error("missing_field", "up-5")
    ws.send_json({"type": "audio", "id": "up-6", "data": "not base64!"})
    ws.expect_error("missing_field", "up-6")
    still_answers(ws, "after-up")

    # at most 2 uploads wait per connection (besides the one being worked on): five in one
    # TCP write -> the last two get busy at once, the others are worked on in order
    junk = base64.b64encode(b"hello, not a clip").decode()
    ws.send_raw(b"".join(kt.ws_frame(kt.OP_TEXT, json.dumps(
        {"type": "audio", "id": "w-%d" % i, "data": junk}).encode()) for i in range(5)))
    got = [ws.recv_json() for _ in range(5)]
    codes = sorted((e.get("id"), e.get("code")) for e in got)
    check(codes == [("w-0", "unsupported_audio"), ("w-1", "unsupported_audio"),
                    ("w-2", "unsupported_audio"), ("w-3", "busy"), ("w-4", "busy")],
          "five uploads at once: %r", codes)
    still_answers(ws, "after-w")

    # fragmented binary message (three fragments)
    ws.send_json({"type": "audio", "id": "frag-1", "bytes": 30})
    ws.send_frame(kt.OP_BINARY, b"RIFF" + b"\0" * 6, fin=False)
    ws.send_frame(kt.OP_CONT, b"\0" * 10, fin=False)
    ws.send_frame(kt.OP_CONT, b"\0" * 10, fin=True)
    ws.expect_error("corrupt_audio", "frag-1")

    m = d.metrics()
    kinds = kt.metric_by_label(m, "kind")
    check(kinds.get("audio", 0) >= 15, "kefu_messages_total{kind=audio}: %r", kinds)
    check(decoded(m) == 4, "kefu_media_seconds_count{kind=audio} %r, want 4", decoded(m))

    # SIGHUP: the bot reloads and the domain language model is built again
    before = d.healthz()["reloads"]
    d.signal(signal.SIGHUP)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and "domain language model 2 ready" not in d.log_tail(400):
        time.sleep(0.1)
    check("domain language model 2 ready" in d.log_tail(400), "no LM rebuild after SIGHUP")
    check(d.healthz()["reloads"] > before, "SIGHUP did not reload the bot")
    ws.close()
    d.stop()

    # the log: 4 voice turns with transcript, meta and the clip's bytes
    con = sqlite3.connect(d.db)
    rows = con.execute(
        "SELECT m.client_id, m.text, m.meta, a.kind, a.mime, a.sha256, a.data, a.meta"
        " FROM messages m JOIN attachments a ON a.message_id = m.id ORDER BY m.id").fetchall()
    con.close()
    check([r[0] for r in rows] == ["v-1", "v-2", "v-3", "v-4"], "attachments %r",
          [r[0] for r in rows])
    cid, text, meta, kind, mime, sha, data, ameta = rows[0]
    check("lost" in text and json.loads(meta)["upload"] == "audio", "logged %r %r", text, meta)
    check(kind == "audio" and mime == "audio/wav" and data == lost and
          sha == hashlib.sha256(lost).hexdigest(), "attachment of v-1")
    check(json.loads(ameta)["type"] == "transcript", "attachment meta %r", ameta)

    # an adapted acoustic model installed as models/en-us-an4 (speech/adapt/map.sh's
    # folder; here Debian's own model files): the worker loads it and hears the clip as
    # Debian's model does
    heard = t["text"]
    models = os.path.join(d.tmp, "models-adapted")
    os.makedirs(os.path.join(models, "en-us-an4"))
    real = os.path.join(kt.SRCDIR, "models")    # what kefud uses in a build tree
    for name in (os.listdir(real) if os.path.isdir(real) else []):
        os.symlink(os.path.join(real, name), os.path.join(models, name))
    src = "/usr/share/pocketsphinx/model/en-us/en-us"
    for name in os.listdir(src):
        os.symlink(os.path.join(src, name), os.path.join(models, "en-us-an4", name))
    d3 = kt.Kefud("--workers", "1", "--models", models, name="kefud-adapted").start()
    ws = d3.ws(timeout=TIMEOUT)
    ws.welcome()
    send_audio(ws, "m-1", lost)
    t, r = transcript_then_reply(ws, "m-1")
    check(t["text"] == heard, "adapted model heard %r, Debian's %r", t["text"], heard)
    ws.close()
    d3.stop()
    with open(d3.logpath, errors="replace") as f:
        logtext = f.read()
    check("acoustic model %s/en-us-an4)" % models in logtext, "kefud did not load %s: %s",
          models, logtext[-2000:])

    # low confidence: "Did you say ...?" (threshold 1 makes every clip low)
    d2 = kt.Kefud("--workers", "1", "--asr-threshold", "1", name="kefud-ask").start()
    ws = d2.ws(timeout=TIMEOUT)
    ws.welcome()
    send_audio(ws, "q-1", lost)
    t, r = transcript_then_reply(ws, "q-1")
    check(r["fallback"] is True and r["answer_id"] is None and
          r["text"].startswith("Did you say"), "low confidence reply %r", r)
    q = r["quick_replies"]
    check(q and q[0]["title"] == t["text"] and all(x["answer_id"] is None for x in q),
          "quick replies %r", q)
    r = ws.ask("q-2", q[0]["title"])
    check(r["title"] == "Lost or stolen card", "the chosen transcript answered %r", r)
    ws.close()
    d2.stop()


kt.main(run)
