"""tests/integration/test_errors.py — every bad input of docs/protocol.md gets its stable
error code, and the next good message on the same connection is still answered:
malformed JSON, invalid UTF-8 (raw frames), unknown type, missing field, wrong field type,
text too long, empty text, frame over max_frame (also fragmented), binary frame.  Also
the boundaries that must NOT be errors: text of exactly max_text code points, a frame of
exactly max_frame bytes, a fragmented message, two messages in one TCP write."""
import collections
import json
import socket

import kefutest as kt
from kefutest import check

MAX_FRAME, MAX_TEXT = 1024, 100
GOOD = ["I lost my card", "我的卡丢了", "How do I top up my account?"]


def run():
    d = kt.Kefud("--max-frame", str(MAX_FRAME), "--max-text", str(MAX_TEXT),
                 "--rate-limit", "1000").start()
    before = kt.metric_by_label(d.metrics(), "code")
    provoked = collections.Counter()
    ws = d.ws()
    token = ws.welcome()["session"]
    n = [0]

    def good():
        n[0] += 1
        ws.ask("g%d" % n[0], GOOD[n[0] % len(GOOD)])

    def bad(payload, code, mid=None):
        if isinstance(payload, dict):
            ws.send_json(payload)
        else:
            ws.send_text(payload)
        ws.expect_error(code, mid)
        provoked[code] += 1
        good()
        kt.log("  %-18s ok: %r", code, payload if len(repr(payload)) < 70
               else repr(payload)[:67] + "...")

    # malformed JSON / not an object
    bad(b'{"type":"message","id":"e1","text":', "invalid_json")
    bad(b'not json at all', "invalid_json")
    bad(b'[{"type":"message","id":"e1b","text":"hi"}]', "invalid_json")
    bad(b'"just a string"', "invalid_json")
    bad(b'', "invalid_json")
    # invalid UTF-8 in a text frame: lone continuation, overlong '/', a UTF-16
    # surrogate, a truncated sequence; the id may or may not be echoed.
    for raw in (b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe6\x88"):
        bad(b'{"type":"message","id":"e2","text":"card ' + raw + b'"}', "invalid_utf8")
    # unknown or missing type
    bad({"type": "bogus", "id": "e3"}, "unknown_type", ("e3", None))
    bad({"id": "e3b", "text": "hi"}, "unknown_type", ("e3b", None))
    bad({"type": 7, "id": "e3c"}, "unknown_type", ("e3c", None))
    # missing field / wrong JSON type
    bad({"type": "message", "id": "e4"}, "missing_field", "e4")
    bad({"type": "message", "text": "I lost my card"}, "missing_field")
    bad({"type": "message", "id": "e5", "text": 42}, "missing_field", "e5")
    bad({"type": "message", "id": "e5b", "text": None}, "missing_field", "e5b")
    bad({"type": "message", "id": 5, "text": "I lost my card"}, "missing_field")
    bad({"type": "message", "id": "", "text": "I lost my card"}, "missing_field")
    bad({"type": "message", "id": "i" * 65, "text": "I lost my card"}, "missing_field")
    ws.ask("i" * 64, "I lost my card")                      # 64 characters: fine
    bad({"type": "hello"}, "missing_field")
    # text length in code points, not bytes
    bad({"type": "message", "id": "e6", "text": "a" * (MAX_TEXT + 1)}, "text_too_long", "e6")
    bad({"type": "message", "id": "e6b", "text": "卡" * (MAX_TEXT + 1)}, "text_too_long", "e6b")
    ws.ask("b1", "card " + "x" * (MAX_TEXT - 5))        # exactly max_text: answered
    ws.ask("b2", "卡" * MAX_TEXT)                         # 300 bytes, 100 code points
    # empty text
    bad({"type": "message", "id": "e7", "text": ""}, "empty_text", "e7")
    bad({"type": "message", "id": "e7b", "text": " \t\n "}, "empty_text", "e7b")
    # frames over max_frame: one frame, and a fragmented message; the rest is discarded
    bad(json.dumps({"type": "message", "id": "e8", "text": "x" * (2 * MAX_FRAME)}).encode(),
        "frame_too_large")
    big = json.dumps({"type": "message", "id": "e8b", "text": "y" * (3 * MAX_FRAME)}).encode()
    ws.send_frame(kt.OP_TEXT, big[:MAX_FRAME // 2], fin=False)
    ws.send_frame(kt.OP_CONT, big[MAX_FRAME // 2:2 * MAX_FRAME], fin=False)
    ws.send_frame(kt.OP_CONT, big[2 * MAX_FRAME:], fin=True)
    ws.expect_error("frame_too_large")
    provoked["frame_too_large"] += 1
    good()
    # a frame of exactly max_frame bytes is fine (JSON padded with trailing blanks)
    msg = json.dumps({"type": "message", "id": "b3", "text": "I lost my card"}).encode()
    ws.send_text(msg + b" " * (MAX_FRAME - len(msg)))
    r = ws.expect("reply", id="b3")
    kt.check_reply(r)
    # binary frame with no announced upload
    ws.send_frame(kt.OP_BINARY, b"\x00\x01\x02 not an upload")
    ws.expect_error("unsupported_frame")
    provoked["unsupported_frame"] += 1
    good()
    # a fragmented good message, and two messages in one TCP write
    msg = json.dumps({"type": "message", "id": "b4", "text": "Where is my new card?"}).encode()
    ws.send_frame(kt.OP_TEXT, msg[:10], fin=False)
    ws.send_frame(kt.OP_CONT, msg[10:20], fin=False)
    ws.send_frame(kt.OP_CONT, msg[20:], fin=True)
    kt.check_reply(ws.expect("reply", id="b4"))
    # pipelined messages in one TCP write: replies come in the order sent
    ids = ["p%d" % i for i in range(12)]
    ws.send_raw(b"".join(kt.ws_frame(kt.OP_TEXT, json.dumps(
        {"type": "message", "id": i, "text": kt.question(k)}, ensure_ascii=False).encode())
        for k, i in enumerate(ids)))
    got = [ws.expect("reply")["id"] for _ in ids]
    check(got == ids, "pipelined messages answered in the order %r", got)
    replied = ws.replied
    ws.close()
    # The session log holds exactly the answered messages: none refused with an error.
    ws = d.ws()
    ws.welcome()
    ws.send_json({"type": "hello", "session": token})
    h = ws.expect("history", session=token)
    logged = [m["id"] for m in h["messages"] if m["from"] == "customer"]
    check(logged == replied, "logged customer messages differ from the answered ones:\n"
          "logged   %r\nanswered %r", logged, replied)
    ws.close()
    # Not WebSocket at all, a wrong path, a handshake cut short: kefud carries on.
    for junk in (b"GARBAGE\r\n\r\n", b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n",
                 b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64)):
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(junk)
        s.close()
    try:
        kt.RawWS(d.port, path="/no-such-path").close()
        refused = False
    except (kt.TestFailure, kt.WSClosed, OSError):
        refused = True
    check(refused, "WebSocket upgrade on /no-such-path was accepted")
    ws = d.ws()
    ws.welcome()
    ws.ask("after-junk", "I lost my card")
    ws.close()
    # /metrics counts errors by code: exactly the ones provoked here
    after = kt.metric_by_label(d.metrics(), "code")
    for code, k in sorted(provoked.items()):
        got = after.get(code, 0) - before.get(code, 0)
        check(got == k, "/metrics errors{code=%s} moved by %s, %d were sent", code, got, k)
    d.stop()


kt.main(run)
