"""daemon/browser_check.py KEFUD SMOKE_FIXTURE CHROMIUM — the chat page in a real browser.

Starts kefud on the smoke fixture store and headless Chromium, and drives web/chat.html through the
Chrome DevTools protocol (python3-websockets): greeting, Enter sends, a Markdown reply is
rendered as markup, a fallback shows quick-reply buttons and clicking one answers it,
reloading the page resumes the session with its history, the accessible names exist,
and the console stays empty (no CSP violation, no 404, no script error).
"""
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

KEFUD, FIXTURE, CHROMIUM = sys.argv[1], sys.argv[2], sys.argv[3]
TIMEOUT = 20


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Page:
    """One page target of Chromium over CDP; collects console and log entries."""

    def __init__(self, ws):
        self.ws, self.n, self.console = ws, 0, []

    async def call(self, method, **params):
        self.n += 1
        my = self.n
        await self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if msg.get("id") == my:
                check("error" not in msg, "%s: %r" % (method, msg.get("error")))
                return msg.get("result", {})
            if msg.get("method") == "Log.entryAdded":
                self.console.append(msg["params"]["entry"].get("text"))
            elif msg.get("method") == "Runtime.exceptionThrown":
                self.console.append(str(msg["params"]["exceptionDetails"].get("text")))
            elif msg.get("method") == "Runtime.consoleAPICalled":
                self.console.append(" ".join(str(a.get("value")) for a in msg["params"]["args"]))

    async def js(self, expr):
        r = await self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")

    async def until(self, expr, what):
        end = time.monotonic() + TIMEOUT
        while time.monotonic() < end:
            if await self.js(expr):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("timed out waiting for %s; transcript: %s" % (
            what, await self.js("document.getElementById('transcript').innerText")))

    async def key(self, key, code):
        for t in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=t, key=key, code=code,
                            windowsVirtualKeyCode=13)


N_BOT = "document.querySelectorAll('.msg.bot').length"


async def drive(page_ws, url):
    async with websockets.connect(page_ws, max_size=None) as ws:
        p = Page(ws)
        for d in ("Log.enable", "Runtime.enable", "Page.enable"):
            await p.call(d)
        await p.call("Page.navigate", url=url)
        await p.until("document.getElementById('status').textContent === 'Online'", "online")
        await p.until(N_BOT + " === 1", "the greeting")

        # Enter sends; the reply's Markdown becomes markup, the input is cleared.
        await p.js("document.getElementById('message').focus()")
        await p.call("Input.insertText", text="I lost my card")
        await p.key("Enter", "Enter")
        await p.until(N_BOT + " === 2", "the reply")
        html = await p.js("document.querySelectorAll('.msg.bot')[1].innerHTML")
        check("<strong>right away</strong>" in html, "Markdown not rendered: %r" % html)
        check(await p.js("document.getElementById('message').value") == "", "input not cleared")
        check(await p.js("document.querySelectorAll('.msg.me.pending').length") == 0,
              "answered message still marked pending")

        # Markup typed by the customer stays text.
        await p.js("document.getElementById('message').value = '<b>bold</b> why?'")
        await p.js("document.getElementById('send').click()")
        await p.until(N_BOT + " === 3", "a reply to the markup question")
        check(await p.js("document.querySelector('.msg.me b')") is None,
              "customer text was rendered as HTML")

        # A vague question falls back with quick replies; clicking one answers it.
        await p.js("document.getElementById('message').value = 'password open card'")
        await p.js("document.getElementById('send').click()")
        await p.until(N_BOT + " === 4", "the fallback")
        titles = await p.js("[...document.querySelectorAll('.quick button')]"
                            ".map(b => b.textContent)")
        check(titles, "the fallback shows no quick-reply buttons")
        await p.js("document.querySelector('.quick button').click()")
        await p.until(N_BOT + " === 5", "the answer to the quick reply")
        check(await p.js("[...document.querySelectorAll('.msg.me')].pop().textContent") ==
              titles[0], "the quick reply did not send its title")

        # Reload: the stored token resumes the session and the history is drawn again.
        token = await p.js("localStorage.getItem('kefu.session')")
        n_me = await p.js("document.querySelectorAll('.msg.me').length")
        await p.call("Page.reload")
        await asyncio.sleep(0.2)
        await p.until("document.getElementById('status').textContent === 'Online' && "
                      "document.querySelectorAll('.msg.me').length === %d" % n_me, "history")
        check(await p.js("localStorage.getItem('kefu.session')") == token, "token changed")
        check(await p.js("document.querySelectorAll('.msg.me')[0].textContent") ==
              "I lost my card", "history starts elsewhere")

        names = await p.js("[!!document.querySelector('[role=log]'),"
                           " document.getElementById('send').textContent,"
                           " document.querySelector('label[for=message]').textContent]")
        check(names == [True, "Send", "Message"], "accessible names: %r" % names)
        check(not p.console, "console messages: %r" % p.console)


def main():
    tmp = tempfile.mkdtemp(prefix="kefud-browser-")
    procs = []
    try:
        db = os.path.join(tmp, "k.db")
        subprocess.run([FIXTURE, db], check=True)
        kefud = subprocess.Popen([KEFUD, "--db", db, "--demo", "false",
                                  "--listen", "127.0.0.1:0", "--port-file", tmp + "/port"],
                                 stdout=open(tmp + "/kefud.log", "wb"), stderr=subprocess.STDOUT)
        procs.append(kefud)
        deadline = time.monotonic() + 60
        while not os.path.exists(tmp + "/port"):
            check(kefud.poll() is None and time.monotonic() < deadline, "kefud did not start")
            time.sleep(0.05)
        port = int(open(tmp + "/port").read())
        chromium = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                                     "--no-first-run", "--remote-debugging-port=0",
                                     "--user-data-dir=" + tmp + "/profile", "about:blank"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(chromium)
        devport = None
        while devport is None:
            line = chromium.stderr.readline().decode("utf-8", "replace")
            check(line or chromium.poll() is None, "chromium exited")
            m = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
            devport = int(m.group(1)) if m else None
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json" % devport))
        page = [t for t in targets if t["type"] == "page"][0]["webSocketDebuggerUrl"]
        asyncio.run(drive(page, "http://127.0.0.1:%d/chat.html" % port))
        chromium.kill()
        chromium.wait()
        kefud.terminate()
        check(kefud.wait(20) == 0, "kefud exit status")
        print("ok")
    except BaseException:
        sys.stdout.write(open(tmp + "/kefud.log", errors="replace").read()[-3000:])
        raise
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.kill()
                pr.wait()
        shutil.rmtree(tmp, ignore_errors=True)


main()
