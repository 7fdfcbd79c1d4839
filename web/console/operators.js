/* web/console/operators.js - the admin page of operator accounts: the list (GET
 * /api/v1/operators), adding one (POST /api/v1/operators) and disabling one (POST
 * /api/v1/operators/{id}/disable).  Main thread.  The server checks the role and audits
 * each change; this page only shows what it answers.  A new operator's password is typed
 * here once and never shown again.
 */
import { html, useEffect, useState } from './ui.js';
import { get, post } from './api.js';
import { t, when, errorText as apiErrorText } from './i18n.js';

function errorText(e) {
  const known = ['login_taken', 'invalid_value', 'password_too_short', 'password_too_long',
    'forbidden', 'cannot_disable_self'];
  return known.includes(e.code) ? t('err_' + e.code) : apiErrorText(e);
}

function AddForm({ onAdded }) {
  const blank = { login: '', name: '', password: '', role: 'agent' };
  const [f, setF] = useState(blank);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setF(Object.assign({}, f, { [k]: e.target.value }));

  async function submit(ev) {
    ev.preventDefault();
    setBusy(true);
    setErr('');
    try {
      const body = { login: f.login.trim(), password: f.password, role: f.role };
      if (f.name.trim()) body.name = f.name.trim();
      const r = await post('operators', body);
      setF(blank);
      onAdded(r.operator);
    } catch (e) {
      setErr(errorText(e));
    }
    setBusy(false);
  }

  return html`<form class="card add-op" onSubmit=${submit} aria-labelledby="op-add-h">
    <h2 id="op-add-h">${t('op_add_title')}</h2>
    <div class="row">
      <label>${t('op_login')}<input required autocomplete="off" spellcheck="false"
        value=${f.login} onInput=${set('login')} /></label>
      <label>${t('op_name')}<input autocomplete="off" value=${f.name}
        onInput=${set('name')} /></label>
      <label>${t('op_password')}<input type="password" required minlength="12"
        autocomplete="new-password" value=${f.password} onInput=${set('password')} /></label>
      <label>${t('op_role')}<select value=${f.role} onChange=${set('role')}>
        <option value="agent">${t('role_agent')}</option>
        <option value="admin">${t('role_admin')}</option>
      </select></label>
    </div>
    <p class="error" role="alert">${err}</p>
    <button type="submit" disabled=${busy}>${t('op_add')}</button>
  </form>`;
}

export function Operators({ me }) {
  const [ops, setOps] = useState(null);
  const [err, setErr] = useState('');
  const [note, setNote] = useState('');

  async function load() {
    try {
      setOps((await get('operators')).operators);
    } catch (e) {
      setErr(errorText(e));
    }
  }
  useEffect(() => { load(); }, []);

  async function disable(o) {
    setErr('');
    try {
      await post('operators/' + o.id + '/disable');
      setNote(t('op_disabled_note', { login: o.login }));
      load();
    } catch (e) {
      setErr(errorText(e));
    }
  }

  return html`<section class="page operators" aria-labelledby="ops-h">
    <h1 id="ops-h">${t('nav_operators')}</h1>
    <p class="error" role="alert">${err}</p>
    <p class="note" role="status">${note}</p>
    ${ops && html`<table class="grid" aria-labelledby="ops-h">
      <thead><tr><th>${t('op_login')}</th><th>${t('op_name')}</th><th>${t('op_role')}</th>
        <th>${t('op_state')}</th><th>${t('op_last_login')}</th>
        <th><span class="visually-hidden">${t('actions')}</span></th></tr></thead>
      <tbody>${ops.map((o) => html`<tr key=${o.id}>
        <td>${o.login}</td><td>${o.name}</td><td>${t('role_' + o.role)}</td>
        <td>${o.disabled ? t('op_is_disabled') : t('op_is_active')}</td>
        <td>${o.last_login_ms ? when(o.last_login_ms) : t('never')}</td>
        <td>${!o.disabled && o.id !== me.operator.id && html`<button type="button"
          class="small" aria-label=${t('op_disable_named', { login: o.login })}
          onClick=${() => disable(o)}>${t('op_disable')}</button>`}</td>
      </tr>`)}</tbody>
    </table>`}
    <${AddForm} onAdded=${(o) => { setNote(t('op_added_note', { login: o.login })); load(); }} />
  </section>`;
}
