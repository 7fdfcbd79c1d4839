/* tests/browser/test_voice_entity.js — a code read out through Chromium's fake microphone
 * (flite: "alpha bravo seven seven three"): kefud reads it with the code grammar and the
 * widget shows "Did you say A B 7 7 3?" with Yes / No buttons (the reply's quick replies,
 * docs/protocol.md "Entities by voice"); clicking Yes sends it and the confirmation comes
 * back with the entity marked confirmed; both replies are logged with their entity. */
const { run } = require('./lib');

run('voice_entity', async (t) => {
  const { check, kefud } = t;
  const { page, w } = await t.micWidget('alpha bravo seven seven three');
  await page.getByRole('button', { name: 'Record a voice message' }).click();
  await w.waitEvent('recording');
  await t.sleep(3000);                                 // the clip lasts about 2 s
  await page.getByRole('button', { name: 'Stop recording and send' }).click();
  await w.waitEvent('upload');
  const tr = await w.waitEvent('transcript', null, 30000);
  const r = await w.waitEvent('reply', null, 30000);
  check(r.entity && r.entity.kind === 'code' && r.entity.value === 'AB773' &&
    r.text === 'Did you say A B 7 7 3?', 'confirm: ' + JSON.stringify(r) + ' heard ' + tr.text);
  const yes = page.getByRole('button', { name: 'Yes', exact: true });
  await yes.waitFor();
  await page.getByRole('button', { name: 'No', exact: true }).waitFor();
  await t.shot(page, 'confirm');
  await yes.click();
  const done = await w.waitEvent('reply', (f) => f.why === 'entity_confirmed', 30000);
  check(done.text === 'Thank you, I have noted A B 7 7 3.' && done.entity.confirmed === true,
    'confirmed: ' + JSON.stringify(done));
  await t.shot(page, 'confirmed');

  await kefud.stop();
  const rows = kefud.sql("SELECT meta FROM messages WHERE kind = 1 ORDER BY id");
  const whys = rows.map((x) => JSON.parse(x.meta || '{}').why);
  check(whys.includes('entity_confirm') && whys.includes('entity_confirmed'),
    'logged replies: ' + JSON.stringify(whys));
  console.log('heard "' + tr.text + '", confirmed ' + done.entity.value);
}, { allowConsole: [] });
