/* web/console/settings.js - the admin Settings page: this browser's notification choices
 * (sound, desktop notifications) and the audit log (GET /api/v1/audit, newest first).
 * Main thread.  kefud's own options are set in its configuration file, not here.
 */
import { html, useEffect, useState } from './ui.js';
import { get } from './api.js';
import { t, when, errorText } from './i18n.js';
import { NotifyPrefs } from './prefs.js';

export function Settings() {
  const [rows, setRows] = useState(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    get('audit?limit=100').then((r) => setRows(r.entries))
      .catch((e) => setErr(errorText(e)));
  }, []);
  return html`<section class="page settings" aria-labelledby="set-h">
    <h1 id="set-h">${t('nav_settings')}</h1>
    <${NotifyPrefs} />
    <h2 id="audit-h">${t('audit_title')}</h2>
    <p class="error" role="alert">${err}</p>
    ${rows && html`<table class="grid" aria-labelledby="audit-h">
      <thead><tr><th>${t('audit_time')}</th><th>${t('audit_who')}</th><th>${t('audit_action')}</th>
        <th>${t('audit_object')}</th><th>${t('audit_ip')}</th>
        <th>${t('audit_changes')}</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr key=${r.id}>
        <td>${when(r.time_ms)}</td><td>${r.login}</td><td>${r.action}</td><td>${r.object}</td>
        <td>${r.ip}</td>
        <td class="mono">${r.changes ? JSON.stringify(r.changes) : ''}</td></tr>`)}</tbody>
    </table>`}
  </section>`;
}
