/* web/console/answers.js - the Answers page: the answer store as a list with search and
 * filters (language, enabled, with pictures, weak: few examples or a low F1 in the last
 * model report), a form to add an answer, the import/export dialog (answers_io.js), and
 * one answer's editor when the hash names it (#/answers/12, answer_edit.js).  Main
 * thread.  Every change is a REST call (docs/api.md "Answers"): the server versions and
 * audits it, and kefud reloads its bot by itself within a second.
 */
import { html, useEffect, useRef, useState } from './ui.js';
import { get, post, query } from './api.js';
import { t, when, errorText } from './i18n.js';
import { Plain } from './content.js';
import { AnswerEdit } from './answer_edit.js';
import { ImportExport } from './answers_io.js';

const SEARCH_MS = 200;

function NewAnswer({ onAdded }) {
  const [f, setF] = useState({ title: '', body: '', lang: 'en' });
  const [err, setErr] = useState('');
  const set = (k) => (e) => setF(Object.assign({}, f, { [k]: e.target.value }));

  async function submit(ev) {
    ev.preventDefault();
    setErr('');
    try {
      const r = await post('answers', { title: f.title.trim(), body: f.body, lang: f.lang });
      setF({ title: '', body: '', lang: f.lang });
      onAdded(r.answer);
    } catch (e) {
      setErr(e.code === 'title_taken' ? t('answers_err_title_taken') : errorText(e));
    }
  }

  return html`<form class="card answers-new" onSubmit=${submit} aria-labelledby="an-new-h">
    <h2 id="an-new-h">${t('answers_new')}</h2>
    <div class="row">
      <label>${t('answers_title')}<input required value=${f.title} onInput=${set('title')} />
      </label>
      <label>${t('answers_lang')}<select value=${f.lang} onChange=${set('lang')}>
        <option value="en">English</option><option value="zh">中文</option></select></label>
    </div>
    <label>${t('answers_body')}<textarea required rows="3" value=${f.body}
      onInput=${set('body')}></textarea></label>
    <p class="error" role="alert">${err}</p>
    <button type="submit">${t('answers_add')}</button>
  </form>`;
}

function List() {
  const [f, setF] = useState({ q: '', lang: '', enabled: '', pictures: '', weak: false });
  const [data, setData] = useState(null);
  const [err, setErr] = useState('');
  const [io, setIo] = useState(false);
  const timer = useRef(0);

  async function load(ff) {
    try {
      setData(await get('answers' + query(Object.assign({ limit: 500 }, ff, {
        weak: ff.weak ? 1 : '' }))));
      setErr('');
    } catch (e) {
      setErr(errorText(e));
    }
  }
  useEffect(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => load(f), SEARCH_MS);
    return () => clearTimeout(timer.current);
  }, [f.q, f.lang, f.enabled, f.pictures, f.weak]);
  const set = (k) => (e) => setF(Object.assign({}, f, {
    [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value }));

  return html`<section class="page answers" aria-labelledby="ans-h">
    <div class="answers-head">
      <h1 id="ans-h">${t('nav_answers')}</h1>
      <button type="button" class="secondary" onClick=${() => setIo(true)}>
        ${t('answers_import_export')}</button>
    </div>
    <div class="filters answers-filters" role="group" aria-label=${t('answers_filters')}>
      <input type="search" role="searchbox" aria-label=${t('answers_search')}
        placeholder=${t('answers_search')} value=${f.q} onInput=${set('q')} />
      <label>${t('answers_lang')}<select value=${f.lang} onChange=${set('lang')}>
        <option value="">${t('answers_any')}</option><option value="en">English</option>
        <option value="zh">中文</option></select></label>
      <label>${t('answers_state')}<select value=${f.enabled} onChange=${set('enabled')}>
        <option value="">${t('answers_any')}</option>
        <option value="1">${t('answers_enabled')}</option>
        <option value="0">${t('answers_disabled')}</option></select></label>
      <label>${t('answers_pictures')}<select value=${f.pictures} onChange=${set('pictures')}>
        <option value="">${t('answers_any')}</option>
        <option value="1">${t('answers_with_pictures')}</option>
        <option value="0">${t('answers_without_pictures')}</option></select></label>
      <label class="check"><input type="checkbox" checked=${f.weak} onChange=${set('weak')} />
        ${t('answers_weak_only')}</label>
    </div>
    <p class="error" role="alert">${err}</p>
    ${data && html`<p class="muted" role="status">${t('answers_count', { n: data.total })}
      ${data.f1_report ? '' : ' · ' + t('answers_no_report')}</p>`}
    ${data && html`<table class="grid answers-list" aria-labelledby="ans-h">
      <thead><tr><th>${t('answers_title')}</th><th>${t('answers_lang')}</th>
        <th>${t('answers_examples')}</th><th>${t('answers_pictures')}</th>
        <th>F1</th><th>${t('answers_state')}</th><th>${t('answers_updated')}</th></tr></thead>
      <tbody>${data.answers.map((a) => html`<tr key=${a.id} class=${a.weak ? 'weak' : ''}>
        <td><a href=${'#/answers/' + a.id}>${a.title}</a>
          <${Plain} cls="preview muted" text=${a.preview} /></td>
        <td>${a.lang}</td>
        <td>${a.examples}${a.weak ? html` <span class="state s-waiting">
          ${t('answers_weak')}</span>` : ''}</td>
        <td>${a.pictures}</td>
        <td>${a.f1 == null ? '–' : a.f1.toFixed(2)}</td>
        <td>${a.enabled ? t('answers_enabled') : t('answers_disabled')}</td>
        <td>${a.updated_ms ? when(a.updated_ms) : ''}</td>
      </tr>`)}</tbody></table>`}
    <${NewAnswer} onAdded=${(a) => { location.hash = '#/answers/' + a.id; }} />
    ${io && html`<${ImportExport} onClose=${() => { setIo(false); load(f); }} />`}
  </section>`;
}

export function Answers({ me, rest }) {
  const id = rest[0] ? +rest[0] : 0;
  if (id) return html`<${AnswerEdit} id=${id} me=${me} />`;
  return html`<${List} />`;
}
