/* web/console/notes.js - a conversation's private notes: seen by operators only, never
 * sent to the customer (POST /api/v1/conversations/{id}/notes).  Main thread.  Notes are
 * shown as plain text.
 */
import { html, useState } from './ui.js';
import { t, when, errorText } from './i18n.js';
import { note, nameOf } from './convdata.js';
import { Plain } from './content.js';

export function Notes({ id, notes, inputRef, onAdded }) {
  const [text, setText] = useState('');
  const [err, setErr] = useState('');
  async function add(e) {
    e.preventDefault();
    if (!text.trim()) return;
    try {
      await note(id, text.trim());
      setText('');
      onAdded();
    } catch (x) {
      setErr(errorText(x));
    }
  }
  return html`<section class="card notes" aria-labelledby="nt-h">
    <h2 id="nt-h">${t('notes')}</h2>
    <ul class="note-list">${notes.map((n) => html`<li>
      <span class="muted">${nameOf(n.operator)} ${n.created_ms ? when(n.created_ms) : ''}</span>
      <${Plain} text=${n.text} /></li>`)}</ul>
    <form onSubmit=${add}>
      <textarea ref=${inputRef} rows="2" aria-label=${t('note')}
        placeholder=${t('note_placeholder')}
        value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
      <p class="error" role="alert">${err}</p>
      <button type="submit" class="small">${t('add_note')}</button>
    </form>
  </section>`;
}
