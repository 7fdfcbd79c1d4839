/* web/console/answers_io.js - the import/export dialog of the Answers page.  Main thread.
 * Export downloads the whole store as kefu JSON, CSV or one Rasa 3.x YAML file (GET
 * /api/v1/answers/export; the YAML is what `kefu export --format rasa` writes).
 * Import reads a CSV or kefu JSON file, or a Rasa project's NLU YAML with its domain file
 * (two files chosen together: the one named domain*.yml is the domain) in the browser,
 * sends it with dry_run first (POST
 * /api/v1/answers/import) and shows what it would add, change and remove; "Apply" sends
 * the same file again for real.  Imports are for admins (the server says forbidden to an
 * agent).
 */
import { html, useState } from './ui.js';
import { post, bytes } from './api.js';
import { t, errorText } from './i18n.js';

async function download(format) {
  const buf = await bytes('answers/export?format=' + format);
  const type = { csv: 'text/csv', rasa: 'application/x-yaml' }[format] || 'application/json';
  const blob = new Blob([buf], { type });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'kefu-answers.' + (format === 'rasa' ? 'yml' : format);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function Plan({ p }) {
  return html`<div class="plan" role="region" aria-label=${t('answers_plan')}>
    <p>${t('answers_plan_counts', { a: p.added.length, c: p.changed.length,
      r: p.removed.length, e: p.counts.examples_added })}</p>
    ${p.added.length > 0 && html`<h3>${t('answers_plan_added')}</h3>
      <ul>${p.added.map((x) => html`<li class="dadd">${x}</li>`)}</ul>`}
    ${p.changed.length > 0 && html`<h3>${t('answers_plan_changed')}</h3>
      <ul>${p.changed.map((c) => html`<li>${c.title}
        <span class="muted">${[c.fields.join(', '), c.examples_added ? '+' + c.examples_added
          : '', c.examples_removed ? '−' + c.examples_removed : ''].filter(Boolean)
          .join(' · ')}</span></li>`)}</ul>`}
    ${p.removed.length > 0 && html`<h3>${t('answers_plan_removed')}</h3>
      <ul>${p.removed.map((x) => html`<li class="ddel">${x}</li>`)}</ul>`}
  </div>`;
}

export function ImportExport({ onClose }) {
  const [file, setFile] = useState(null);     /* { name, format, data } */
  const [plan, setPlan] = useState(null);
  const [done, setDone] = useState('');
  const [err, setErr] = useState('');
  const [replace, setReplace] = useState(false);

  async function pick(ev) {
    const files = Array.from(ev.target.files || []);
    setPlan(null);
    setDone('');
    setErr('');
    if (!files.length) return;
    const yml = files.filter((f) => /\.ya?ml$/i.test(f.name));
    if (yml.length) {
      const dom = yml.length > 1 ? yml.find((f) => /domain/i.test(f.name)) : null;
      const nlu = yml.find((f) => f !== dom);
      setFile({ name: yml.map((f) => f.name).join(', '), format: 'rasa',
        data: await nlu.text(), domain: dom ? await dom.text() : undefined });
      return;
    }
    const f = files[0];
    const format = /\.json$/i.test(f.name) ? 'json' : 'csv';
    setFile({ name: f.name, format, data: await f.text() });
  }
  async function run(dry) {
    setErr('');
    try {
      const r = await post('answers/import', { format: file.format, data: file.data,
        domain: file.domain, replace, dry_run: dry });
      if (dry) setPlan(r);
      else {
        setPlan(null);
        setFile(null);
        setDone(t('answers_imported', { a: r.added.length, c: r.changed.length }));
      }
    } catch (e) {
      setErr(e.code === 'bad_import' ? t('answers_err_bad_import', { why: e.message })
        : errorText(e));
    }
  }
  const outside = (e) => { if (e.target === e.currentTarget) onClose(); };
  return html`<div class="overlay" onClick=${outside}>
    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="io-h">
      <h2 id="io-h">${t('answers_import_export')}</h2>
      <h3>${t('answers_export')}</h3>
      <p><button type="button" class="secondary" onClick=${() => download('json').catch((e) =>
        setErr(errorText(e)))}>${t('answers_export_json')}</button>
        <button type="button" class="secondary" onClick=${() => download('csv').catch((e) =>
        setErr(errorText(e)))}>${t('answers_export_csv')}</button>
        <button type="button" class="secondary" onClick=${() => download('rasa').catch((e) =>
        setErr(errorText(e)))}>${t('answers_export_rasa')}</button></p>
      <h3>${t('answers_import')}</h3>
      <p class="muted">${t('answers_import_hint')}</p>
      <label>${t('answers_import_file')}<input type="file" multiple
        accept=".csv,.json,.yml,.yaml,text/csv,application/json" onChange=${pick} /></label>
      <p class="error" role="alert">${err}</p>
      <p class="note" role="status">${done}</p>
      <label class="check"><input type="checkbox" checked=${replace}
        onChange=${(e) => { setReplace(e.target.checked); setPlan(null); }} />
        ${t('answers_replace')}</label>
      ${file && html`<p><button type="button" onClick=${() => run(true)}>
        ${t('answers_dry_run')}</button></p>`}
      ${plan && html`<${Plan} p=${plan} />${plan.report && html`<details>
        <summary>${t('answers_rasa_report')}</summary><pre class="plain">${plan.report}</pre>
        </details>`}<p><button type="button" onClick=${() => run(false)}>
        ${t('answers_apply')}</button></p>`}
      <p><button type="button" class="secondary" onClick=${onClose}>${t('close')}</button></p>
    </div>
  </div>`;
}
