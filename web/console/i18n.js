/* web/console/i18n.js - the console's words.  Main thread.  The strings of each
 * language are data (i18n/en.json, i18n/zh.json, the same keys), loaded once at start
 * and again when the operator switches; t(key, vars) looks one up and fills {name}
 * placeholders.  A key missing from a table falls back to English, then to the key.
 */
import { prefs } from '../lib/storage.js';

export const LANGS = ['en', 'zh'];
const store = prefs('kefu.console.');
let table = {};
let english = {};
let lang = 'en';

async function fetchTable(l) {
  const r = await fetch('i18n/' + l + '.json');
  if (!r.ok) throw new Error('i18n/' + l + '.json: HTTP ' + r.status);
  return r.json();
}

/* The operator's choice, else the browser's language. */
export function preferredLang() {
  const saved = store.load('lang', '');
  if (LANGS.includes(saved)) return saved;
  return /^zh\b/i.test(navigator.language || '') ? 'zh' : 'en';
}

export async function loadLang(l) {
  if (!LANGS.includes(l)) l = 'en';
  if (!english.signin) english = await fetchTable('en');
  table = l === 'en' ? english : await fetchTable(l);
  lang = l;
  store.save('lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}

export const currentLang = () => lang;

export function t(key, vars) {
  let s = table[key] != null ? table[key] : english[key] != null ? english[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] != null ? String(vars[k]) : m));
  return s;
}

/* The message of an ApiError: missingKey's string for a 404 when given (a route this kefud
 * does not serve), else the code and the server's message. */
export function errorText(e, missingKey) {
  if (e.status === 404 && missingKey) return t(missingKey);
  return t('error_code', { code: e.code, message: e.message });
}

/* "3 min", "2 h 5 min", "4 s" for a duration in ms (words from the table). */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t('dur_s', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('dur_m', { n: m });
  const hrs = Math.floor(m / 60);
  return t('dur_hm', { h: hrs, m: m % 60 });
}

/* A time of day, or a date and time when not today, in the console's language. */
export function when(ms) {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  const loc = lang === 'zh' ? 'zh-CN' : 'en-GB';
  return today ? d.toLocaleTimeString(loc, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(loc, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
