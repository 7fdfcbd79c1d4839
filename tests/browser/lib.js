/* tests/browser/lib.js — shared harness of the widget's browser tests (Node + the pinned
 * npm playwright-core driving Debian's chromium; no browser download).
 *
 * Each test script calls run(name, fn): a fresh temp dir, its own kefud (the real
 * daemon, $KEFUD) on a free loopback port with a fresh database (demo store seeded), and
 * a headless Chromium.  fn gets a context object with helpers; screenshots go to
 * $KEFU_SHOTS (meson: <build>/tests/browser-shots/) as <test>-<state>.png so a person can
 * look at them.  Any page error, console error or CSP violation fails the test.  On
 * failure: the error, a "failure" screenshot and the tail of kefud's log; exit 1.
 *
 * Environment: KEFUD (required), SMOKE_FIXTURE (tests with a fixture store), CHROMIUM (default /usr/bin/chromium), KEFU_SRCDIR,
 * KEFU_SHOTS, PLAYWRIGHT_CORE (the module path; default scripts/npm/playwright/...).
 */
'use strict';
const cp = require('child_process');
const fs = require('fs');
const http = require('http');
const https = require('https');
const os = require('os');
const path = require('path');

const SRC = process.env.KEFU_SRCDIR || path.resolve(__dirname, '..', '..');
const KEFUD = process.env.KEFUD || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.KEFU_SHOTS || path.join(os.tmpdir(), 'kefu-browser-shots');
const PW = process.env.PLAYWRIGHT_CORE ||
  path.join(SRC, 'scripts', 'npm', 'playwright', 'node_modules', 'playwright-core');
const TIMEOUT = 20000;

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

function sleep(ms) {
  return new Promise((ok) => setTimeout(ok, ms));
}

