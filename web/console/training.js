/* web/console/training.js - the Training page: train a new model in the background
 * (POST /api/v1/models/train, admins) with a progress bar and the time left (GET
 * /api/v1/models/training, polled each second while it runs, and the /ops "training"
 * pushes), the versions (live, candidates, earlier ones) with one-click Activate and
 * Roll back, and the report of the chosen version against the live one
 * (training_report.js).  Main thread.  The server checks roles and audits; kefud swaps a
 * newly live model in without a restart or a dropped chat.
 */
import { html, useEffect, useState } from './ui.js';
import { get, post } from './api.js';
import { t, when, duration, errorText as apiErrorText } from './i18n.js';
import { live } from './live.js';
import { Report } from './training_report.js';

const pct = (x) => (x == null ? '–' : (100 * x).toFixed(1) + ' %');

function errorText(e) {
  const known = ['training_running', 'nothing_to_roll_back', 'unavailable', 'forbidden'];
  return known.includes(e.code) ? t('training_err_' + e.code) : apiErrorText(e);
}

function Progress({ s }) {
  if (!s || s.state === 'idle' || s.state === 'unavailable') return null;
  const left = s.left_s >= 0 ? t('training_left', { d: duration(s.left_s * 1000) }) : '';
  let text;
  if (s.state === 'running') {
    text = t('training_running', { stage: t('training_stage_' + s.stage.replace(/\W/g, '_')),
      done: s.done, total: s.total, pct: Math.round(100 * s.fraction) }) + ' ' + left;
  } else if (s.state === 'done') {
    text = t('training_done', { v: s.version, d: duration(s.seconds * 1000),
      acc: pct(s.cv_accuracy) });
  } else {
    text = t('training_failed', { error: s.error || '' });
  }
  return html`<div class="training-progress">
    <progress max="1" value=${s.fraction} aria-label=${t('training_progress')}></progress>
    <p role="status">${text}</p></div>`;
}

export function Training({ me }) {
  const admin = me.operator.role === 'admin';
  const [list, setList] = useState(null);
  const [status, setStatus] = useState(null);
  const [chosen, setChosen] = useState(0);
  const [report, setReport] = useState(null);
  const [err, setErr] = useState('');
  const [note, setNote] = useState('');

  async function load() {
    try {
      const l = await get('models');
      setList(l);
      setStatus(l.training);
      const cand = l.versions.find((v) => v.state === 'candidate' && v.report);
      setChosen((c) => c || (cand ? cand.version : l.live || 0));
    } catch (e) {
      setErr(errorText(e));
    }
  }
  useEffect(() => { load(); }, []);
  useEffect(() => live.subscribe((f) => {
    if (f.type !== 'training') return;
    setStatus(f.training);
    if (f.training.state === 'done') setChosen(f.training.version);
    if (f.training.state !== 'running') load();
  }), []);
  useEffect(() => {               /* poll while it runs (the pushes may be missed) */
    if (!status || status.state !== 'running') return undefined;
    const id = setInterval(async () => {
      try {
        const s = await get('models/training');
        setStatus(s);
        if (s.state !== 'running') {
          if (s.state === 'done') setChosen(s.version);
          load();
        }
      } catch (e) { /* the next tick tries again */ }
    }, 1000);
    return () => clearInterval(id);
  }, [status && status.state]);
  useEffect(() => {
    setReport(null);
    if (!chosen) return;
    get('models/' + chosen + '/report').then(setReport).catch(() => setReport(null));
  }, [chosen, list && list.live]);

  async function act(path, okKey) {
    setErr('');
    setNote('');
    try {
      const r = await post(path);
      if (r.training) setStatus(r.training);
      if (okKey) setNote(t(okKey, { v: r.live }));
      load();
    } catch (e) {
      setErr(errorText(e));
    }
  }

  const running = status && status.state === 'running';
  return html`<section class="page training" aria-labelledby="tr-h">
    <h1 id="tr-h">${t('nav_training')}</h1>
    <p class="error" role="alert">${err}</p>
    <p class="note" role="status">${note}</p>
    <div class="card">
      ${admin && html`<button type="button" disabled=${running}
        onClick=${() => act('models/train')}>${t('training_train')}</button>`}
      ${admin && list && list.rollback_to && html` <button type="button"
        onClick=${() => act('models/rollback', 'training_rolled_back')}>
        ${t('training_rollback', { v: list.rollback_to })}</button>`}
      <${Progress} s=${status} />
      <p class="note">${list && (list.live ? t('training_live_is', { v: list.live })
        : t('training_no_live'))}</p>
    </div>
    ${list && html`<table class="grid versions" aria-label=${t('training_versions')}>
      <thead><tr><th>${t('training_version')}</th><th>${t('training_state')}</th>
        <th>${t('training_trained')}</th><th>${t('training_accuracy')}</th>
        <th>${t('training_macro_f1')}</th><th>${t('training_examples')}</th>
        <th><span class="visually-hidden">${t('actions')}</span></th></tr></thead>
      <tbody>${list.versions.map((v) => html`<tr key=${v.version}
        aria-selected=${v.version === chosen ? 'true' : null}>
        <td>v${v.version}</td><td>${t('training_is_' + v.state)}</td>
        <td>${when(v.created_ms)}</td><td>${pct(v.cv_accuracy)}</td>
        <td>${pct(v.cv_macro_f1)}</td><td>${v.examples}</td>
        <td>${v.report && html`<button type="button" class="small"
          aria-label=${t('training_show_report', { v: v.version })}
          onClick=${() => setChosen(v.version)}>${t('training_report')}</button>`}
        ${admin && v.state !== 'live' && html` <button type="button" class="small"
          aria-label=${t('training_activate_v', { v: v.version })}
          onClick=${() => act('models/' + v.version + '/activate', 'training_activated')}>
          ${t('training_activate')}</button>`}</td></tr>`)}</tbody>
    </table>`}
    ${report && html`<${Report} r=${report} />`}
  </section>`;
}
