/* tests/browser/test_protocol.js - the shared protocol client (web/lib/proto.js, used by
 * the chat page, the widget and next the console) in Chromium against a real kefud on
 * the small fixture store, plus kefud's HTTP side.  Once daemon/smoke.py's walk through
 * the protocol; the raw-socket cases a browser cannot send (invalid UTF-8, fragments,
 * exact frame-size boundaries) are tests/integration/test_errors.py's.
 *
 * The page is a JSON route of kefud's own origin (so kefud's CSP applies); the test
 * imports /lib/proto.js there and records every callback of each client it makes.
 * Checked: a new session (greeting, token), English and Chinese replies, the waiting
 * signal, an error that is not retried (text_too_long) leaves the outbox, an upload's
 * header + binary message (a picture that is not one: unsupported_image), the error codes
 * a browser can provoke on a raw socket (the connection staying usable after each), ping,
 * an idempotent resend answered with the logged reply, SIGHUP with a client open, resume
 * with history in order, an unknown session giving a fresh one, a pending text from
 * storage sent on connect, kill -9 and restart of kefud with a message typed while it was
 * down (answered and logged once), /healthz, /metrics counters, 404, CORS on scripts
 * only, and rate_limited answers retried until every message of a burst is answered. */
const { run } = require('./lib');

/* In the page: window.__mk(name, storage) makes a client recording its callbacks. */
const HARNESS = async () => {
  const { createChat } = await import('/lib/proto.js');
  const plain = (x) => (x === undefined ? null : JSON.parse(JSON.stringify(x,
    (k, v) => (v instanceof ArrayBuffer ? { byteLength: v.byteLength } : v))));
  window.__log = [];
  window.__mk = (name, data) => {
    const store = { load: (k, d) => (k in data ? data[k] : d), save: (k, v) => { data[k] = v; } };
    const on = {};
    for (const ev of ['state', 'session', 'reply', 'error', 'frame', 'speech', 'sent', 'waiting'])
      on[ev] = (a, b) => window.__log.push({ c: name, ev, a: plain(a), b: plain(b) });
    const url = location.origin.replace(/^http/, 'ws') + '/ws';
    window['__' + name] = { chat: createChat({ url, store, on }), data };
  };
};

/* In the page: a raw WebSocket collecting frames, for what proto.js never sends. */
const RAW = () => {
  const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws', 'kefu.v1');
  window.__raw = { ws, got: [] };
  ws.onmessage = (e) => window.__raw.got.push(JSON.parse(e.data));
  return new Promise((ok) => { ws.onopen = ok; });
};

