"""tests/lib/kefutest.py — shared harness of kefu's black-box integration tests.

Every test script starts the REAL kefud (path in $KEFUD, set by tests/meson.build) in a
fresh temporary directory with its own SQLite database, on a free loopback port
(`--listen 127.0.0.1:0 --port-file FILE`), waits for /healthz, talks to it the way a
client would, and stops it with SIGTERM expecting a clean exit.  On any failure the
script prints the traceback and the tail of every kefud's log, and exits 1.

Pieces:
- Kefud: one daemon process (start, stop, kill -9, restart on the same db, SIGHUP).
- RawWS: a small synchronous RFC 6455 client over a plain socket.  It can send what a
  well-behaved library refuses to: invalid UTF-8 in a text frame, binary frames,
  oversized frames, several frames in one TCP write.
- http_get / metrics parsing / `kefu` CLI helpers.
- the asyncio client of python3-websockets for the many-session tests (aws_* helpers).
Everything here runs on the test's main thread (plus an asyncio loop for aws_*).
"""

import asyncio
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

KEFUD = os.environ.get("KEFUD", "")
KEFU = os.environ.get("KEFU", "")
SRCDIR = os.environ.get("KEFU_SRCDIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(
                            os.path.abspath(__file__)))))
DATA = os.path.join(SRCDIR, "tests", "data")

# Start-up (seeding the demo store) is much slower in the ASan build.
START_TIMEOUT = float(os.environ.get("KEFU_TEST_START_TIMEOUT", "90"))
REPLY_TIMEOUT = float(os.environ.get("KEFU_TEST_REPLY_TIMEOUT", "20"))
# how long kefud may take to exit after SIGTERM (an ASan build finishing a live reload:
# a language model rebuild, picture embeddings, takes longer)
STOP_TIMEOUT = float(os.environ.get("KEFU_TEST_STOP_TIMEOUT", "30"))

_daemons = []


class TestFailure(Exception):
    pass


def check(cond, msg, *args):
    """Raises TestFailure(msg % args) unless cond holds."""
    if not cond:
        raise TestFailure(msg % args if args else msg)


def log(msg, *args):
    print(msg % args if args else msg, flush=True)


# ---- the daemon -------------------------------------------------------------------


class Kefud:
    """One kefud process in its own temp dir.  args are extra command-line flags."""

    def __init__(self, *args, db=None, tmp=None, name="kefud", tls=None):
        """tls: an ssl.SSLContext trusting kefud's certificate (kefud started with
        --tls-cert/--tls-key): /healthz and the helpers below then speak HTTPS."""
        check(KEFUD and os.access(KEFUD, os.X_OK), "KEFUD=%r is not an executable", KEFUD)
        self.tmp = tmp or tempfile.mkdtemp(prefix="kefu-it-")
        self.db = db or os.path.join(self.tmp, "kefu.db")
        self.args = list(args)
        self.name = name
        self.tls = tls
        self.proc = None
        self.port = None
        self.runs = 0
        self.logpath = None
        _daemons.append(self)

    def start(self, timeout=START_TIMEOUT):
        """Starts kefud and waits until /healthz answers 200.  Returns self."""
        self.runs += 1
        port_file = os.path.join(self.tmp, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.logpath = os.path.join(self.tmp, "%s.%d.log" % (self.name, self.runs))
        cmd = [KEFUD, "--listen", "127.0.0.1:0", "--port-file", port_file,
               "--db", self.db] + self.args
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT, cwd=self.tmp)
        deadline = time.monotonic() + timeout
        self.port = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("%s exited with %s during start-up (%s)"
                                  % (self.name, self.proc.returncode, " ".join(cmd)))
            if self.port is None:
                try:
                    with open(port_file) as f:
                        txt = f.read().strip()
                    if txt.isdigit() and int(txt) > 0:
                        self.port = int(txt)
                except OSError:
                    pass
            if self.port is not None:
                try:
                    st, _, _ = http_get(self.port, "/healthz", timeout=2, tls=self.tls)
                    if st == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.05)
        raise TestFailure("%s not healthy after %.0f s (port %s)" % (self.name, timeout,
                                                                      self.port))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=None):
        """SIGTERM, then checks the exit status is 0."""
        if not self.proc or self.proc.poll() is not None:
            rc = self.proc.returncode if self.proc else None
            raise TestFailure("%s was not running at stop (exit %s)" % (self.name, rc))
        self.proc.send_signal(signal.SIGTERM)
        self.wait_exit(timeout)

    def wait_exit(self, timeout=None):
        """Waits for kefud to exit (a SIGTERM was sent) and checks its status is 0."""
        timeout = STOP_TIMEOUT if timeout is None else timeout
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("%s did not exit within %d s of SIGTERM" % (self.name, timeout))
        self.logf.close()
        check(rc == 0, "%s exited with status %s after SIGTERM", self.name, rc)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.logf.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=120):
        if not self.logpath or not os.path.exists(self.logpath):
            return ""
        with open(self.logpath, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])

    def ws(self, **kw):
        return RawWS(self.port, **kw)

    def healthz(self):
        st, _, body = http_get(self.port, "/healthz", tls=self.tls)
        check(st == 200, "/healthz status %s", st)
        return json.loads(body)

    def metrics(self):
        st, hdr, body = http_get(self.port, "/metrics", tls=self.tls)
        check(st == 200, "/metrics status %s", st)
        return parse_prometheus(body.decode("utf-8"))


