/* tests/browser/test_console_static.js — checks of the operator console's files that need
 * no browser (Node only): the English and Chinese string tables have the same keys, no
 * empty value, and every key the code names literally (t('key'), and the nav_/key_
 * names of its tables) is in both; no console file uses Preact's dangerouslySetInnerHTML
 * (test_webfiles.js checks the DOM's HTML and eval APIs for all of web/), and only ui.js
 * imports vendor/.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const SRC = process.env.KEFU_SRCDIR || path.resolve(__dirname, '..', '..');
const DIR = path.join(SRC, 'web', 'console');
const problems = [];

const en = JSON.parse(fs.readFileSync(path.join(DIR, 'i18n', 'en.json'), 'utf8'));
const zh = JSON.parse(fs.readFileSync(path.join(DIR, 'i18n', 'zh.json'), 'utf8'));
for (const k of Object.keys(en)) if (!(k in zh)) problems.push('zh.json lacks ' + k);
for (const k of Object.keys(zh)) if (!(k in en)) problems.push('en.json lacks ' + k);
for (const [name, tab] of [['en', en], ['zh', zh]]) {
  for (const [k, v] of Object.entries(tab))
    if (typeof v !== 'string' || !v.trim()) problems.push(name + '.json: ' + k + ' is empty');
}

const FORBIDDEN = /dangerouslySetInnerHTML/;
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.js'));
let keys = 0;
for (const f of files) {
  const src = fs.readFileSync(path.join(DIR, f), 'utf8');
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const m = FORBIDDEN.exec(code);
  if (m) problems.push(f + ' uses ' + m[0]);
  if (f !== 'ui.js' && /from\s+['"]\.\/vendor\//.test(code)) problems.push(f + ' imports vendor/ (only ui.js may)');
  for (const re of [/\bt\('([a-z0-9_]+)'/g, /'((?:nav|key)_[a-z0-9_]+)'/g]) {
    for (let x; (x = re.exec(code));) {
      keys++;
      if (!x[1].endsWith('_') && !(x[1] in en)) problems.push(f + ': string ' + x[1] + ' is not in en.json');
    }
  }
}
if (files.length < 10 || keys < 50) problems.push('found only ' + files.length + ' files, ' + keys + ' keys: wrong folder?');
if (problems.length) {
  console.log('FAIL console-static:\n  ' + problems.join('\n  '));
  process.exit(1);
}
console.log('ok console-static (' + files.length + ' files, ' + keys + ' string uses, ' + Object.keys(en).length + ' strings each in en and zh)');
