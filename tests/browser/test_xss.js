/* tests/browser/test_xss.js - nothing an answer, a customer, a picture or a server frame
 * contains can run script or make markup, in the widget and in the chat page alike (both
 * draw through the shared web/lib: md.js for answers, text nodes for the rest).
 *
 * Real paths through kefud: an answer stored with <script>, <img onerror>, raw <a> and
 * javascript:/data:/vbscript: Markdown links (and a hostile title); a customer message
 * with the same; a picture whose file name is markup, pasted into the widget; then all
 * of it again from a reload's history.  Frames no real input can fill are injected into
 * the live socket (playwright's routeWebSocket, the rest of the traffic passes through):
 * a transcript, a seen frame (text read, codes, entities, category), a reply with hostile
 * quick-reply titles, a handoff note, an error message, and a history with customer,
 * operator and system entries.  The pages run with their CSP bypassed, so an injection
 * would really execute: the test does not lean on kefud's CSP header.  After each step
 * every element the client drew is checked: no script-like element, no on* attribute, no
 * href outside http(s) and same-site paths, no image but data:image thumbnails, and
 * window.pwnd never set. */
const { run } = require('./lib');

const EVIL = 'Zebra help: <script>window.pwnd=1</script> <img src=x onerror="window.pwnd=2"> ' +
  '[click me](javascript:window.pwnd=3) [data link](data:text/html,<b>x</b>) ' +
  '<a href="javascript:window.pwnd=4">raw link</a> [vbs](vbscript:msgbox) ' +
  '[safe](https://example.com/help) [fees](/help/fees) and **bold**.';
const TITLE = 'Zebra <img src=x onerror="window.pwnd=12">';
const SQL = "INSERT INTO answers (title, body, lang, tags, enabled, created_ms, updated_ms) " +
  "VALUES ('" + TITLE.replace(/'/g, "''") + "', '" + EVIL.replace(/'/g, "''") +
  "', 'en', '', 1, 0, 0);" +
  "INSERT INTO examples (answer_id, text, created_ms) SELECT id, q, 0 FROM answers, " +
  "(SELECT 'show me the zebra answer' AS q UNION SELECT 'zebra answer please' " +
  "UNION SELECT 'the zebra help') WHERE title LIKE 'Zebra%';";
const TYPED = '<script>window.pwnd=5</script><img src=x onerror="window.pwnd=6"> ' +
  '[x](javascript:window.pwnd=7) <a href="javascript:window.pwnd=8">y</a>';
const FILE_NAME = '<img src=x onerror="window.pwnd=11">.png';
const BAD = (n) => '<img src=x onerror="window.pwnd=' + n + '"><script>window.pwnd=' + n +
  '</script>[js](javascript:window.pwnd=' + n + ')';

/* Frames injected into a client's socket; the session token goes into the history. */
const frames = (session) => [
  { type: 'transcript', id: 'a-evil', text: BAD(20), confidence: 0.9 },
  { type: 'seen', id: 'p-evil', ocr_text: BAD(21), codes: [{ type: BAD(22), data: BAD(23) }],
    entities: [{ kind: BAD(24), text: BAD(25) }], category: BAD(26) },
  { type: 'reply', id: 'm-evil', text: BAD(27), title: BAD(28), answer_id: 1, fallback: true,
    quick_replies: [{ title: BAD(29), answer_id: 1 }, { title: BAD(30) }] },
  { type: 'handoff', id: 'h-evil', text: BAD(31), operators_online: 0 },
  { type: 'error', id: 'x-evil', code: BAD(32), message: BAD(33) },
  { type: 'history', session, resumed: true, messages: [
    { from: 'customer', id: 'w-1', text: BAD(34) },
    { from: 'operator', id: 'w-1', text: BAD(35), quick_replies: [{ title: BAD(36) }] },
    { from: 'system', id: 'w-2', text: BAD(37) }] },
];

