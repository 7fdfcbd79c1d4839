"""tests/integration/test_tls.py — kefud serving HTTPS and WSS itself (daemon/tls.c).

Self-signed certificates are made here with `openssl req`.  Checked:
- start-up refuses, with a message naming the file and the fault: a missing file, a
  file that is not PEM, a key that is not the certificate's, one option without the other;
- over TLS: /healthz answers with Strict-Transport-Security, a chat over wss:// gets its
  welcome and reply, the console login is not refused as plain HTTP (req->tls is set),
  and plain HTTP to the TLS port gets no page;
- SIGHUP with new files: new handshakes get the new certificate while a chat opened
  before keeps talking on the old one; SIGHUP with a broken pair keeps the current
  certificate and says why in the log.
"""

import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import kefutest as kt
from kefutest import check


def make_cert(d, name, days=30):
    """A self-signed certificate for localhost/127.0.0.1 as (cert, key) paths in d."""
    cert, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                    str(days), "-subj", "/CN=" + name, "-keyout", key, "-out", cert,
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def trusting(cert):
    ctx = ssl.create_default_context(cafile=cert)
    return ctx


def served_cert(port):
    """The DER certificate a new TLS handshake on port presents."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            return t.getpeercert(binary_form=True)


def der(cert):
    with open(cert) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def refused_start(tmp, *args):
    """Runs kefud with args; it must exit non-zero.  Returns its output."""
    p = subprocess.run([kt.KEFUD, "--listen", "127.0.0.1:0", "--db",
                        os.path.join(tmp, "refused.db"), "--asr", "false", "--vision",
                        "false"] + list(args), capture_output=True, timeout=120, cwd=tmp)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    check(p.returncode != 0, "kefud started with %s:\n%s", args, out[-800:])
    return out


async def chat(port, ctx, text="How do I reset my password?"):
    """Opens a wss:// chat, reads the welcome; returns the open websocket."""
    import websockets
    ws = await websockets.connect("wss://localhost:%d/ws" % port, subprotocols=["kefu.v1"],
                                  ssl=ctx, open_timeout=30, close_timeout=2)
    w = json.loads(await asyncio.wait_for(ws.recv(), kt.REPLY_TIMEOUT))
    check(w.get("type") == "welcome", "wss: expected welcome, got %r", w)
    return ws


async def ask(ws, mid, text="How do I reset my password?"):
    r = await kt.aws_ask(ws, mid, text)
    check(r.get("type") == "reply" and r.get("id") == mid, "wss: %s: %r", mid, r)
    kt.check_reply(r)
    return r


def https_post(port, ctx, path, body, headers):
    c = http.client.HTTPSConnection("localhost", port, timeout=20, context=ctx)
    try:
        c.request("POST", path, body=json.dumps(body), headers=headers)
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"{}")
    finally:
        c.close()


def test():
    tmp = tempfile.mkdtemp(prefix="kefu-tls-")
    a_crt, a_key = make_cert(tmp, "kefu-a")
    b_crt, b_key = make_cert(tmp, "kefu-b")

    # ---- start-up errors name the file and the fault
    out = refused_start(tmp, "--tls-cert", os.path.join(tmp, "missing.crt"), "--tls-key", a_key)
    check("missing.crt" in out and "No such file" in out, "missing cert: %s", out[-400:])
    junk = os.path.join(tmp, "junk.crt")
    with open(junk, "w") as f:
        f.write("not a certificate\n")
    out = refused_start(tmp, "--tls-cert", junk, "--tls-key", a_key)
    check("junk.crt" in out and "no PEM certificate" in out, "junk cert: %s", out[-400:])
    out = refused_start(tmp, "--tls-cert", a_crt, "--tls-key", b_key)
    check("is not the key of tls_cert" in out, "mismatched pair: %s", out[-400:])
    out = refused_start(tmp, "--tls-cert", a_crt)
    check("tls_cert is set but tls_key is not" in out, "cert alone: %s", out[-400:])
    kt.log("start-up refused: missing file, not PEM, key of another certificate, cert alone")

    # ---- serving: the live files are copies, so the test can replace them
    crt, key = os.path.join(tmp, "live.crt"), os.path.join(tmp, "live.key")
    shutil.copy(a_crt, crt)
    shutil.copy(a_key, key)
    d = kt.Kefud("--tls-cert", crt, "--tls-key", key, "--asr", "false", "--vision", "false",
                 tls=trusting(a_crt)).start()
    st, hdr, body = kt.http_get(d.port, "/healthz", tls=trusting(a_crt))
    check(st == 200, "https /healthz: %s", st)
    check(hdr.get("strict-transport-security") == "max-age=31536000",
          "HSTS header: %r", hdr.get("strict-transport-security"))
    check(served_cert(d.port) == der(a_crt), "kefud does not present tls_cert")
    try:
        st, _, _ = kt.http_get(d.port, "/healthz", timeout=5)
        check(False, "plain HTTP on the TLS port answered %s", st)
    except (OSError, http.client.HTTPException):
        pass
    # req->tls: a sign-in over TLS to a real name is not refused as plain HTTP (401: no
    # such operator); the same over plain HTTP is tls_required (test_edge.py, test_api)
    st, j = https_post(d.port, trusting(a_crt), "/api/v1/login",
                       {"login": "nobody", "password": "correct horse battery"},
                       {"Content-Type": "application/json", "Host": "kefu.example.com",
                        "Origin": "https://kefu.example.com"})
    check(j.get("code") != "tls_required", "login over TLS refused as plain: %s %r", st, j)
    kt.log("https: /healthz 200 with HSTS, certificate kefu-a, plain HTTP refused, "
           "login over TLS answered %s %s", st, j.get("code"))

    async def reload_flow():
        old = await chat(d.port, trusting(a_crt))
        await ask(old, "before")
        # new files, SIGHUP: the next handshake presents kefu-b
        shutil.copy(b_crt, crt)
        shutil.copy(b_key, key)
        d.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while served_cert(d.port) != der(b_crt):
            check(time.monotonic() < deadline, "certificate not reloaded 10 s after SIGHUP")
            await asyncio.sleep(0.1)
        new = await chat(d.port, trusting(b_crt))
        await ask(new, "new")
        await ask(old, "after")     # the chat opened before the reload still talks
        kt.log("SIGHUP: new handshakes get kefu-b; the chat opened on kefu-a still answers")
        # a broken pair: kept the current certificate, said why
        shutil.copy(a_key, key)
        d.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "certificate not reloaded" not in d.log_tail(400):
            check(time.monotonic() < deadline, "no log line for the refused reload")
            await asyncio.sleep(0.1)
        check(served_cert(d.port) == der(b_crt), "a bad pair replaced the certificate")
        await ask(new, "still")
        await old.close()
        await new.close()
    asyncio.run(reload_flow())
    check("is not the key of tls_cert" in d.log_tail(400), "reload refusal without its reason")
    kt.log("SIGHUP with a mismatched pair: kefu-b kept, reason logged")
    shutil.copy(b_key, key)
    d.tls = trusting(b_crt)
    d.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    kt.main(test)
