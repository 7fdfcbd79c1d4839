/* tests/browser/test_chat.js — the widget on the demo site: one script tag gives a
 * launcher named "Open chat"; a typed question gets the right answer (Markdown drawn as
 * markup, typing indicator gone), and so does the next; an error clears the typing
 * indicator with a note; thumbs up, a star rating and "talk to a person" land in the
 * store. */
const { run } = require('./lib');

run('chat', async (t) => {
  const { check } = t;
  const page = await t.page(await t.browser());
  await page.goto(t.kefud.url('/'));
  const w = t.widget(page);
  check(await page.locator('script[src$="widget/widget.js"]').count() === 1, 'one script tag');
  await t.shot(page, 'closed');
  await w.open();
  await w.bots.first().waitFor();
  await t.shot(page, 'open-welcome');

  const text = await w.ask('I lost my card', 2);
  const r = await w.waitEvent('reply');
  check(r.title === 'Lost or stolen card' && !r.fallback, 'wrong answer: ' + JSON.stringify(r));
  check(/Freeze/.test(text), 'reply text not shown: ' + text);
  check(await w.bots.nth(1).locator('strong').count() > 0, 'Markdown bold not rendered');
  check(await page.locator('kefu-chat .typing').count() === 0, 'typing indicator still shown');
  check(await w.mine.first().innerText() === 'I lost my card', 'customer bubble');
  await t.shot(page, 'answered');

  // a second question on the same page
  await w.ask('What exchange rate do you use?', 3);
  const r2 = await w.waitEvent('reply', (d) => d.title !== r.title);
  check(r2.title === 'Exchange rates', 'second answer: ' + JSON.stringify(r2));

  // an error (text longer than max_text) clears the typing indicator, shows a note and
  // leaves nothing pending
  await page.evaluate(() => window.KefuWidget.send('why '.repeat(600)));
  const err = await w.waitEvent('error');
  check(err.code === 'text_too_long', 'error: ' + JSON.stringify(err));
  check(await page.locator('kefu-chat .typing').count() === 0, 'typing indicator stays after an error');
  check(await page.locator('kefu-chat .m.me.pending').count() === 0, 'the refused message stays pending');
  check(/max_text/.test(await page.locator('kefu-chat .note').last().innerText()), 'no note for the error');

  // thumbs up on the first answer
  await page.getByRole('button', { name: 'Helpful' }).first().click();
  // rating
  await page.getByRole('button', { name: 'Rate this chat' }).click();
  await page.getByRole('radio', { name: '4 of 5 stars' }).click();
  await page.getByRole('textbox', { name: 'Comment (optional)' }).fill('quick and helpful');
  await t.shot(page, 'rating');
  await page.getByRole('button', { name: 'Send rating' }).click();
  await w.waitEvent('rated');
  // talk to a person
  await page.getByRole('button', { name: 'Talk to a person' }).click();
  const h = await w.waitEvent('handoff');
  check(h.state === 'waiting' && /No operator/.test(h.text), 'handoff: ' + JSON.stringify(h));
  check(/No operator/.test(await page.locator('kefu-chat .note').last().innerText()), 'hand-off note');
  await t.shot(page, 'handoff');

  const token = (await w.events('ready'))[0][1].session;
  await t.kefud.stop();
  const fbRows = t.kefud.sql("SELECT f.value, c.text FROM feedback f JOIN messages b ON b.id = f.message_id JOIN messages c ON c.id = b.reply_to");
  check(fbRows.length === 1 && fbRows[0].value === 1 && fbRows[0].text === 'I lost my card', 'feedback rows ' + JSON.stringify(fbRows));
  const rt = t.kefud.sql('SELECT stars, comment FROM ratings');
  check(rt.length === 1 && rt[0].stars === 4 && rt[0].comment === 'quick and helpful', 'ratings ' + JSON.stringify(rt));
  const ho = t.kefud.sql("SELECT s.token, s.state FROM handoffs h JOIN sessions s ON s.id = h.session_id");
  check(ho.length === 1 && ho[0].token === token && ho[0].state === 'waiting', 'handoffs ' + JSON.stringify(ho));
});
