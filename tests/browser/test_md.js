/* tests/browser/test_md.js - unit test of web/lib/md.js, the one Markdown renderer of the
 * chat page, the widget and the console.  Node is only the driver: md.js is imported as
 * the browser imports it and render() builds into a small recording document (below), so
 * the very code path a page runs is checked, without a browser.
 *
 * A table of hostile and ordinary inputs, each with the exact HTML the built nodes
 * serialise to (text escaped by this test, not by md.js).  On top of the exact outputs,
 * every built tree is checked against this test's own allow-list: tags, attributes (only
 * a link's href/target/rel), hrefs (http(s) or a same-site "/path"), rel exactly
 * "noopener noreferrer"; and any use of innerHTML/outerHTML/insertAdjacentHTML fails.
 * So a weakened sanitiser (another scheme, another tag, markup passed through, a missing
 * rel) fails here even where no row of the table foresaw it.
 */
'use strict';
const path = require('path');

const MD = path.resolve(__dirname, '..', '..', 'web', 'lib', 'md.js');
const TAGS = new Set(['p', 'br', 'ul', 'ol', 'li', 'strong', 'em', 'code', 'a']);
const HREF = /^(https?:\/\/[^\s\\<>"'`\u0000-\u001f\u007f]+|\/(?![/\\])[^\s\\<>"'`\u0000-\u001f\u007f]*)$/i;

/* ---- a recording document: only the factory methods md.js may use ------------------ */

class Node {
  constructor(kind, name) {
    this.kind = kind;          /* 'el' | 'text' | 'frag' */
    this.name = name;
    this.attrs = [];
    this.kids = [];
    this.ownerDocument = doc;
  }
  appendChild(n) {
    this.kids.push(n);
    return n;
  }
  setAttribute(k, v) {
    this.attrs.push([String(k), String(v)]);
  }
  set textContent(v) {
    this.kids = v === '' ? [] : [doc.createTextNode(v)];
  }
  set innerHTML(v) { throw new Error('md.js set innerHTML'); }
  set outerHTML(v) { throw new Error('md.js set outerHTML'); }
  insertAdjacentHTML() { throw new Error('md.js used insertAdjacentHTML'); }
}
const doc = {
  createElement: (t) => new Node('el', String(t).toLowerCase()),
  createTextNode: (s) => Object.assign(new Node('text'), { data: String(s) }),
  createDocumentFragment: () => new Node('frag'),
};

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/"/g, '&quot;');

function html(n) {
  if (n.kind === 'text') return esc(n.data);
  const inner = n.kids.map(html).join('');
  if (n.kind === 'frag') return inner;
  const a = n.attrs.map(([k, v]) => ' ' + k + '="' + esc(v) + '"').join('');
  return n.name === 'br' ? '<br>' : '<' + n.name + a + '>' + inner + '</' + n.name + '>';
}

/* Problems of a built tree against this test's allow-list. */
function audit(n, bad) {
  if (n.kind === 'el') {
    if (!TAGS.has(n.name)) bad.push('tag ' + n.name);
    const keys = n.attrs.map(([k]) => k).sort().join(',');
    if (n.name === 'a') {
      const at = Object.fromEntries(n.attrs);
      if (keys !== 'href,rel,target') bad.push('a attributes ' + keys);
      if (!HREF.test(at.href || '')) bad.push('href ' + at.href);
      if (at.rel !== 'noopener noreferrer') bad.push('rel ' + at.rel);
      if (at.target !== '_blank') bad.push('target ' + at.target);
    } else if (keys) {
      bad.push(n.name + ' attributes ' + keys);
    }
  }
  n.kids.forEach((k) => audit(k, bad));
  return bad;
}

/* ---- the table: [Markdown, exact HTML of what is built] ----------------------------- */

const L = ' target="_blank" rel="noopener noreferrer"';
const CASES = [
  // markup in the source is text
  ['<script>alert(1)</script>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>'],
  ['<img src=x onerror="alert(1)">', '<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>'],
  ['<a href="javascript:alert(1)">x</a>',
    '<p>&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;</p>'],
  ['**<b onclick=alert(1)>x</b>**', '<p><strong>&lt;b onclick=alert(1)&gt;x&lt;/b&gt;</strong></p>'],
  ['`<svg onload=alert(1)>`', '<p><code>&lt;svg onload=alert(1)&gt;</code></p>'],
  ['&lt;script&gt; &#106;avascript', '<p>&amp;lt;script&amp;gt; &amp;#106;avascript</p>'],
  // link targets outside the allow-list stay text
  ['[x](javascript:alert(1))', '<p>[x](javascript:alert(1))</p>'],
  ['[x](JaVaScRiPt:alert(1))', '<p>[x](JaVaScRiPt:alert(1))</p>'],
  ['[x](data:text/html,<b>hi</b>)', '<p>[x](data:text/html,&lt;b&gt;hi&lt;/b&gt;)</p>'],
  ['[x](vbscript:msgbox)', '<p>[x](vbscript:msgbox)</p>'],
  ['[x](mailto:a@b.example)', '<p>[x](mailto:a@b.example)</p>'],
  ['[x](//evil.example/p)', '<p>[x](//evil.example/p)</p>'],
  ['[x](/\\evil.example)', '<p>[x](/\\evil.example)</p>'],
  ['[x](https://a.example/"onmouseover="alert(1))',
    '<p>[x](<a href="https://a.example/"' + L + '>https://a.example/</a>&quot;onmouseover=&quot;alert(1))</p>'],
  ['[x](java\tscript:alert(1))', '<p>[x](java\tscript:alert(1))</p>'],
  ['[x](/\t/evil.example)', '<p>[x](/\t/evil.example)</p>'],
  ['[x](https://a.example/\u0000)', '<p>[x](https://a.example/\u0000)</p>'],
  ['javascript:alert(1)', '<p>javascript:alert(1)</p>'],
  ['ftp://files.example/x', '<p>ftp://files.example/x</p>'],
  // allowed links, with rel and target
  ['[fees page](/help/fees).', '<p><a href="/help/fees"' + L + '>fees page</a>.</p>'],
  ['[Help](https://example.com/help?a=1&b=2)',
    '<p><a href="https://example.com/help?a=1&amp;b=2"' + L + '>Help</a></p>'],
  ['[**bold** `c`](HTTPS://EXAMPLE.COM)',
    '<p><a href="HTTPS://EXAMPLE.COM"' + L + '><strong>bold</strong> <code>c</code></a></p>'],
  ['[a [b](https://x.example)](https://y.example)',
    '<p>[a <a href="https://x.example"' + L + '>b</a>](<a href="https://y.example"' + L +
    '>https://y.example</a>)</p>'],
  ['see https://example.com/a_b_c. ok', '<p>see <a href="https://example.com/a_b_c"' + L +
    '>https://example.com/a_b_c</a>. ok</p>'],
  ['(https://example.com/x)', '<p>(<a href="https://example.com/x"' + L +
    '>https://example.com/x</a>)</p>'],
  ['xhttps://example.com', '<p>xhttps://example.com</p>'],
  // the placeholder characters of the old renderers are plain text now
  ['\uE0000\uE001 `a` \uE0009\uE001', '<p>\uE0000\uE001 <code>a</code> \uE0009\uE001</p>'],
  ['__proto__ constructor `toString`', '<p><strong>proto</strong> constructor <code>toString</code></p>'],
  // ordinary Markdown
  ['Hello **world** and *you*, _too_; snake_case_name.',
    '<p>Hello <strong>world</strong> and <em>you</em>, <em>too</em>; snake_case_name.</p>'],
  ['line one\nline two\r\n\r\nnext', '<p>line one<br>line two</p><p>next</p>'],
  ['Steps:\n1. one\n2) two\n- a\n* b\n\u2022 c',
    '<p>Steps:</p><ol><li>one</li><li>two</li></ol><ul><li>a</li><li>b</li><li>c</li></ul>'],
  ['## Title **x**\ntext', '<p><strong>Title <strong>x</strong></strong></p><p>text</p>'],
  ['2 * 3 * 4 and a*b*c', '<p>2 * 3 * 4 and a*b*c</p>'],
  ['', ''],
  [null, ''],
  [undefined, ''],
];

async function main() {
  const md = await import(MD);
  let failed = 0;
  const fail = (msg) => {
    failed++;
    console.log('FAIL ' + msg);
  };
  for (const [src, want] of CASES) {
    const frag = md.render(src, doc);
    const got = html(frag);
    if (got !== want)
      fail(JSON.stringify(src) + '\n   got  ' + JSON.stringify(got) + '\n   want ' + JSON.stringify(want));
    const bad = audit(frag, []);
    if (bad.length) fail(JSON.stringify(src) + ': ' + bad.join('; '));
  }

  // safeHref on its own (the console uses it for links it builds)
  const hrefs = [['https://a.example/x', true], ['http://a.example', true], ['/help', true],
    ['/', true], ['//a.example', false], ['/\\a.example', false], ['javascript:x', false],
    [' https://a.example', false], ['https://a.example/ x', false], ['data:,x', false],
    ['mailto:a@b.example', false], ['HTTPS://A.EXAMPLE', true], ['./x', false], ['x', false]];
  for (const [u, ok] of hrefs)
    if ((md.safeHref(u) === u) !== ok) fail('safeHref(' + JSON.stringify(u) + ') should be ' + ok);

  // renderInto replaces, never parses HTML
  const box = doc.createElement('div');
  box.appendChild(doc.createTextNode('old'));
  md.renderInto(box, '**new**');
  if (html(box) !== '<div><p><strong>new</strong></p></div>') fail('renderInto: ' + html(box));

  // fuzz: random mixes of the dangerous pieces always build an allowed tree
  const bits = ['<', '>', '"', "'", '`', '*', '_', '[', ']', '(', ')', 'javascript:', 'data:',
    'https://e.example/', '/p', '//', '\\', ' ', '\n', '\t', 'on', '=', 'x', '**', '#'];
  let seed = 12345;
  const rnd = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = rnd(40); j >= 0; j--) s += bits[rnd(bits.length)];
    const frag = md.render(s, doc);
    const bad = audit(frag, []);
    if (bad.length) {
      fail('fuzz ' + JSON.stringify(s) + ': ' + bad.join('; '));
      break;
    }
  }

  // pathological inputs stay linear (each line is scanned in linear time per mark): the
  // time of 4k repetitions against k, best of 3 each, so a loaded machine cannot fail it
  // (a quadratic scan takes 16 times as long; slack 20 ms for timer noise)
  const best = (s) => {
    let b = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      md.parse(s);
      b = Math.min(b, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return b;
  };
  for (const [unit, k, tail] of [['*a', 5000, ''], ['[a', 5000, ''], ['_ ', 5000, ''],
    ['**', 2500, 'x'], ['[x](', 2500, ''], ['https://', 1250, ''], ['`', 10000, '`']]) {
    const t1 = best(unit.repeat(k) + tail), t4 = best(unit.repeat(4 * k) + tail);
    if (t4 > 8 * t1 + 20)
      fail('superlinear input ' + JSON.stringify(unit) + ' x ' + 4 * k + ': ' + t4.toFixed(1) +
           ' ms against ' + t1.toFixed(1) + ' ms for a quarter of it');
  }

  console.log((failed ? 'FAIL' : 'ok') + ' md: ' + CASES.length + ' table rows, ' +
    hrefs.length + ' hrefs, 3000 fuzz inputs' + (failed ? ', ' + failed + ' failures' : ''));
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log('FAIL md: ' + (e.stack || e));
  process.exit(1);
});
