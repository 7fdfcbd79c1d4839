/* tests/browser/test_tls.js — kefud serving HTTPS and WSS itself (tls_cert, tls_key;
 * daemon/tls.c) to a real Chromium.  A self-signed certificate for 127.0.0.1 is made here
 * with openssl; Chromium trusts exactly that key through
 * --ignore-certificate-errors-spki-list (the SHA-256 of its public key), not by ignoring
 * certificate errors: a second Chromium without the flag is refused
 * (ERR_CERT_AUTHORITY_INVALID), so the test would notice a page that loads without TLS
 * being checked.  The widget page loads over https with the HSTS header, the widget's
 * channel is a wss:// WebSocket (nothing over ws:// or http://), a question gets its
 * answer, and the turn is in the log.
 */
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { run, check } = require('./lib');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-tls-'));
const cert = path.join(dir, 'kefu.crt');
const key = path.join(dir, 'kefu.key');
cp.execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
  '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  '-keyout', key, '-out', cert], { stdio: 'ignore' });
/* base64(SHA-256(SubjectPublicKeyInfo DER)), the form Chromium's flag takes */
const spki = cp.execSync('openssl x509 -in "' + cert + '" -noout -pubkey | ' +
  'openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64',
{ encoding: 'utf8' }).trim();
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

run('tls', async (t) => {
  const url = t.kefud.url('/');
  check(url.startsWith('https://'), 'kefud URL ' + url);

  // without the key's pin, Chromium refuses the self-signed certificate
  const plain = await t.browser();
  const p0 = await plain.newPage();
  let refused = '';
  try {
    await p0.goto(url);
  } catch (e) {
    refused = e.message;
  }
  check(/ERR_CERT_AUTHORITY_INVALID/.test(refused), 'an unpinned Chromium loaded the page: ' + refused);
  await p0.close();
  await plain.browser().close();

  // with it: the page over https, HSTS, the widget over wss
  const bc = await t.browser(['--ignore-certificate-errors-spki-list=' + spki]);
  const page = await t.page(bc);
  const sockets = [];
  const insecure = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  page.on('request', (r) => { if (/^(http|ws):/.test(r.url())) insecure.push(r.url()); });
  const res = await page.goto(url);
  check(res.ok(), 'page status ' + res.status());
  const sec = await res.securityDetails();
  check(sec && /^TLS 1\.[23]$/.test(sec.protocol), 'TLS details ' + JSON.stringify(sec && sec.protocol));
  check(sec.subjectName === '127.0.0.1', 'certificate subject ' + sec.subjectName);
  const hsts = res.headers()['strict-transport-security'] || '';
  check(/max-age=31536000/.test(hsts), 'HSTS header: "' + hsts + '"');
  const w = t.widget(page);
  await w.open();
  await w.bots.first().waitFor();
  await w.ask('I lost my card', 2);
  const r = await w.waitEvent('reply');
  check(r.title === 'Lost or stolen card', 'answer over wss: ' + JSON.stringify(r));
  check(sockets.length >= 1 && sockets.every((u) => u.startsWith('wss://127.0.0.1:')),
    'widget WebSockets: ' + JSON.stringify(sockets));
  check(insecure.length === 0, 'requests without TLS: ' + JSON.stringify(insecure));
  await t.shot(page, 'answered-over-wss');
  await t.kefud.stop();
  const rows = t.kefud.sql("SELECT text FROM messages WHERE text = 'I lost my card'");
  check(rows.length === 1, 'the question over wss in the log: ' + JSON.stringify(rows));
  console.log('tls: page over ' + sec.protocol + ' (' + sec.subjectName + '), HSTS "' + hsts +
    '", widget over ' + sockets[0].replace(/\?.*/, '') + ', answered "' + r.title +
    '"; without the SPKI pin: ERR_CERT_AUTHORITY_INVALID');
}, { kefudArgs: ['--tls-cert', cert, '--tls-key', key], tlsCa: cert });
