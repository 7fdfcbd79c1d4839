/* web/console/canned.js - canned replies: search the answer store (GET /api/v1/answers)
 * and put an answer's body into the Reply box with one key: Enter on the highlighted
 * result, or Alt+1…9 for the first nine from anywhere on the page.  Main thread.  The
 * bodies are the store's Markdown, shown as text here and sent as the operator's words.
 */
import { html, useEffect, useRef, useState } from './ui.js';
import { t, errorText } from './i18n.js';
import { answers } from './convdata.js';
import { useKeys } from './keys.js';
import { Plain } from './content.js';

export function Canned({ inputRef, onInsert, enabled }) {
  const [q, setQ] = useState('');
  const [items, setItems] = useState([]);
  const [sel, setSel] = useState(0);
  const [err, setErr] = useState('');
  const timer = useRef(0);

  useEffect(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      answers(q).then((r) => { setItems((r.answers || []).slice(0, 9)); setSel(0); setErr(''); })
        .catch((e) => setErr(errorText(e, 'canned_missing')));
    }, 150);
    return () => clearTimeout(timer.current);
  }, [q]);

  const pick = (i) => { if (enabled && items[i]) onInsert(items[i].body || ''); };
  const keys = {};
  for (let i = 1; i <= 9; i++) keys['Alt+' + i] = () => pick(i - 1);
  useKeys(keys);

  function onKey(e) {
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (moves[e.key]) setSel((s) => Math.max(0, Math.min(items.length - 1, s + moves[e.key])));
    else if (e.key === 'Enter') pick(sel);
    else return;
    e.preventDefault();
  }

  return html`<section class="card canned" aria-labelledby="cn-h">
    <h2 id="cn-h">${t('canned')}</h2>
    <input type="search" ref=${inputRef} aria-label=${t('search_answers')}
      placeholder=${t('search_answers') + ' (c)'}
      value=${q} onInput=${(e) => setQ(e.target.value)} onKeyDown=${onKey}
      aria-controls="canned-list" aria-activedescendant=${items.length ? 'canned-' + sel : null} />
    <p class="error" role="alert">${err}</p>
    <ul id="canned-list" role="listbox" aria-label=${t('canned')}>
      ${items.map((a, i) => html`<li id=${'canned-' + i} role="option"
        aria-selected=${i === sel ? 'true' : 'false'} class=${i === sel ? 'sel' : ''}
        onClick=${() => pick(i)}>
        <kbd>Alt+${i + 1}</kbd> <${Plain} cls="inline title" text=${a.title} /></li>`)}
    </ul>
    ${!enabled && html`<p class="muted">${t('canned_take_first')}</p>`}
  </section>`;
}
