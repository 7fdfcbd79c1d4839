/* tests/browser/test_embed.js — the widget embedded on another site: a host page on
 * another origin (served without any charset, so the script is decoded as
 * windows-1252) loads widget.js from kefud with data-lang="zh", data-position="left",
 * data-color and data-title; the Chinese labels are intact, it sits on the left in the
 * colour asked for, and chats once kefud's `origins` lists that site.  A site that is
 * not listed gets no connection (kefud refuses the WebSocket, counted in /metrics).
 * The widget is ES modules behind the one classic tag: cross-origin they load only with
 * kefud's Access-Control-Allow-Origin, and they are decoded as UTF-8 whatever the page.
 * A page built of web components (/spa) whose app puts the tag inside its own shadow
 * root, where document.currentScript is null, gets the widget too. */
const http = require('http');
const { run } = require('./lib');

 /* /spa: the page is an app in a shadow root that adds the widget's tag there. */
const spa = () => '<!doctype html><html><head><title>App</title></head><body>' +
  '<app-root></app-root><script src="/app.js"></script></body></html>';
const app = (kefudPort) => "customElements.define('app-root', class extends HTMLElement {" +
  "connectedCallback() { const r = this.attachShadow({ mode: 'open' });" +
  "r.appendChild(document.createElement('p')).textContent = 'An app in a shadow root';" +
  "const s = document.createElement('script');" +
  "s.src = 'http://127.0.0.1:" + kefudPort + "/widget/widget.js';" +
  "s.dataset.title = 'App help'; r.appendChild(s); } });";

function hostServer(kefudPort) {
  const page = '<!doctype html><html><head><title>Other shop</title></head><body><h1>Other shop</h1>' +
    '<script src="http://127.0.0.1:' + kefudPort + '/widget/widget.js" data-title="Shop help" ' +
    'data-lang="zh" data-position="left" data-color="rebeccapurple"></script></body></html>';
  const srv = http.createServer((req, res) => {
    if (req.url === '/spa' || req.url === '/app.js') {
      const js = req.url === '/app.js';
      res.writeHead(200, { 'Content-Type': js ? 'text/javascript' : 'text/html' });
      res.end(js ? app(kefudPort) : spa());
      return;
    }
    if (req.url !== '/') { res.writeHead(204); res.end(); return; }   // favicon
    res.writeHead(200, { 'Content-Type': 'text/html' });     // no charset on purpose
    res.end(page);
  });
  return new Promise((ok) => srv.listen(0, '127.0.0.1', () => ok(srv)));
}

run('embed', async (t) => {
  const { check, kefud } = t;
  const allowed = await hostServer(kefud.port);
  const other = await hostServer(kefud.port);
  const origin = 'http://127.0.0.1:' + allowed.address().port;
  await kefud.stop();
  kefud.args.push('--origins', origin);
  await kefud.start(kefud.port);
  try {
    const bc = await t.browser();
    const page = await t.page(bc);
    await page.goto(origin + '/');
    const launcher = page.getByRole('button', { name: '\u6253\u5F00\u804A\u5929' });   // 打开聊天
    const box = await launcher.boundingBox();
    check(box && box.x < 100, 'launcher not on the left: ' + JSON.stringify(box));
    check(await launcher.evaluate((b) => getComputedStyle(b).backgroundColor) === 'rgb(102, 51, 153)', 'data-color');
    await launcher.click();
    const tb = page.getByRole('textbox', { name: '\u6D88\u606F' });                    // 消息
    await tb.fill('\u6211\u7684\u5361\u4E22\u4E86');                                   // 我的卡丢了
    await tb.press('Enter');
    await page.locator('kefu-chat .m.bot').nth(1).waitFor();
    check(/\u6302\u5931/.test(await page.locator('kefu-chat .m.bot').nth(1).innerText()), 'no Chinese answer');  // 挂失
    check(await page.getByRole('button', { name: '\u53D1\u9001', exact: true }).count() === 1, 'Send label garbled');        // 发送
    check(await page.getByRole('dialog', { name: 'Shop help' }).count() === 1, 'data-title');
    await t.shot(page, 'zh-left-other-site');

    const page3 = await t.page(bc);
    await page3.goto(origin + '/spa');
    await page3.evaluate(() => window.KefuWidget.open());    // queued until the modules load
    await page3.getByRole('dialog', { name: 'App help' }).waitFor();
    const tb3 = page3.getByRole('textbox', { name: 'Message' });
    await tb3.fill('I lost my card');
    await tb3.press('Enter');
    await page3.locator('kefu-chat .m.bot', { hasText: 'Freeze' }).waitFor();   // same session
    await t.shot(page3, 'tag-in-a-shadow-root');

    const page2 = await t.page(bc);
    await page2.goto('http://127.0.0.1:' + other.address().port + '/');
    await page2.getByRole('button', { name: '\u6253\u5F00\u804A\u5929' }).click();
    await t.sleep(1500);
    const st = await page2.locator('kefu-chat [role=status]').first().innerText();
    check(!/\u5728\u7EBF$/.test(st) && await page2.locator('kefu-chat .m.bot').count() === 0,
      'a site not in origins got a chat: ' + st);
    const m = await (await fetch(kefud.url('/metrics'))).text();
    check(/kefu_connections_rejected_total\{reason="origin"\} [1-9]/.test(m), 'origin refusals not counted');
    await t.shot(page2, 'refused-origin');
  } finally {
    allowed.close();
    other.close();
  }
}, { allowConsole: [/^WebSocket connection to .* failed/] });
