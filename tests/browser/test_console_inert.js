/* tests/browser/test_console_inert.js — what customers send renders inert in the operator
 * console.  A customer types markup and script into the widget and asks for a person; the
 * store then gets (as a hostile client or a poisoned answer store could leave them) a
 * picture and a voice clip whose names and transcript are markup, a bot reply whose text, answer title
 * and quick replies carry markup and a javascript: link, and a rating comment with
 * markup; the operator adds a note with markup.  In the console the list and the
 * transcript show all of it as the characters typed: no element the content asked for
 * exists, no javascript: link, no handler ran (window.__pwned stays unset), and the
 * harness fails on any page error or CSP violation.
 */
const { run } = require('./lib');
const { addOperator, signIn, EXPECTED_HTTP_ERRORS } = require('./console_lib');

const TYPED = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> <b>bold?</b>';
const PIC_NAME = '<img src=z onerror="window.__pwned=8">.png';
const PNG = '89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001249444154789c63f8cf000440e2ff7f20010020ed04fc2738a6d10000000049454e44ae426082';
const CLIP_NAME = '<img src=y onerror="window.__pwned=3">.wav';
const HEARD = '<svg onload="window.__pwned=4">heard</svg>';
const BOT_TEXT = 'See [this](javascript:window.__pwned=5) and <iframe src="/">';
const TITLE = '<u>Poisoned title</u>';
const QUICK = '<a href="javascript:window.__pwned=6">quick</a>';
const COMMENT = '<marquee>rated</marquee>';
const NOTE = '<details open ontoggle="window.__pwned=7">note</details>';

const q = (s) => "'" + s.replace(/'/g, "''") + "'";

run('console-inert', async (t) => {
  const { check, kefud } = t;
  addOperator(kefud, 'ann', 'admin', 'Ann', 'correct horse battery');
  const bc = await t.browser([], { viewport: { width: 1280, height: 800 } });

  // the customer, in the widget on the demo page
  const cust = await t.page(bc);
  await cust.goto(kefud.url('/'));
  const w = t.widget(cust);
  await w.open();
  await w.bots.first().waitFor();
  await w.ask(TYPED, 2);
  await cust.getByRole('button', { name: 'Talk to a person' }).click();
  await w.waitEvent('handoff');
  const token = (await w.events('ready'))[0][1].session;
  const sid = kefud.sql('SELECT id FROM sessions WHERE token = ' + q(token))[0].id;

  // what other clients or a poisoned store could leave
  const now = Date.now();
  const aid = kefud.sql("SELECT id FROM answers ORDER BY id LIMIT 1")[0].id;
  kefud.sql('UPDATE answers SET title = ' + q(TITLE) + ' WHERE id = ' + aid);
  kefud.sql(`INSERT INTO messages(session_id, kind, client_id, text, meta, created_ms) VALUES (${sid}, 0, 'a-x', ${q(HEARD)},
    ${q(JSON.stringify({ upload: 'audio', mime: 'audio/wav' }))}, ${now});
    INSERT INTO attachments(message_id, kind, mime, sha256, data, meta, created_ms) VALUES (last_insert_rowid(), 'audio', 'audio/wav',
    'x', x'52494646', ${q(JSON.stringify({ name: CLIP_NAME }))}, ${now});
    INSERT INTO messages(session_id, kind, client_id, text, meta, created_ms) VALUES (${sid}, 0, 'p-x', 'words',
    ${q(JSON.stringify({ upload: 'image', mime: 'image/png' }))}, ${now});
    INSERT INTO attachments(message_id, kind, mime, sha256, data, meta, created_ms) VALUES (last_insert_rowid(), 'image', 'image/png',
    'y', x'${PNG}', ${q(JSON.stringify({ name: PIC_NAME }))}, ${now});
    INSERT INTO messages(session_id, kind, text, answer_id, confidence, meta, created_ms) VALUES (${sid}, 1, ${q(BOT_TEXT)}, ${aid}, 0.3,
    ${q(JSON.stringify({ title: TITLE, fallback: true, quick_replies: [{ answer_id: aid, title: QUICK }] }))}, ${now + 1});
    INSERT INTO ratings(session_id, stars, comment, created_ms) VALUES (${sid}, 2, ${q(COMMENT)}, ${now + 2});
    UPDATE sessions SET last_ms = ${now + 2} WHERE id = ${sid};`);

  // the operator
  const op = await t.page(bc);
  await op.goto(kefud.url('/console/'));
  await signIn(op, 'ann', 'correct horse battery');
  const list = op.getByRole('list', { name: 'Conversations' });
  await list.getByRole('link').first().waitFor();
  await list.getByRole('link').first().click();
  const log = op.getByRole('log', { name: 'Transcript' });
  await log.getByText(TYPED, { exact: true }).waitFor();
  await op.getByRole('textbox', { name: 'Private note' }).fill(NOTE);
  await op.getByRole('button', { name: 'Add note' }).click();
  await op.getByText(NOTE, { exact: true }).waitFor();

  for (const s of [HEARD, TITLE, COMMENT, PIC_NAME, CLIP_NAME.replace(/\.wav$/, '')])
    check(await log.getByText(s).count() >= 1, 'not shown as text: ' + s);
  check(await log.getByText('quick').count() >= 1 && (await log.innerText()).includes(QUICK), 'quick reply not shown as text');
  check((await log.innerText()).includes(BOT_TEXT), 'bot text (md.js keeps an unsafe link as its source text): ' + await log.innerText());
  const bad = await op.evaluate(() => {
    const root = document.querySelector('#app');
    return {
      pwned: window.__pwned || 0,
      elements: [...root.querySelectorAll('script, iframe, svg, marquee, details, u, b, img:not([src^="/api/v1/attachments/"])')]
        .map((e) => e.outerHTML.slice(0, 80)),
      js: [...root.querySelectorAll('a')].filter((a) => !/^(https?:|\/|#)/.test(a.getAttribute('href') || '')).length,
      handlers: [...root.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
    };
  });
  check(bad.pwned === 0 && bad.elements.length === 0 && bad.js === 0 && bad.handlers === 0, 'not inert: ' + JSON.stringify(bad));
  await t.shot(op, 'transcript');
  const listText = await list.innerText();
  check(listText.includes('See [this](javascript:'), 'list preview of the last message: ' + listText);
  // the picture came through the authenticated attachment route
  const thumb = log.locator('img[src^="/api/v1/attachments/"]');
  check(await thumb.count() === 1 && await thumb.evaluate((i) => i.complete && i.naturalWidth === 2), 'thumbnail not loaded');
  await op.setViewportSize({ width: 800, height: 800 });
  await t.shot(op, 'transcript-800');
}, { allowConsole: EXPECTED_HTTP_ERRORS, timeout: 150000 });
