/* tests/browser/test_voice.js — voice through Chromium's fake microphone: a clip made
 * with flite ("I lost my card") is the microphone input; the mic button records it with
 * getUserMedia + Web Audio, the widget encodes 16 kHz mono WAV and uploads it; the
 * transcript replaces the voice bubble as the customer's message, then the answer
 * comes, and with "Read answers aloud" on, the spoken answer (a `speech` frame and its
 * WAV) arrives and gets a play button.  The clip lands in the store as audio/wav. */
const { run } = require('./lib');

run('voice', async (t) => {
  const { check, kefud } = t;
  const { page, w } = await t.micWidget('I lost my card');
  await page.getByRole('button', { name: 'Read answers aloud' }).click();
  await page.getByRole('button', { name: 'Record a voice message' }).click();
  await w.waitEvent('recording');
  await t.sleep(500);
  await t.shot(page, 'recording');
  await t.sleep(2000);                                 // the clip lasts about 1.2 s
  await page.getByRole('button', { name: 'Stop recording and send' }).click();
  const up = await w.waitEvent('upload');
  check(up.kind === 'audio' && up.bytes > 44 + 16000, 'upload: ' + JSON.stringify(up));
  const tr = await w.waitEvent('transcript', null, 30000);
  check(/lost/.test(tr.text) && /card/.test(tr.text), 'transcript: ' + JSON.stringify(tr));
  const r = await w.waitEvent('reply', null, 30000);
  check(r.title === 'Lost or stolen card', 'answer to the clip: ' + JSON.stringify(r));
  check((await w.mine.last().innerText()) === tr.text, 'the transcript is not the customer message');
  const sp = await w.waitEvent('speech', null, 30000);
  check(sp.bytes > 16000, 'spoken answer: ' + JSON.stringify(sp));
  await page.getByRole('button', { name: /Play answer/ }).waitFor();
  await t.shot(page, 'answered');

  await kefud.stop();
  const rows = kefud.sql("SELECT a.kind, a.mime, length(a.data) AS n, m.text FROM attachments a JOIN messages m ON m.id = a.message_id");
  check(rows.length === 1 && rows[0].kind === 'audio' && rows[0].n === up.bytes && rows[0].text === tr.text,
    'attachments: ' + JSON.stringify(rows));
  t.log = 'transcript "' + tr.text + '" confidence ' + tr.confidence;
  console.log(t.log);
}, { allowConsole: [] });
