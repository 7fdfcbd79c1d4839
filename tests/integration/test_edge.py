"""tests/integration/test_edge.py — the edge of kefud (daemon/edge.c): trusted_proxies
and the per-address chat limits, against a real kefud on 127.0.0.1.

- max_conns_per_ip: chats beyond it from one address get the error frame
  `too_many_connections` and are closed; closing one frees a place.
- sessions_per_ip_minute: new chats beyond it get `too_many_sessions` with retry_after.
- Both count under the address a trusted proxy names in X-Forwarded-For (the right-most
  entry that is not itself a trusted proxy): another client behind the same proxy has its
  own allowance, and a spoofed left-hand entry changes nothing.
- From a peer not in trusted_proxies, X-Forwarded-For and X-Forwarded-Proto are ignored:
  every such chat counts under the peer, the console login to a public name stays
  tls_required, failed logins are audited under the peer (and under the forwarded client
  when the proxy is trusted).
- kefu_errors_total counts the refusals; by default loopback is exempt (the other tests
  open hundreds of chats from 127.0.0.1).
"""

import http.client
import json
import sqlite3
import time

import kefutest as kt
from kefutest import check

LIMITS = ["--max-conns-per-ip", "3", "--sessions-per-ip-minute", "6", "--ip-limit-exempt", "",
          "--asr", "false", "--vision", "false"]


def chat(d, fwd=None):
    """A chat from 127.0.0.1 (through the 'proxy' header fwd): (ws, first frame)."""
    ws = d.ws(headers={"X-Forwarded-For": fwd} if fwd else None)
    return ws, ws.recv_json()


def admitted(d, fwd=None):
    ws, f = chat(d, fwd)
    check(f.get("type") == "welcome", "expected a welcome (X-Forwarded-For %r), got %r", fwd, f)
    return ws


def refused(d, code, fwd=None):
    """The chat gets the error frame `code` and is closed by kefud."""
    ws, f = chat(d, fwd)
    check(f.get("type") == "error" and f.get("code") == code,
          "expected error %s (X-Forwarded-For %r), got %r", code, fwd, f)
    check(isinstance(f.get("message"), str) and f["message"], "error without message: %r", f)
    try:
        extra = ws.recv_json(timeout=5)
        check(False, "refused chat got a further frame %r", extra)
    except (kt.WSClosed, OSError):
        pass
    ws.close()
    return f


def errors(d, code):
    return kt.metric_sum(d.metrics(), lambda n: n == "kefu_errors_total",
                         lambda lab: lab.get("code") == code)


def login(d, host, headers):
    """A failed sign-in over plain HTTP: (status, error code)."""
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    try:
        h = {"Content-Type": "application/json", "Host": host}
        h.update(headers)
        c.request("POST", "/api/v1/login", body=json.dumps(
            {"login": "nobody", "password": "correct horse battery"}), headers=h)
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"{}").get("code")
    finally:
        c.close()


def audited_ips(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT ip FROM audit_log WHERE action = 'login.failed' ORDER BY id")]
    finally:
        con.close()


def test():
    # ---- behind a trusted proxy (the proxy is 127.0.0.1 itself)
    d = kt.Kefud("--trusted-proxies", "127.0.0.1, 10.9.0.0/16", *LIMITS).start()
    own = [admitted(d) for _ in range(3)]                       # 3 of 6 new per minute
    refused(d, "too_many_connections")                          # no token spent
    own.pop().close()
    time.sleep(0.3)                                             # CLOSED runs
    own.append(admitted(d))                                     # 4 of 6
    # another client behind the proxy has its own allowance; a spoofed left entry and
    # a second trusted hop change nothing
    c1 = "203.0.113.7"
    theirs = [admitted(d, c1), admitted(d, "198.51.100.99, " + c1),
              admitted(d, "192.0.2.1, " + c1 + ", 10.9.4.4")]
    refused(d, "too_many_connections", c1)
    kt.log("per address behind the proxy: 127.0.0.1 and %s each hold 3, the 4th refused",
           c1)
    for ws in own + theirs:
        ws.close()
    time.sleep(0.3)
    admitted(d).close()                                         # 5 of 6
    admitted(d).close()                                         # 6 of 6
    e = refused(d, "too_many_sessions")
    check(isinstance(e.get("retry_after"), int) and 1 <= e["retry_after"] <= 11,
          "too_many_sessions without a sane retry_after: %r", e)
    admitted(d, "203.0.113.8").close()                          # someone else: fine
    check(errors(d, "too_many_connections") == 2, "too_many_connections counted %s",
          errors(d, "too_many_connections"))
    check(errors(d, "too_many_sessions") == 1, "too_many_sessions counted %s",
          errors(d, "too_many_sessions"))
    kt.log("sessions_per_ip_minute 6: the 7th new chat refused, retry_after %d s; "
           "metrics count 2 + 1 refusals", e["retry_after"])
    # X-Forwarded-Proto from the trusted proxy: the console sign-in to a public name is
    # not refused as plain HTTP; the failed sign-in is audited under the forwarded client
    st, code = login(d, "kefu.example.com", {"X-Forwarded-Proto": "https",
                                            "X-Forwarded-For": "198.51.100.23",
                                            "Origin": "https://kefu.example.com"})
    check(code == "invalid_credentials", "trusted proxy, https: %s %s", st, code)
    st, code = login(d, "kefu.example.com", {"Origin": "http://kefu.example.com"})
    check(code == "tls_required", "trusted proxy without X-Forwarded-Proto: %s %s", st, code)
    d.stop()
    check(audited_ips(d.db) == ["198.51.100.23"], "audited addresses %r", audited_ips(d.db))
    kt.log("trusted proxy: X-Forwarded-Proto https lets the sign-in through, "
           "audited as 198.51.100.23")

    # ---- no trusted proxy: the headers are ignored, everything counts under the peer
    u = kt.Kefud(*LIMITS).start()
    spoofed = [admitted(u, "203.0.113.%d" % i) for i in range(3)]
    refused(u, "too_many_connections", "203.0.113.50")
    for ws in spoofed:
        ws.close()
    st, code = login(u, "kefu.example.com", {"X-Forwarded-Proto": "https",
                                            "X-Forwarded-For": "198.51.100.23",
                                            "Origin": "http://kefu.example.com"})
    check(code == "tls_required", "untrusted X-Forwarded-Proto believed: %s %s", st, code)
    st, code = login(u, "127.0.0.1:%d" % u.port, {"X-Forwarded-For": "198.51.100.23"})
    check(code == "invalid_credentials", "loopback sign-in: %s %s", st, code)
    check("ignoring X-Forwarded-For from 127.0.0.1" in u.log_tail(400),
          "no warning about the untrusted X-Forwarded-For")
    u.stop()
    check(audited_ips(u.db) == ["127.0.0.1"], "audited addresses %r", audited_ips(u.db))
    kt.log("untrusted peer: X-Forwarded-For/-Proto ignored (limits, tls_required, audit "
           "under 127.0.0.1), warned once in the log")

    # ---- defaults: loopback is exempt
    x = kt.Kefud("--max-conns-per-ip", "2", "--asr", "false", "--vision", "false").start()
    many = [admitted(x) for _ in range(5)]
    for ws in many:
        ws.close()
    x.stop()
    kt.log("default ip_limit_exempt: 5 chats from 127.0.0.1 with max_conns_per_ip 2")


if __name__ == "__main__":
    kt.main(test)
