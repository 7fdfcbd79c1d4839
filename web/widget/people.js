/* web/widget/people.js - the widget's way to people (docs/protocol.md "People"): "Talk to
 * a person" (a handoff frame; kefud's answer is shown as a note) and "Rate this chat"
 * (1-5 stars as a radio group moved with the arrow keys, an optional comment, a rating
 * frame).  Main thread.
 */
import { h, icon } from '../lib/dom.js';
import { newId } from '../lib/proto.js';
import { I } from './icons.js';

/* w: {T, ui, log, chat, emit}.  Returns {handoff(f)} for kefud's handoff frame. */
export function setupPeople(w) {
  const { T, ui } = w;

  function askPerson() {
    if (!w.chat.frame({ type: 'handoff', id: newId('h'), reason: T.handoffReason }))
      w.log.note(T.offline);
  }

  function showRating() {
    const old = ui.log.querySelector('.rate');
    if (old) {
      old.querySelector('button').focus();
      return;
    }
    let stars = 0;
    const btns = [];
    const group = h('div', { cls: 'stars', role: 'radiogroup', 'aria-label': T.rateq });
    const pick = (n, focus) => {
      stars = n;
      btns.forEach((b, i) => {
        b.setAttribute('aria-checked', String(i + 1 === n));
        b.tabIndex = i + 1 === n || (!n && !i) ? 0 : -1;
        b.classList.toggle('lit', i < n);
      });
      if (focus) btns[n - 1].focus();
    };
    for (let n = 1; n <= 5; n++) {
      const b = h('button', { type: 'button', role: 'radio', 'aria-checked': 'false',
        'aria-label': n + T.star, tabindex: n === 1 ? '0' : '-1', onclick: () => pick(n) },
      [icon(I.star)]);
      b.addEventListener('keydown', (e) => {
        const k = e.key;
        const d = k === 'ArrowRight' || k === 'ArrowUp' ? 1
          : k === 'ArrowLeft' || k === 'ArrowDown' ? -1 : 0;
        if (d) {
          e.preventDefault();
          pick(Math.max(1, Math.min(5, (stars || n) + d)), true);
        }
      });
      btns.push(b);
      group.appendChild(b);
    }
    const comment = h('textarea', { rows: '2', 'aria-label': T.comment, placeholder: T.comment,
      maxlength: '1000' });
    const submit = () => {
      if (!stars) {
        btns[0].focus();
        return;
      }
      const f = { type: 'rating', id: newId('r'), stars, comment: comment.value.trim() };
      if (!w.chat.frame(f)) {
        w.log.note(T.offline);
        return;
      }
      box.remove();
      w.log.note(T.rated);
      ui.input.focus();
    };
    const box = h('div', { cls: 'rate' }, [h('div', { text: T.rateq }), group, comment,
      h('button', { type: 'button', cls: 'btn pri', text: T.rate, onclick: submit })]);
    w.log.add(box);
    btns[0].focus();
  }

  ui.personBtn.addEventListener('click', askPerson);
  ui.rateBtn.addEventListener('click', showRating);

  return {
    handoff(f) {
      w.log.note(f.text || '');
      ui.personBtn.setAttribute('aria-pressed', 'true');
      ui.personBtn.title = T.waiting;
    },
  };
}
