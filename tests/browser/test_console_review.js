/* tests/browser/test_console_review.js — the learning loop in one real kefud (the small
 * five-answer store): a customer in the widget asks about buying bitcoin, which no answer
 * covers, in several words and gets fallbacks; kefud's review thread collects the
 * questions from the log and clusters them; an admin opens Review in the console and
 * sees the cluster with its questions and why each was collected, dismisses an
 * unrelated one, and makes a new answer of the bitcoin group with one click; after the
 * bot reloads (SIGHUP: kefud's reload path; background training is the `models`
 * helper's) the widget answers the question with the new answer.  Also: the action is
 * audit-logged, an agent sees the page but not the admin actions, and an agent's
 * attempt through the API is refused.
 */
const { run, sleep } = require('./lib');
const { addOperator, signIn, pageApi, EXPECTED_HTTP_ERRORS } = require('./console_lib');

const QUESTIONS = ['can I buy bitcoin', 'where can I buy bitcoin', 'can I buy bitcoin here'];
const BODY = 'We do not sell **bitcoin**: buy it on an exchange and pay in with a transfer.';

run('console-review', async (t) => {
  const { check, kefud } = t;
  addOperator(kefud, 'ann', 'admin', 'Ann', 'correct horse battery');
  addOperator(kefud, 'bob', 'agent', 'Bob', 'correct horse battery');
  const size = { viewport: { width: 1280, height: 900 } };
  const customerCtx = await t.browser([], size);
  const operatorCtx = await customerCtx.browser().newContext(size);

  // the customer asks what no answer covers
  const cust = await t.page(customerCtx);
  await cust.goto(kefud.url('/'));
  const w = t.widget(cust);
  await w.open();
  await w.bots.first().waitFor();
  let n = 1;
  for (const q of QUESTIONS.concat(['do you sell gold coins'])) {
    await w.ask(q, ++n);
    const last = (await w.events('reply')).slice(-1)[0][1];
    check(last.fallback, 'not a fallback: ' + q + ': ' + JSON.stringify(last));
  }
  await t.shot(cust, 'customer-unanswered');

  // the agent sees the page, without the admin actions
  const op = await t.page(operatorCtx);
  await op.goto(kefud.url('/console/'));
  await signIn(op, 'bob', 'correct horse battery');
  const nav = op.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Review', exact: true }).click();
  await op.getByRole('heading', { name: 'Review', exact: true }).waitFor();
  const bitcoin = op.getByRole('article').filter({ hasText: 'where can I buy bitcoin' });
  await bitcoin.waitFor({ timeout: 30000 });   /* the review thread and the page's refresh */
  check(await bitcoin.getByRole('button', { name: 'Create answer' }).count() === 0,
    'an agent sees Create answer');
  const clusterId = +(await op.evaluate(async () =>
    (await (await fetch('/api/v1/review')).json()).clusters[0].id));
  const refused = await pageApi(op, 'POST', 'review/clusters/' + clusterId + '/create',
    { title: 'Bitcoin', body: 'x' }, true);
  check(refused.status === 403 && refused.body.code === 'forbidden',
    'agent create: ' + JSON.stringify(refused));
  await op.getByRole('button', { name: 'Sign out' }).click();

  // the admin mines the cluster
  await signIn(op, 'ann', 'correct horse battery');
  await nav.getByRole('link', { name: 'Review', exact: true }).click();
  await bitcoin.waitFor({ timeout: 30000 });
  const members = bitcoin.getByRole('list', { name: 'Questions in this group' });
  for (const q of QUESTIONS)
    await members.getByText(q, { exact: true }).waitFor();
  check(/fallback/.test(await bitcoin.innerText()), 'no reason shown');
  check(!/gold coins/.test(await members.innerText()), 'gold coins clustered with bitcoin');
  await t.shot(op, 'review-list');

  // dismiss the unrelated question's group
  const gold = op.getByRole('article').filter({ hasText: 'do you sell gold coins' });
  await gold.getByRole('button', { name: 'Dismiss' }).click();
  await op.getByRole('status').filter({ hasText: /questions? dismissed/ }).waitFor();
  await gold.waitFor({ state: 'detached' });

  await bitcoin.getByRole('textbox', { name: 'New answer title' }).fill('Buying bitcoin');
  await bitcoin.getByRole('textbox', { name: 'New answer text' }).fill(BODY);
  await bitcoin.getByRole('button', { name: 'Create answer' }).click();
  await op.getByRole('status').filter({ hasText: 'Answer “Buying bitcoin” created' }).waitFor();
  await bitcoin.waitFor({ state: 'detached' });
  await t.shot(op, 'review-mined');
  const ex = kefud.sql("SELECT e.text FROM examples e JOIN answers a ON a.id = e.answer_id " +
    "WHERE a.title = 'Buying bitcoin' ORDER BY e.id");
  check(QUESTIONS.every((q) => ex.some((r) => r.text === q)), 'examples: ' + JSON.stringify(ex));
  const audit = kefud.sql("SELECT action, login FROM audit_log WHERE action LIKE 'review.%'");
  check(audit.some((a) => a.action === 'review.create' && a.login === 'ann') &&
    audit.some((a) => a.action === 'review.dismiss'), 'audit: ' + JSON.stringify(audit));

  // the bot reloads (SIGHUP) and the widget answers with the new answer
  kefud.proc.kill('SIGHUP');
  const end = Date.now() + 30000;
  while (!/reloaded: .*\(reload 1\)/.test(kefud.tail(200))) {
    check(Date.now() < end, 'no reload in the log');
    await sleep(100);
  }
  await w.ask('how do I buy bitcoin', ++n);
  const r = await w.waitEvent('reply', (d) => d.title === 'Buying bitcoin');
  check(!r.fallback, 'still a fallback');
  await w.bots.filter({ hasText: 'buy it on an exchange' }).waitFor();
  await t.shot(cust, 'customer-answered');
}, { fixture: true, allowConsole: EXPECTED_HTTP_ERRORS, timeout: 150000 });