run('protocol', async (t) => {
  const { check, kefud } = t;
  const page = await t.page(await t.browser());
  await page.route('**/favicon.ico', (r) => r.fulfill({ status: 204 }));   // a JSON page asks
  await page.goto(kefud.url('/healthz'));
  await page.evaluate(HARNESS);
  const call = (c, method, ...args) => page.evaluate(([c2, m, a]) =>
    window['__' + c2].chat[m](...a), [c, method, args]);
  const sendText = (c, text) => page.evaluate(([c2, x]) => window['__' + c2].chat.send(x), [c, text]);
  /* The first recorded callback of client c named ev (after index from) that pred accepts. */
  async function wait(c, ev, pred, from) {
    const end = Date.now() + 30000;
    for (;;) {
      const log = await page.evaluate(() => window.__log);
      const hit = log.slice(from || 0).find((e) => e.c === c && e.ev === ev && (!pred || pred(e)));
      if (hit) return hit;
      check(Date.now() < end, 'timed out waiting for ' + c + ' ' + ev + '; log tail: ' +
        JSON.stringify(log.slice(-6)));
      await t.sleep(30);
    }
  }
  const mark = () => page.evaluate(() => window.__log.length);
  const ask = async (c, text) => {
    const from = await mark();
    const item = await sendText(c, text);
    const r = await wait(c, 'reply', (e) => e.a.id === item.id, from);
    check(r.b && r.b.id === item.id, 'reply without its outbox entry: ' + JSON.stringify(r));
    return r.a;
  };

  // a new session
  await page.evaluate(() => window.__mk('a', {}));
  await call('a', 'connect');
  const s = (await wait('a', 'session')).a;
  check(s.greeting && !s.resumed && s.messages.length === 0 && /^[0-9a-f]{32}$/.test(s.token),
    'new session: ' + JSON.stringify(s));
  const r1 = await ask('a', 'I lost my card');
  check(r1.title === 'Lost or stolen card' && r1.answer_id && !r1.fallback &&
    r1.confidence >= 0 && r1.confidence <= 1, 'reply: ' + JSON.stringify(r1));
  const zh = await ask('a', '我的卡丢了');
  check(zh.lang === 'zh' && zh.title === '挂失银行卡', 'zh reply: ' + JSON.stringify(zh));
  const waits = (await page.evaluate(() => window.__log)).filter((e) => e.c === 'a' && e.ev === 'waiting');
  check(waits.some((e) => e.a === true) && waits[waits.length - 1].a === false, 'waiting signal');

  // an error that is not retried gives the entry up
  let from = await mark();
  const long = await sendText('a', 'é'.repeat(201));
  const e1 = await wait('a', 'error', null, from);
  check(e1.a.code === 'text_too_long' && e1.b.id === long.id, 'error: ' + JSON.stringify(e1));
  check((await call('a', 'pending')).length === 0, 'the refused text stays in the outbox');

  // an upload: header with the byte count, then the binary message
  from = await mark();
  const up = await page.evaluate(() => window.__a.chat.upload('image',
    new TextEncoder().encode('this is not a picture').buffer, 'image/png', { text: 'hi' }));
  const e2 = await wait('a', 'error', (e) => e.a.id === up.id, from);
  check(e2.a.code === 'unsupported_image' && e2.b.kind === 'image', 'upload: ' + JSON.stringify(e2));
  check((await wait('a', 'sent', (e) => e.a.id === up.id)).a.bytes.byteLength === 21, 'upload sent');

  // raw frames a browser can send: each gets its code, the connection stays usable
  await page.evaluate(RAW);
  const raw = async (data, want, id) => {
    const n = await page.evaluate(([d]) => {
      window.__raw.ws.send(typeof d === 'string' ? d : new Uint8Array(d).buffer);
      return window.__raw.got.length;
    }, [data]);
    await page.waitForFunction((k) => window.__raw.got.length > k, n);
    const f = await page.evaluate((k) => window.__raw.got[k], n);
    check(f.type === want || f.code === want, 'raw ' + JSON.stringify(data).slice(0, 60) +
      ': ' + JSON.stringify(f));
    check(id === undefined || f.id === id, 'raw error id: ' + JSON.stringify(f));
    return f;
  };
  await page.waitForFunction(() => window.__raw.got.length === 1);       // welcome
  const bad = [['not json', 'invalid_json', null], [JSON.stringify({ id: 'e1' }), 'unknown_type', 'e1'],
    [JSON.stringify({ type: 'dance', id: 'e2' }), 'unknown_type', 'e2'],
    [JSON.stringify({ type: 'message', id: 'e3' }), 'missing_field', 'e3'],
    [JSON.stringify({ type: 'message', id: 'e4', text: ' \u3000 ' }), 'empty_text', 'e4'],
    [JSON.stringify({ type: 'message', id: 'e5', text: 'x'.repeat(5000) }), 'frame_too_large', null],
    [[0, 1, 2], 'unsupported_frame', undefined]];
  for (const [i, [data, code, id]] of bad.entries()) {
    await raw(data, code, id);
    await raw(JSON.stringify({ type: 'message', id: 'ok' + i, text: 'when are you open' }), 'reply');
  }
  await raw(JSON.stringify({ type: 'ping' }), 'pong');
  // an idempotent resend of a's first message id on a's session: the logged reply
  await raw(JSON.stringify({ type: 'hello', session: s.token }), 'history');
  const again = await raw(JSON.stringify({ type: 'message', id: r1.id, text: 'anything' }), 'reply');
  check(JSON.stringify(again) === JSON.stringify(r1), 'resend differs: ' + JSON.stringify(again));

  // SIGHUP swaps the bot; the open client keeps working
  kefud.proc.kill('SIGHUP');
  await t.sleep(500);
  check((await ask('a', 'how do I change my password')).title === 'Change password', 'after HUP');

  // resume: a second client with a's token gets the history, in order, the resend once
  await page.evaluate((tok) => window.__mk('b', { session: tok }), s.token);
  await call('b', 'connect');
  const hb = (await wait('b', 'session')).a;
  const ids = hb.messages.map((m) => m.from + ':' + m.id);
  check(hb.resumed && hb.token === s.token && ids.slice(0, 4).join() ===
    ['customer:' + r1.id, 'bot:' + r1.id, 'customer:' + zh.id, 'bot:' + zh.id].join(),
  'history: ' + JSON.stringify(ids));
  check(ids.filter((x) => x === 'customer:' + r1.id).length === 1, 'the resend was logged twice');

  // an unknown session gives a fresh one; a pending text from storage goes out at once
  await page.evaluate(() => window.__mk('c', { session: '0'.repeat(32),
    outbox: [{ id: 'c-1', text: 'when are you open' }] }));
  await call('c', 'connect');
  const hc = (await wait('c', 'session')).a;
  check(!hc.resumed && hc.token !== '0'.repeat(32) && hc.greeting, 'unknown: ' + JSON.stringify(hc));
  check((await wait('c', 'reply', (e) => e.a.id === 'c-1')).a.title === 'Opening hours', 'pending');
  check((await page.evaluate(() => window.__c.data.outbox)).length === 0, 'outbox not saved empty');

  // the counters of all that, before kefud restarts
  const met = {};
  for (const l of (await (await fetch(kefud.url('/metrics'))).text()).split('\n'))
    if (l && l[0] !== '#') met[l.slice(0, l.lastIndexOf(' '))] = +l.slice(l.lastIndexOf(' ') + 1);
  check(met['kefu_messages_total{kind="resend"}'] === 1 && met.kefu_model_reloads_total === 1 &&
    met['kefu_errors_total{code="text_too_long"}'] === 1 &&
    met['kefu_messages_total{kind="reply"}'] === 11, 'metrics: ' + JSON.stringify(met));

  // kill -9: a message typed while kefud is down is answered once it is back, logged once
  await kefud.kill9();
  await wait('a', 'state', (e) => e.a === 'offline');
  from = await mark();
  const down = await sendText('a', 'reset my password');
  await t.sleep(300);
  await kefud.start(kefud.port);
  const back = await wait('a', 'reply', (e) => e.a.id === down.id, from);
  check(back.a.title === 'Change password', 'after restart: ' + JSON.stringify(back.a));
  const rows = kefud.sql("SELECT COUNT(*) AS n FROM messages WHERE client_id = '" + down.id + "'");
  check(rows[0].n === 1, 'the message typed offline was logged ' + rows[0].n + ' times');

  // HTTP: healthz, metrics, 404, CORS on scripts only
  const get = (p) => page.evaluate(async (u) => {
    const r = await fetch(u);
    return { status: r.status, body: await r.text(), cors: r.headers.get('access-control-allow-origin') };
  }, p);
  const hz = JSON.parse((await get('/healthz')).body);
  check(hz.status === 'ok' && hz.answers === 5, 'healthz: ' + JSON.stringify(hz));
  check((await fetch(kefud.url('/nope.html'))).status === 404, '404');     // from Node: no console
  check((await get('/lib/proto.js')).cors === '*' && (await get('/widget/widget.js')).cors === '*',
    'scripts without Access-Control-Allow-Origin: *');
  check((await get('/chat.html')).cors === null, 'CORS on a page');

  // a burst past rate_limit: rate_limited is retried until every message is answered
  await kefud.stop();
  kefud.args.push('--rate-limit', '3');
  await kefud.start(kefud.port);
  await wait('a', 'session', (e) => e.a.resumed, from);
  from = await mark();
  const burst = [];
  for (let i = 0; i < 5; i++) burst.push(await sendText('a', 'when are you open'));
  for (const b of burst) await wait('a', 'reply', (e) => e.a.id === b.id, from);
  const m = (await get('/metrics')).body;
  check(/kefu_errors_total\{code="rate_limited"\} [1-9]/.test(m), 'no rate_limited error counted');
  const errs = (await page.evaluate(() => window.__log)).slice(from).filter((e) => e.ev === 'error');
  check(errs.length === 0, 'a retried error reached the page: ' + JSON.stringify(errs));
}, { fixture: true, kefudArgs: ['--max-frame', '4096', '--max-text', '200'], timeout: 110000,
  allowConsole: [/WebSocket connection to .* failed/] });
