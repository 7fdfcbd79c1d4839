/* tests/browser/test_restart.js — kefud is killed (-9) in the middle of a conversation
 * and restarted on the same port and database: the widget shows it is offline, keeps
 * what the customer types meanwhile in its outbox, reconnects with back-off, resumes
 * the session and sends the waiting messages with their client ids.  Every message is
 * answered once and logged once (the store is checked), none lost, none doubled, even
 * the one sent to a frozen kefud just before it was killed. */
const { run } = require('./lib');

run('restart', async (t) => {
  const { check, kefud } = t;
  const page = await t.page(await t.browser());
  await page.goto(kefud.url('/'));
  const w = t.widget(page);
  await w.open();
  await w.bots.first().waitFor();
  await w.ask('I lost my card', 2);

  // in flight when kefud dies: kefud is frozen (SIGSTOP) so the message is sent but not
  // answered, then killed; it must be answered after the restart, and logged once
  kefud.proc.kill('SIGSTOP');
  await w.textbox.fill('What exchange rate do you use?');
  await w.textbox.press('Enter');
  await page.locator('kefu-chat .typing').waitFor();
  await t.sleep(300);
  check(await page.locator('kefu-chat .m.me.pending').count() === 1, 'the in-flight message is not pending');
  await kefud.kill9();
  await page.waitForFunction(() => {
    const h = document.querySelector('kefu-chat');
    return /Offline/.test(h.shadowRoot.querySelector('[role=status]').textContent);
  });
  const offline = ['How do I activate my card?', 'I forgot my passcode', 'Why was I charged a fee?'];
  for (const q of offline.slice(0, 2)) {
    await w.textbox.fill(q);
    await w.textbox.press('Enter');
  }
  check(await page.locator('kefu-chat .m.me.pending').count() >= 2, 'offline messages not shown as pending');
  await t.shot(page, 'offline-pending');
  await w.textbox.fill(offline[2]);
  await w.textbox.press('Enter');
  // the outbox is in localStorage too (a reload while offline keeps it)
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => /outbox$/.test(k))
    .map((k) => JSON.parse(localStorage.getItem(k))).flat().map((m) => m.text));
  check(offline.every((q) => stored.includes(q)), 'outbox in localStorage: ' + JSON.stringify(stored));

  await kefud.start(kefud.port);
  const all = ['I lost my card', 'What exchange rate do you use?'].concat(offline);
  await page.waitForFunction((n) => {
    const r = document.querySelector('kefu-chat').shadowRoot;
    return r.querySelectorAll('.m.me').length === n && !r.querySelector('.m.me.pending') &&
      r.querySelectorAll('.m.bot').length >= n + 1;
  }, all.length, { timeout: 30000 });
  await t.shot(page, 'back-online');
  const mine = await w.mine.allInnerTexts();
  check(JSON.stringify(mine) === JSON.stringify(all), 'customer messages on screen: ' + JSON.stringify(mine));

  await kefud.stop();
  const rows = kefud.sql('SELECT text, count(*) AS n FROM messages WHERE kind = 0 GROUP BY text');
  check(rows.length === all.length && rows.every((r) => r.n === 1 && all.includes(r.text)),
    'logged customer messages: ' + JSON.stringify(rows));
  const bots = kefud.sql('SELECT count(*) AS n FROM messages WHERE kind = 1')[0].n;
  check(bots === all.length, 'logged replies: ' + bots);
}, { allowConsole: [/^WebSocket connection to .* failed/] });  /* the browser logs each refused retry */
