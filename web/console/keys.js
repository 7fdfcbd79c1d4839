/* web/console/keys.js - the console's keyboard shortcuts.  Main thread.  One keydown
 * listener on the document; views register the actions they offer while they are shown
 * (useKeys), so a key does what the page in front of the operator says.  Letters act
 * only when the focus is not in a text field; Escape always works (closes the help, or
 * leaves the field).  "g" then a letter goes to a page.  The list is SHORTCUTS (also
 * shown by "?" and in docs/console.md).
 */
import { html, useEffect, useRef } from './ui.js';
import { t } from './i18n.js';

/* [keys shown, string key of what it does] */
export const SHORTCUTS = [
  ['?', 'key_help'],
  ['g c', 'key_go_conversations'],
  ['g o', 'key_go_operators'],
  ['g s', 'key_go_settings'],
  ['/', 'key_search'],
  ['j / k', 'key_next_prev'],
  ['Enter', 'key_open'],
  ['t', 'key_take'],
  ['b', 'key_handback'],
  ['e', 'key_resolve'],
  ['r', 'key_reply'],
  ['c', 'key_canned'],
  ['n', 'key_note'],
  ['Alt+1…9', 'key_canned_insert'],
  ['Enter', 'key_send'],
  ['Shift+Enter', 'key_newline'],
  ['Esc', 'key_escape'],
];

const actions = new Map();
let pendingG = 0;

function typing(el) {
  return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

/* Registers {key: fn} while the calling component is shown.  fn gets the event. */
export function useKeys(map) {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    const keys = Object.keys(ref.current);
    const wrappers = keys.map((k) => [k, (ev) => ref.current[k] && ref.current[k](ev)]);
    wrappers.forEach(([k, fn]) => actions.set(k, fn));
    return () => wrappers.forEach(([k, fn]) => { if (actions.get(k) === fn) actions.delete(k); });
  }, []);
}

/* The document listener; returns its removal. */
export function installKeys(app) {
  function onKey(ev) {
    if (ev.key === 'Escape') {
      app.closeHelp();
      if (typing(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || (ev.altKey && !/^Digit[1-9]$/.test(ev.code))) return;
    if (typing(ev.target) && !ev.altKey) return;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      const to = { c: 'conversations', o: 'operators', s: 'settings' }[ev.key];
      if (to) {
        ev.preventDefault();
        location.hash = '#/' + to;
      }
      return;
    }
    if (ev.key === 'g') {
      pendingG = Date.now();
      return;
    }
    if (ev.key === '?') {
      ev.preventDefault();
      app.help();
      return;
    }
    const key = ev.altKey ? 'Alt+' + ev.code.slice(5) : ev.key;
    const fn = actions.get(key) || (ev.altKey && actions.get('Alt+digit'));
    if (fn) {
      ev.preventDefault();
      fn(ev);
    }
  }
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}

/* The "?" dialog. */
export function Shortcuts({ onClose }) {
  const ref = useRef(null);
  useEffect(() => { ref.current.focus(); }, []);
  const outside = (e) => {
    if (e.target === e.currentTarget) onClose();
  };
  return html`<div class="overlay" onClick=${outside}>
    <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="ks-h"
      tabindex="-1" ref=${ref}>
      <h2 id="ks-h">${t('shortcuts')}</h2>
      <table class="keys">
        <tbody>${SHORTCUTS.map(([k, d]) =>
          html`<tr><td><kbd>${k}</kbd></td><td>${t(d)}</td></tr>`)}</tbody>
      </table>
      <button type="button" onClick=${onClose}>${t('close')}</button>
    </section>
  </div>`;
}