def _cleanup():
    for d in _daemons:
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
    if os.environ.get("KEFU_TEST_KEEP"):
        return
    for d in _daemons:
        shutil.rmtree(d.tmp, ignore_errors=True)


def main(fn):
    """Runs fn(); on an exception prints it and every daemon's log tail, exits 1."""
    t0 = time.monotonic()
    try:
        fn()
    except Exception as e:  # noqa: BLE001 — report anything, then fail
        traceback.print_exc()
        for d in _daemons:
            print("\n---- %s log (%s), last lines ----\n%s" % (d.name, d.logpath,
                                                               d.log_tail()), flush=True)
        print("FAIL: %s" % e, flush=True)
        _cleanup()
        sys.exit(1)
    _cleanup()
    log("ok (%.1f s)", time.monotonic() - t0)


# ---- HTTP ------------------------------------------------------------------------


def http_get(port, path, timeout=10, headers=None, tls=None):
    """GET http://127.0.0.1:port/path (https://localhost:port/path with the ssl.SSLContext
    tls); returns (status, headers dict lower-cased, body)."""
    c = (http.client.HTTPSConnection("localhost", port, timeout=timeout, context=tls) if tls
         else http.client.HTTPConnection("127.0.0.1", port, timeout=timeout))
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


_PROM_SAMPLE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?'
    r'\s+([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]?Inf))(\s+-?[0-9]+)?$')