/* Every element under the client's root (the widget's shadow root, or the chat page's
 * transcript): nothing that runs script, no on* attribute, hrefs only http(s) or /path. */
async function inert(page, where) {
  return page.evaluate((w) => {
    const root = w === 'widget' ? document.querySelector('kefu-chat').shadowRoot
      : document.getElementById('transcript');
    const bad = [];
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (/^(script|iframe|object|embed|style|link|meta|base|form|svg|math)$/.test(tag) &&
          !(tag === 'svg' && el.getAttribute('aria-hidden') === 'true') &&
          /* the widget's own forms: the composer, and the leave-a-message form that the
           * injected handoff frame (operators_online 0) opens */
          !(tag === 'form' && (el.className === 'form' || el.className === 'rate leave')))
        bad.push(el.outerHTML.slice(0, 80));
      if (tag === 'img' && el.hasAttribute('src') && !/^data:image\//.test(el.getAttribute('src')))
        bad.push(el.outerHTML.slice(0, 80));
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) bad.push(tag + ' ' + a.name);
        if (a.name === 'href' && !/^(https?:\/\/|\/(?![/\\]))/i.test(a.value)) bad.push('href ' + a.value);
        if (a.name === 'href' && el.getAttribute('rel') !== 'noopener noreferrer') bad.push('rel');
      }
    }
    return { bad, pwned: window.pwnd === undefined ? null : window.pwnd };
  }, where);
}

/* Clicks every element whose text is one of the hostile links' texts. */
async function clickAll(page, scope) {
  for (const name of ['click me', 'data link', 'raw link', 'vbs', 'x', 'y', 'js']) {
    const el = page.locator(scope).getByText(name, { exact: true });
    for (let i = 0; i < await el.count(); i++) await el.nth(i).click().catch(() => {});
  }
}

/* Routes the page's /ws through playwright, passing everything on; returns a function
 * that injects a frame into the client's side. */
async function tap(page) {
  let client = null;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    ws.connectToServer();
    client = ws;
  });
  return async (f) => {
    for (let i = 0; !client && i < 100; i++) await new Promise((ok) => setTimeout(ok, 50));
    client.send(JSON.stringify(f));
  };
}

