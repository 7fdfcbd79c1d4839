/* tests/browser/test_console_auth.js — the operator console's doors, in Chromium against
 * a real kefud: a wrong password and an unknown login get the same message; repeated
 * failures are throttled and then lock the account (the lock holds against the right
 * password); an admin signs in, sees every page (Answers, Review, Training and Reports are
 * built: none is a placeholder; the page switches to Chinese and back; "?" lists the keyboard shortcuts and "g o" opens Operators), adds and disables an operator and reads it in the audit log, and
 * signs out (the session is gone on the server); an agent sees no admin links, gets
 * "Only admins" on an admin page's address, and the API refuses the agent's admin calls
 * (403 forbidden) and any state change without the CSRF token (403 csrf_failed); when
 * the agent's session ends behind the console's back, /ops says so and the console
 * shows the sign-in page.
 * Screenshots at 1280 and 800 px.
 */
const { run } = require('./lib');
const { addOperator, signIn, pageApi, EXPECTED_HTTP_ERRORS } = require('./console_lib');

const NAV = ['Conversations', 'Answers', 'Review', 'Training', 'Reports'];
const ADMIN_NAV = ['Operators', 'Settings', 'Webhooks'];

run('console-auth', async (t) => {
  const { check, kefud } = t;
  addOperator(kefud, 'ann', 'admin', 'Ann Admin', 'correct horse battery');
  addOperator(kefud, 'bob', 'agent', 'Bob Agent', 'another long passphrase');
  addOperator(kefud, 'carl', 'agent', 'Carl', 'carl has a long password');
  const bc = await t.browser([], { viewport: { width: 1280, height: 800 } });
  const page = await t.page(bc);
  await page.goto(kefud.url('/console/'));
  const alert = page.locator('.signin [role=alert]');
  /* one sign-in attempt through the form -> the message it shows */
  async function attempt(login, password) {
    await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/login')),
      signIn(page, login, password)]);
    await alert.filter({ hasText: /\S/ }).waitFor();
    return alert.innerText();
  }
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await t.shot(page, 'signin');

  // one message for a wrong password and for an unknown login
  const wrong = await attempt('ann', 'not the password at all');
  check(wrong === 'Wrong username or password.', 'wrong password: ' + wrong);
  await t.shot(page, 'signin-wrong');
  const unknown = await attempt('nobody', 'not the password at all');
  check(unknown === wrong, 'unknown login told apart: ' + unknown);

  // carl: throttled after 2 failures, locked after 4 (kefud options below)
  const seen = [];
  for (let i = 0; i < 12; i++) {
    const msg = await attempt('carl', 'wrong password number ' + i);
    seen.push(msg);
    if (/locked/.test(msg)) break;
    const m = /Try again in (\d+) s/.exec(msg);
    if (m) await t.sleep(+m[1] * 1000 + 200);
  }
  check(seen.some((s) => /^Too many failed sign-ins\. Try again in \d+ s\.$/.test(s)), 'no throttle message: ' + seen.join(' | '));
  const locked = seen[seen.length - 1];
  check(/^This account is locked after too many failed sign-ins\. Try again in 15 min\.$/.test(locked), 'no lock: ' + seen.join(' | '));
  await t.shot(page, 'signin-locked');
  check(/locked/.test(await attempt('carl', 'carl has a long password')), 'the right password opened a locked account');

  // the admin
  await signIn(page, 'ann', 'correct horse battery');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  for (const name of NAV.concat(ADMIN_NAV))
    check(await nav.getByRole('link', { name, exact: true }).count() === 1, 'admin nav lacks ' + name);
  await t.shot(page, 'admin-inbox');
  await nav.getByRole('link', { name: 'Answers', exact: true }).click();
  await page.getByRole('searchbox', { name: 'Search answers' }).waitFor();
  for (const name of ['Review', 'Training', 'Reports']) {
    await nav.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name, exact: true }).waitFor();
    check(await page.locator('.placeholder').count() === 0, name + ' is still a placeholder');
  }

  // keyboard: "?" lists the shortcuts, Esc closes the list, "g o" opens Operators
  await page.locator('body').focus();
  await page.keyboard.press('?');
  const keysDialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await keysDialog.waitFor();
  check(/Take over/.test(await keysDialog.innerText()), 'shortcut list lacks Take over');
  await t.shot(page, 'shortcuts');
  await page.keyboard.press('Escape');
  await keysDialog.waitFor({ state: 'detached' });
  await page.keyboard.press('g');
  await page.keyboard.press('o');
  await page.getByRole('cell', { name: 'carl', exact: true }).waitFor();
  await page.getByRole('textbox', { name: 'Login' }).fill('dave');
  await page.getByRole('textbox', { name: 'Display name' }).fill('Dave <b>New</b>');
  await page.getByLabel('Password (12 characters or more)').fill('dave is twelve plus');
  await page.getByRole('button', { name: 'Add operator' }).click();
  await page.getByRole('cell', { name: 'dave', exact: true }).waitFor();
  check(await page.getByRole('cell', { name: 'Dave <b>New</b>', exact: true }).count() === 1, 'name not shown as typed');
  await page.getByRole('button', { name: 'Disable dave' }).click();
  await page.getByRole('status').filter({ hasText: 'Disabled dave' }).waitFor();
  const dave = kefud.sql("SELECT role, disabled FROM operators WHERE login = 'dave'");
  check(dave.length === 1 && dave[0].role === 'agent' && dave[0].disabled === 1, 'dave: ' + JSON.stringify(dave));
  await t.shot(page, 'operators');
  await page.setViewportSize({ width: 800, height: 800 });
  await t.shot(page, 'operators-800');
  await page.setViewportSize({ width: 1280, height: 800 });

  await nav.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('cell', { name: 'operator.disable' }).first().waitFor();
  check(await page.getByRole('cell', { name: 'operator.add' }).count() >= 1, 'audit log lacks operator.add');
  await t.shot(page, 'settings');

  // Chinese: every word of the page comes from i18n/zh.json
  await page.getByRole('combobox', { name: 'Language', exact: true }).selectOption('zh');
  const navZh = page.getByRole('navigation', { name: '主导航' });
  await navZh.getByRole('link', { name: '对话', exact: true }).click();
  await page.getByRole('button', { name: '退出登录' }).waitFor();
  await page.getByRole('list', { name: '对话' }).waitFor({ state: 'attached' });
  check(await navZh.getByRole('link').count() === 8, 'zh nav');
  check(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'html lang');
  await t.shot(page, 'zh');
  await page.getByRole('combobox', { name: '语言', exact: true }).selectOption('en');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // sign out ends the session on the server
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  check((await pageApi(page, 'GET', 'me')).status === 401, 'session alive after sign-out');

  // the agent
  await signIn(page, 'bob', 'another long passphrase');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  for (const name of NAV)
    check(await nav.getByRole('link', { name, exact: true }).count() === 1, 'agent nav lacks ' + name);
  for (const name of ADMIN_NAV)
    check(await nav.getByRole('link', { name }).count() === 0, 'agent sees the link ' + name);
  for (const hash of ['#/operators', '#/settings']) {
    await page.goto(kefud.url('/console/' + hash));
    await page.getByText('Only admins can open this page.').waitFor();
  }
  await t.shot(page, 'agent-forbidden');
  for (const [m, p, b] of [['GET', 'operators'], ['GET', 'audit'],
    ['POST', 'operators', { login: 'eve', password: 'eve wants admin now', role: 'admin' }],
    ['POST', 'operators/1/disable']]) {
    const r = await pageApi(page, m, p, b, true);
    check(r.status === 403 && r.body.code === 'forbidden', 'agent ' + m + ' ' + p + ': ' + JSON.stringify(r));
  }
  const noCsrf = await pageApi(page, 'POST', 'logout', undefined, false);
  check(noCsrf.status === 403 && noCsrf.body.code === 'csrf_failed', 'logout without CSRF: ' + JSON.stringify(noCsrf));
  // the session ends behind the console's back (signed out by another request): /ops
  // says session_expired within its 10 s re-check and the console shows the sign-in page
  const out = await pageApi(page, 'POST', 'logout', undefined, true);
  check(out.status === 200, 'logout behind the console: ' + JSON.stringify(out));
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 25000 });
  check(kefud.sql("SELECT count(*) AS n FROM operators WHERE login = 'eve'")[0].n === 0, 'eve was added');
}, { kefudArgs: ['--login-delay-after', '2', '--login-lock-after', '4'], allowConsole: EXPECTED_HTTP_ERRORS, timeout: 150000 });
