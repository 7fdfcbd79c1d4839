"""tests/integration/test_reload.py — SIGHUP reloads kefud without dropping anyone:
open connections stay open and keep being answered (also with messages in flight while
the signal arrives), new connections work, and (when the `kefu` CLI is built) an answer
imported into the store while kefud runs is served after the reload."""
import asyncio
import os
import signal
import subprocess
import time

import kefutest as kt
from kefutest import check


async def inflight(port, d):
    """Five sessions in a closed loop while two SIGHUPs arrive; all must be answered."""
    async def one(k):
        ws, _ = await kt.aws_connect(port)
        for i in range(40):
            mid = "h%d-%d" % (k, i)
            r = await kt.aws_ask(ws, mid, kt.question(i + k))
            check(r.get("type") == "reply" and r.get("id") == mid, "%s during reload: %r",
                  mid, r)
        await ws.close()

    async def hup():
        for _ in range(2):
            await asyncio.sleep(0.1)
            d.signal(signal.SIGHUP)
    await asyncio.gather(hup(), *(one(k) for k in range(5)))
    check(d.alive(), "kefud exited on SIGHUP under load")


def run():
    d = kt.Kefud("--rate-limit", "100000").start()
    conns = [d.ws() for _ in range(3)]
    for ws in conns:
        ws.welcome()
        ws.ask("before", "I lost my card")

    if kt.KEFU:
        csv = os.path.join(d.tmp, "extra.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("question,answer_title,answer\n")
            for q in ("Where can I park at the branch?", "Is there parking at the branch?",
                      "branch car park", "can I park my car at your office"):
                f.write('"%s",Parking at the branch,"Free parking behind every branch."\n' % q)
        out = subprocess.run([kt.KEFU, "import", "--db", d.db, csv], capture_output=True,
                             timeout=60)
        check(out.returncode == 0, "kefu import failed: %s", out.stderr.decode(errors="replace"))
        # the live thread reloads after an import by itself (docs/daemon.md): let it
        # settle so the SIGHUP below is the only reload counted
        t0 = time.monotonic()
        while "answers changed: reloaded" not in d.log_tail(400):
            check(time.monotonic() - t0 < 15, "kefu import: no live reload within 15 s")
            time.sleep(0.05)

    # A reload is done when /healthz "reloads" moves (docs/protocol.md).
    before = d.healthz()["reloads"]
    d.signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while d.healthz()["reloads"] == before:
        check(d.alive(), "kefud exited on SIGHUP")
        check(time.monotonic() < deadline, "SIGHUP: /healthz reloads still %s after 30 s",
              before)
        time.sleep(0.05)
    check(d.healthz()["reloads"] == before + 1, "one SIGHUP, reloads %s -> %s", before,
          d.healthz()["reloads"])
    for k, ws in enumerate(conns):
        ws.ask("after%d" % k, "我的卡丢了")
    ws = d.ws()
    ws.welcome()
    r = ws.ask("new", "How do I top up my account?")
    if kt.KEFU:
        r = ws.ask("park", "Where can I park my car at the branch?")
        check(r.get("title") == "Parking at the branch", "answer imported before SIGHUP not "
              "served after it: %r", r)
    ws.close()

    asyncio.run(inflight(d.port, d))
    for k, ws in enumerate(conns):
        ws.ask("end%d" % k, "Can I change my PIN?")
        ws.close()
    check(d.healthz()["status"] == "ok", "healthz after reload")
    d.stop()


kt.main(run)
