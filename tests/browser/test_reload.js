/* tests/browser/test_reload.js — reloading the page keeps the conversation: the session
 * token stays in localStorage, the widget reopens, sends hello and redraws the history
 * (same messages, same order) without a second welcome or any new logged message. */
const { run } = require('./lib');

run('reload', async (t) => {
  const { check } = t;
  const page = await t.page(await t.browser());
  await page.goto(t.kefud.url('/'));
  const w = t.widget(page);
  await w.open();
  await w.bots.first().waitFor();
  await w.ask('I lost my card', 2);
  await w.ask('How do I activate my card?', 3);
  const before = await w.log.innerText();
  const token = (await w.events('ready'))[0][1].session;
  await t.shot(page, 'before-reload');

  await page.reload();
  await w.waitEvent('ready');
  await w.bots.nth(2).waitFor();
  const after = await w.log.innerText();
  check(after === before, 'history differs after reload:\n' + before + '\n----\n' + after);
  check((await w.events('ready'))[0][1].session === token, 'the session token changed');
  check(await w.textbox.isVisible(), 'the widget did not reopen');
  await t.shot(page, 'after-reload');

  await t.kefud.stop();
  const n = t.kefud.sql('SELECT count(*) AS n FROM messages')[0].n;
  const s = t.kefud.sql('SELECT count(*) AS n FROM sessions')[0].n;
  check(n === 4, 'messages logged: ' + n + ' (want 2 questions + 2 replies)');
  // the reload's welcome session is dropped once it resumes the first one (left empty)
  check(s === 1, 'sessions: ' + s + ' (want 1: the reload resumed the first, its own empty one dropped)');
});
