"""tests/integration/test_webhooks.py — signed webhooks from a real kefud to a local receiver.

An admin adds a webhook over the API (the secret is answered once); a customer chats,
gives a thumbs-down, asks for a person; the admin resolves the conversation.  The
receiver (an HTTP server in this process) answers the first delivery 500 and the rest
204, and checks every request as a Standard Webhooks consumer would: webhook-id,
webhook-timestamp (within five minutes) and webhook-signature = v1,base64(HMAC-SHA256
(secret, id.timestamp.body)).  So: three events arrive, signed; the refused one comes
again after the back-off with the same id and body; the hand-off carries the summary
card; a wrong secret or an altered body does not verify; the console's delivery log
says delivered with the attempts; a disabled webhook gets nothing more.  A second
webhook points at an HTTPS receiver with a self-signed certificate (openssl): kefud
refuses the certificate, sends it nothing, and its log says why and retries.
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import ssl
import subprocess
import threading
import time

import kefutest as kt
from kefutest import check

from test_api_http import PW, add_operator



def verify(secret, headers, body):
    """The Standard Webhooks check: True when the signature matches."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = ("%s.%s." % (headers["webhook-id"], headers["webhook-timestamp"])).encode() + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    got = [s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ")
           if s.startswith("v1,")]
    return any(hmac.compare_digest(want, g) for g in got)


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []            # (headers dict, body bytes, status answered)
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Receiver.lock:
            status = 500 if not Receiver.received else 204
            Receiver.received.append(({k.lower(): v for k, v in self.headers.items()},
                                      body, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class TlsReceiver(Receiver):
    got = []

    def do_POST(self):
        TlsReceiver.got.append(self.path)
        self.send_response(204)
        self.end_headers()


def tls_server(tmp):
    """An HTTPS server on a free port with a fresh self-signed certificate."""
    key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", crt], capture_output=True, timeout=60)
    check(p.returncode == 0, "openssl req: %s", p.stderr.decode())
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TlsReceiver)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.handle_error = lambda *a: None       # the refused handshakes
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Client:
    """A cookie jar of one cookie; a connection per call (the test waits out kefud's
    keep-alive)."""

    def __init__(self, port):
        self.port = port
        self.cookie = self.csrf = None

    def call(self, method, path, body=None):
        h = {"Host": "127.0.0.1:%d" % self.port}
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        j = json.loads(r.read())
        conn.close()
        return r.status, j, r

    def login(self, login, pw):
        st, j, r = self.call("POST", "/api/v1/login", {"login": login, "password": pw})
        check(st == 200, "login: %s %s", st, j)
        self.cookie = r.getheader("Set-Cookie").split(";", 1)[0]
        self.csrf = j["csrf_token"]


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.1)
    check(False, "timed out waiting for %s", what)


