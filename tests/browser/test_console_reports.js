/* tests/browser/test_console_reports.js — the console's Reports page draws its charts
 * under the console's strict CSP, and the Webhooks page shows a new secret once.
 *
 * The store gets 60 conversations over the last 20 days (written with sqlite3 before
 * kefud starts, so the rollup triggers run as they do for kefud's writer): replies in
 * English and Chinese, fallbacks, thumbs, hand-offs, ratings, on the widget and voice.
 * An agent opens Reports: the key figures show the 60 conversations; the four charts
 * are drawn by uPlot (each a canvas with the series' colour on it, not just axes), each
 * with its definition; the tables and the CSV download answer; choosing Chinese shows
 * fewer conversations; no CSP violation or page error happens.  An agent cannot open
 * Webhooks; an admin adds one and sees its secret once.  Screenshots at 1280 px.
 */
const { run } = require('./lib');
const { addOperator, signIn, EXPECTED_HTTP_ERRORS } = require('./console_lib');

const NOW = "CAST(strftime('%s', 'now') AS INTEGER) * 1000";
const FIXTURE = `
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 59)
INSERT INTO sessions (token, channel, created_ms, last_ms)
  SELECT printf('%032x', 4096 + i), CASE WHEN i % 4 = 0 THEN 'voice' ELSE 'ws' END,
    ${NOW} - (i % 20) * 86400000 - (i % 7) * 3600000 - 600000,
    ${NOW} - (i % 20) * 86400000 FROM n;
INSERT INTO messages (session_id, kind, client_id, text, created_ms)
  SELECT id, 0, 'm1', 'where is my card', created_ms FROM sessions;
INSERT INTO messages (session_id, kind, text, answer_id, confidence, latency_us, meta,
    reply_to, created_ms)
  SELECT m.session_id, 1, 'an answer', CASE WHEN m.session_id % 5 = 0 THEN 0 ELSE 1 END, 0.9,
    3000 + (m.session_id * 997) % 20000,
    json_object('lang', CASE WHEN m.session_id % 3 = 0 THEN 'zh' ELSE 'en' END,
      'fallback', json(CASE WHEN m.session_id % 5 = 0 THEN 'true' ELSE 'false' END)),
    m.id, m.created_ms + 5 FROM messages m WHERE m.kind = 0;
-- the session state store_message_add keeps (store/log_session.c): a conversation, its language
UPDATE sessions SET report_flags = report_flags | 1,
  lang = (SELECT json_extract(meta, '$.lang') FROM messages
    WHERE session_id = sessions.id AND kind = 1 ORDER BY id DESC LIMIT 1)
  WHERE id IN (SELECT session_id FROM messages WHERE kind = 0);
INSERT INTO handoffs (session_id, requested_ms, taken_ms)
  SELECT id, created_ms + 60000, created_ms + 150000 FROM sessions WHERE id % 4 = 1;
INSERT INTO feedback (session_id, message_id, value, created_ms)
  SELECT session_id, id, CASE WHEN session_id % 3 = 0 THEN -1 ELSE 1 END, created_ms + 1000
  FROM messages WHERE kind = 1 AND session_id % 2 = 0;
INSERT INTO ratings (session_id, stars, created_ms)
  SELECT id, 1 + id % 5, created_ms + 200000 FROM sessions WHERE id % 3 = 0;
`;

/* Pixels of the canvas inside chart i that have a series colour (reports_chart.js
 * COLOURS: #2d6cdf, #d9480f, #2b8a3e; lines may cover each other). */
function seriesPixels(page, i) {
  return page.evaluate((n) => {
    const near = (r, g, b, c) => Math.abs(r - c[0]) < 30 && Math.abs(g - c[1]) < 30 &&
      Math.abs(b - c[2]) < 30;
    const colours = [[45, 108, 223], [217, 72, 15], [43, 138, 62]];
    const c = document.querySelectorAll('.chart')[n].querySelector('canvas');
    if (!c || !c.width) return -1;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let hits = 0;
    for (let p = 0; p < d.length; p += 4) {
      const [r, g, b] = [d[p], d[p + 1], d[p + 2]];
      if (colours.some((c) => near(r, g, b, c))) hits++;
    }
    return hits;
  }, i);
}

