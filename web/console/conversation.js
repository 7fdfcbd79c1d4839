/* web/console/conversation.js - one open conversation: its header and the take-over
 * buttons ("Take over", "Hand back to bot", "Resolve"), the transcript (role=log named
 * "Transcript"), the customer's typing, the operator's "Reply" box, and beside them the
 * "Summary" region, canned replies and private notes.  Main thread.  Fetched from the API
 * and fetched again when an /ops frame names this conversation (the summary card is
 * fetched once, then replaced by the card kefud pushes at a hand-off); every change goes
 * through the API (CSRF-checked), never straight into local state.
 */
import { html, useEffect, useRef, useState } from './ui.js';
import * as cd from './convdata.js';
import { live } from './live.js';
import { typingSignal } from '../lib/typing.js';
import { t, duration, errorText } from './i18n.js';
import { useKeys } from './keys.js';
import { Transcript } from './transcript.js';
import { Canned } from './canned.js';
import { Notes } from './notes.js';
import { Plain } from './content.js';

const TYPING_SHOW_MS = 6000;     /* the customer's indicator fades after this */

/* Whether an /ops frame is about conversation id. */
function about(f, id) {
  const c = f.conversation_id != null ? f.conversation_id
    : f.conversation && typeof f.conversation === 'object' ? f.conversation.id : f.conversation;
  return c === id || c === String(id);
}

/* An entity of the summary card as one line: "kind: text". */
function entityText(e) {
  return (e.kind ? e.kind + ': ' : '') + (e.text || '');
}

/* An answer the bot gave and how it was taken: "title (92%; thumbs_down, person)". */
function answerText(a) {
  const conf = typeof a.confidence === 'number' ? Math.round(a.confidence * 100) + '%' : '';
  const how = [conf].concat(Array.isArray(a.reactions) ? a.reactions : []).filter(Boolean);
  return (a.title || '?') + (how.length ? ' (' + how.join('; ') + ')' : '');
}

/* The summary card s (GET .../summary or an /ops summary push, docs/api.md); nothing
 * when kefud has none. */
function Summary({ s }) {
  if (!s || !(s.summary || s.problem)) return null;
  const ents = Array.isArray(s.entities) ? s.entities : [];
  const answers = Array.isArray(s.answers) ? s.answers : [];
  return html`<section class="card summary" role="region" aria-labelledby="sum-h">
    <h2 id="sum-h">${t('summary')}</h2>
    <${Plain} text=${s.summary || s.problem} />
    ${ents.length > 0 && html`<h3>${t('sum_entities')}</h3><ul class="entities">
      ${ents.map((e) => html`<li><${Plain} text=${entityText(e)} /></li>`)}</ul>`}
    ${answers.length > 0 && html`<h3>${t('sum_answers')}</h3><ul class="entities">
      ${answers.map((a) => html`<li><${Plain} text=${answerText(a)} /></li>`)}</ul>`}
    <p class="muted">${[s.lang, s.mood ? t('mood') + ': ' + s.mood : '',
      s.asked_for_person ? t('sum_person') : ''].filter(Boolean).join(' · ')}</p>
  </section>`;
}

