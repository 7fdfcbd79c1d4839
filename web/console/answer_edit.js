/* web/console/answer_edit.js - one answer in the console: its form (title, body with a
 * live preview drawn by the widget's own Markdown renderer, language, tags, enabled,
 * follow-up quick replies), its example questions, its catalogue pictures (upload with a
 * file picker or by dropping files; kefud computes their embeddings itself) and its
 * history (answer_history.js).  Main thread.  Each change is one REST call; the answer
 * the server sends back (with its new version) replaces what is shown.
 */
import { html, useEffect, useState } from './ui.js';
import { get, post, upload, query } from './api.js';
import { t, errorText } from './i18n.js';
import { Markdown } from './content.js';
import { History } from './answer_history.js';

function errText(e) {
  const known = ['title_taken', 'duplicate_example', 'picture_exists', 'unsupported_image',
    'image_too_large', 'corrupt_image', 'unsupported_media_type', 'body_too_large'];
  return known.includes(e.code) ? t('answers_err_' + e.code) : errorText(e);
}

function Followups({ list, onChange, selfId }) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState([]);
  useEffect(() => {
    if (!q.trim()) { setHits([]); return undefined; }
    const id = setTimeout(async () => {
      try {
        const r = await get('answers' + query({ q: q.trim(), limit: 6 }));
        setHits(r.answers.filter((a) => a.id !== selfId && !list.some((f) => f.id === a.id)));
      } catch (e) { setHits([]); }
    }, 200);
    return () => clearTimeout(id);
  }, [q]);
  return html`<fieldset class="followups"><legend>${t('answers_followups')}</legend>
    <ul class="chips">${list.map((f) => html`<li key=${f.id} class="chip">${f.title}
      <button type="button" class="link" aria-label=${t('answers_followup_remove',
        { title: f.title })} onClick=${() => onChange(list.filter((x) => x.id !== f.id))}>
        ×</button></li>`)}</ul>
    <input type="search" aria-label=${t('answers_followup_find')}
      placeholder=${t('answers_followup_find')} value=${q}
      onInput=${(e) => setQ(e.target.value)} />
    ${hits.map((a) => html`<button type="button" class="small secondary" key=${a.id}
      aria-label=${t('answers_followup_add', { title: a.title })}
      onClick=${() => { onChange(list.concat([{ id: a.id, title: a.title }])); setQ(''); }}>
      + ${a.title}</button>`)}
  </fieldset>`;
}

function Examples({ a, onAnswer, setErr }) {
  const [text, setText] = useState('');
  async function add(ev) {
    ev.preventDefault();
    if (!text.trim()) return;
    try {
      onAnswer((await post('answers/' + a.id + '/examples', { text: text.trim() })).answer);
      setText('');
    } catch (e) { setErr(errText(e)); }
  }
  async function remove(x) {
    try {
      onAnswer((await post('answers/' + a.id + '/examples/delete', { text: x.text })).answer);
    } catch (e) { setErr(errText(e)); }
  }
  return html`<section class="card" aria-labelledby="ex-h">
    <h2 id="ex-h">${t('answers_examples')} (${a.examples.length})</h2>
    <form class="row" onSubmit=${add}>
      <input class="grow" aria-label=${t('answers_example_new')}
        placeholder=${t('answers_example_new')} value=${text}
        onInput=${(e) => setText(e.target.value)} />
      <button type="submit">${t('answers_example_add')}</button>
    </form>
    <ul class="examples">${a.examples.map((x) => html`<li key=${x.id}>
      <span class="plain">${x.text}</span>
      <button type="button" class="link" aria-label=${t('answers_example_remove',
        { text: x.text })} onClick=${() => remove(x)}>${t('answers_remove')}</button>
    </li>`)}</ul>
  </section>`;
}

function Pictures({ a, onAnswer, setErr }) {
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  async function send(files) {
    setBusy(true);
    setErr('');
    for (const f of files) {
      try {
        onAnswer((await upload('answers/' + a.id + '/pictures' +
          query({ name: f.name.slice(0, 200) }), f)).answer);
      } catch (e) { setErr(f.name + ': ' + errText(e)); }
    }
    setBusy(false);
  }
  async function remove(p) {
    try {
      onAnswer((await post('pictures/' + p.id + '/delete')).answer);
    } catch (e) { setErr(errText(e)); }
  }
  function drop(ev) {
    ev.preventDefault();
    setOver(false);
    send(Array.from(ev.dataTransfer.files || []));
  }
  return html`<section class="card" aria-labelledby="pic-h">
    <h2 id="pic-h">${t('answers_pictures')} (${a.pictures.length})</h2>
    <div class=${'dropzone' + (over ? ' over' : '')} role="region"
      aria-label=${t('answers_drop')} onDragOver=${(e) => { e.preventDefault(); setOver(true); }}
      onDragLeave=${() => setOver(false)} onDrop=${drop}>
      <p>${busy ? t('answers_uploading') : t('answers_drop')}</p>
      <label class="button-like">${t('answers_choose_pictures')}
        <input type="file" class="visually-hidden" multiple
          accept="image/jpeg,image/png,image/webp,image/heic,image/avif"
          onChange=${(e) => { send(Array.from(e.target.files || [])); e.target.value = ''; }} />
      </label>
    </div>
    <ul class="thumbs">${a.pictures.map((p) => html`<li key=${p.id}>
      <img src=${p.url} alt=${p.source || t('answers_picture')} loading="lazy" />
      <span class="muted">${p.label || ''} ${p.embedded ? '' : t('answers_embedding')}</span>
      <button type="button" class="link" aria-label=${t('answers_picture_remove',
        { name: p.source || p.id })} onClick=${() => remove(p)}>${t('answers_remove')}</button>
    </li>`)}</ul>
  </section>`;
}

