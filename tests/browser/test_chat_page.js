/* tests/browser/test_chat_page.js - the plain chat page (/chat.html, web/chat.js on the
 * shared lib/) in Chromium, on the small fixture store: the greeting, Enter sends and
 * clears the box, a Markdown answer is drawn as markup and its message is no longer
 * pending, markup typed by the customer stays text, a vague question falls back with
 * quick-reply buttons and clicking one sends its title and gets that answer, a reload
 * resumes the same session (same token) and redraws the history, the accessible names
 * exist, and the console stays empty (lib.js fails the test on any page error, console
 * error or CSP violation: kefud's own CSP applies here). */
const { run } = require('./lib');

run('chat-page', async (t) => {
  const { check } = t;
  const page = await t.page(await t.browser());
  await page.goto(t.kefud.url('/chat.html'));
  const status = page.getByRole('status');
  const box = page.getByRole('textbox', { name: 'Message' });
  const bots = page.locator('.msg.bot');
  const mine = page.locator('.msg.me');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Online');
  await bots.first().waitFor();
  check(/help/i.test(await bots.first().innerText()), 'no greeting: ' + await bots.first().innerText());

  // Enter sends; the answer's Markdown becomes markup; the box is cleared
  await box.fill('I lost my card');
  await box.press('Enter');
  await bots.nth(1).waitFor();
  check(await bots.nth(1).locator('strong', { hasText: 'right away' }).count() === 1,
    'Markdown not rendered: ' + await bots.nth(1).innerHTML());
  check(await box.inputValue() === '', 'input not cleared');
  check(await page.locator('.msg.me.pending').count() === 0, 'answered message still pending');
  await t.shot(page, 'answered');

  // markup typed by the customer stays text
  await box.fill('<b>bold</b> why?');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await bots.nth(2).waitFor();
  check(await page.locator('.msg.me b').count() === 0, 'customer text was rendered as HTML');
  check(await mine.last().innerText() === '<b>bold</b> why?', 'customer text changed');

  // a vague question falls back with quick replies; clicking one answers it
  await box.fill('password open card');
  await box.press('Enter');
  await bots.nth(3).waitFor();
  const quick = page.getByRole('group', { name: 'Suggested answers' }).getByRole('button');
  check(await quick.count() > 0, 'the fallback shows no quick-reply buttons');
  const title = await quick.first().innerText();
  await t.shot(page, 'fallback');
  await quick.first().click();
  await bots.nth(4).waitFor();
  check(await mine.last().innerText() === title, 'the quick reply did not send its title');
  check(await page.locator('.quick').count() === 0, 'old quick replies stay after a choice');

  // reload: the stored token resumes the session; the history is drawn again
  const token = await page.evaluate(() => localStorage.getItem('kefu.session'));
  const n = await mine.count();
  await page.reload();
  await page.waitForFunction((k) => document.getElementById('status').textContent === 'Online' &&
    document.querySelectorAll('.msg.me').length === k, n);
  check(await page.evaluate(() => localStorage.getItem('kefu.session')) === token, 'token changed');
  check(await mine.first().innerText() === 'I lost my card', 'history starts elsewhere');
  check(await bots.count() === 5, 'history answers: ' + await bots.count());
  check(await bots.nth(1).locator('strong').count() === 1, 'history Markdown not rendered');
  const sessions = t.kefud.sql('SELECT COUNT(DISTINCT session_id) AS n FROM messages');
  check(sessions[0].n === 1, 'the reload made another session: ' + JSON.stringify(sessions));

  // the accessible names
  check(await page.getByRole('log', { name: 'Conversation' }).count() === 1, 'log name');
  check(await status.count() === 1 && await box.count() === 1, 'status and textbox');
  await t.shot(page, 'reloaded');
}, { fixture: true });
