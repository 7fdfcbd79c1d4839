/* tests/browser/test_webfiles.js - static checks of the web clients' sources (web/), run
 * by Node without a browser: the rules docs/widget.md and STYLE.md "Web code" promise,
 * checked so that they stay true.
 *  - No page code parses HTML or builds code from strings: no innerHTML, outerHTML,
 *    insertAdjacentHTML, document.write, eval, new Function, string setTimeout.
 *  - widget/widget.js (the embed tag) is pure ASCII (a host page without a charset decodes
 *    classic scripts as windows-1252) and its MODULES list is exactly the set of modules
 *    main.js reaches through its imports (a missing one would load a round trip later).
 *  - Every line of web/ JavaScript is at most 100 characters.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const WEB = path.resolve(__dirname, '..', '..', 'web');
const FORBIDDEN = [/\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/,
  /\beval\s*\(/, /\bnew\s+Function\b/, /\bFunction\s*\(/, /setTimeout\(\s*['"`]/];

const problems = [];
function jsFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name === 'vendor') return [];   /* set-up's copies (console) */
    return e.isDirectory() ? jsFiles(p) : /\.js$/.test(e.name) ? [p] : [];
  });
}

const files = jsFiles(WEB);
for (const f of files) {
  const rel = path.relative(WEB, f);
  fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
    const code = line.replace(/\/\*.*?\*\/|\/\/.*$/g, '');       /* comments may name them */
    if (/^\s*\*/.test(line)) return;
    for (const re of FORBIDDEN) if (re.test(code)) problems.push(rel + ':' + (i + 1) + ' uses ' + re);
    if (line.length > 100) problems.push(rel + ':' + (i + 1) + ' is ' + line.length + ' characters');
  });
}

// the loader: ASCII, and its list of modules is main.js's import closure
const loader = fs.readFileSync(path.join(WEB, 'widget', 'widget.js'), 'utf8');
if (/[^\x00-\x7f]/.test(loader)) problems.push('widget/widget.js is not pure ASCII');
const listed = new Set((/MODULES = \[([^\]]*)\]/.exec(loader) || ['', ''])[1]
  .match(/'[^']+'/g).map((s) => path.join(WEB, 'widget', s.slice(1, -1))));
const reached = new Set();
(function walk(file) {
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)) {
    const dep = path.join(path.dirname(file), m[1]);
    if (!reached.has(dep)) {
      reached.add(dep);
      walk(dep);
    }
  }
})(path.join(WEB, 'widget', 'main.js'));
for (const f of reached) if (!listed.has(f)) problems.push('MODULES lacks ' + path.relative(WEB, f));
for (const f of listed) if (!reached.has(f)) problems.push('MODULES lists unused ' + path.relative(WEB, f));

for (const p of problems) console.log('FAIL ' + p);
console.log((problems.length ? 'FAIL' : 'ok') + ' web files: ' + files.length + ' scripts, ' +
  reached.size + ' widget modules');
process.exit(problems.length ? 1 : 0);
