"""tests/integration/test_api_http.py — /api/v1/ over a real kefud's HTTP.

An admin made with `kefu operator add` (password on stdin) signs in over HTTP; the
answer sets the __Host-kefu cookie (HttpOnly, SameSite=Strict, Secure: loopback) and
carries the CSRF token; /me works with the cookie; a state-changing POST needs the
X-CSRF-Token (refused without it, nothing added) and succeeds with it; logout ends the
session on the server (the old cookie gets 401).  Refusals: a wrong password (401
invalid_credentials, one answer for an unknown login too), no cookie (401), a
cross-site Origin on a POST (403 cross_site), an agent on an admin route (403
forbidden), a body over 16 KiB (413), an unknown path (404).  Every answer is JSON
with Cache-Control: no-store and X-Content-Type-Options: nosniff.  Several requests
ride one keep-alive connection, and kefud stops cleanly afterwards.
"""
import http.client
import json
import sqlite3
import subprocess
import sys

import kefutest as kt
from kefutest import check

PW = "correct horse battery"
PW_AGENT = "agent passphrase 42"


def add_operator(db, login, role, pw):
    if not kt.KEFU:
        print("kefu CLI not built: skipped")
        sys.exit(77)
    p = subprocess.run([kt.KEFU, "operator", "add", login, "--role", role, "--db", db],
                       input=(pw + "\n").encode(), capture_output=True, timeout=120)
    check(p.returncode == 0, "kefu operator add %s: %s", login, p.stderr.decode())


