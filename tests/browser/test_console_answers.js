/* tests/browser/test_console_answers.js — the Answers page against a real kefud, with a
 * customer in the widget at the same time.  The operator finds "Opening hours" with the
 * search box, edits its body (the live preview draws the Markdown with the widget's own
 * renderer: a real <strong>), saves (version 2); the customer, already connected, asks
 * again and gets the new text within seconds: no restart, no SIGHUP.  An example is added,
 * catalogue pictures uploaded through the file picker and by a drop show as thumbnails;
 * History shows the versions and the diff of the edit; Revert brings the old text back, and the customer
 * gets it again.  Import / export: a CSV's dry run lists what would be added and changed,
 * Apply imports it; Download Rasa YAML saves the store as one Rasa file.  At 800 px nothing scrolls sideways; the page reads in Chinese.
 * Screenshots of each state.
 */
const fs = require('fs');
const path = require('path');
const { run } = require('./lib');
const { addOperator, signIn, EXPECTED_HTTP_ERRORS } = require('./console_lib');

/* Asks text in the widget until the reply holds want; returns the next bubble number. */
async function askUntil(t, w, text, want, n) {
  const end = Date.now() + 15000;
  for (;;) {
    const got = await w.ask(text, n++);
    if (got.includes(want)) return n;
    t.check(Date.now() < end, 'the widget never answered with ' + want + ' (last: ' + got + ')');
    await t.sleep(300);
  }
}

