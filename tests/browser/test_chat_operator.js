/* tests/browser/test_chat_operator.js — the plain chat page (/chat.html) with a person in
 * the conversation, as the widget has it (both through lib/operator.js): a customer asks
 * the bot on the chat page; an operator in the console takes the conversation over (the
 * page says "Ann joined the chat."), types (the page shows the typing indicator), replies
 * (the page shows it), and hands it back (the page says Ann left and the assistant answers
 * again, and the bot answers the next question).  A reload while taken over says it again
 * (kefud sends operator_joined after the history).  Screenshots of each state.
 */
const { run } = require('./lib');
const { addOperator, signIn, EXPECTED_HTTP_ERRORS } = require('./console_lib');

run('chat-operator', async (t) => {
  const { check, kefud } = t;
  addOperator(kefud, 'ann', 'agent', 'Ann', 'correct horse battery');
  const bc = await t.browser([], { viewport: { width: 1280, height: 800 } });
  const page = await t.page(bc);
  await page.goto(kefud.url('/chat.html'));
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Online');
  const box = page.getByRole('textbox', { name: 'Message' });
  const bots = page.locator('.msg.bot');
  const notes = page.locator('.msg.note');
  await bots.first().waitFor();
  await box.fill('I lost my card');
  await box.press('Enter');
  await bots.nth(1).waitFor();

  const op = await t.page(await bc.browser().newContext({ viewport: { width: 1280, height: 800 } }));
  await op.goto(kefud.url('/console/'));
  await signIn(op, 'ann', 'correct horse battery');
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
  await op.getByRole('log', { name: 'Transcript' }).getByText('I lost my card').waitFor();
  await op.getByRole('button', { name: 'Take over' }).click();
  await notes.filter({ hasText: 'Ann joined the chat.' }).waitFor();
  await t.shot(page, 'joined');

  const reply = op.getByRole('textbox', { name: 'Reply' });
  await reply.pressSequentially('Hello');
  await page.locator('.typing').waitFor();
  await reply.fill('Hello, this is Ann. Your card is frozen.');
  await op.getByRole('button', { name: 'Send reply' }).click();
  await bots.filter({ hasText: 'Your card is frozen' }).waitFor();

  // a reload while taken over says who has the chat again
  await page.reload();
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Online');
  await notes.filter({ hasText: 'Ann joined the chat.' }).waitFor();

  await op.getByRole('button', { name: 'Hand back to bot' }).click();
  await notes.filter({ hasText: 'Ann left the chat; the assistant answers again.' }).waitFor();
  await t.shot(page, 'left');
  const n = await bots.count();
  await box.fill('What exchange rate do you use?');
  await box.press('Enter');
  await bots.nth(n).waitFor();
  check(/rate/i.test(await bots.nth(n).innerText()), 'the bot did not answer again: ' +
    await bots.nth(n).innerText());
}, { allowConsole: EXPECTED_HTTP_ERRORS, timeout: 120000, kefudArgs: ['--operator-capacity', '0'] });
