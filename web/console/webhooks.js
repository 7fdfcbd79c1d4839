/* web/console/webhooks.js - the admin page of outgoing webhooks (GET/POST
 * /api/v1/webhooks..., docs/api.md): the endpoints with their events and delivery counts,
 * adding one (the signing secret is shown here once: kefud keeps it sealed and never
 * answers it again), enabling, disabling and deleting, and the delivery log of the chosen
 * endpoint (state, attempts, last HTTP status or error, next retry).  Main thread.  The
 * server checks the role and audits each change.
 */
import { html, useEffect, useState } from './ui.js';
import { get, post } from './api.js';
import { t, when, errorText } from './i18n.js';

const EVENTS = ['handoff.requested', 'conversation.resolved', 'feedback.negative'];

function AddForm({ onAdded }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState(EVENTS.slice());
  const [err, setErr] = useState('');
  const toggle = (e) => setEvents(events.includes(e) ? events.filter((x) => x !== e)
    : events.concat([e]));

  async function submit(ev) {
    ev.preventDefault();
    setErr('');
    try {
      const r = await post('webhooks', { url: url.trim(), events: events.join(',') });
      setUrl('');
      onAdded(r);
    } catch (e) {
      setErr(e.code === 'invalid_value' ? t('reports_wh_invalid', { why: e.message })
        : errorText(e));
    }
  }

  return html`<form class="card add-op" onSubmit=${submit} aria-labelledby="wh-add-h">
    <h2 id="wh-add-h">${t('reports_wh_add_title')}</h2>
    <div class="row">
      <label>${t('reports_wh_url')}<input type="url" required spellcheck="false" size="50"
        placeholder="https://example.com/kefu" value=${url}
        onInput=${(e) => setUrl(e.target.value)} /></label>
    </div>
    <fieldset class="events"><legend>${t('reports_wh_events')}</legend>
      ${EVENTS.map((e) => html`<label class="check"><input type="checkbox"
        checked=${events.includes(e)} onChange=${() => toggle(e)} />
        <span class="mono">${e}</span></label>`)}
    </fieldset>
    <p class="error" role="alert">${err}</p>
    <button type="submit" disabled=${!events.length}>${t('reports_wh_add')}</button>
  </form>`;
}

function Log({ hook }) {
  const [rows, setRows] = useState(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    get('webhooks/' + hook.id + '/deliveries?limit=100').then((r) => setRows(r.deliveries))
      .catch((e) => setErr(errorText(e)));
  }, [hook.id, hook.delivered, hook.failed, hook.pending]);
  return html`<section aria-labelledby="wh-log-h">
    <h2 id="wh-log-h">${t('reports_wh_log', { url: hook.url })}</h2>
    <p class="error" role="alert">${err}</p>
    ${rows && html`<table class="grid" aria-labelledby="wh-log-h">
      <thead><tr><th>${t('reports_wh_time')}</th><th>${t('reports_wh_event')}</th>
        <th>${t('reports_wh_conversation')}</th><th>${t('reports_wh_state')}</th>
        <th>${t('reports_wh_attempts')}</th><th>${t('reports_wh_last')}</th>
        <th>${t('reports_wh_next')}</th><th>webhook-id</th></tr></thead>
      <tbody>${rows.map((d) => html`<tr key=${d.id}>
        <td>${when(d.created_ms)}</td><td class="mono">${d.event}</td>
        <td>${d.conversation_id ? html`<a href=${'#/conversations/' + d.conversation_id}>
          #${d.conversation_id}</a>` : ''}</td>
        <td>${d.state === 'delivered' ? t('reports_wh_delivered')
          : d.state === 'failed' ? t('reports_wh_failed') : t('reports_wh_pending')}</td>
        <td>${d.attempts}</td>
        <td>${d.last_status ? 'HTTP ' + d.last_status : ''} ${d.last_error || ''}</td>
        <td>${d.next_ms ? when(d.next_ms) : ''}</td><td class="mono">${d.msg_id}</td></tr>`)}
      </tbody></table>`}
    ${rows && !rows.length && html`<p class="muted">${t('reports_wh_no_deliveries')}</p>`}
  </section>`;
}

export function Webhooks() {
  const [hooks, setHooks] = useState(null);
  const [secret, setSecret] = useState(null);
  const [open, setOpen] = useState(0);
  const [err, setErr] = useState('');

  async function load() {
    try {
      setHooks((await get('webhooks')).webhooks);
    } catch (e) {
      setErr(errorText(e));
    }
  }
  useEffect(() => { load(); }, []);

  async function act(h, what) {
    setErr('');
    if (what === 'delete' && !window.confirm(t('reports_wh_confirm_delete', { url: h.url })))
      return;
    try {
      await post('webhooks/' + h.id + '/' + what);
      if (what === 'delete' && open === h.id) setOpen(0);
      load();
    } catch (e) {
      setErr(errorText(e));
    }
  }

  const shown = hooks && hooks.find((h) => h.id === open);
  return html`<section class="page webhooks" aria-labelledby="wh-h">
    <h1 id="wh-h">${t('reports_nav_webhooks')}</h1>
    <p class="muted">${t('reports_wh_intro')}</p>
    <${AddForm} onAdded=${(r) => { setSecret(r); load(); }} />
    ${secret && html`<div class="card secret" role="status" aria-labelledby="wh-sec-h">
      <h2 id="wh-sec-h">${t('reports_wh_secret_title')}</h2>
      <p>${t('reports_wh_secret_once', { url: secret.webhook.url })}</p>
      <p class="mono" aria-label=${t('reports_wh_secret')}>${secret.secret}</p>
      <button type="button" onClick=${() => setSecret(null)}>${t('reports_wh_secret_done')}</button>
    </div>`}
    <p class="error" role="alert">${err}</p>
    ${hooks && html`<table class="grid" aria-label=${t('reports_nav_webhooks')}>
      <thead><tr><th>URL</th><th>${t('reports_wh_events')}</th><th>${t('reports_wh_state')}</th>
        <th>${t('reports_wh_counts')}</th><th></th></tr></thead>
      <tbody>${hooks.map((h) => html`<tr key=${h.id}>
        <td class="mono">${h.url}</td><td class="mono">${h.events.join(', ')}</td>
        <td>${h.enabled ? t('reports_wh_enabled') : t('reports_wh_disabled')}</td>
        <td>${t('reports_wh_count_line', { delivered: h.delivered, pending: h.pending,
          failed: h.failed })}</td>
        <td class="actions">
          <button type="button" onClick=${() => setOpen(h.id)}>${t('reports_wh_show_log')}</button>
          <button type="button" onClick=${() => act(h, h.enabled ? 'disable' : 'enable')}>
            ${h.enabled ? t('reports_wh_disable') : t('reports_wh_enable')}</button>
          <button type="button" onClick=${() => act(h, 'delete')}>${t('reports_wh_delete')}</button>
        </td></tr>`)}</tbody></table>`}
    ${hooks && !hooks.length && html`<p class="muted">${t('reports_wh_none')}</p>`}
    ${shown && html`<${Log} hook=${shown} />`}
  </section>`;
}
