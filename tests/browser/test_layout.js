/* tests/browser/test_layout.js — at 360 px wide (a small phone) the open widget fills
 * the screen, the page gets no horizontal scroll, a long unbroken word or URL wraps
 * inside its bubble, and the message box and Send stay on screen; closing it gives the
 * launcher back. */
const { run } = require('./lib');

run('layout-360', async (t) => {
  const { check } = t;
  const page = await t.page(await t.browser([], { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }));
  await page.goto(t.kefud.url('/'));
  const w = t.widget(page);
  await t.shot(page, 'closed');
  await w.open();
  await w.bots.first().waitFor();
  await w.ask('I lost my card ' + 'x'.repeat(120) + ' https://example.com/' + 'a'.repeat(100), 2);
  await w.ask('What exchange rate do you use?', 3);
  await t.shot(page, 'open');
  const m = await page.evaluate(() => {
    const r = document.querySelector('kefu-chat').shadowRoot;
    const box = (s) => { const b = r.querySelector(s).getBoundingClientRect(); return [b.left, b.right, b.top, b.bottom]; };
    const log = r.querySelector('[role=log]');
    return {
      docW: document.documentElement.scrollWidth, winW: window.innerWidth, winH: window.innerHeight,
      panel: box('.panel'), textbox: box('textarea'), send: box('.send'),
      logOver: log.scrollWidth - log.clientWidth,
      bubbles: [...r.querySelectorAll('.m')].map((b) => b.getBoundingClientRect().right),
    };
  });
  check(m.docW <= m.winW, 'horizontal scroll: document ' + m.docW + ' px in ' + m.winW);
  check(m.panel[0] >= 0 && m.panel[1] <= m.winW && m.panel[3] <= m.winH, 'panel off screen ' + m.panel);
  check(m.logOver <= 0, 'the transcript scrolls sideways by ' + m.logOver + ' px');
  check(m.bubbles.every((r) => r <= m.winW), 'a bubble sticks out: ' + m.bubbles);
  for (const k of ['textbox', 'send'])
    check(m[k][0] >= 0 && m[k][1] <= m.winW && m[k][3] <= m.winH, k + ' off screen ' + m[k]);
  await page.getByRole('button', { name: 'Close chat' }).first().click();
  await w.launcher.waitFor();
  const l = await w.launcher.boundingBox();
  check(l.x >= 0 && l.x + l.width <= 360 && l.width >= 44 && l.height >= 44, 'launcher ' + JSON.stringify(l));
  check(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'horizontal scroll when closed');
  await t.shot(page, 'closed-again');
});