_PROM_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """Parses Prometheus text exposition format strictly.  Returns
    {"types": {family: type}, "samples": [(name, {label: value}, float)]}; raises
    TestFailure naming the first line that does not parse."""
    types, samples = {}, []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] == "TYPE":
                check(len(parts) == 4 and parts[3] in
                      ("counter", "gauge", "histogram", "summary", "untyped"),
                      "/metrics line %d: bad TYPE line %r", i, line)
                types[parts[2]] = parts[3]
            continue
        m = _PROM_SAMPLE.match(line)
        check(m, "/metrics line %d does not parse as a sample: %r", i, line)
        labels = dict(_PROM_LABEL.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    check(samples, "/metrics has no samples")
    return {"types": types, "samples": samples}


def metric_sum(metrics, name_pred, label_pred=None):
    """Sum of the samples whose name satisfies name_pred (and labels label_pred)."""
    return sum(v for n, lab, v in metrics["samples"]
               if name_pred(n) and (label_pred is None or label_pred(lab)))


def metric_by_label(metrics, label):
    """{label value: sum of the samples carrying that label}, e.g. errors by "code"."""
    out = {}
    for _, lab, v in metrics["samples"]:
        if label in lab:
            out[lab[label]] = out.get(lab[label], 0) + v
    return out


# ---- a raw WebSocket client ------------------------------------------------------

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def ws_frame(opcode, payload, fin=True):
    """Bytes of one masked client frame (RFC 6455 5.2); payload is bytes."""
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
    key = os.urandom(4)
    # XOR the payload with the repeated key in one big-int operation (fast for 1 MB).
    k = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big") \
        if n else b""
    return hdr + key + masked


class WSClosed(Exception):
    pass


class RawWS:
    """Synchronous WebSocket client over a socket.  Construct = connect + handshake."""

    def __init__(self, port, path="/ws", subprotocol="kefu.v1", origin=None, timeout=10,
                 accept_language=None, headers=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False
        self.close_code = None
        self.close_reason = None
        self.replied = []       # ids of the replies received, in order
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n" % (path, port, key))
        if subprotocol:
            req += "Sec-WebSocket-Protocol: %s\r\n" % subprotocol
        if origin:
            req += "Origin: %s\r\n" % origin
        if accept_language:
            req += "Accept-Language: %s\r\n" % accept_language
        for k, v in (headers or {}).items():
            req += "%s: %s\r\n" % (k, v)
        self.sock.sendall((req + "\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                raise TestFailure("connection closed during the WebSocket handshake")
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        if self.status != 101:
            raise TestFailure("WebSocket handshake refused: %s" % lines[0])
        hdrs = {k.strip().lower(): v.strip() for k, v in
                (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
        want = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        check(hdrs.get("sec-websocket-accept") == want, "bad Sec-WebSocket-Accept")

    # -- sending
    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload, fin=True):
        self.sock.sendall(ws_frame(opcode, payload, fin))

    def send_text(self, text):
        """Sends one text frame; text may be str or (possibly invalid UTF-8) bytes."""
        self.send_frame(OP_TEXT, text.encode("utf-8") if isinstance(text, str) else text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj, ensure_ascii=False))

    def message(self, mid, text):
        self.send_json({"type": "message", "id": mid, "text": text})

    # -- receiving
    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no frame within the timeout")
            self.sock.settimeout(left)
            d = self.sock.recv(65536)
            if not d:
                self.closed = True
                raise WSClosed("server closed the TCP connection")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self, timeout=REPLY_TIMEOUT):
        """Next complete data message as (opcode, payload bytes); answers pings; raises
        WSClosed on a close frame (close code in self.close_code)."""
        deadline = time.monotonic() + timeout
        parts, first_op = [], None
        while True:
            b0, b1 = self._need(2, deadline)
            check(not (b1 & 0x80), "server frame is masked")
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._need(2, deadline))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._need(8, deadline))[0]
            payload = self._need(n, deadline)
            op, fin = b0 & 0x0F, bool(b0 & 0x80)
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 \
                    else None
                self.close_reason = payload[2:].decode("utf-8", "replace")
                self.closed = True
                raise WSClosed("server sent close (code %s, %r)" % (self.close_code,
                                                                    payload[2:]))
            if op != OP_CONT:
                first_op = op
            parts.append(payload)
            if fin:
                return first_op, b"".join(parts)

    def recv_json(self, timeout=REPLY_TIMEOUT):
        op, payload = self.recv_frame(timeout)
        check(op == OP_TEXT, "server sent a non-text frame (opcode %d)", op)
        try:
            obj = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise TestFailure("server frame is not UTF-8 JSON (%s): %r" % (e, payload[:200]))
        check(isinstance(obj, dict) and "type" in obj, "server frame without type: %r", obj)
        if obj["type"] == "reply":
            self.replied.append(obj.get("id"))
        return obj

    def expect(self, ftype, timeout=REPLY_TIMEOUT, **fields):
        """Reads the next frame and checks its type and the given fields; returns it."""
        obj = self.recv_json(timeout)
        check(obj["type"] == ftype, "expected a %s frame, got %r", ftype, obj)
        for k, v in fields.items():
            check(obj.get(k) == v, "frame %r: %s should be %r", obj, k, v)
        return obj

    def welcome(self):
        w = self.expect("welcome")
        check(isinstance(w.get("session"), str) and re.fullmatch(r"[0-9a-f]{32}", w["session"]),
              "welcome session is not 32 hex: %r", w)
        return w

    def ask(self, mid, text, timeout=REPLY_TIMEOUT):
        """Sends a message and returns the reply; fails on an error frame."""
        self.message(mid, text)
        r = self.recv_json(timeout)
        check(r["type"] == "reply" and r.get("id") == mid,
              "message %r (%r): expected its reply, got %r", mid, text, r)
        check_reply(r)
        return r

    def expect_error(self, code, mid=None, timeout=REPLY_TIMEOUT):
        """Reads the next frame: an error with this code whose id is mid (or one of
        mid's items when mid is a tuple: where the protocol allows either)."""
        e = self.recv_json(timeout)
        check(e["type"] == "error", "expected error %s, got %r", code, e)
        check(e.get("code") == code, "expected error code %s, got %r", code, e)
        ok = e.get("id", "absent") in (mid if isinstance(mid, tuple) else (mid,))
        check("id" in e and ok, "error %s: id should be %r: %r", code, mid, e)
        check(isinstance(e.get("message"), str) and e["message"],
              "error %s without a message text: %r", code, e)
        return e

    def close(self):
        if not self.closed:
            try:
                self.send_frame(OP_CLOSE, struct.pack("!H", 1000))
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    self.recv_frame(deadline - time.monotonic())
            except (WSClosed, OSError, socket.timeout):
                pass
        self.closed = True
        self.sock.close()


def check_reply(r):
    """Checks the fields of a reply frame against docs/protocol.md."""
    check(isinstance(r.get("text"), str) and r["text"].strip(), "reply without text: %r", r)
    c = r.get("confidence")
    check(isinstance(c, (int, float)) and 0.0 <= c <= 1.0, "reply confidence %r", r)
    check(isinstance(r.get("fallback"), bool), "reply fallback not a bool: %r", r)
    check(isinstance(r.get("quick_replies"), list), "reply quick_replies not a list: %r", r)
    for q in r["quick_replies"]:
        check(isinstance(q, dict) and isinstance(q.get("answer_id"), int) and
              isinstance(q.get("title"), str), "bad quick reply %r in %r", q, r)
    if r["fallback"]:
        check(r.get("answer_id") is None, "fallback reply with an answer_id: %r", r)
        check(r["quick_replies"], "fallback reply without quick replies: %r", r)
    else:
        check(isinstance(r.get("answer_id"), int), "reply answer_id not an int: %r", r)
        check(isinstance(r.get("title"), str) and r["title"], "reply without title: %r", r)
    check(isinstance(r.get("lang"), str), "reply lang missing: %r", r)


# ---- the asyncio client (python3-websockets 10.4) ---------------------------------


def aws_uri(port):
    return "ws://127.0.0.1:%d/ws" % port


async def aws_connect(port):
    """Opens a websockets client connection and reads the welcome.  Returns (ws, token)."""
    import websockets
    ws = await websockets.connect(aws_uri(port), subprotocols=["kefu.v1"], max_size=None,
                                  ping_interval=None, close_timeout=2, open_timeout=30)
    w = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT))
    check(w.get("type") == "welcome", "expected welcome, got %r", w)
    return ws, w["session"]


