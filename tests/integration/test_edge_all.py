"""tests/integration/test_edge_all.py — the per-address limits on every endpoint of a real
kefud (daemon/edge.c), not only the chat WebSocket (test_edge.py covers that one and the
trusted proxy rules):

- HTTP (pages, /healthz, the REST API, a console picture upload): at most
  `requests_per_ip_minute` requests a minute per client address; beyond, every one of
  them gets HTTP 429 with the JSON code `too_many_requests`, `retry_after` and a
  Retry-After header, before any route runs; another address is not affected.
- The operator channel /ops shares `max_conns_per_ip` and `sessions_per_ip_minute` with
  the chat: a chat and an /ops connection fill a limit of 2, the next /ops and the next
  chat get the error frame `too_many_connections` and a close (1008) whose reason is the
  code; once a place is free, new connections beyond the minute's allowance (3) get
  `too_many_sessions` with retry_after, again as frame and close reason.  (One new
  connection every 20 s refills: the test takes far less between its first and last.)
- HTTP connections: at most `max_http_conns_per_ip` (3 here) open at once per client
  address, idle keep-alive ones included, both behind the trusted proxy (X-Forwarded-For:
  the next request on a further connection gets HTTP 429 `too_many_connections` and the
  connection is closed) and straight from a peer (127.0.0.2, a second loopback address:
  a connection is counted from its accept, so a further one is closed before it can send
  a byte, and connections that never send a request — slowloris — hold places too);
  another address is served, and a closed connection's place is usable again.
- /metrics counts the refusals in kefu_edge_refused_total{code}.
- Sign-ins (a second kefud, `login_failures_per_ip` 3): one address guessing over many
  login names gets 429 `too_many_attempts` (retry_after, Retry-After) at its 4th attempt,
  even with the right password; another address signs in; a successful sign-in gives its
  attempt back.

Clients are told apart the way a reverse proxy tells kefud (X-Forwarded-For from a trusted
proxy, 127.0.0.1 here, itself exempt), so the test's own requests from 127.0.0.1 stay out
of the counts.
"""
import http.client
import json
import socket
import sqlite3
import time

import kefutest as kt
from kefutest import check
from test_api_http import PW, Client, add_operator

REQS = 4     # one more every 15 s: the test needs far less between its first and last
HTTP_CONNS = 3


def answer(r):
    """A response read whole: (status, headers with lowercase names, JSON or None)."""
    data = r.read()
    try:
        j = json.loads(data)
    except ValueError:
        j = None
    return r.status, {k.lower(): v for k, v in r.getheaders()}, j


def request(d, method, path, ip, body=None, ctype=None, cookie=None):
    """One request from client ip (through the proxy): (status, headers, JSON or None)."""
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    try:
        h = {"X-Forwarded-For": ip, "Host": "127.0.0.1:%d" % d.port}
        if ctype:
            h["Content-Type"] = ctype
        if cookie:
            h["Cookie"] = cookie
        c.request(method, path, body=body, headers=h)
        return answer(c.getresponse())
    finally:
        c.close()


def too_many_requests(st, hdrs, j, what):
    check(st == 429, "%s: expected 429, got %s %r", what, st, j)
    check(isinstance(j, dict) and j.get("code") == "too_many_requests",
          "%s: 429 body %r", what, j)
    check(isinstance(j.get("message"), str) and j["message"], "%s: no message %r", what, j)
    ra = j.get("retry_after")
    check(isinstance(ra, int) and 1 <= ra <= 16, "%s: retry_after %r", what, ra)
    check(hdrs.get("retry-after") == str(ra), "%s: Retry-After %r vs %r", what,
          hdrs.get("retry-after"), ra)
    check(hdrs.get("content-type", "").startswith("application/json"),
          "%s: content type %r", what, hdrs.get("content-type"))
    return ra


def open_conn(d, ip=None, source=None):
    """A connection that made one request (GET /healthz, from ip through the proxy or
    straight from the local address source) and stays open, idle: (connection, status,
    headers, JSON)."""
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20,
                                   source_address=(source, 0) if source else None)
    h = {"Host": "127.0.0.1:%d" % d.port}
    if ip:
        h["X-Forwarded-For"] = ip
    c.request("GET", "/healthz", headers=h)
    return (c,) + answer(c.getresponse())


