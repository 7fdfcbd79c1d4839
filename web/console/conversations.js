/* web/console/conversations.js - the inbox: the list named "Conversations" (newest
 * activity first, with filters, counts, waiting times and full-text search) beside the
 * open conversation (conversation.js).  Main thread.  The list is fetched from the API
 * and fetched again when the /ops channel says something changed (debounced), so it is
 * live without keeping a second copy of the server's state here.  The title badge counts
 * the conversations waiting for a person.
 */
import { html, useEffect, useRef, useState } from './ui.js';
import { list, FILTERS, nameOf } from './convdata.js';
import { live } from './live.js';
import { t, duration, when, errorText } from './i18n.js';
import { setWaiting } from './notify.js';
import { useKeys } from './keys.js';
import { Plain } from './content.js';
import { Conversation } from './conversation.js';
import { NotifyPrefs } from './prefs.js';

const REFETCH_MS = 250;

function useNow(ms) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, []);
  return now;
}

function Item({ c, current, now }) {
  const waitingFor = c.state === 'waiting' && c.waiting_since_ms ? now - c.waiting_since_ms : 0;
  return html`<li class=${'conv ' + c.state + (current ? ' current' : '')}>
    <a href=${'#/conversations/' + c.id} aria-current=${current ? 'true' : null} data-id=${c.id}>
      <span class="line1"><span class="who">${t('customer_n', { n: c.id })}</span>
        <span class=${'state s-' + c.state}>${t('state_' + c.state)}</span>
        <time class="when">${when(c.last_ms)}</time></span>
      <${Plain} cls="preview" text=${c.last_text || ''} />
      <span class="line3">
        ${waitingFor > 0 &&
          html`<span class="wait">${t('waiting_for', { d: duration(waitingFor) })}</span>`}
        ${c.assignee && html`<span class="assignee">${nameOf(c.assignee)}</span>`}
        <span class="tags">${[c.lang, c.channel, c.low_confidence ? t('flag_low') : '',
          c.thumbs_down ? t('flag_down') : '', c.left_message ? t('leave_flag') : '']
          .filter(Boolean).join(' · ')}</span>
      </span>
    </a>
  </li>`;
}

export function Conversations({ me, rest }) {
  const openId = rest[0] ? +rest[0] : 0;
  const [f, setF] = useState({ filter: '', lang: '', channel: '', q: '' });
  const [data, setData] = useState(null);
  const [err, setErr] = useState('');
  const [liveState, setLiveState] = useState(live.status());
  const timer = useRef(0);
  const search = useRef(null);
  const listRef = useRef(null);
  const now = useNow(5000);

  async function load(ff) {
    try {
      const d = await list(ff || f);
      setData(d);
      setErr('');
      setWaiting(d.counts.waiting || 0);
    } catch (e) {
      setErr(errorText(e, 'conv_api_missing'));
    }
  }
  const fRef = useRef(f);
  fRef.current = f;
  useEffect(() => { load(f); }, [f.filter, f.lang, f.channel, f.q]);
  useEffect(() => {
    const un = live.subscribe(() => {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => load(fRef.current), REFETCH_MS);
    });
    const un2 = live.onStatus(setLiveState);
    return () => { un(); un2(); clearTimeout(timer.current); };
  }, []);

  function step(d) {
    const items = (data && data.conversations) || [];
    if (!items.length) return;
    const i = items.findIndex((c) => c.id === openId);
    const j = Math.max(0, Math.min(items.length - 1, i < 0 ? 0 : i + d));
    location.hash = '#/conversations/' + items[j].id;
    const a = listRef.current && listRef.current.querySelector('a[data-id="' + items[j].id + '"]');
    if (a) a.focus();
  }
  useKeys({ '/': () => search.current.focus(), j: () => step(1), k: () => step(-1) });

  const set = (k, v) => setF(Object.assign({}, f, { [k]: v }));
  const onSearch = (e) => {
    e.preventDefault();
    set('q', search.current.value.trim());
  };
  const clearSearch = () => {
    search.current.value = '';
    set('q', '');
  };
  const items = (data && data.conversations) || [];
  const counts = (data && data.counts) || {};
  return html`<div class="inbox">
    <section class="inbox-list" aria-labelledby="inbox-h">
      <div class="inbox-head">
        <h1 id="inbox-h">${t('nav_conversations')}</h1>
        <span class=${'live ' + liveState} role="status">${t('live_' + liveState)}</span>
      </div>
      <form class="search" role="search" onSubmit=${onSearch}>
        <input type="search" ref=${search} aria-label=${t('search_messages')}
          placeholder=${t('search_messages') + ' (/)'} />
      </form>
      <div class="filters" role="group" aria-label=${t('filters')}>
        ${Object.keys(FILTERS).map((k) => html`<button type="button" class="chip"
          aria-pressed=${f.filter === k ? 'true' : 'false'}
          onClick=${() => set('filter', f.filter === k ? '' : k)}>${t('filter_' + k)}
          ${counts[k] != null && html` <span class="count">${counts[k]}</span>`}</button>`)}
        <select aria-label=${t('conversation_language')} value=${f.lang}
          onChange=${(e) => set('lang', e.target.value)}>
          <option value="">${t('all_languages')}</option>
          <option value="en">${t('lang_en')}</option><option value="zh">${t('lang_zh')}</option>
        </select>
        <select aria-label=${t('channel')} value=${f.channel}
          onChange=${(e) => set('channel', e.target.value)}>
          <option value="">${t('all_channels')}</option>
          <option value="widget">${t('channel_widget')}</option>
          <option value="voice">${t('channel_voice')}</option>
        </select>
      </div>
      ${f.q && html`<p class="muted">${t('search_results', { q: f.q })}
        <button type="button" class="link" onClick=${clearSearch}>${t('clear')}</button></p>`}
      <p class="error" role="alert">${err}</p>
      <ul class="convs" aria-label=${t('nav_conversations')} ref=${listRef}>
        ${items.map((c) => html`<${Item} key=${c.id} c=${c} current=${c.id === openId}
          now=${now} />`)}
      </ul>
      ${data && !items.length && html`<p class="muted empty">${t('no_conversations')}</p>`}
      <${NotifyPrefs} />
    </section>
    ${openId ? html`<${Conversation} key=${openId} id=${openId} me=${me}
        onChanged=${() => load()} />`
      : html`<section class="conv-empty"><p class="muted">${t('pick_conversation')}</p></section>`}
  </div>`;
}