async def aws_ask(ws, mid, text, timeout=REPLY_TIMEOUT):
    """Sends one message and waits for the frame answering it (reply or error)."""
    await ws.send(json.dumps({"type": "message", "id": mid, "text": text},
                             ensure_ascii=False))
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def _recording_client(port, k, got, stop):
    """Closed-loop client k: records every reply in got[token][id] = text until stop is
    set or the daemon goes away (that is expected; a wrong answer is not)."""
    import websockets
    ws, token = await aws_connect(port)
    got[token] = {}
    i = 0
    try:
        while not stop.is_set():
            mid = "k%d-%d" % (k, i)
            i += 1
            r = await aws_ask(ws, mid, question(k + i), timeout=60)
            check(r.get("type") == "reply" and r.get("id") == mid, "%s: %r", mid, r)
            got[token][mid] = r["text"]
    except (websockets.exceptions.ConnectionClosed, OSError):
        pass


def load_then(d, sessions, replies, action, timeout=20):
    """Runs `sessions` closed-loop clients that record every reply they receive; once
    `replies` replies have arrived (or after timeout s) calls action() with messages in
    flight (e.g. d.kill9) and waits for the clients to end.  Returns
    {session token: {client id: reply text}}."""
    async def go():
        got, stop = {}, asyncio.Event()
        tasks = [asyncio.create_task(_recording_client(d.port, k, got, stop))
                 for k in range(sessions)]
        t0 = time.monotonic()
        while sum(len(v) for v in got.values()) < replies and time.monotonic() - t0 < timeout:
            await asyncio.sleep(0.02)
        action()
        stop.set()
        await asyncio.gather(*tasks)
        return got
    return asyncio.run(go())


