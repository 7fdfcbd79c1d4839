/* web/console/answer_history.js - an answer's versions (GET .../versions), what one
 * changed against the one before or against the current version (GET .../diff: fields,
 * the body line by line, examples and pictures added and removed), and one-click revert
 * (POST .../revert, itself a new version).  Main thread.  Old texts are shown as text
 * nodes, never as markup.
 */
import { html, useEffect, useState } from './ui.js';
import { get, post, query } from './api.js';
import { t, when, errorText } from './i18n.js';

/* The lines of a and b as [op, line] with op ' ', '-', '+' (longest common subsequence;
 * answers are short, so the O(n·m) table is fine). */
export function lineDiff(a, b) {
  const x = String(a || '').split('\n'), y = String(b || '').split('\n');
  const n = x.length, m = y.length;
  const L = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { out.push([' ', x[i]]); i++; j++; }
    else if (i < n && (j === m || L[i + 1][j] >= L[i][j + 1])) out.push(['-', x[i++]]);
    else out.push(['+', y[j++]]);
  }
  return out;
}

function show(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function Diff({ d }) {
  const fields = Object.keys(d.fields);
  const ex = d.examples, pics = d.pictures;
  const nothing = !fields.length && !ex.added.length && !ex.removed.length &&
    !pics.added.length && !pics.removed.length;
  return html`<div class="diff" role="region" aria-label=${t('answers_diff_of',
    { from: d.from, to: d.to })}>
    <h3>${t('answers_diff_of', { from: d.from, to: d.to })}</h3>
    ${nothing && html`<p class="muted">${t('answers_diff_none')}</p>`}
    ${fields.map((k) => html`<div key=${k} class="diff-field"><strong>${t('answers_field_' + k)}
      </strong>${k === 'body' ? html`<pre class="diff-lines">${lineDiff(d.fields.body.from,
        d.fields.body.to).map(([op, l]) => html`<span class=${'d' + (op === '+' ? 'add'
        : op === '-' ? 'del' : 'same')}>${op} ${l}</span>`)}</pre>`
      : html` <del>${show(d.fields[k].from)}</del> → <ins>${show(d.fields[k].to)}</ins>`}
    </div>`)}
    ${(ex.added.length || ex.removed.length) ? html`<div class="diff-field">
      <strong>${t('answers_examples')}</strong><ul>
      ${ex.added.map((x) => html`<li class="dadd">+ ${x}</li>`)}
      ${ex.removed.map((x) => html`<li class="ddel">− ${x}</li>`)}</ul></div>` : ''}
    ${(pics.added.length || pics.removed.length) ? html`<div class="diff-field">
      <strong>${t('answers_pictures')}</strong><ul>
      ${pics.added.map((p) => html`<li class="dadd">+ ${p.source || p.sha256.slice(0, 12)}</li>`)}
      ${pics.removed.map((p) => html`<li class="ddel">− ${p.source || p.sha256.slice(0, 12)}</li>`)}
      </ul></div>` : ''}
  </div>`;
}

export function History({ id, onReverted }) {
  const [vs, setVs] = useState(null);
  const [diff, setDiff] = useState(null);
  const [err, setErr] = useState('');

  async function load() {
    try {
      setVs((await get('answers/' + id + '/versions')).versions);
    } catch (e) { setErr(errorText(e)); }
  }
  useEffect(() => { load(); }, [id]);

  async function showDiff(from, to) {
    setErr('');
    try {
      setDiff(await get('answers/' + id + '/diff' + query({ from, to })));
    } catch (e) { setErr(errorText(e)); }
  }
  async function revert(v) {
    setErr('');
    try {
      const r = await post('answers/' + id + '/revert', { version: v });
      onReverted(r.answer, r.pictures_missing || 0);
    } catch (e) {
      setErr(e.code === 'title_taken' ? t('answers_err_title_taken') : errorText(e));
    }
  }
  if (!vs) return html`<p class="error" role="alert">${err}</p>`;
  const latest = vs.length ? vs[0].version : 0;
  return html`<section class="card history" aria-labelledby="hist-h">
    <h2 id="hist-h">${t('answers_tab_history')}</h2>
    <p class="error" role="alert">${err}</p>
    ${!vs.length && html`<p class="muted">${t('answers_no_versions')}</p>`}
    <table class="grid"><thead><tr><th>${t('answers_version')}</th><th>${t('answers_when')}</th>
      <th>${t('answers_who')}</th><th>${t('answers_action')}</th>
      <th><span class="visually-hidden">${t('actions')}</span></th></tr></thead>
      <tbody>${vs.map((v) => html`<tr key=${v.version}>
        <td>v${v.version}</td><td>${when(v.created_ms)}</td><td>${v.login}</td>
        <td>${v.action}</td>
        <td>${v.version > 1 && html`<button type="button" class="small secondary"
            aria-label=${t('answers_changes_of', { v: v.version })}
            onClick=${() => showDiff(v.version - 1, v.version)}>${t('answers_changes')}</button>`}
          ${v.version < latest && html` <button type="button" class="small secondary"
            aria-label=${t('answers_compare_named', { v: v.version })}
            onClick=${() => showDiff(v.version, latest)}>${t('answers_compare')}</button>
          <button type="button" class="small" aria-label=${t('answers_revert_to', { v: v.version })}
            onClick=${() => revert(v.version)}>${t('answers_revert')}</button>`}</td>
      </tr>`)}</tbody></table>
    ${diff && html`<${Diff} d=${diff} />`}
  </section>`;
}
