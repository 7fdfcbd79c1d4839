/* web/console/training_report.js - one model version's training report on the Training
 * page (GET /api/v1/models/{v}/report, docs/api.md): cross-validated accuracy and
 * macro-F1, the comparison with the live version on the same held-out questions
 * (answers that got better or worse), per-answer precision / recall / F1 with bars
 * (<meter>, no inline style under the CSP), the most confused pairs with example
 * questions, and the answers with too few examples.  Main thread; everything the store
 * holds (titles, questions) is drawn as text.
 */
import { html } from './ui.js';
import { t } from './i18n.js';

const pct = (x) => (x == null ? '–' : (100 * x).toFixed(1) + ' %');

function Bar({ value, label }) {
  return html`<span class="bar"><meter min="0" max="1" low="0.5" high="0.8" optimum="1"
    value=${value} aria-label=${label}></meter> ${pct(value)}</span>`;
}

function Changed({ rows, caption }) {
  if (!rows.length) return null;
  return html`<table class="grid">
    <caption>${caption}</caption>
    <thead><tr><th>${t('training_answer')}</th><th>${t('training_questions')}</th>
      <th>${t('training_f1_candidate')}</th><th>${t('training_f1_live')}</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr key=${r.answer_id}><td>${r.title}</td>
      <td>${r.questions}</td><td>${pct(r.candidate_f1)}</td><td>${pct(r.live_f1)}</td></tr>`)}
    </tbody></table>`;
}

function Compare({ c }) {
  if (!c) return html`<p class="note">${t('training_no_compare')}</p>`;
  return html`<section aria-labelledby="tr-cmp-h" class="card">
    <h3 id="tr-cmp-h">${t('training_compare_title', { live: c.live_version })}</h3>
    <p>${t('training_compare_on', { n: c.questions })}</p>
    <table class="grid" aria-labelledby="tr-cmp-h">
      <thead><tr><th></th><th>${t('training_candidate')}</th><th>${t('training_live')}</th></tr>
      </thead>
      <tbody>
        <tr><th scope="row">${t('training_accuracy')}</th>
          <td>${pct(c.candidate.accuracy)}</td><td>${pct(c.live.accuracy)}</td></tr>
        <tr><th scope="row">${t('training_macro_f1')}</th>
          <td>${pct(c.candidate.macro_f1)}</td><td>${pct(c.live.macro_f1)}</td></tr>
      </tbody></table>
    <${Changed} rows=${c.better} caption=${t('training_better')} />
    <${Changed} rows=${c.worse} caption=${t('training_worse')} />
  </section>`;
}

export function Report({ r }) {
  const answers = r.answers.slice().sort((a, b) => a.f1 - b.f1);
  return html`<section class="report" aria-labelledby="tr-rep-h">
    <h2 id="tr-rep-h">${t('training_report_title', { v: r.version })}</h2>
    <p class="figures">
      ${t('training_summary', { n: r.examples, answers: r.answers_count, folds: r.folds })}
      ${' '}<strong>${t('training_accuracy')}: ${pct(r.accuracy)}</strong>
      ${' · '}<strong>${t('training_macro_f1')}: ${pct(r.macro_f1)}</strong></p>
    ${!r.live && html`<${Compare} c=${r.against_live} />`}
    <h3>${t('training_per_answer')}</h3>
    <table class="grid per-answer">
      <thead><tr><th>${t('training_answer')}</th><th>${t('training_examples')}</th>
        <th>${t('training_precision')}</th><th>${t('training_recall')}</th>
        <th>${t('training_f1')}</th></tr></thead>
      <tbody>${answers.map((a) => html`<tr key=${a.answer_id}><td>${a.title}</td>
        <td>${a.examples}</td><td>${pct(a.precision)}</td><td>${pct(a.recall)}</td>
        <td><${Bar} value=${a.f1} label=${t('training_f1_of', { title: a.title })} /></td>
      </tr>`)}</tbody></table>
    <h3>${t('training_confused')}</h3>
    ${r.confused.length ? html`<table class="grid">
      <thead><tr><th>${t('training_answer')}</th><th>${t('training_taken_for')}</th>
        <th>${t('training_count')}</th><th>${t('training_example_questions')}</th></tr></thead>
      <tbody>${r.confused.map((c, i) => html`<tr key=${i}><td>${c.title}</td>
        <td>${c.confused_with}</td><td>${c.count}</td>
        <td><ul class="plain">${c.examples.map((q) => html`<li>${q}</li>`)}</ul></td>
      </tr>`)}</tbody></table>` : html`<p>${t('training_none')}</p>`}
    <h3>${t('training_few', { n: r.few_examples_below })}</h3>
    ${r.few_examples.length ? html`<ul>${r.few_examples.map((a) => html`<li key=${a.answer_id}>
      ${a.title} (${a.examples})</li>`)}</ul>` : html`<p>${t('training_none')}</p>`}
  </section>`;
}
