/* tests/browser/test_console_handoff.js — the whole hand-off, two browser contexts against
 * one real kefud (run with --operator-capacity 0, so the hand-off waits to be taken): a
 * customer in the widget on the demo site, an operator in the console.  The operator
 * signs in; the customer gets a bot answer and asks for a person (kefud counts the
 * operator online); the console's list shows the conversation waiting without a reload
 * (filter count, waiting time, the title badge); the summary card names the answer the
 * bot gave; the operator takes it over (the customer's widget says the operator joined),
 * each sees the other typing, the operator replies (the customer sees it), inserts a
 * canned reply with one key and sends it; the customer answers and the operator sees it
 * live; the operator hands back and the bot answers the customer's next question again;
 * Resolve ends it.  Every state-changing request the console made carried the session's
 * CSRF token.  Screenshots of each state at 1280 px, and at 800 px (no horizontal scroll).
 */
const { run } = require('./lib');
const { addOperator, signIn, EXPECTED_HTTP_ERRORS } = require('./console_lib');

run('console-handoff', async (t) => {
  const { check, kefud } = t;
  addOperator(kefud, 'ann', 'agent', 'Ann', 'correct horse battery');
  const size = { viewport: { width: 1280, height: 800 } };
  const customerCtx = await t.browser([], size);
  const operatorCtx = await customerCtx.browser().newContext(size);

  // the operator signs in first: what follows reaches the console live (/ops)
  const op = await t.page(operatorCtx);
  const changes = [];          /* every state-changing API request of the console */
  op.on('request', (r) => {
    if (r.method() !== 'GET' && /\/api\/v1\//.test(r.url()))
      changes.push([r.method() + ' ' + new URL(r.url()).pathname, r.headers()['x-csrf-token'] || '']);
  });
  await op.goto(kefud.url('/console/'));
  await signIn(op, 'ann', 'correct horse battery');
  await op.getByText('Live', { exact: true }).waitFor();
  check(await op.title() === 'kefu console', 'title before any hand-off: ' + await op.title());

  // the customer asks the bot, then for a person
  const cust = await t.page(customerCtx);
  await cust.goto(kefud.url('/'));
  const w = t.widget(cust);
  await w.open();
  await w.bots.first().waitFor();
  await w.ask('I lost my card', 2);
  await cust.getByRole('button', { name: 'Talk to a person' }).click();
  const ho = await w.waitEvent('handoff');
  check(ho.operators_online === 1, 'operators online: ' + JSON.stringify(ho));

  // the operator sees it waiting, without reloading
  const list = op.getByRole('list', { name: 'Conversations' });
  await list.getByText(/waiting \d+ s/).waitFor();
  check(/^\(1\) /.test(await op.title()), 'title badge: ' + await op.title());
  const waitingChip = op.getByRole('button', { name: /Waiting for a person/ });
  check(/1/.test(await waitingChip.innerText()), 'waiting count: ' + await waitingChip.innerText());
  await t.shot(op, 'waiting');

  // take over: the customer hears of it
  await list.getByRole('link').first().click();
  const log = op.getByRole('log', { name: 'Transcript' });
  await log.getByText('I lost my card').waitFor();
  const summary = op.getByRole('region', { name: 'Summary' });
  await summary.waitFor();
  check(/Lost or stolen card/.test(await summary.innerText()), 'summary: ' + await summary.innerText());
  await op.getByRole('button', { name: 'Take over' }).click();
  const reply = op.getByRole('textbox', { name: 'Reply' });
  await reply.waitFor();
  check(await op.getByRole('button', { name: 'Hand back to bot' }).count() === 1, 'no hand back');
  await cust.getByText(/Ann joined/).waitFor();
  await t.shot(cust, 'customer-joined');

  // typing both ways, then messages both ways
  await reply.pressSequentially('Hello, this is Ann.');
  await cust.locator('kefu-chat .typing').waitFor();
  await w.textbox.pressSequentially('Thank');
  await op.getByText('The customer is typing…').waitFor();
  await w.textbox.fill('');
  await reply.fill('Hello, this is Ann. I have frozen your card.');
  await op.getByRole('button', { name: 'Send reply' }).click();
  await w.bots.filter({ hasText: 'I have frozen your card' }).waitFor();
  await w.textbox.fill('Thank you! It was the card ending 1234');
  await w.textbox.press('Enter');
  await log.getByText('It was the card ending 1234').waitFor();

  // a canned reply with one key
  await op.keyboard.press('Escape');
  await op.keyboard.press('c');
  await op.getByRole('searchbox', { name: 'Search answers' }).fill('card');
  await op.getByRole('listbox', { name: 'Canned replies' }).getByRole('option').first().waitFor();
  await op.keyboard.press('Alt+1');
  const inserted = await reply.inputValue();
  check(inserted.length > 20, 'canned reply not inserted: ' + inserted);
  await t.shot(op, 'taken-over');
  await reply.press('Enter');
  await w.bots.filter({ hasText: inserted.split('\n')[0].replace(/[*_`]/g, '').slice(0, 20) }).first().waitFor();
  await op.setViewportSize({ width: 800, height: 800 });
  await t.shot(op, 'taken-over-800');
  const wide = await op.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 800, 'horizontal scroll at 800 px: ' + wide);
  await op.setViewportSize({ width: 1280, height: 800 });

  // hand back: the bot answers again
  await op.getByRole('button', { name: 'Hand back to bot' }).click();
  await op.getByRole('button', { name: 'Take over' }).waitFor();
  const before = (await w.events('reply')).length;
  await w.textbox.fill('What exchange rate do you use?');
  await w.textbox.press('Enter');
  const r = await w.waitEvent('reply', (d) => d.title === 'Exchange rates');
  check(!r.fallback && (await w.events('reply')).length > before, 'bot did not answer again');
  await t.shot(cust, 'customer-bot-again');

  // resolve
  await op.getByRole('button', { name: 'Resolve', exact: true }).click();
  await op.getByText('This conversation is resolved.').waitFor();
  await t.shot(op, 'resolved');
  const paths = changes.map((c) => c[0]).join(', ');
  for (const p of ['take', 'messages', 'handback', 'resolve'])
    check(paths.includes('/' + p), 'no ' + p + ' request: ' + paths);
  const csrf = changes.filter((c) => !/\/login$/.test(c[0]));
  check(csrf.every((c) => /^[0-9a-f]{64}$/.test(c[1]) && c[1] === csrf[0][1]), 'CSRF header: ' + JSON.stringify(csrf));
  const rows = kefud.sql("SELECT kind, text FROM messages WHERE kind = 2 ORDER BY id");
  check(rows.length === 2 && /frozen your card/.test(rows[0].text), 'operator messages: ' + JSON.stringify(rows));
}, { allowConsole: EXPECTED_HTTP_ERRORS, timeout: 180000,
  /* hand-offs wait to be taken (kefud would otherwise give this one to Ann itself) */
  kefudArgs: ['--operator-capacity', '0'] });
