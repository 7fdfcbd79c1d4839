"""tests/integration/test_basic.py — welcome -> message -> reply with every field of
docs/protocol.md; ping/pong; the Origin policy; /healthz; /metrics parses as Prometheus
text and its counters move exactly; `/chat.html` serves the chat page and `/` the demo
site that embeds the widget."""
import kefutest as kt
from kefutest import check


def run():
    d = kt.Kefud("--workers", "2", "--origins", "http://shop.example").start()

    h = d.healthz()
    check(h.get("status") == "ok", "/healthz status field: %r", h)
    check(isinstance(h.get("answers"), int) and h["answers"] >= 77 + 15,
          "/healthz answers should count the demo store (77 English + 15 Chinese): %r", h)
    check(isinstance(h.get("model"), str), "/healthz model field: %r", h)

    st, hdr, body = kt.http_get(d.port, "/chat.html")
    check(st == 200, "GET /chat.html status %s", st)
    check(hdr.get("content-type", "").startswith("text/html"), "GET /chat.html type %r", hdr)
    page = body.decode("utf-8", "replace").lower()
    check("<html" in page and "/ws" in page, "GET /chat.html is not a chat page using /ws")
    # / is the demo site embedding the widget with one script tag
    st, hdr, body = kt.http_get(d.port, "/")
    page = body.decode("utf-8", "replace").lower()
    check(st == 200 and "widget/widget.js" in page, "GET / does not embed the widget (%s)", st)

    for path in ("/healthz", "/metrics"):
        c = kt.http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        c.request("POST", path, body=b"x")
        st = c.getresponse().status
        c.close()
        check(st == 405, "POST %s answered %s, not 405", path, st)

    before = d.metrics()

    ws = d.ws()
    w = ws.welcome()
    check(w.get("resumed") is False, "fresh welcome must say resumed false: %r", w)
    check(isinstance(w.get("text"), str) and w["text"], "welcome text: %r", w)
    check(isinstance(w.get("server"), str) and w["server"].startswith("kefu/"),
          "welcome server: %r", w)

    r = ws.ask("c-1", "I lost my card")
    check(r["fallback"] is False, "a plain demo question should not fall back: %r", r)
    ws.send_json({"type": "ping"})
    ws.expect("pong")
    r2 = ws.ask("c-2", "我的卡丢了")
    check(r2["lang"] == "zh", "Chinese question answered with lang %r", r2["lang"])
    open_now = kt.metric_sum(d.metrics(), lambda n: "sessions_open" in n)
    check(open_now >= 1, "/metrics sessions open is %s with a connection open", open_now)
    ws.close()

    # A client that asks for no subprotocol is served the same.
    ws = d.ws(subprotocol=None)
    ws.welcome()
    ws.ask("x", "How do I top up?")
    ws.close()

    # Origin policy: kefud's own origin and the --origins ones are accepted, others
    # refused during the handshake and counted.
    for origin in ("http://127.0.0.1:%d" % d.port, "http://shop.example"):
        ws = d.ws(origin=origin)
        ws.welcome()
        ws.close()
    rej0 = kt.metric_by_label(d.metrics(), "reason").get("origin", 0)
    try:
        kt.RawWS(d.port, origin="http://evil.example").close()
        refused = False
    except (kt.TestFailure, kt.WSClosed, OSError):
        refused = True
    check(refused, "a WebSocket from Origin http://evil.example was accepted")
    rej1 = kt.metric_by_label(d.metrics(), "reason").get("origin", 0)
    check(rej1 == rej0 + 1, "rejected{reason=origin} %s -> %s", rej0, rej1)

    after = d.metrics()
    b = kt.metric_by_label(before, "kind").get("message", 0)
    a = kt.metric_by_label(after, "kind").get("message", 0)
    check(a == b + 3, "/metrics messages{kind=message} %s -> %s after 3 messages", b, a)
    hist = [n for n, t in after["types"].items() if t == "histogram"]
    check(hist, "/metrics has no histogram (reply latency)")
    cnt = sum(v for n, _, v in after["samples"] if n in [h + "_count" for h in hist])
    check(cnt >= 3, "latency histogram counts %s observations after 3 replies", cnt)
    # a reply's stages add up to its latency (the same clock readings, telescoped)
    stages = {lab.get("stage"): v for n, lab, v in after["samples"]
              if n == "kefu_reply_stage_seconds_count"}
    lat_n = sum(v for n, _, v in after["samples"] if n == "kefu_reply_latency_seconds_count")
    check(set(stages) == {"queue", "worker", "log", "post"} and
          all(v == lat_n for v in stages.values()),
          "stage counts %r, latency count %s", stages, lat_n)
    st_sum = sum(v for n, _, v in after["samples"] if n == "kefu_reply_stage_seconds_sum")
    lat_sum = sum(v for n, _, v in after["samples"] if n == "kefu_reply_latency_seconds_sum")
    check(abs(st_sum - lat_sum) <= 1e-6 * max(1.0, lat_sum) + 4e-6,
          "stages sum to %.9f s, latencies to %.9f s", st_sum, lat_sum)
    kt.log("metrics: messages{kind=message} %s -> %s, histograms %s", b, a, hist)
    d.stop()


kt.main(run)
