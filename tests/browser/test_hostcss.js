/* tests/browser/test_hostcss.js — the host page's CSS cannot break the widget and the
 * widget's CSS cannot touch the page: hostile !important rules aimed at its element,
 * at every element, at buttons and text boxes change nothing inside the shadow root;
 * the page's own styles are the same with and without the widget. */
const { run } = require('./lib');

const HOSTILE = `
  kefu-chat { display: none !important; position: static !important; width: 0 !important;
    transform: scale(0) !important; opacity: 0 !important; font-size: 3px !important; }
  * { font-family: "Comic Sans MS", cursive !important; color: red !important;
    line-height: 9 !important; letter-spacing: 4px !important; box-sizing: content-box !important; }
  button { visibility: hidden !important; text-transform: uppercase !important; }
  textarea, [role=log], div { display: none !important; }`;

run('host-css', async (t) => {
  const { check } = t;
  const bc = await t.browser([], { bypassCSP: true });
  const page = await t.page(bc);
  // the page's styles without the widget (its script tag removed), then with it
  await page.route('**/widget/widget.js', (r) => r.fulfill({ status: 200, contentType: 'text/javascript', body: '' }));
  await page.goto(t.kefud.url('/'));
  const pageStyle = () => page.evaluate(() => ['body', '.search button', 'h1', '.card li', 'nav a'].map((s) => {
    const c = getComputedStyle(document.querySelector(s));
    return [s, c.fontFamily, c.fontSize, c.color, c.textTransform, c.lineHeight, c.boxSizing].join('|');
  }));
  const bare = await pageStyle();
  await page.unroute('**/widget/widget.js');
  await page.goto(t.kefud.url('/'));
  const w = t.widget(page);
  await w.launcher.waitFor();
  check(JSON.stringify(await pageStyle()) === JSON.stringify(bare), 'the widget changed the page styles');
  check(await page.evaluate(() => document.adoptedStyleSheets.length === 0 &&
    ![...document.querySelectorAll('style')].length), 'the widget added styles to the page');

  await page.addStyleTag({ content: HOSTILE });
  const l = await w.launcher.boundingBox();
  check(l && l.width === 56 && l.height === 56 && l.x + l.width <= 1100 - 12, 'launcher broken: ' + JSON.stringify(l));
  await t.shot(page, 'hostile-closed');
  await w.open();
  await w.bots.first().waitFor();
  await w.ask('I lost my card', 2);
  const s = await page.evaluate(() => {
    const r = document.querySelector('kefu-chat').shadowRoot;
    const c = (q) => getComputedStyle(r.querySelector(q));
    return { font: c('textarea').fontSize, family: c('.m.bot').fontFamily, color: c('.send').color,
      vis: c('.send').visibility, tt: c('.send').textTransform, log: c('[role=log]').display,
      ls: c('.m.bot').letterSpacing };
  });
  check(s.font === '15px' && !/Comic/.test(s.family) && s.color !== 'rgb(255, 0, 0)' && s.vis === 'visible' &&
    s.tt === 'none' && s.log === 'flex' && s.ls === 'normal', 'hostile CSS reached the widget: ' + JSON.stringify(s));
  await t.shot(page, 'hostile-open');
});
