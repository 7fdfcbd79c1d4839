/* tests/browser/test_keyboard.js — the whole flow by keyboard alone: Tab reaches the
 * launcher ("Open chat"), Enter opens the chat with the focus in the "Message" box,
 * Enter sends, Shift+Tab reaches the quick replies of a fallback and Enter picks one,
 * Tab reaches the thumbs and Space votes, the rating's stars move with the arrow keys,
 * Escape closes the chat and gives the focus back to the launcher.  The accessibility
 * contract (button "Open chat", textbox "Message", button "Send", role=log) is checked
 * by role and name.  Runs on the daemon smoke test's small store (it falls back). */
const { run } = require('./lib');

run('keyboard', async (t) => {
  const { check } = t;
  const page = await t.page(await t.browser());
  await page.goto(t.kefud.url('/'));
  const w = t.widget(page);
  const kb = page.keyboard;
  const focused = () => page.evaluate(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el ? (el.getAttribute('aria-label') || el.textContent || el.tagName).trim() : '';
  });
  let n = 0;
  while ((await focused()) !== 'Open chat' && n++ < 60) await kb.press('Tab');
  check(n < 60, 'Tab never reached the launcher');
  await t.shot(page, 'launcher-focused');
  await kb.press('Enter');
  await w.bots.first().waitFor();
  check(await focused() === 'Message', 'focus after opening: ' + await focused());
  check(await w.log.count() === 1 && await w.send.count() === 1, 'role=log / Send missing');

  await kb.type('I lost my card');
  await kb.press('Enter');
  await w.bots.nth(1).waitFor();
  check(/right away/.test(await w.bots.nth(1).innerText()), 'wrong answer');

  await kb.type('password open card');
  await kb.press('Enter');
  const fb = await w.waitEvent('reply', (d) => d.fallback);
  check(fb.quick_replies.length >= 2, 'no quick replies in the fallback');
  await kb.press('Shift+Tab');             // the attach button
  await kb.press('Shift+Tab');             // the last quick reply
  const pick = await focused();
  check(fb.quick_replies.some((q) => q.title === pick), 'Shift+Tab did not reach a quick reply: ' + pick);
  await t.shot(page, 'quick-reply-focused');
  await kb.press('Enter');
  await w.waitEvent('reply', (d) => d.title === pick);
  check((await w.mine.last().innerText()) === pick, 'the quick reply was not sent');

  // thumbs on the latest answer: from the message box, Shift+Tab x2 lands on "Not helpful"
  await w.textbox.focus();
  await kb.press('Shift+Tab');
  await kb.press('Shift+Tab');
  check(await focused() === 'Not helpful', 'thumbs not reachable: ' + await focused());
  await kb.press('Shift+Tab');
  await kb.press('Space');
  await w.waitEvent('feedback', (d) => d.value === 1);

  // rating with the arrow keys
  let k = 0;
  while ((await focused()) !== 'Rate this chat' && k++ < 30) await kb.press('Shift+Tab');
  await kb.press('Enter');
  check(/1 of 5/.test(await focused()), 'focus not on the stars: ' + await focused());
  await kb.press('ArrowRight');
  await kb.press('ArrowRight');
  await kb.press('ArrowRight');
  check(/4 of 5/.test(await focused()), 'arrows did not move the stars: ' + await focused());
  await kb.press('Tab');
  await kb.type('fine');
  await kb.press('Tab');
  await kb.press('Enter');
  await w.waitEvent('rated');
  await t.shot(page, 'rated');

  await kb.press('Escape');
  check(await page.getByRole('dialog').count() === 0, 'Escape did not close the chat');
  check(await focused() === 'Open chat', 'focus after Escape: ' + await focused());
  await kb.press('Enter');
  check(await focused() === 'Message', 'reopening by keyboard');
  await t.kefud.stop();
  const r = t.kefud.sql('SELECT stars, comment FROM ratings');
  check(r.length === 1 && r[0].stars === 4 && r[0].comment === 'fine', 'rating ' + JSON.stringify(r));
  check(t.kefud.sql('SELECT value FROM feedback')[0].value === 1, 'feedback not stored');
}, { fixture: true });