export function Conversation({ id, me, onChanged }) {
  const [d, setD] = useState(null);
  const [err, setErr] = useState('');
  const [draft, setDraft] = useState('');
  const [custTyping, setCustTyping] = useState(0);
  const [card, setCard] = useState(null);
  const replyRef = useRef(null);
  const noteRef = useRef(null);
  const cannedRef = useRef(null);
  const typing = useRef(null);
  if (!typing.current)
    typing.current = typingSignal((on) => live.send({ type: 'typing', conversation_id: id, on }));
  const timer = useRef(0);

  async function load() {
    try {
      setD(await cd.conversation(id));
      setErr('');
    } catch (e) {
      setErr(errorText(e, 'conv_api_missing'));
    }
  }
  useEffect(() => {
    load();
    cd.summary(id).then(setCard).catch(() => setCard(null));
    const un = live.subscribe((f) => {
      if (!about(f, id)) return;
      if (f.type === 'summary') {
        setCard(f.card || null);
        return;
      }
      if (/typing/.test(f.type || '')) {
        if (f.from !== 'operator') setCustTyping(f.on === false ? 0 : Date.now());
        return;
      }
      clearTimeout(timer.current);
      timer.current = setTimeout(load, 150);
    });
    return () => {
      un();
      clearTimeout(timer.current);
      typing.current.stop();
    };
  }, [id]);
  useEffect(() => {
    if (!custTyping) return undefined;
    const x = setTimeout(() => setCustTyping(0), TYPING_SHOW_MS);
    return () => clearTimeout(x);
  }, [custTyping]);

  const c = d && (d.conversation || d);
  const mine = c && c.assignee && c.assignee.id === me.operator.id && c.state === 'operator';

  async function act(fn, after) {
    setErr('');
    try {
      await fn(id);
      await load();
      onChanged();
      if (after) after();
    } catch (e) {
      setErr(errorText(e));
    }
  }

  async function send() {
    const text = draft.trim();
    if (!text) return;
    typing.current.stop();
    try {
      await cd.reply(id, text);
      setDraft('');
      await load();
      onChanged();
    } catch (e) {
      setErr(errorText(e));
    }
  }

  function onReplyInput(e) {
    setDraft(e.target.value);
    typing.current.input();
  }

  function takeOver() {
    act(cd.take, () => replyRef.current && replyRef.current.focus());
  }

  function onReplyKey(e) {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    send();
  }

  function insert(body) {
    setDraft((v) => (v && !/\s$/.test(v) ? v + '\n' : v) + body);
    setTimeout(() => replyRef.current && replyRef.current.focus(), 0);
  }

  useKeys({
    t: () => c && !mine && takeOver(),
    b: () => mine && act(cd.handBack),
    e: () => c && c.state !== 'resolved' && act(cd.resolve),
    r: () => replyRef.current && replyRef.current.focus(),
    n: () => noteRef.current && noteRef.current.focus(),
    c: () => cannedRef.current && cannedRef.current.focus(),
  });

  if (!c) {
    return html`<section class="conv-view"><p class="error" role="alert">${err}</p>
      ${!err && html`<p class="muted">${t('loading')}</p>`}</section>`;
  }
  const waited = c.state === 'waiting' && c.waiting_since_ms ? Date.now() - c.waiting_since_ms : 0;
  return html`<div class="conv-view">
    <section class="conv-main" aria-labelledby="cv-h">
      <header class="conv-head">
        <h2 id="cv-h">${t('customer_n', { n: c.id })}</h2>
        <span class=${'state s-' + c.state}>${t('state_' + c.state)}</span>
        <span class="muted">${c.lang || ''}${c.channel ? ' · ' + c.channel : ''}
          ${c.assignee ? ' · ' + t('assigned_to', { name: cd.nameOf(c.assignee) }) : ''}
          ${waited ? ' · ' + t('waiting_for', { d: duration(waited) }) : ''}</span>
        <span class="actions">
          ${!mine && c.state !== 'resolved' && html`<button type="button" aria-keyshortcuts="t"
            onClick=${takeOver}>${t('take_over')}</button>`}
          ${mine && html`<button type="button" aria-keyshortcuts="b"
            onClick=${() => act(cd.handBack)}>${t('hand_back')}</button>`}
          ${c.state !== 'resolved' && html`<button type="button" aria-keyshortcuts="e"
            onClick=${() => act(cd.resolve)}>${t('resolve')}</button>`}
        </span>
      </header>
      <p class="error" role="alert">${err}</p>
      <${Transcript} messages=${d.messages || []} ratings=${d.ratings || []} />
      <p class="typing" aria-live="polite">${custTyping ? t('customer_typing') : ''}</p>
      ${mine ? html`<form class="composer" onSubmit=${(e) => { e.preventDefault(); send(); }}>
          <textarea ref=${replyRef} rows="3" aria-label=${t('reply')} aria-keyshortcuts="r"
            placeholder=${t('reply_placeholder')} value=${draft} onInput=${onReplyInput}
            onKeyDown=${onReplyKey}></textarea>
          <button type="submit">${t('send_reply')}</button>
        </form>`
        : html`<p class="muted hint">${t(c.state === 'resolved' ? 'resolved_hint'
          : 'take_over_hint')}</p>`}
    </section>
    <aside class="conv-side" aria-label=${t('side_panel')}>
      <${Summary} s=${card} />
      <${Canned} inputRef=${cannedRef} onInsert=${insert} enabled=${mine} />
      <${Notes} id=${id} notes=${d.notes || []} inputRef=${noteRef} onAdded=${load} />
    </aside>
  </div>`;
}