run('console-reports', async (t) => {
  const { check, kefud } = t;
  addOperator(kefud, 'bob', 'agent', 'Bob', 'correct horse battery');
  addOperator(kefud, 'ann', 'admin', 'Ann', 'correct horse battery');
  const ctx = await t.browser([], { viewport: { width: 1280, height: 900 } });
  const page = await t.page(ctx);
  const csp = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });

  await page.goto(kefud.url('/console/'));
  await signIn(page, 'bob', 'correct horse battery');
  await page.getByRole('link', { name: 'Reports' }).click();
  await page.getByRole('heading', { name: 'Key figures' }).waitFor();
  await page.locator('.chart[data-drawn="1"]').nth(3).waitFor();

  const conv = page.getByRole('group', { name: 'Conversations' });
  check(/^Conversations\s*60\b/.test((await conv.innerText()).trim()),
    'key figure: ' + await conv.innerText());
  check(await page.getByText('Share of conversations that ended without asking').count() >= 1,
    'the containment definition is shown');

  // four charts, each a canvas with the series drawn on it and its definition
  check(await page.locator('.chart canvas').count() === 4, 'four canvases');
  for (let i = 0; i < 4; i++) {
    const hits = await seriesPixels(page, i);
    check(hits > 20, 'chart ' + i + ' has its series drawn: ' + hits + ' pixels');
  }
  for (const name of ['Conversations and messages per day', 'Busiest hours',
    'Answer latency per day', 'Containment, hand-off and fallback rates per day'])
    check(await page.getByRole('img', { name }).count() === 1, 'chart ' + name);
  check(await page.locator('figcaption').count() === 4, 'a definition under each chart');
  await t.shot(page, 'reports');

  // the tables and a CSV download with the page's session
  const daily = page.getByRole('table', { name: 'Day by day' });
  check(await daily.locator('tbody tr').count() >= 30, 'a row per day');
  check(await page.getByRole('table', { name: 'Top answers' }).locator('tbody tr').count() === 1,
    'one answer was given');
  const href = await page.getByRole('link', { name: 'Download CSV' }).nth(1).getAttribute('href');
  const csv = await page.evaluate(async (u) => {
    const r = await fetch(u);
    return { type: r.headers.get('Content-Type'), text: await r.text() };
  }, href);
  check(csv.type === 'text/csv; charset=utf-8' && /^day,day_ms,conversations,/.test(csv.text),
    'CSV: ' + JSON.stringify(csv).slice(0, 200));

  // Chinese only: fewer conversations
  await page.getByRole('form', { name: 'Report filters' })
    .getByRole('combobox', { name: 'Language' }).selectOption('zh');
  await page.waitForFunction(() => {
    const g = document.querySelector('[role="group"][aria-label="Conversations"] .kpi-value');
    return g && g.textContent === '20';
  });
  await page.locator('.chart[data-drawn="1"]').nth(3).waitFor();
  await t.shot(page, 'reports-zh');

  // webhooks: admins only
  await page.goto(kefud.url('/console/#/webhooks'));
  await page.getByText('Only admins can open this page.').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, 'ann', 'correct horse battery');
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByText('No webhooks yet.').waitFor();
  await page.getByRole('textbox', { name: /Address/ }).fill('http://127.0.0.1:9/kefu');
  await page.getByRole('button', { name: 'Add webhook' }).click();
  const secret = page.getByLabel('Secret', { exact: true });
  await secret.waitFor();
  check(/^whsec_[A-Za-z0-9+/]{32}$/.test(await secret.innerText()), 'the secret is shown once');
  await t.shot(page, 'webhook-secret');
  await page.getByRole('button', { name: 'I have copied it' }).click();
  check(await page.getByText(/^whsec_/).count() === 0, 'the secret is gone from the page');
  await page.getByRole('button', { name: 'Delivery log' }).click();
  await page.getByRole('heading', { name: /Delivery log of/ }).waitFor();
  check(csp.length === 0, 'no CSP violation: ' + csp.join(' | '));
}, { fixture: true, fixtureSql: FIXTURE, allowConsole: EXPECTED_HTTP_ERRORS, timeout: 150000 });