def conns_limit(d, who, **kw):
    """HTTP_CONNS idle connections of one client, the next refused (behind the proxy: 429
    and closed; a direct peer: closed at accept, no answer), a freed place reused; returns
    the connections still open."""
    held = []
    for i in range(HTTP_CONNS):
        c, st, _, j = open_conn(d, **kw)
        check(st == 200, "%s: connection %d of %d: %s %r", who, i + 1, HTTP_CONNS, st, j)
        held.append(c)
    if kw.get("ip"):
        c, st, hdrs, j = open_conn(d, **kw)
        check(st == 429 and isinstance(j, dict) and j.get("code") == "too_many_connections",
              "%s: connection %d: %s %r", who, HTTP_CONNS + 1, st, j)
        check(isinstance(j.get("message"), str) and j["message"] and "retry_after" not in j
              and "retry-after" not in hdrs, "%s: refusal body %r headers %r", who, j, hdrs)
        c.close()
    else:
        closed_at_accept(d, who, kw["source"])
    held.pop().close()
    time.sleep(0.5)                        # lws frees the closed connection
    c, st, _, j = open_conn(d, **kw)
    check(st == 200, "%s: a freed place is not usable: %s %r", who, st, j)
    held.append(c)
    return held


def closed_at_accept(d, who, source):
    """A connection from source is closed by kefud before it answers anything."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10,
                                 source_address=(source, 0))
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        got = s.recv(4096)
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    finally:
        s.close()
    check(got == b"", "%s: a connection beyond the limit was answered %r", who, got[:80])


def silent_conns(d, source):
    """HTTP_CONNS connections that never send a byte hold every place of their address
    (slowloris); the next is closed; once they go, the address is served again."""
    quiet = [socket.create_connection(("127.0.0.1", d.port), timeout=10,
                                      source_address=(source, 0)) for _ in range(HTTP_CONNS)]
    time.sleep(0.3)
    closed_at_accept(d, "silent connections", source)
    for q in quiet:
        q.close()
    time.sleep(0.5)
    c, st, _, j = open_conn(d, source=source)
    check(st == 200, "after the silent connections closed: %s %r", st, j)
    c.close()


def ops_ws(d, cookie, ip):
    return kt.RawWS(d.port, path="/ops", subprotocol="kefu.ops",
                    origin="http://127.0.0.1:%d" % d.port,
                    headers={"Cookie": cookie, "X-Forwarded-For": ip})


def first_frame(ws, skip=("activity", "operators")):
    while True:
        f = ws.recv_json(timeout=kt.REPLY_TIMEOUT)
        if f["type"] not in skip:
            return f


def refused(ws, code):
    """ws got the error frame `code`, then a close 1008 whose reason is the code."""
    f = first_frame(ws)
    check(f.get("type") == "error" and f.get("code") == code, "expected %s, got %r", code, f)
    check(isinstance(f.get("message"), str) and f["message"], "no message: %r", f)
    try:
        extra = ws.recv_json(timeout=10)
        check(False, "refused connection got a further frame %r", extra)
    except kt.WSClosed:
        pass
    check(ws.close_code == 1008 and ws.close_reason == code,
          "close of a %s refusal: code %s reason %r", code, ws.close_code, ws.close_reason)
    ws.close()
    return f


def refused_count(d, code):
    return kt.metric_sum(d.metrics(), lambda n: n == "kefu_edge_refused_total",
                         lambda lab: lab.get("code") == code)


def test():
    # the proxy's own requests (start-up, sign-in, /metrics) are exempt; its clients not
    d = kt.Kefud("--trusted-proxies", "127.0.0.1", "--ip-limit-exempt", "127.0.0.1",
                 "--max-conns-per-ip", "2", "--sessions-per-ip-minute", "3",
                 "--requests-per-ip-minute", str(REQS),
                 "--max-http-conns-per-ip", str(HTTP_CONNS), "--asr", "false",
                 "--vision", "false")
    d.start()
    d.stop()
    add_operator(d.db, "ann", "admin", PW)
    d.start()

    # ---- HTTP: REQS requests a minute per address, then 429 on every kind of endpoint
    a, b = "203.0.113.10", "203.0.113.11"
    for i in range(REQS):
        st, _, _ = request(d, "GET", "/healthz" if i % 2 else "/", a)
        check(st == 200, "request %d of %d from %s: %s", i + 1, REQS, a, st)
    ra = too_many_requests(*request(d, "GET", "/healthz", a), "GET /healthz")
    too_many_requests(*request(d, "GET", "/", a), "GET / (a page)")
    too_many_requests(*request(d, "POST", "/api/v1/login", a,
                               json.dumps({"login": "ann", "password": PW}),
                               "application/json"), "POST /api/v1/login")
    too_many_requests(*request(d, "POST", "/api/v1/answers/1/pictures", a,
                               b"\xff\xd8\xff" + b"\0" * 4096, "image/jpeg"),
                      "POST /api/v1/answers/1/pictures (an upload)")
    st, _, _ = request(d, "GET", "/healthz", b)
    check(st == 200, "another address is refused too: %s", st)
    check(refused_count(d, "too_many_requests") == 4, "too_many_requests counted %s",
          refused_count(d, "too_many_requests"))
    kt.log("requests_per_ip_minute %d: request %d from one address gets 429 "
           "too_many_requests (retry_after %d s) on a page, /healthz, the API and an "
           "upload; another address is served", REQS, REQS + 1, ra)

    # ---- WebSockets: chat and /ops share max_conns_per_ip 2 and 3 new a minute
    op = Client(d.port)
    st, j = op.login("ann", PW)
    check(st == 200, "login: %s %s", st, j)
    c = "198.51.100.5"
    chat = d.ws(headers={"X-Forwarded-For": c})               # new 1
    chat.welcome()
    ops = ops_ws(d, op.cookie, c)                              # new 2
    check(first_frame(ops)["type"] == "hello", "an /ops connection within the limit")
    refused(ops_ws(d, op.cookie, c), "too_many_connections")
    refused(d.ws(headers={"X-Forwarded-For": c}), "too_many_connections")
    other = ops_ws(d, op.cookie, "198.51.100.6")              # another address: fine
    check(first_frame(other)["type"] == "hello", "/ops from another address")
    other.close()
    kt.log("max_conns_per_ip 2 over chat + /ops: a 3rd /ops and a 3rd chat refused "
           "with too_many_connections (close 1008, reason too_many_connections)")
    ops.close()
    time.sleep(1)                                              # CLOSED runs
    again = ops_ws(d, op.cookie, c)                            # new 3: a freed place
    check(first_frame(again)["type"] == "hello", "a freed place is usable")
    again.close()
    time.sleep(1)
    e = refused(ops_ws(d, op.cookie, c), "too_many_sessions")
    check(isinstance(e.get("retry_after"), int) and 1 <= e["retry_after"] <= 21,
          "too_many_sessions without a sane retry_after: %r", e)
    e2 = refused(d.ws(headers={"X-Forwarded-For": c}), "too_many_sessions")
    check(isinstance(e2.get("retry_after"), int), "chat too_many_sessions: %r", e2)
    check(refused_count(d, "too_many_connections") == 2 and
          refused_count(d, "too_many_sessions") == 2, "refusals counted: %s + %s",
          refused_count(d, "too_many_connections"), refused_count(d, "too_many_sessions"))
    kt.log("sessions_per_ip_minute 3 over chat + /ops: the 4th new /ops and chat get "
           "too_many_sessions (retry_after %d s), close reason too_many_sessions; "
           "kefu_edge_refused_total counts 2 + 2", e["retry_after"])
    chat.close()

    # ---- HTTP connections: HTTP_CONNS open at once per address, idle ones included
    # (fresh addresses: each makes HTTP_CONNS + 1 = REQS counted requests; a refused
    # connection takes no request token)
    held = conns_limit(d, "behind the proxy", ip="203.0.113.20")
    _, st, _, j = open_conn(d, ip="203.0.113.21")
    check(st == 200, "another address behind the proxy: %s %r", st, j)
    held += conns_limit(d, "a direct peer", source="127.0.0.2")
    other, st, _, j = open_conn(d, source="127.0.0.3")
    check(st == 200, "another direct peer: %s %r", st, j)
    other.close()
    silent_conns(d, "127.0.0.4")
    check(refused_count(d, "too_many_connections") == 5,
          "too_many_connections counted %s (2 WebSockets + 3 HTTP)",
          refused_count(d, "too_many_connections"))
    kt.log("max_http_conns_per_ip %d: a %dth HTTP connection (the others idle, kept "
           "alive) gets 429 too_many_connections and is closed behind the proxy, is closed "
           "at accept from a direct peer; %d silent connections fill an address; another "
           "address served; a freed place reused; "
           "kefu_edge_refused_total{code=\"too_many_connections\"} 5",
           HTTP_CONNS, HTTP_CONNS + 1, HTTP_CONNS)
    for c in held:
        c.close()
    d.stop()
    check_db(d)
    logins(d.db)


def login_as(d, ip, name, pw):
    st, hdrs, j = request(d, "POST", "/api/v1/login", ip,
                          json.dumps({"login": name, "password": pw}), "application/json")
    return st, hdrs, j if isinstance(j, dict) else {}


def logins(db):
    """login_failures_per_ip 3 on a kefud of its own (the rate limit above would cut
    in first); each guess names another login, as a password sprayer does."""
    d = kt.Kefud("--trusted-proxies", "127.0.0.1", "--ip-limit-exempt", "127.0.0.1",
                 "--login-failures-per-ip", "3", "--asr", "false", "--vision", "false",
                 db=db)
    d.start()
    a = "203.0.113.40"
    for i in range(3):
        st, _, j = login_as(d, a, "guess%d" % i, "wrong password %d" % i)
        check(st == 401 and j.get("code") == "invalid_credentials",
              "failed sign-in %d from %s: %s %r", i + 1, a, st, j)
    st, hdrs, j = login_as(d, a, "ann", PW)               # even the right password
    check(st == 429 and j.get("code") == "too_many_attempts",
          "4th sign-in from %s: %s %r", a, st, j)
    ra = j.get("retry_after")
    check(isinstance(ra, int) and 1 <= ra <= 301 and hdrs.get("retry-after") == str(ra),
          "too_many_attempts retry_after %r, Retry-After %r", ra, hdrs.get("retry-after"))
    st, _, j = login_as(d, "203.0.113.41", "ann", PW)
    check(st == 200, "another address signs in: %s %r", st, j)
    b = "203.0.113.42"                                    # 2 failures, a success, ...
    for i in range(2):
        st, _, j = login_as(d, b, "spray%d" % i, "wrong password %d" % i)
        check(st == 401, "failed sign-in %d from %s: %s %r", i + 1, b, st, j)
    st, _, j = login_as(d, b, "ann", PW)
    check(st == 200, "a sign-in within the allowance: %s %r", st, j)
    st, _, j = login_as(d, b, "spray9", "wrong password 9")  # ... gave its attempt back
    check(st == 401, "the attempt of a success is given back: %s %r", st, j)
    st, _, j = login_as(d, b, "spray10", "wrong password 10")
    check(st == 429 and j.get("code") == "too_many_attempts", "then refused: %s %r", st, j)
    n = refused_count(d, "too_many_attempts")
    check(n == 2, "too_many_attempts counted %s", n)
    kt.log("login_failures_per_ip 3: the 4th sign-in from one address (3 login names "
           "guessed) gets 429 too_many_attempts (retry_after %d s) even with the right "
           "password; another address signs in; a success gives its attempt back; "
           "kefu_edge_refused_total{code=\"too_many_attempts\"} %d", ra, n)
    d.stop()
    check_db(d)


def check_db(d):
    con = sqlite3.connect(d.db)
    try:
        check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "database")
    finally:
        con.close()


if __name__ == "__main__":
    kt.main(test)
