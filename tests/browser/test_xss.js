/* tests/browser/test_xss.js — nothing a customer types or an answer contains can run
 * script in the page: an answer stored with <script>, an <img onerror>, raw <a> and
 * javascript:/data: Markdown links, and a customer message with the same, are shown as
 * text (before and after a reload's history).  The page runs with its CSP bypassed, so
 * an injection would really execute: the test does not lean on kefud's CSP header. */
const { run } = require('./lib');

const EVIL = 'Zebra help: <script>window.pwnd=1</script> <img src=x onerror="window.pwnd=2"> ' +
  '[click me](javascript:window.pwnd=3) [data link](data:text/html,<b>x</b>) ' +
  '<a href="javascript:window.pwnd=4">raw link</a> [vbs](vbscript:msgbox) ' +
  '[safe](https://example.com/help) and **bold**.';
const SQL = "INSERT INTO answers (title, body, lang, tags, enabled, created_ms, updated_ms) VALUES " +
  "('Zebra', '" + EVIL.replace(/'/g, "''") + "', 'en', '', 1, 0, 0);" +
  "INSERT INTO examples (answer_id, text, created_ms) SELECT id, q, 0 FROM answers, " +
  "(SELECT 'show me the zebra answer' AS q UNION SELECT 'zebra answer please' UNION SELECT 'the zebra help') " +
  "WHERE title = 'Zebra';";
const TYPED = '<script>window.pwnd=5</script><img src=x onerror="window.pwnd=6"> ' +
  '[x](javascript:window.pwnd=7) <a href="javascript:window.pwnd=8">y</a>';

/* Every element of the widget: no script, no on* attribute, no href outside the allow-list. */
async function inert(page) {
  return page.evaluate(() => {
    const bad = [];
    const all = document.querySelector('kefu-chat').shadowRoot.querySelectorAll('*');
    for (const el of all) {
      if (/^(script|iframe|object|embed)$/i.test(el.tagName) || (el.tagName === 'IMG' && el.hasAttribute('src') && !/^data:image\//.test(el.getAttribute('src'))))
        bad.push(el.outerHTML.slice(0, 80));
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) bad.push(el.tagName + ' ' + a.name);
        if (a.name === 'href' && !/^(https?:|mailto:|\/[^/\\])/i.test(a.value)) bad.push('href ' + a.value);
      }
    }
    return { bad, pwned: window.pwnd === undefined ? null : window.pwnd };
  });
}

run('xss', async (t) => {
  const { check } = t;
  const page = await t.page(await t.browser([], { bypassCSP: true }));
  await page.goto(t.kefud.url('/'));
  const w = t.widget(page);
  await w.open();
  await w.bots.first().waitFor();
  const text = await w.ask('show me the zebra answer', 2);
  check(/<script>window.pwnd=1<\/script>/.test(text), 'answer markup not shown as text: ' + text);
  await w.ask(TYPED, 3);
  check((await w.mine.last().innerText()) === TYPED, 'customer text changed: ' + await w.mine.last().innerText());
  // click everything that looks like a link
  for (const name of ['click me', 'data link', 'raw link', 'x', 'y']) {
    const el = page.locator('kefu-chat .m').getByText(name, { exact: true });
    if (await el.count()) await el.first().click().catch(() => {});
  }
  await t.sleep(300);
  let r = await inert(page);
  check(r.bad.length === 0 && r.pwned === null, 'not inert: ' + JSON.stringify(r));
  const safe = page.locator('kefu-chat .m.bot a', { hasText: 'safe' });
  check(await safe.getAttribute('href') === 'https://example.com/help' &&
    /noopener/.test(await safe.getAttribute('rel')), 'the https link lost its href or rel');
  check(await page.locator('kefu-chat .m.bot strong', { hasText: 'bold' }).count() === 1, 'bold lost');
  await t.shot(page, 'inert');

  await page.reload();                       // the same texts come back through history
  await w.bots.nth(2).waitFor();
  r = await inert(page);
  check(r.bad.length === 0 && r.pwned === null, 'history not inert: ' + JSON.stringify(r));
  check((await w.mine.last().innerText()) === TYPED, 'customer text changed in history');
  await t.shot(page, 'inert-history');
}, { fixture: true, fixtureSql: SQL });
