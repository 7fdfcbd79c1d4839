/* web/console/review.js - the Review page: what customers asked that kefu could not
 * answer, grouped by kefud's review thread into clusters (GET /api/v1/review), and the
 * three actions on a cluster or on the members ticked in it: add them as example
 * questions of an existing answer (POST .../add), make a new answer of them (POST
 * .../create), dismiss them (POST .../dismiss).  Main thread.  The list is fetched
 * again every REFRESH_MS while the page is open, so clusters appear as traffic arrives.
 * Customer questions are drawn as text (Plain); the server checks roles and audits.
 */
import { html, useEffect, useState } from './ui.js';
import { get, post, query } from './api.js';
import { t, when, errorText } from './i18n.js';
import { Plain } from './content.js';

const REFRESH_MS = 5000;
const REASONS = ['fallback', 'low_confidence', 'thumbs_down', 'rejected', 'rephrase',
  'handoff', 'new_topic'];

function Reasons({ list }) {
  return html`<ul class="reasons" aria-label=${t('review_reasons')}>
    ${list.map((r) => html`<li key=${r} class=${'reason reason-' + r}>${t('review_reason_' + r)}
    </li>`)}</ul>`;
}

/* Picks an answer: the suggested one first, others found by words (GET /api/v1/canned). */
function AnswerPicker({ cluster, value, onPick }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState([]);
  const sug = cluster.suggested_answer;

  useEffect(() => {
    let stop = false;
    get('canned' + query({ q, limit: 20 })).then((r) => { if (!stop) setFound(r.answers); })
      .catch(() => {});
    return () => { stop = true; };
  }, [q]);
  const options = (sug ? [{ id: sug.id, title: sug.title }] : [])
    .concat(found.filter((a) => !sug || a.id !== sug.id));
  return html`<div class="row">
    <label>${t('review_find_answer')}<input type="search" value=${q}
      onInput=${(e) => setQ(e.target.value)} /></label>
    <label>${t('review_answer')}<select value=${value || ''}
      onChange=${(e) => onPick(Number(e.target.value) || 0)}>
      <option value="">${t('review_choose_answer')}</option>
      ${options.map((a) => html`<option key=${a.id} value=${a.id}>${a.title}</option>`)}
    </select></label>
  </div>`;
}

function Cluster({ c, me, onDone }) {
  const [ticked, setTicked] = useState({});
  const [answer, setAnswer] = useState(c.suggested_answer ? c.suggested_answer.id : 0);
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const admin = me.operator.role === 'admin';
  const chosen = c.members.filter((m) => ticked[m.id]).map((m) => m.id);
  const hid = 'rc-' + c.id;

  async function act(verb, extra, note) {
    setBusy(true);
    setErr('');
    try {
      const b = Object.assign({}, extra);
      if (chosen.length) b.items = chosen.join(',');
      const r = await post('review/clusters/' + c.id + '/' + verb, b);
      onDone(t(note, { n: r.questions, title: extra && extra.title ? extra.title : '' }));
    } catch (e) {
      setErr(e.code === 'title_taken' ? t('review_title_taken') : errorText(e));
    }
    setBusy(false);
  }

  const scope = chosen.length ? t('review_scope_chosen', { n: chosen.length })
    : t('review_scope_all', { n: c.size });
  return html`<article class="card review-cluster" aria-labelledby=${hid}>
    <h2 id=${hid}><${Plain} text=${c.label} /></h2>
    <p class="meta">${t('review_size', { n: c.size })}
      ${c.terms && html` · ${t('review_terms')}: <${Plain} text=${c.terms} />`}
      ${c.suggested_answer && html` · ${t('review_nearest')}: <${Plain}
        text=${c.suggested_answer.title} />`}</p>
    <${Reasons} list=${c.reasons} />
    <ul class="members" aria-label=${t('review_members')}>
      ${c.members.map((m) => html`<li key=${m.id}>
        <label><input type="checkbox" checked=${!!ticked[m.id]}
          onChange=${(e) => setTicked(Object.assign({}, ticked, { [m.id]: e.target.checked }))} />
          <${Plain} text=${m.text} /></label>
        <span class="when">${when(m.created_ms)}</span>
        <a href=${'#/conversations/' + m.conversation_id}>${t('review_open_conversation')}</a>
        <${Reasons} list=${m.reasons} />
      </li>`)}
    </ul>
    <p class="scope" role="status">${scope}</p>
    ${admin && html`<form class="review-add" onSubmit=${(e) => { e.preventDefault();
        if (answer) act('add', { answer_id: answer }, 'review_added_note'); }}>
      <${AnswerPicker} cluster=${c} value=${answer} onPick=${setAnswer} />
      <button type="submit" disabled=${busy || !answer}>${t('review_add')}</button>
    </form>
    <form class="review-create" onSubmit=${(e) => { e.preventDefault();
        act('create', { title: title.trim(), body }, 'review_created_note'); }}>
      <div class="row">
        <label>${t('review_new_title')}<input required value=${title}
          placeholder=${c.label} onInput=${(e) => setTitle(e.target.value)} /></label>
        <label>${t('review_new_body')}<textarea required rows="3" value=${body}
          onInput=${(e) => setBody(e.target.value)} /></label>
      </div>
      <button type="submit" disabled=${busy}>${t('review_create')}</button>
    </form>`}
    <button type="button" disabled=${busy}
      onClick=${() => act('dismiss', null, 'review_dismissed_note')}>${t('review_dismiss')}</button>
    <p class="error" role="alert">${err}</p>
  </article>`;
}

export function Review({ me }) {
  const [data, setData] = useState(null);
  const [err, setErr] = useState('');
  const [note, setNote] = useState('');

  async function load() {
    try {
      setData(await get('review'));
      setErr('');
    } catch (e) {
      setErr(errorText(e));
    }
  }
  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  return html`<section class="page review" aria-labelledby="review-h">
    <h1 id="review-h">${t('nav_review')}</h1>
    <p>${t('review_intro')}</p>
    <p class="error" role="alert">${err}</p>
    <p class="note" role="status">${note}</p>
    ${data && html`<p class="counts">${t('review_open', { n: data.open })}
      ${REASONS.filter((r) => data.reasons[r]).map((r) => html` · ${t('review_reason_' + r)}:
        ${' ' + data.reasons[r]}`)}</p>`}
    ${data && !data.clusters.length && html`<p>${t('review_empty')}</p>`}
    ${data && data.clusters.map((c) => html`<${Cluster} key=${c.id + ':' + c.size} c=${c} me=${me}
      onDone=${(n) => { setNote(n); load(); }} />`)}
  </section>`;
}