class Client:
    """One keep-alive HTTP connection to kefud with a cookie jar of one cookie."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None, headers=None, raw=None):
        h = {"Host": "127.0.0.1:%d" % self.port}
        if self.cookie:
            h["Cookie"] = self.cookie
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        self.conn.request(method, path, body=data, headers=h)
        r = self.conn.getresponse()
        text = r.read()
        check(r.getheader("Cache-Control") == "no-store", "%s %s: no-store", method, path)
        check(r.getheader("X-Content-Type-Options") == "nosniff", "%s %s: nosniff",
              method, path)
        check(r.getheader("Content-Type", "").startswith("application/json"),
              "%s %s: JSON content type, got %s", method, path, r.getheader("Content-Type"))
        return r.status, json.loads(text), r

    def login(self, login, pw):
        st, j, r = self.call("POST", "/api/v1/login", {"login": login, "password": pw})
        if st == 200:
            sc = r.getheader("Set-Cookie")
            check(sc and sc.startswith("__Host-kefu="), "cookie set: %s", sc)
            for attr in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/"):
                check(attr in sc, "cookie has %s: %s", attr, sc)
            self.cookie = sc.split(";", 1)[0]
            self.csrf = j["csrf_token"]
        return st, j


def run():
    d = kt.Kefud()
    d.start()       # creates and migrates the database
    d.stop()
    add_operator(d.db, "ann", "admin", PW)
    add_operator(d.db, "bob", "agent", PW_AGENT)
    d.start()

    c = Client(d.port)
    st, j, _ = c.call("GET", "/api/v1/me")
    check(st == 401 and j["code"] == "unauthenticated", "no cookie: %s %s", st, j)

    st, j = c.login("ann", "wrong password here")
    check(st == 401 and j["code"] == "invalid_credentials", "wrong password: %s %s", st, j)
    st, j2 = c.login("nobody", "wrong password here")
    check(st == 401 and j2 == j, "unknown login answers the same: %s", j2)

    st, j = c.login("ann", PW)
    check(st == 200 and j["operator"]["login"] == "ann" and j["operator"]["role"] == "admin",
          "login: %s %s", st, j)
    st, j, _ = c.call("GET", "/api/v1/me")
    check(st == 200 and j["via"] == "session" and j["csrf_token"] == c.csrf, "me: %s", j)

    new_op = {"login": "carol", "password": "carol's long passphrase", "role": "agent"}
    st, j, _ = c.call("POST", "/api/v1/operators", new_op)
    check(st == 403 and j["code"] == "csrf_failed", "POST without CSRF: %s %s", st, j)
    st, j, _ = c.call("POST", "/api/v1/operators", new_op,
                      headers={"X-CSRF-Token": c.csrf,
                               "Origin": "https://evil.example"})
    check(st == 403 and j["code"] == "cross_site", "cross-site Origin: %s %s", st, j)
    st, j, _ = c.call("POST", "/api/v1/operators", new_op,
                      headers={"X-CSRF-Token": c.csrf, "Sec-Fetch-Site": "cross-site"})
    check(st == 403 and j["code"] == "cross_site", "Sec-Fetch-Site cross-site: %s %s", st, j)
    st, j, _ = c.call("GET", "/api/v1/operators")
    check([o["login"] for o in j["operators"]] == ["ann", "bob"], "nothing added: %s", j)
    st, j, _ = c.call("POST", "/api/v1/operators", new_op,
                      headers={"X-CSRF-Token": c.csrf,
                               "Origin": "http://127.0.0.1:%d" % d.port,
                               "Sec-Fetch-Site": "same-origin"})
    check(st == 201 and j["operator"]["login"] == "carol", "POST with CSRF: %s %s", st, j)

    st, j, _ = c.call("POST", "/api/v1/operators", raw=b"{" + b" " * 20000 + b"}",
                      headers={"X-CSRF-Token": c.csrf, "Content-Type": "application/json"})
    check(st == 413 and j["code"] == "body_too_large", "huge body: %s %s", st, j)

    c = Client(d.port) if st == 413 else c    # kefud closes after a 413
    if not c.cookie:
        st, j = c.login("ann", PW)
        check(st == 200, "login again: %s", j)
    st, j, _ = c.call("GET", "/api/v1/nope")
    check(st == 404 and j["code"] == "not_found", "unknown path: %s %s", st, j)
    st, j, _ = c.call("GET", "/api/v1/audit?limit=5")
    check(st == 200 and len(j["entries"]) == 5 and
          [e["action"] for e in j["entries"]][:2] == ["login", "operator.add"],
          "audit with a query (newest first: the second login, then the add): %s", j)
    st, j, _ = c.call("GET", "/api/v1/audit?limit=zero")
    check(st == 400 and j["code"] == "bad_query", "bad query: %s", j)

    old_cookie = c.cookie
    st, j, r = c.call("POST", "/api/v1/logout", headers={"X-CSRF-Token": c.csrf})
    check(st == 200 and "Max-Age=0" in r.getheader("Set-Cookie", ""), "logout: %s %s", st, j)
    st, j, _ = c.call("GET", "/api/v1/me")
    check(st == 401, "old cookie after logout: %s %s", st, j)
    c.cookie = old_cookie

    b = Client(d.port)
    st, j = b.login("bob", PW_AGENT)
    check(st == 200 and j["operator"]["role"] == "agent", "agent login: %s", j)
    st, j, _ = b.call("GET", "/api/v1/operators")
    check(st == 403 and j["code"] == "forbidden", "agent on an admin route: %s %s", st, j)
    st, j, _ = b.call("GET", "/api/v1/me")
    check(st == 200 and j["operator"]["login"] == "bob", "agent me: %s", j)

    # the chat still works beside the API, and the static pages are still served
    ws = d.ws()
    ws.welcome()
    ws.ask("m1", "I lost my card")
    ws.ask("m2", "and my wallet was stolen too")
    ws.close()
    st, _ = kt.http_get(d.port, "/healthz")[:2]
    check(st == 200, "healthz: %s", st)

    # the inbox sees the conversation; search finds the customer's words
    st, j, _ = b.call("GET", "/api/v1/conversations?status=open")
    check(st == 200 and len(j["conversations"]) == 1, "inbox: %s", j)
    conv = j["conversations"][0]
    check(conv["messages"] == 4 and conv["channel"] == "widget" and conv["lang"] == "en",
          "conversation item: %s", conv)
    st, j, _ = b.call("GET", "/api/v1/search?q=" + "wallet%20was")
    check(st == 200 and len(j["hits"]) == 1 and j["hits"][0]["kind"] == "customer",
          "search: %s", j)
    st, j, _ = b.call("GET", "/api/v1/conversations/%d" % conv["id"])
    check(st == 200 and [m["kind"] for m in j["messages"]] ==
          ["customer", "bot", "customer", "bot"], "transcript: %s", j)
    check(j["messages"][1]["answer_title"] and j["messages"][1]["confidence"] > 0,
          "bot reply with its answer and confidence: %s", j["messages"][1])

    # an attachment (written straight into the log as the writer does) comes back with
    # a safe type, a file name, nosniff and a sandbox CSP; an agent needs to sign in
    con = sqlite3.connect(d.db)
    with con:
        cur = con.execute("INSERT INTO attachments (message_id, kind, mime, sha256, data,"
                          " created_ms) VALUES (?, 'image', 'text/html', ?, ?, 0)",
                          (j["messages"][0]["id"], "a" * 64, b"<script>alert(1)</script>"))
        att = cur.lastrowid
        cur = con.execute("INSERT INTO attachments (message_id, kind, mime, sha256, data,"
                          " created_ms) VALUES (?, 'image', 'image/png', ?, ?, 0)",
                          (j["messages"][0]["id"], "b" * 64, b"\x89PNG\r\n"))
        png = cur.lastrowid
    con.close()
    for aid, ctype, body in ((att, "application/octet-stream", b"<script>alert(1)</script>"),
                             (png, "image/png", b"\x89PNG\r\n")):
        b.conn.request("GET", "/api/v1/attachments/%d" % aid,
                       headers={"Cookie": b.cookie, "Host": "127.0.0.1:%d" % d.port})
        r = b.conn.getresponse()
        data = r.read()
        check(r.status == 200 and data == body, "attachment %d: %s", aid, r.status)
        check(r.getheader("Content-Type") == ctype, "attachment type: %s",
              r.getheader("Content-Type"))
        check("nosniff" in r.getheader("X-Content-Type-Options", ""), "attachment nosniff")
        csp = [v for k, v in r.getheaders() if k.lower() == "content-security-policy"]
        check("sandbox" in csp, "attachment CSP sandbox: %s", csp)
        check(r.getheader("Content-Disposition", "").startswith("inline; filename=\"picture-"),
              "attachment disposition: %s", r.getheader("Content-Disposition"))
    st, j, _ = Client(d.port).call("GET", "/api/v1/attachments/%d" % png)
    check(st == 401, "attachment without a session: %s", st)
    d.stop()


if __name__ == "__main__":
    kt.main(run)