def run():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/hooks/kefu?src=test" % srv.server_address[1]

    d = kt.Kefud()
    d.start()
    d.stop()
    add_operator(d.db, "ann", "admin", PW)
    d.start()
    op = Client(d.port)
    op.login("ann", PW)

    st, j, _ = op.call("POST", "/api/v1/webhooks", {
        "url": url, "events": "handoff.requested,conversation.resolved,feedback.negative"})
    check(st == 201 and j["secret"].startswith("whsec_"), "webhook added: %s %s", st, j)
    secret, hook = j["secret"], j["webhook"]["id"]
    tls = tls_server(d.tmp)
    st, j, _ = op.call("POST", "/api/v1/webhooks", {
        "url": "https://127.0.0.1:%d/in" % tls.server_address[1], "events": "handoff.requested"})
    check(st == 201, "HTTPS webhook added: %s %s", st, j)
    tls_hook = j["webhook"]["id"]
    st, j, _ = op.call("GET", "/api/v1/webhooks")
    check(st == 200 and secret not in json.dumps(j), "the secret is not listed: %s", j)

    # the customer: a reply, a thumbs-down on it, a request for a person
    cu = d.ws()
    cu.welcome()
    cu.ask("m1", "my card was stolen yesterday")
    cu.send_json({"type": "feedback", "id": "f1", "message": "m1", "value": -1})
    cu.expect("ack", id="f1")
    cu.send_json({"type": "handoff", "id": "h1", "reason": "I want a person"})
    cu.expect("handoff", id="h1")
    st, j, _ = op.call("GET", "/api/v1/conversations?status=waiting")
    check(st == 200 and len(j["conversations"]) == 1, "waiting: %s", j)
    sid = j["conversations"][0]["id"]
    st, j, _ = op.call("POST", "/api/v1/conversations/%d/resolve" % sid)
    check(st == 200, "resolve: %s %s", st, j)
    cu.expect("operator_left", reason="resolve")

    # three events, the first refused (500) and sent again after the 5 s back-off
    wait_for(lambda: len(Receiver.received) >= 4, 30, "four requests at the receiver")
    got = list(Receiver.received)
    now = time.time()
    for h, body, _ in got:
        check(verify(secret, h, body), "signature verifies: %s", h)
        check(abs(int(h["webhook-timestamp"]) - now) < 300, "timestamp is now: %s", h)
        check(h["content-type"] == "application/json", "JSON: %s", h)
        check(not verify("whsec_" + base64.b64encode(b"x" * 24).decode(), h, body),
              "another secret does not verify")
        check(not verify(secret, h, body + b" "), "an altered body does not verify")
    first, again = got[0], [g for g in got[1:] if g[0]["webhook-id"] == got[0][0]["webhook-id"]]
    check(first[2] == 500 and len(again) == 1 and again[0][1] == first[1],
          "the refused delivery came again with the same id and body: %s", got)
    events = {}
    for h, body, status in got:
        p = json.loads(body)
        events[p["type"]] = p
    check(set(events) == {"handoff.requested", "conversation.resolved", "feedback.negative"},
          "the three events: %s", list(events))
    ho = events["handoff.requested"]
    check(ho["data"]["conversation"]["id"] == sid and
          ho["data"]["handoff"]["reason"] == "I want a person", "hand-off facts: %s", ho)
    check(isinstance(ho["data"]["summary"], dict) and
          ho["data"]["summary"]["asked_for_person"] is True and
          "card" in ho["data"]["summary"]["problem"].lower(), "the summary card: %s", ho)
    fb = events["feedback.negative"]["data"]["feedback"]
    check(fb["question"] == "my card was stolen yesterday" and fb["reply"],
          "the thumbs-down names the question and reply: %s", fb)
    check(events["conversation.resolved"]["data"]["conversation"]["resolved_ms"],
          "resolved: %s", events["conversation.resolved"])
    check(events["feedback.negative"]["timestamp"].endswith("Z"), "ISO timestamp")

    # the console's delivery log
    st, j, _ = op.call("GET", "/api/v1/webhooks/%d/deliveries" % hook)
    log = j["deliveries"]
    check(st == 200 and len(log) == 3 and all(x["state"] == "delivered" for x in log),
          "log: %s", j)
    check(sorted(x["attempts"] for x in log) == [1, 1, 2], "attempts: %s", log)
    check(any(x["last_status"] == 204 for x in log), "statuses: %s", log)

    # the self-signed HTTPS receiver: refused by kefud, nothing sent, retried later
    st, j, _ = op.call("GET", "/api/v1/webhooks/%d/deliveries" % tls_hook)
    log = j["deliveries"]
    check(st == 200 and len(log) == 1 and log[0]["state"] == "pending" and
          log[0]["attempts"] >= 1 and "TLS" in log[0]["last_error"] and log[0]["next_ms"],
          "untrusted certificate: %s", log)
    check(TlsReceiver.got == [], "nothing reached the untrusted receiver: %s", TlsReceiver.got)
    st, j, _ = op.call("POST", "/api/v1/webhooks/%d/delete" % tls_hook)
    check(st == 200, "deleted: %s", j)
    tls.shutdown()

    # disabled: nothing more is sent
    st, j, _ = op.call("POST", "/api/v1/webhooks/%d/disable" % hook)
    check(st == 200 and j["webhook"]["enabled"] is False, "disabled: %s", j)
    n = len(Receiver.received)
    cu.ask("m2", "and my wallet too")
    cu.send_json({"type": "feedback", "id": "f2", "message": "m2", "value": -1})
    cu.expect("ack", id="f2")
    time.sleep(2.5)
    check(len(Receiver.received) == n, "nothing sent while disabled")
    cu.close()
    d.stop()
    srv.shutdown()


if __name__ == "__main__":
    kt.main(run)
