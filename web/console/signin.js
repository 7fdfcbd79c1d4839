/* web/console/signin.js - the sign-in page.  Main thread.  POST /api/v1/login with the
 * username and password; one generic message for a wrong name or password (the server
 * answers both alike), and the waiting time for a throttled or locked account (or an
 * address with too many failed sign-ins) from the server's Retry-After.  The password is kept only in the field and dropped after the
 * attempt.
 */
import { html, useState, useRef, useEffect } from './ui.js';
import { post } from './api.js';
import { t, duration } from './i18n.js';

function message(e) {
  switch (e.code) {
  case 'invalid_credentials': return t('login_invalid');
  case 'login_throttled':           /* this login name, or (below) this address */
  case 'too_many_attempts': return t('login_throttled', { wait: duration(e.retryAfter * 1000) });
  case 'account_locked': return t('login_locked', { wait: duration(e.retryAfter * 1000) });
  case 'busy': return t('login_busy');
  case 'tls_required': return t('login_tls');
  case 'network': return t('offline');
  default: return t('login_failed', { code: e.code });
  }
}

export function SignIn({ onSignedIn }) {
  const [login, setLogin] = useState('');
  const [pw, setPw] = useState('');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const user = useRef(null);
  useEffect(() => { user.current.focus(); }, []);

  async function submit(ev) {
    ev.preventDefault();
    setBusy(true);
    setErr('');
    try {
      const me = await post('login', { login: login.trim(), password: pw });
      setPw('');
      onSignedIn(me);
    } catch (e) {
      setPw('');
      setErr(message(e));
    }
    setBusy(false);
  }

  return html`<main class="signin">
    <form class="card" onSubmit=${submit} aria-labelledby="si-h">
      <h1 id="si-h">${t('signin_title')}</h1>
      <label for="si-user">${t('username')}</label>
      <input id="si-user" ref=${user} autocomplete="username" autocapitalize="none"
        spellcheck="false" required value=${login} onInput=${(e) => setLogin(e.target.value)} />
      <label for="si-pw">${t('password')}</label>
      <input id="si-pw" type="password" autocomplete="current-password" required
        value=${pw} onInput=${(e) => setPw(e.target.value)} />
      <p class="error" role="alert">${err}</p>
      <button type="submit" disabled=${busy}>${t('sign_in')}</button>
    </form>
  </main>`;
}