run('xss', async (t) => {
  const { check } = t;
  const bc = await t.browser([], { bypassCSP: true });
  const ok = async (page, where, what) => {
    const r = await inert(page, where);
    check(r.bad.length === 0 && r.pwned === null, what + ' not inert: ' + JSON.stringify(r));
  };

  // ---- the widget ----
  const page = await t.page(bc);
  const inject = await tap(page);
  await page.goto(t.kefud.url('/'));
  const w = t.widget(page);
  await w.open();
  await w.bots.first().waitFor();
  const text = await w.ask('show me the zebra answer', 2);
  check(/<script>window.pwnd=1<\/script>/.test(text), 'answer markup not shown as text: ' + text);
  await w.ask(TYPED, 3);
  check((await w.mine.last().innerText()) === TYPED, 'customer text changed: ' +
    await w.mine.last().innerText());
  const safe = page.locator('kefu-chat .m.bot a', { hasText: 'safe' }).first();
  check(await safe.getAttribute('href') === 'https://example.com/help' &&
    await safe.getAttribute('rel') === 'noopener noreferrer', 'the https link lost its href or rel');
  check(await page.locator('kefu-chat .m.bot a', { hasText: 'fees' }).first().getAttribute('href') ===
    '/help/fees', 'the same-site link is gone');
  check(await page.locator('kefu-chat .m.bot strong', { hasText: 'bold' }).count() >= 1, 'bold');

  // a picture whose file name is markup (the name is neither shown nor sent)
  await page.evaluate((name) => new Promise((done) => {
    const c = document.createElement('canvas');
    c.width = 600;
    c.height = 160;
    const g = c.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, 600, 160);
    g.fillStyle = '#000';
    g.font = 'bold 48px sans-serif';
    g.fillText('I lost my card', 30, 100);
    c.toBlob((b) => { window.__pic = new File([b], name, { type: 'image/png' }); done(); });
  }), FILE_NAME);
  await w.textbox.evaluate((el) => {
    const dt = new DataTransfer();
    dt.items.add(window.__pic);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true,
      cancelable: true }));
  });
  await page.locator('kefu-chat .prev img').waitFor();
  await w.send.click();
  await w.bots.nth(3).waitFor({ timeout: 60000 });
  check(!(await page.locator('kefu-chat').innerText()).includes('pwnd=11'), 'file name shown');

  // frames no real input fills, then a reload's history
  const session = await page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (/:session$/.test(k)) return JSON.parse(localStorage.getItem(k));
    }
    return null;
  });
  const all = frames(session);
  for (const f of all.slice(0, -1)) await inject(f);
  await page.locator('kefu-chat .m.bot', { hasText: 'pwnd=27' }).waitFor();
  await page.locator('kefu-chat .note', { hasText: 'pwnd=33' }).waitFor();
  check(await page.locator('kefu-chat .quick button', { hasText: 'pwnd=29' }).count() === 1,
    'hostile quick reply not shown as text');
  check(await page.locator('kefu-chat .seen', { hasText: 'pwnd=26' }).count() === 1, 'seen');
  await clickAll(page, 'kefu-chat .m');
  await t.sleep(300);
  await ok(page, 'widget', 'widget');
  await t.shot(page, 'widget-inert');
  await inject(all[all.length - 1]);
  await page.locator('kefu-chat .m.bot', { hasText: 'pwnd=35' }).waitFor();
  await ok(page, 'widget', 'widget history frame');

  await page.reload();                       // the real history: the same texts come back
  await w.bots.nth(3).waitFor();
  await ok(page, 'widget', 'widget history');
  check((await w.mine.nth(1).innerText()) === TYPED, 'customer text changed in history');
  await t.shot(page, 'widget-inert-history');

  // ---- the chat page ----
  const chat = await t.page(bc);
  const injectChat = await tap(chat);
  await chat.goto(t.kefud.url('/chat.html'));
  const bots = chat.locator('.msg.bot');
  await bots.first().waitFor();
  const box = chat.getByRole('textbox', { name: 'Message' });
  await box.fill('show me the zebra answer');
  await box.press('Enter');
  await bots.nth(1).waitFor();
  check(/<script>window.pwnd=1<\/script>/.test(await bots.nth(1).innerText()), 'chat answer');
  await box.fill(TYPED);
  await box.press('Enter');
  await bots.nth(2).waitFor();
  check(await chat.locator('.msg.me').last().innerText() === TYPED, 'chat customer text');
  const chatSession = await chat.evaluate(() => JSON.parse(localStorage.getItem('kefu.session')));
  const cf = frames(chatSession);
  for (const f of cf.slice(0, -1)) await injectChat(f);
  await chat.locator('.msg.bot', { hasText: 'pwnd=27' }).waitFor();
  await chat.locator('.msg.note', { hasText: 'pwnd=33' }).waitFor();
  await clickAll(chat, '#transcript');
  await t.sleep(300);
  await ok(chat, 'chat', 'chat page');
  await t.shot(chat, 'chat-page-inert');
  await injectChat(cf[cf.length - 1]);
  await chat.locator('.msg.bot', { hasText: 'pwnd=35' }).waitFor();
  await ok(chat, 'chat', 'chat page history frame');
  await chat.reload();
  await chat.locator('.msg.me').nth(1).waitFor();
  await ok(chat, 'chat', 'chat page history');
  check(await chat.locator('.msg.me').nth(1).innerText() === TYPED, 'chat history text');
  await t.shot(chat, 'chat-page-inert-history');
}, { fixture: true, fixtureSql: SQL, timeout: 110000 });