run('console-answers', async (t) => {
  const { check, kefud } = t;
  addOperator(kefud, 'ann', 'admin', 'Ann', 'correct horse battery');
  const size = { viewport: { width: 1280, height: 900 } };
  const custCtx = await t.browser([], size);
  const opCtx = await custCtx.browser().newContext(size);

  const cust = await t.page(custCtx);
  await cust.goto(kefud.url('/'));
  const w = t.widget(cust);
  await w.open();
  await w.bots.first().waitFor();
  let n = 2;
  const before = await w.ask('when are you open', n++);
  check(/9:00-17:00/.test(before), 'before the edit: ' + before);

  const op = await t.page(opCtx);
  await op.goto(kefud.url('/console/'));
  await signIn(op, 'ann', 'correct horse battery');
  await op.getByRole('link', { name: 'Answers' }).click();
  await op.getByRole('searchbox', { name: 'Search answers' }).fill('open');
  const table = op.getByRole('table', { name: 'Answers' });
  await table.getByRole('link', { name: 'Opening hours' }).waitFor();
  check(await table.getByRole('link').count() === 1, 'the search keeps one answer');
  await t.shot(op, 'list');
  await table.getByRole('link', { name: 'Opening hours' }).click();

  // edit with the live preview
  const body = op.getByRole('textbox', { name: 'Answer (Markdown)' });
  await body.fill('We are open **8:00-20:00**, every day.');
  const preview = op.getByRole('region', { name: 'Preview' });
  await preview.locator('strong', { hasText: '8:00-20:00' }).waitFor();
  await op.getByRole('button', { name: 'Save answer' }).click();
  await op.getByRole('status').filter({ hasText: 'Saved as version 2.' }).waitFor();
  await t.shot(op, 'edited');

  // the customer, connected since before the edit, gets the new text
  const t0 = Date.now();
  n = await askUntil(t, w, 'when are you open', '8:00-20:00', n);
  console.log('the edit reached the widget in ' + (Date.now() - t0) + ' ms');
  await t.shot(cust, 'customer-new-text');

  // an example and a picture
  await op.getByRole('textbox', { name: 'A new example question' }).fill('are you open on sunday');
  await op.getByRole('button', { name: 'Add example' }).click();
  await op.getByText('are you open on sunday').waitFor();
  await op.locator('input[type=file]').setInputFiles(path.join(t.SRC, 'vision', 'testdata',
    'cnn_tshirt.png'));
  const thumb = op.getByRole('img', { name: 'cnn_tshirt.png' });
  await thumb.waitFor();
  check(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0),
    'the thumbnail loads through the authenticated route');
  // a second picture dropped on the drop zone (a real drop event with a DataTransfer)
  const shoes = fs.readFileSync(path.join(t.SRC, 'vision', 'testdata', 'cnn_shoes.png'));
  await op.getByRole('region', { name: 'Drop pictures here' }).evaluate((el, bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'cnn_shoes.png', { type: 'image/png' }));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, Array.from(shoes));
  await op.getByRole('img', { name: 'cnn_shoes.png' }).waitFor();
  await t.shot(op, 'example-and-picture');

  // history: the diff of version 2, then revert to version 1
  await op.getByRole('tab', { name: 'History' }).click();
  await op.getByRole('button', { name: 'Changes made in version 2' }).click();
  const diff = op.getByRole('region', { name: 'Changes from version 1 to version 2' });
  await diff.locator('.dadd', { hasText: '8:00-20:00' }).waitFor();
  await diff.locator('.ddel', { hasText: '9:00-17:00' }).waitFor();
  await t.shot(op, 'history-diff');
  await op.getByRole('button', { name: 'Revert to version 1' }).click();
  await op.getByRole('status').filter({ hasText: /Reverted: now version \d+\./ }).waitFor();
  check(/9:00-17:00/.test(await body.inputValue()), 'the form shows version 1 again');
  n = await askUntil(t, w, 'when are you open', '9:00-17:00', n);

  // import with a dry run, then apply
  await op.getByRole('link', { name: /Answers/ }).first().click();
  await op.getByRole('button', { name: 'Import / export' }).click();
  const dialog = op.getByRole('dialog', { name: 'Import / export' });
  await dialog.getByLabel('File to import').setInputFiles({ name: 'more.csv', mimeType: 'text/csv',
    buffer: Buffer.from('question,answer_title,answer\nwhere is your branch,Branches,' +
      'Find us at **1 Main Street**.\nwhat are your hours on friday,Opening hours,\n') });
  await dialog.getByRole('button', { name: 'Preview (dry run)' }).click();
  const plan = dialog.getByRole('region', { name: 'What the import would do' });
  await plan.getByText('Branches').waitFor();
  check(/1 answers added, 1 changed, 0 removed/.test(await plan.innerText()),
    'plan: ' + await plan.innerText());
  await t.shot(op, 'import-plan');
  await dialog.getByRole('button', { name: 'Apply import' }).click();
  await dialog.getByRole('status').filter({ hasText: 'Imported: 1 answers added, 1 changed.' })
    .waitFor();
  // the Rasa download: the YAML `kefu export --format rasa` writes, with the new answer
  const [dl] = await Promise.all([op.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Download Rasa YAML' }).click()]);
  const yml = fs.readFileSync(await dl.path(), 'utf8');
  check(dl.suggestedFilename() === 'kefu-answers.yml', 'Rasa file name ' + dl.suggestedFilename());
  check(/^version: "3.1"/m.test(yml) && yml.includes('utter_branches') &&
    yml.includes('kefu_title: Branches') && yml.includes('where is your branch'),
    'Rasa export: ' + yml.slice(0, 400));
  await dialog.getByRole('button', { name: 'Close' }).click();
  await table.getByRole('link', { name: 'Branches' }).waitFor({ timeout: 5000 }).catch(() => {});
  await askUntil(t, w, 'where is your branch', '1 Main Street', n);
  await t.shot(op, 'after-import');

  // 800 px: no horizontal scroll on the list and on an answer; the page in Chinese
  await op.setViewportSize({ width: 800, height: 800 });
  await table.getByRole('link', { name: 'Opening hours' }).click();
  await op.getByRole('textbox', { name: 'Answer (Markdown)' }).waitFor();
  for (const where of ['answer', 'list']) {
    const [sw, cw] = await op.evaluate(() => [document.documentElement.scrollWidth,
      document.documentElement.clientWidth]);
    check(sw <= cw, where + ' at 800 px scrolls sideways: ' + sw + ' > ' + cw);
    await t.shot(op, where + '-800');
    if (where === 'answer') await op.getByRole('link', { name: /Answers/ }).first().click();
  }
  await op.locator('header').getByRole('combobox', { name: 'Language', exact: true })
    .selectOption('zh');
  await op.getByRole('button', { name: '导入 / 导出' }).waitFor();
  await op.getByRole('searchbox', { name: '搜索答案' }).waitFor();
  await op.getByRole('table', { name: '答案' }).getByRole('link', { name: 'Branches' }).waitFor();
  await t.shot(op, 'list-zh');
}, { fixture: true, timeout: 150000, allowConsole: EXPECTED_HTTP_ERRORS });