/* GET p on 127.0.0.1:port; over HTTPS when ca (a PEM file trusted for it) is given. */
function httpGet(port, p, ca) {
  return new Promise((ok, bad) => {
    const opt = { host: '127.0.0.1', port, path: p, timeout: 3000 };
    if (ca) opt.ca = fs.readFileSync(ca);
    const req = (ca ? https : http).get(opt, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => ok({ status: res.statusCode, body }));
    });
    req.on('error', bad);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/* One kefud process on db in dir; start(port) listens on that port (0: any free one).
 * tlsCa: the PEM certificate of a kefud started with --tls-cert (HTTPS/WSS then). */
class Kefud {
  constructor(dir, args, tlsCa) {
    this.dir = dir;
    this.db = path.join(dir, 'kefu.db');
    this.args = args || [];
    this.tlsCa = tlsCa || null;
    this.proc = null;
    this.port = 0;
    this.runs = 0;
  }

  async start(port) {
    this.stopping = false;
    check(KEFUD && fs.existsSync(KEFUD), 'KEFUD=' + KEFUD + ' is not an executable');
    const portFile = path.join(this.dir, 'port');
    fs.rmSync(portFile, { force: true });
    this.runs++;
    this.log = path.join(this.dir, 'kefud.' + this.runs + '.log');
    const out = fs.openSync(this.log, 'w');
    this.proc = cp.spawn(KEFUD, ['--listen', '127.0.0.1:' + (port || 0), '--port-file', portFile,
      '--db', this.db].concat(this.args), { cwd: this.dir, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const exited = new Promise((ok) => this.proc.once('exit', (code, sig) => ok([code, sig])));
    this.exited = exited;
    const end = Date.now() + 90000;
    while (Date.now() < end) {
      if (this.proc.exitCode !== null) throw new Error('kefud exited during start-up');
      try {
        const txt = fs.readFileSync(portFile, 'utf8').trim();
        if (/^\d+$/.test(txt)) {
          const r = await httpGet(+txt, '/healthz', this.tlsCa);
          if (r.status === 200) {
            this.port = +txt;
            return this;
          }
        }
      } catch (e) { /* not yet */ }
      await sleep(50);
    }
    throw new Error('kefud not healthy after 90 s');
  }

  url(p) {
    return (this.tlsCa ? 'https' : 'http') + '://127.0.0.1:' + this.port + (p || '/');
  }

  async kill9() {
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.stopping = true;   /* a page's reconnects fail from now on, by the test's doing */
    this.proc.kill('SIGTERM');
    const [code] = await Promise.race([this.exited, sleep(30000).then(() => [-1])]);
    check(code === 0, 'kefud exit status ' + code + ' after SIGTERM');
  }

  /* Rows of an SQL query on the database (sqlite3 CLI, JSON mode). */
  sql(q) {
    const out = cp.execFileSync('sqlite3', ['-json', this.db, q], { encoding: 'utf8' });
    return out.trim() ? JSON.parse(out) : [];
  }

  tail(n) {
    try {
      return fs.readFileSync(this.log, 'utf8').split('\n').slice(-(n || 60)).join('\n');
    } catch (e) {
      return '';
    }
  }
}

/* The widget's pieces on a page (playwright locators pierce the open shadow root). */
function widget(page) {
  const w = {
    launcher: page.getByRole('button', { name: 'Open chat' }),
    textbox: page.getByRole('textbox', { name: 'Message' }),
    send: page.getByRole('button', { name: 'Send', exact: true }),
    log: page.getByRole('log'),
    bots: page.locator('kefu-chat .m.bot'),
    mine: page.locator('kefu-chat .m.me'),
    async open() {
      await w.launcher.click();
      await w.textbox.waitFor();
    },
    /* Types text, sends it with Enter, waits for bot bubble number n (1-based). */
    async ask(text, n) {
      await w.textbox.fill(text);
      await w.textbox.press('Enter');
      await w.bots.nth(n - 1).waitFor({ timeout: TIMEOUT });
      return w.bots.nth(n - 1).innerText();
    },
    /* Widget events (kefu:*) recorded since the page loaded, as [name, detail]. */
    events(name) {
      return page.evaluate((n) => (window.__kefuEvents || []).filter((e) => !n || e[0] === n), name);
    },
    /* Waits for an event named name whose detail satisfies pred (a function run here,
     * in Node: the pages' CSP forbids eval); returns the latest such detail. */
    async waitEvent(name, pred, timeout) {
      const end = Date.now() + (timeout || TIMEOUT);
      for (;;) {
        const hits = (await w.events(name)).map((e) => e[1]).filter((d) => !pred || pred(d));
        if (hits.length) return hits[hits.length - 1];
        check(Date.now() < end, 'timed out waiting for the widget event ' + name);
        await sleep(50);
      }
    },
  };
  return w;
}

/* Records every kefu:* event of the widget in window.__kefuEvents (runs before page scripts). */
const RECORD_EVENTS = () => {
  window.__kefuEvents = [];
  for (const n of ['ready', 'open', 'close', 'message', 'reply', 'error', 'transcript', 'seen',
    'speech', 'upload', 'picture', 'feedback', 'handoff', 'rated', 'recording', 'operator',
    'left_message']) {
    document.addEventListener('kefu:' + n, (e) => window.__kefuEvents.push([n, e.detail]));
  }
};

async function run(name, fn, opts) {
  opts = opts || {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-browser-'));
  const kefud = new Kefud(dir, opts.kefudArgs, opts.tlsCa);
  let browser = null;
  const pages = [];
  const problems = [];
  let shotN = 0;
  fs.mkdirSync(SHOTS, { recursive: true });
  const t0 = Date.now();
  const ctx = {
    dir, kefud, check, sleep, widget, SRC,
    async browser(args, contextOpts) {
      let pw;
      try {
        pw = require(PW);
      } catch (e) {
        throw new Error('playwright-core is not installed (' + PW + '): run scripts/setup.sh');
      }
      browser = await pw.chromium.launch({ executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu'].concat(args || []) });
      const bc = await browser.newContext(Object.assign({ viewport: { width: 1100, height: 800 } }, contextOpts || {}));
      return bc;
    },
    /* The widget's page in a browser whose microphone plays `text` spoken by flite (once),
     * the permission granted; the chat is open and its welcome shown.  { page, w }. */
    async micWidget(text) {
      const clip = path.join(dir, 'mic-' + (++shotN) + '.wav');
      cp.execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', clip]);
      const bc = await ctx.browser(['--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream', '--use-file-for-fake-audio-capture=' + clip + '%noloop']);
      await bc.grantPermissions(['microphone'], { origin: kefud.url('').replace(/\/$/, '') });
      const page = await ctx.page(bc);
      await page.goto(kefud.url('/'));
      const w = widget(page);
      await w.open();
      await w.bots.first().waitFor();
      return { page, w };
    },
    async page(bc) {
      const page = await bc.newPage();
      await page.addInitScript(RECORD_EVENTS);
      page.on('pageerror', (e) => problems.push('page error: ' + e.message));
      page.on('console', (m) => {
        if (m.type() !== 'error' || (opts.allowConsole || []).some((re) => re.test(m.text())))
          return;
        /* the widget reconnecting to a kefud the test stopped on purpose */
        if (kefud.stopping && /ERR_CONNECTION_REFUSED/.test(m.text())) return;
        problems.push('console error: ' + m.text());
      });
      pages.push(page);
      return page;
    },
    async shot(page, state) {
      const file = path.join(SHOTS, name + '-' + String(++shotN).padStart(2, '0') + '-' + state + '.png');
      await page.screenshot({ path: file });
      return file;
    },
    problems,
  };
  let failed = null;
  try {
    if (opts.fixture) {
      /* the daemon smoke test's small store (5 answers), plus the test's own SQL */
      check(process.env.SMOKE_FIXTURE, 'SMOKE_FIXTURE is not set');
      cp.execFileSync(process.env.SMOKE_FIXTURE, [kefud.db]);
      if (opts.fixtureSql) cp.execFileSync('sqlite3', [kefud.db, opts.fixtureSql]);
      kefud.args = ['--demo', 'false'].concat(kefud.args);
    }
    await kefud.start(0);
    await Promise.race([fn(ctx), sleep(opts.timeout || 100000).then(() => {
      throw new Error('test timed out');
    })]);
    check(problems.length === 0, 'page problems:\n  ' + problems.join('\n  '));
    await kefud.stop();
  } catch (e) {
    failed = e;
  }
  if (failed) {
    console.log('FAIL ' + name + ': ' + (failed.stack || failed));
    for (const p of pages) {
      try {
        const f = path.join(SHOTS, name + '-failure.png');
        await p.screenshot({ path: f });
        console.log('screenshot: ' + f);
      } catch (e) { /* page gone */ }
    }
    console.log('---- kefud log, last lines ----\n' + kefud.tail(80));
  }
  if (browser) await browser.close().catch(() => {});
  if (kefud.proc && kefud.proc.exitCode === null) kefud.proc.kill('SIGKILL');
  if (!failed && !process.env.KEFU_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  if (!failed) console.log('ok ' + name + ' (' + ((Date.now() - t0) / 1000).toFixed(1) + ' s; screenshots in ' + SHOTS + ')');
  process.exit(failed ? 1 : 0);
}

module.exports = { run, check, sleep, Kefud, widget, SRC };
