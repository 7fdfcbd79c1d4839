/* tests/browser/test_console_training.js — the Training page against a real kefud (the
 * five-answer fixture store, answered by BM25 at first): an admin opens Training, sees
 * that no trained model is live, presses "Train a new model" and watches the progress bar
 * reach the end ("Trained v1 ... a candidate"); the report of v1 shows its per-answer
 * table; "Activate v1" makes it live and kefud answers the customer's widget with it
 * (/healthz names it) with no restart.  A second training gives v2, whose report is
 * compared against live v1; activating v2 and then "Roll back to v1" move kefud to v2
 * and back.  A customer keeps chatting in the widget throughout, on one connection.  An
 * agent sees the page without the Train button.  Screenshots at each state.
 */
const { run } = require('./lib');
const { addOperator, signIn, EXPECTED_HTTP_ERRORS } = require('./console_lib');

run('console-training', async (t) => {
  const { check, kefud, sleep } = t;
  addOperator(kefud, 'ann', 'admin', 'Ann', 'correct horse battery');
  addOperator(kefud, 'bob', 'agent', 'Bob', 'another long passphrase');
  const model = async () => (await (await fetch(kefud.url('/healthz'))).json()).model;
  async function waitModel(prefix) {
    const end = Date.now() + 30000;
    while (Date.now() < end && !(await model()).startsWith(prefix)) await sleep(100);
    check((await model()).startsWith(prefix), 'kefud answers with ' + await model() + ', not ' + prefix);
  }
  check((await model()).startsWith('bm25'), 'untrained: ' + await model());

  const bc = await t.browser([], { viewport: { width: 1280, height: 900 } });
  const cust = await t.page(bc);
  await cust.goto(kefud.url('/'));
  const w = t.widget(cust);
  await w.open();
  await w.bots.first().waitFor();
  await w.ask('I lost my card', 2);

  const op = await t.page(await bc.browser().newContext({ viewport: { width: 1280, height: 900 } }));
  await op.goto(kefud.url('/console/'));
  await signIn(op, 'ann', 'correct horse battery');
  await op.getByRole('link', { name: 'Training' }).click();
  await op.getByText(/No trained model is live/).waitFor();
  await t.shot(op, 'empty');

  async function train(v) {
    await op.getByRole('button', { name: 'Train a new model' }).click();
    const bar = op.getByRole('progressbar', { name: 'Training progress' });
    await bar.waitFor();
    await op.getByText(new RegExp('Trained v' + v + ' in .*candidate')).waitFor({ timeout: 120000 });
    check(await bar.getAttribute('value') === '1', 'progress bar at the end: ' + await bar.getAttribute('value'));
  }
  await train(1);
  const versions = op.getByRole('table', { name: 'Model versions' });
  await versions.getByRole('cell', { name: 'Candidate' }).waitFor();
  await op.getByRole('heading', { name: 'Report of v1' }).waitFor();
  await op.getByRole('cell', { name: 'Opening hours' }).first().waitFor();
  check(await op.getByRole('meter').count() === 5, 'one F1 bar per answer');
  await t.shot(op, 'trained-v1');
  check((await model()).startsWith('bm25'), 'a candidate went live: ' + await model());

  await op.getByRole('button', { name: 'Activate v1' }).click();
  await op.getByText('v1 is live').waitFor();
  await waitModel('trained v1');
  const a1 = await w.ask('someone stole my wallet', 3);
  check(/Freeze your card/.test(a1), 'answer after activation: ' + a1);

  await train(2);
  await op.getByRole('heading', { name: 'Against live v1' }).waitFor();
  await t.shot(op, 'v2-against-v1');
  await op.getByRole('button', { name: 'Activate v2' }).click();
  await waitModel('trained v2');
  await op.getByRole('button', { name: 'Roll back to v1' }).click();
  await op.getByText('Rolled back: v1 is live again.').waitFor();
  await waitModel('trained v1');
  await versions.getByRole('row', { name: /v1 Live/ }).waitFor();
  const a2 = await w.ask('what are your opening hours', 4);
  check(/9:00-17:00/.test(a2), 'answer after the rollback: ' + a2);
  await t.shot(op, 'rolled-back');

  // an agent reads the page but cannot train
  const ag = await t.page(await bc.browser().newContext());
  await ag.goto(kefud.url('/console/#/training'));
  await signIn(ag, 'bob', 'another long passphrase');
  await ag.getByRole('link', { name: 'Training' }).click();
  await ag.getByRole('table', { name: 'Model versions' }).waitFor();
  check(await ag.getByRole('button', { name: 'Train a new model' }).count() === 0, 'agent has no Train button');
}, { fixture: true, allowConsole: EXPECTED_HTTP_ERRORS, timeout: 300000 });
