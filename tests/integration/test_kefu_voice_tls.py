"""tests/integration/test_kefu_voice_tls.py — kefu-voice over wss:// against a real kefud
serving TLS with a self-signed certificate made here by `openssl req` (daemon/tls.c,
tools/kefu-voice/wsclient.c):

- `--input FILE --json --url wss://localhost:PORT/ws --ca-file CERT`: the spoken question
  gets the typed question's answer;
- the microphone through an ALSA `file` PCM (as test_kefu_voice.py), hands-free, over wss;
- the certificate is verified: without --ca-file (the system's authorities know nothing of
  it) and with another certificate's file, kefu-voice refuses to talk (exit 3, the reason
  printed); --ca-file with a ws:// URL is a usage error (1).
Skipped (77) like test_kefu_voice.py when kefu-voice was not built or ALSA is missing.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kefutest as kt                                   # noqa: E402
from kefutest import check                              # noqa: E402
import test_kefu_voice as kv                            # noqa: E402
from test_tls import make_cert, trusting                # noqa: E402


def run():
    if not os.access(kv.VOICE, os.X_OK):
        print("kefu-voice not built (PortAudio missing? scripts/deps/voice.apt): skipped")
        sys.exit(77)
    if not os.path.exists(kv.ALSA_CONF):
        print("no ALSA configuration (%s; libasound2-data): skipped" % kv.ALSA_CONF)
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="kefu-kvtls-")
    crt, key = make_cert(tmp, "kefu-voice-tls")
    other, _ = make_cert(tmp, "someone-else")
    lost = kv.flite_pcm("I lost my card")

    d = kt.Kefud("--workers", "1", "--vision", "false", "--tls-cert", crt, "--tls-key", key,
                 tls=trusting(crt)).start()
    url = "wss://localhost:%d/ws" % d.port

    q1 = os.path.join(tmp, "question.wav")
    kv.write_wav(q1, kv.silence(0.3) + lost + kv.silence(0.3))
    rc, turns, _, err = kv.run_voice(["--input", q1, "--json", "--url", url, "--ca-file", crt])
    check(rc == 0 and len(turns) == 1, "wss --input: exit %d, %d turns: %s", rc, len(turns),
          err[-500:])
    lost_id = turns[0]["answer_id"]
    kv.check_turn(turns[0], ["lost", "card"], lost_id, "wss --input")
    check(lost_id is not None, "no answer over wss: %r", turns[0])

    mic = os.path.join(tmp, "mic.raw")
    with open(mic, "wb") as f:
        f.write(kv.silence(0.3) + lost + kv.silence(3.0))
    env = kv.alsa_env(tmp, {"kefutlsmic": (mic, "/dev/null")})
    rc, turns, _, err = kv.run_voice(["--device", "kefutlsmic", "--hands-free", "--turns", "1",
                                      "--json", "--url", url, "--ca-file", crt], env=env)
    check(rc == 0 and len(turns) == 1, "wss microphone: exit %d, %d turns", rc, len(turns))
    kv.check_turn(turns[0], ["lost", "card"], lost_id, "wss microphone")
    kt.log("wss://: --input and the ALSA microphone answered (answer %s)", lost_id)

    rc, _, _, err = kv.run_voice(["--input", q1, "--url", url])
    check(rc == 3 and "certificate" in err.lower(),
          "a certificate no authority signed was accepted: exit %d %r", rc, err[-400:])
    rc, _, _, err = kv.run_voice(["--input", q1, "--url", url, "--ca-file", other])
    check(rc == 3 and "certificate" in err.lower(),
          "another certificate's --ca-file accepted: exit %d %r", rc, err[-400:])
    rc, _, _, err = kv.run_voice(["--input", q1, "--url", "ws://127.0.0.1:%d/ws" % d.port,
                                  "--ca-file", crt])
    check(rc == 1 and "--ca-file" in err, "--ca-file with ws://: exit %d %r", rc, err[-300:])
    kt.log("wss://: unverifiable certificate refused (exit 3) without --ca-file and with "
           "another certificate's")
    d.stop()


if __name__ == "__main__":
    kt.main(run)
