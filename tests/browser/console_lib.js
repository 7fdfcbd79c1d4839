/* tests/browser/console_lib.js — helpers of the operator console's browser tests: adding
 * operators with the real `kefu operator add` (password on stdin, as a person would),
 * signing in through the console's own form, and calling /api/v1 from inside a page with
 * that page's session cookie (the way a script injected into the console would).
 */
'use strict';
const cp = require('child_process');
const { check } = require('./lib');

const KEFU = process.env.KEFU || '';

/* kefu operator add LOGIN --role ROLE --name NAME on the test's database. */
function addOperator(kefud, login, role, name, password) {
  check(KEFU, 'KEFU (the kefu command) is not set');
  cp.execFileSync(KEFU, ['operator', 'add', login, '--role', role, '--name', name, '--db', kefud.db],
    { input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
}

/* The console's sign-in form: fills it and presses "Sign in". */
async function signIn(page, login, password) {
  await page.getByRole('textbox', { name: 'Username' }).fill(login);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/* fetch(/api/v1/path) from the page: {status, body}.  csrf: send the session's token
 * (read from /api/v1/me first), as the console does. */
function pageApi(page, method, path, body, csrf) {
  return page.evaluate(async ([m, p, b, withCsrf]) => {
    const headers = {};
    if (withCsrf) headers['X-CSRF-Token'] = (await (await fetch('/api/v1/me')).json()).csrf_token;
    if (b !== null) headers['Content-Type'] = 'application/json';
    const r = await fetch('/api/v1/' + p, { method: m, headers, body: b === null ? undefined : JSON.stringify(b) });
    let j = null;
    try { j = await r.json(); } catch (e) { /* not JSON */ }
    return { status: r.status, body: j };
  }, [method, path, body === undefined ? null : body, !!csrf]);
}

/* Failed fetches (401 before sign-in, 403 for an agent, 429 while locked) are logged by
 * Chromium as console errors; these tests expect them. */
const EXPECTED_HTTP_ERRORS = [/Failed to load resource: the server responded with a status of (401|403|429)/];

module.exports = { addOperator, signIn, pageApi, EXPECTED_HTTP_ERRORS };
