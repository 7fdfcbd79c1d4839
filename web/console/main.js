/* web/console/main.js - the operator console's start and frame.  Main thread.  Loads the
 * strings, asks /api/v1/me whether this browser has a session (its CSRF token comes with
 * the answer), then draws either the sign-in page or the signed-in layout: the main
 * navigation, the page the location hash names (#/conversations, #/operators, ...) and
 * the "Sign out" button.  Admin pages are drawn for admins only; the server enforces the
 * roles again on every request (an agent's request for an admin route gets 403).
 */
import { html, render, useEffect, useState } from './ui.js';
import { get, post, setCsrf, onSignedOut } from './api.js';
import { loadLang, preferredLang, t, currentLang, LANGS } from './i18n.js';
import { SignIn } from './signin.js';
import { Conversations } from './conversations.js';
import { Operators } from './operators.js';
import { Answers } from './answers.js';
import { Settings } from './settings.js';
import { Review } from './review.js';
import { Training } from './training.js';
import { Reports } from './reports.js';
import { Webhooks } from './webhooks.js';
import { live } from './live.js';
import { installKeys, Shortcuts } from './keys.js';

/* The pages: hash, string key of the link's name, admin only, and its view. */
const PAGES = [
  { id: 'conversations', key: 'nav_conversations', view: Conversations },
  { id: 'answers', key: 'nav_answers', view: Answers },
  { id: 'review', key: 'nav_review', view: Review },
  { id: 'training', key: 'nav_training', view: Training },
  { id: 'reports', key: 'nav_reports', view: Reports },
  { id: 'operators', key: 'nav_operators', admin: true, view: Operators },
  { id: 'settings', key: 'nav_settings', admin: true, view: Settings },
  { id: 'webhooks', key: 'reports_nav_webhooks', admin: true, view: Webhooks },
];

/* The hash as [page, rest...]: "#/conversations/12" -> ['conversations', '12']. */
function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  return parts.length ? parts : ['conversations'];
}

function useRoute() {
  const [r, setR] = useState(route());
  useEffect(() => {
    const on = () => setR(route());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return r;
}

function Forbidden({ page }) {
  return html`<section class="page placeholder" aria-labelledby="fb-h">
    <h1 id="fb-h">${t(page.key)}</h1>
    <p role="alert">${t('admins_only')}</p>
  </section>`;
}

function Layout({ me, onSignOut, onLang }) {
  const [name, ...rest] = useRoute();
  const [help, setHelp] = useState(false);
  const admin = me.operator.role === 'admin';
  const page = PAGES.find((p) => p.id === name) || PAGES[0];
  useEffect(() => installKeys({ help: () => setHelp((v) => !v),
    closeHelp: () => setHelp(false) }), []);
  let body;
  if (page.admin && !admin) body = html`<${Forbidden} page=${page} />`;
  else body = html`<${page.view} me=${me} rest=${rest} />`;
  return html`<div class="shell">
    <header class="top">
      <span class="brand">${t('brand')}</span>
      <nav aria-label=${t('nav_main')} class="nav">
        ${PAGES.filter((p) => !p.admin || admin).map((p) => html`<a href=${'#/' + p.id}
          aria-current=${p === page ? 'page' : null}>${t(p.key)}</a>`)}
      </nav>
      <span class="who" title=${me.operator.login}>${me.operator.name || me.operator.login}
        <span class="role">${t('role_' + me.operator.role)}</span></span>
      <label class="lang"><span class="visually-hidden">${t('language')}</span>
        <select onChange=${(e) => onLang(e.target.value)} aria-label=${t('language')}>
          ${LANGS.map((l) => html`<option value=${l}
            selected=${l === currentLang()}>${t('lang_' + l)}</option>`)}
        </select></label>
      <button type="button" class="help-btn" onClick=${() => setHelp(true)}
        aria-label=${t('shortcuts')} aria-keyshortcuts="?">
        ?<span class="long"> ${t('shortcuts')}</span></button>
      <button type="button" onClick=${onSignOut}>${t('sign_out')}</button>
    </header>
    <main class="main" id="main">${body}</main>
    ${help && html`<${Shortcuts} onClose=${() => setHelp(false)} />`}
  </div>`;
}

function App() {
  const [me, setMe] = useState(undefined);     /* undefined: asking; null: signed out */
  const [, setLangTick] = useState(0);

  useEffect(() => {
    onSignedOut(() => { live.stop(); setMe(null); });
    get('me').then((m) => signedIn(m)).catch(() => setMe(null));
  }, []);

  function signedIn(m) {
    setCsrf(m.csrf_token);
    live.start();
    setMe(m);
    if (!location.hash) location.hash = '#/conversations';
  }

  async function signOut() {
    try {
      await post('logout');
    } catch (e) { /* the session may be gone already: signed out either way */ }
    live.stop();
    setCsrf('');
    setMe(null);
  }

  async function switchLang(l) {
    await loadLang(l);
    setLangTick((n) => n + 1);
  }

  if (me === undefined) return html`<p class="boot">${t('loading')}</p>`;
  if (!me) return html`<${SignIn} onSignedIn=${signedIn} />`;
  return html`<${Layout} me=${me} onSignOut=${signOut} onLang=${switchLang} />`;
}

loadLang(preferredLang()).then(() => {
  const root = document.getElementById('app');
  root.textContent = '';
  render(html`<${App} />`, root);
});