export function AnswerEdit({ id }) {
  const [a, setA] = useState(null);
  const [f, setF] = useState(null);
  const [err, setErr] = useState('');
  const [note, setNote] = useState('');
  const [tab, setTab] = useState('edit');

  function take(ans) {
    setA(ans);
    setF({ title: ans.title, body: ans.body, lang: ans.lang, tags: ans.tags,
      enabled: ans.enabled, expects: ans.expects, followups: ans.followups });
  }
  useEffect(() => {
    get('answers/' + id).then((r) => take(r.answer)).catch((e) => setErr(errorText(e)));
  }, [id]);
  useEffect(() => {     /* pictures without an embedding yet: look again shortly */
    if (!a || !a.pictures.some((p) => !p.embedded)) return undefined;
    const tm = setTimeout(() => get('answers/' + id).then((r) => setA(r.answer))
      .catch(() => {}), 1500);
    return () => clearTimeout(tm);
  }, [a]);
  if (!a || !f) return html`<section class="page"><p class="error" role="alert">${err}</p>
    <p>${err ? '' : t('loading')}</p></section>`;
  const set = (k) => (e) => setF(Object.assign({}, f, {
    [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value }));

  async function save(ev) {
    ev.preventDefault();
    setErr('');
    setNote('');
    const body = {};
    for (const k of ['title', 'body', 'lang', 'tags', 'enabled', 'expects'])
      if (f[k] !== a[k]) body[k] = f[k];
    const ids = f.followups.map((x) => x.id);
    if (ids.join() !== a.followups.map((x) => x.id).join()) body.followups = ids;
    try {
      const r = await post('answers/' + id, body);
      take(r.answer);
      setNote(t('answers_saved', { v: r.answer.version }));
    } catch (e) { setErr(errText(e)); }
  }
  const onAnswer = (ans) => { setA(ans); setNote(t('answers_saved', { v: ans.version })); };

  return html`<section class="page answer-edit" aria-labelledby="ae-h">
    <p><a href="#/answers">← ${t('nav_answers')}</a></p>
    <h1 id="ae-h">${a.title} <span class="muted">v${a.version}</span></h1>
    <div role="tablist" class="tabs">
      <button type="button" role="tab" aria-selected=${tab === 'edit'}
        onClick=${() => setTab('edit')}>${t('answers_tab_edit')}</button>
      <button type="button" role="tab" aria-selected=${tab === 'history'}
        onClick=${() => setTab('history')}>${t('answers_tab_history')}</button>
    </div>
    <p class="error" role="alert">${err}</p>
    <p class="note" role="status">${note}</p>
    ${tab === 'history' ? html`<${History} id=${id} onReverted=${(ans, missing) => { take(ans);
      setTab('edit'); setNote(t('answers_reverted', { v: ans.version }) + (missing
        ? ' ' + t('answers_reverted_missing', { n: missing }) : '')); }} />` : html`
    <form class="card answer-form" onSubmit=${save} aria-label=${t('answers_form')}>
      <div class="row">
        <label class="grow">${t('answers_title')}<input required value=${f.title}
          onInput=${set('title')} /></label>
        <label>${t('answers_lang')}<select value=${f.lang} onChange=${set('lang')}>
          <option value="en">English</option><option value="zh">中文</option></select></label>
        <label>${t('answers_tags')}<input value=${f.tags} onInput=${set('tags')} /></label>
        <label class="check"><input type="checkbox" checked=${f.enabled}
          onChange=${set('enabled')} />${t('answers_enabled')}</label>
        <label>${t('answers_expects')}<select value=${f.expects} onChange=${set('expects')}>
          ${['none', 'number', 'code', 'date', 'amount'].map((k) => html`<option value=${k}>
            ${t('answers_expects_' + k)}</option>`)}</select></label>
      </div>
      <div class="split">
        <label>${t('answers_body')}<textarea required rows="10" value=${f.body}
          onInput=${set('body')}></textarea></label>
        <div><span class="label">${t('answers_preview')}</span>
          <div class="preview-box" role="region" aria-label=${t('answers_preview')}>
            <${Markdown} text=${f.body} /></div></div>
      </div>
      <${Followups} list=${f.followups} selfId=${a.id}
        onChange=${(l) => setF(Object.assign({}, f, { followups: l }))} />
      <button type="submit">${t('answers_save')}</button>
    </form>
    <${Examples} a=${a} onAnswer=${onAnswer} setErr=${setErr} />
    <${Pictures} a=${a} onAnswer=${onAnswer} setErr=${setErr} />`}
  </section>`;
}
