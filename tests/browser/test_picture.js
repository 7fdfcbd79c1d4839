/* tests/browser/test_picture.js — pictures: a screenshot of text pasted into the message
 * box shows a preview, is uploaded (binary WebSocket message, progress shown), kefud
 * reads it (the `seen` frame's OCR text is shown under the picture) and the answer
 * uses what was read; a big photo dropped on the chat is downscaled in the browser to
 * at most 1600 px (JPEG) before upload and is answered too.  Both land in the store as
 * image attachments of their customer messages. */
const { run } = require('./lib');

/* In the page: a File of a canvas picture (w x h) with text lines drawn on it. */
const makePicture = ([w, h, lines, type, noise]) => new Promise((ok) => {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const g = c.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, w, h);
  if (noise) {                       // a photo-like background that does not compress away
    for (let i = 0; i < 4000; i++) {
      g.fillStyle = 'hsl(' + (i * 37 % 360) + ',40%,' + (75 + i % 20) + '%)';
      g.fillRect((i * 7919) % w, (i * 104729) % h, 40, 40);
    }
  }
  g.fillStyle = '#000';
  g.font = 'bold ' + Math.round(h / (lines.length + 2)) + 'px sans-serif';
  lines.forEach((t, i) => g.fillText(t, w * 0.05, h * (i + 1.5) / (lines.length + 1)));
  c.toBlob((b) => { window.__pic = new File([b], 'pic', { type }); ok(b.size); }, type, 0.95);
});

run('picture', async (t) => {
  const { check, kefud } = t;
  const page = await t.page(await t.browser());
  await page.goto(kefud.url('/'));
  const w = t.widget(page);
  await w.open();
  await w.bots.first().waitFor();

  // paste a screenshot of text
  await page.evaluate(makePicture, [900, 220, ['I lost my card'], 'image/png', false]);
  await w.textbox.evaluate((el) => {
    const dt = new DataTransfer();
    dt.items.add(window.__pic);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  const pic = await w.waitEvent('picture');
  check(pic.mime === 'image/png' && pic.width === 900, 'a small screenshot should go as it is: ' + JSON.stringify(pic));
  await page.locator('kefu-chat .prev img').waitFor();
  await t.shot(page, 'pasted-preview');
  await w.send.click();
  const seen = await w.waitEvent('seen');
  check(/lost/i.test(seen.ocr_text) && /card/i.test(seen.ocr_text), 'OCR: ' + JSON.stringify(seen.ocr_text));
  const r = await w.waitEvent('reply');
  check(r.title === 'Lost or stolen card', 'answer to the picture: ' + JSON.stringify(r));
  const shown = await page.locator('kefu-chat .seen').first().innerText();
  check(/Read from your picture/.test(shown) && /lost/i.test(shown), 'what was read is not shown: ' + shown);
  check(await page.locator('kefu-chat .me img').count() === 1, 'no picture in the customer bubble');
  await t.shot(page, 'answered');

  // drop a big photo: downscaled to <= 1600 px JPEG before upload
  const orig = await page.evaluate(makePicture, [4000, 3000, ['Exchange rate', 'What exchange rate do you use?'], 'image/png', true]);
  await page.locator('kefu-chat .panel').evaluate((el) => {
    const dt = new DataTransfer();
    dt.items.add(window.__pic);
    el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  const big = await w.waitEvent('picture', (d) => d.width !== 900);
  check(big.mime === 'image/jpeg' && Math.max(big.width, big.height) === 1600 && big.bytes < orig,
    'big photo not downscaled: ' + JSON.stringify(big) + ' from ' + orig + ' bytes');
  await w.textbox.fill('what is this about?');
  await w.textbox.press('Enter');
  const seen2 = await w.waitEvent('seen', (d) => /exchange/i.test(d.ocr_text || ''), 60000);
  const r2 = await w.waitEvent('reply', (d) => d.title !== 'Lost or stolen card', 60000);
  check(r2.title === 'Exchange rates', 'answer to the photo: ' + JSON.stringify(r2) + ' seen ' + JSON.stringify(seen2.ocr_text));
  await t.shot(page, 'photo-answered');

  await kefud.stop();
  const rows = kefud.sql("SELECT a.kind, a.mime, length(a.data) AS n, m.text FROM attachments a JOIN messages m ON m.id = a.message_id ORDER BY a.id");
  check(rows.length === 2 && rows[0].mime === 'image/png' && rows[1].mime === 'image/jpeg' &&
    rows[1].n === big.bytes && /what is this about/.test(rows[1].text), 'attachments: ' + JSON.stringify(rows));
}, { timeout: 150000 });