def check_logged(d, got):
    """Resumes each session of got (from load_then) on the running daemon d: every reply
    received must be in its history with the same id and text."""
    for token, replies in got.items():
        ws = d.ws()
        ws.welcome()
        ws.send_json({"type": "hello", "session": token})
        h = ws.expect("history", session=token)
        bot = {m.get("id"): m.get("text") for m in h["messages"] if m.get("from") == "bot"}
        for mid, text in replies.items():
            check(mid in bot, "reply %s was received but is not in the log after the restart "
                  "(session %s has %d bot messages)", mid, token, len(bot))
            check(bot[mid] == text, "logged reply %s differs from the one received", mid)
        ws.close()


# ---- questions, the CLI ------------------------------------------------------------

QUESTIONS = [
    "I lost my card", "How do I top up my account?", "Where is my new card?",
    "My transfer has not arrived yet", "What exchange rate do you use?",
    "Can I change my PIN?", "我的卡丢了", "怎么修改密码", "我想退款", "你们几点营业",
]


def question(i):
    return QUESTIONS[i % len(QUESTIONS)]


def read_tsv(name):
    """Rows of tests/data/NAME (tab-separated; '#' lines and blank lines skipped)."""
    rows = []
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


def run_kefu(*args, ok=True, timeout=600):
    """Runs the kefu CLI with args; returns (returncode, stdout, stderr) as text.  With ok,
    a non-zero exit fails the test with kefu's stderr.  Skips the test (exit 77) when the
    CLI was not built."""
    if not KEFU:
        print("kefu CLI not built: skipped")
        sys.exit(77)
    out = subprocess.run([KEFU] + list(args), capture_output=True, timeout=timeout)
    err = out.stderr.decode(errors="replace")
    if ok:
        check(out.returncode == 0, "kefu %s failed: %s", " ".join(args), err)
    return out.returncode, out.stdout.decode(), err


def kefu_stats(db):
    """Session-log counts of db: `kefu stats --json` when the CLI is built, else a
    direct read-only SQLite query.  Returns a dict with at least sessions,
    customer_messages, bot_replies."""
    if KEFU:
        out = subprocess.run([KEFU, "stats", "--json", "--db", db], capture_output=True,
                             timeout=60)
        check(out.returncode == 0, "kefu stats failed (%d): %s", out.returncode,
              out.stderr.decode(errors="replace"))
        return json.loads(out.stdout)
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        kinds = dict(con.execute("SELECT kind, count(*) FROM messages GROUP BY kind"))
        sessions = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    finally:
        con.close()
    # store.h: kind 0 = customer message, 1 = bot reply (the STORE_MSG_* enum order).
    return {"sessions": sessions, "customer_messages": kinds.get(0, 0),
            "bot_replies": kinds.get(1, 0)}


def import_answers(db, answers, name="store.csv"):
    """`kefu import` of [(title, body, [questions...]), ...] into the store db (no demo),
    through a CSV file written beside it."""
    path = os.path.join(os.path.dirname(db), name)
    write_answers_csv(path, answers)
    return run_kefu("import", "--db", db, "--demo", "false", path)


def write_answers_csv(path, answers):
    """Writes [(title, body, [questions...]), ...] as a `kefu import` CSV
    (question,answer_title,answer)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("question,answer_title,answer\n")
        for title, body, examples in answers:
            for q in examples:
                f.write('"%s","%s","%s"\n' % (q, title, body))
