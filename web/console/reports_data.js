/* web/console/reports_data.js - what the Reports page asks kefud and how it shows the
 * numbers: the report routes (GET /api/v1/reports/{summary,daily,hours,answers,clusters},
 * docs/api.md), the period presets, the query of the filters (from, to, lang, channel,
 * and tz: this browser's offset, so days and hours are local), the CSV download links
 * and number formats.  Main thread.  The figures' definitions are the i18n strings
 * reports_def_* (docs/console.md "Reports" says the same).
 */
import { get, query } from './api.js';

export const REPORTS = ['summary', 'daily', 'hours', 'answers', 'clusters'];
export const PRESETS = [7, 30, 90];
const DAY = 86400000;

/* The period of a preset (days back from the end of today, local time). */
export function period(days) {
  const end = new Date();
  end.setHours(24, 0, 0, 0);
  return { from: end.getTime() - days * DAY, to: end.getTime() };
}

/* The query string of filters f = {from, to, lang, channel}. */
export function reportQuery(f, extra) {
  return query(Object.assign({ from: f.from, to: f.to, lang: f.lang, channel: f.channel,
    tz: -new Date(f.from).getTimezoneOffset() }, extra || {}));
}

/* Every report of the page at once: {summary, daily, hours, answers, clusters}. */
export async function loadReports(f) {
  const q = reportQuery(f);
  const got = await Promise.all(REPORTS.map((r) => get('reports/' + r + q)));
  const out = {};
  REPORTS.forEach((r, i) => { out[r] = got[i]; });
  return out;
}

/* The address of a report's table as CSV (a download with the session cookie). */
export function csvUrl(name, f) {
  return '/api/v1/reports/' + name + reportQuery(f, { format: 'csv' });
}

/* A share as a percentage, a dash when there is nothing to share. */
export function pct(x) {
  return x === null || x === undefined ? '—' : (x * 100).toFixed(1) + ' %';
}

/* Seconds or milliseconds, a dash for none. */
export function secs(x) {
  return x === null || x === undefined ? '—' : x < 60 ? x.toFixed(0) + ' s'
    : (x / 60).toFixed(1) + ' min';
}
export function msec(x) {
  return x === null || x === undefined ? '—' : x.toFixed(x < 10 ? 1 : 0) + ' ms';
}

/* A share as a percentage number for a chart (null stays a gap). */
export const pctOf = (x) => (x === null || x === undefined ? null : x * 100);
