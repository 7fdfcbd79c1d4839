/* web/widget/people.js - the widget's way to people (docs/protocol.md "People"): "Talk to
 * a person" (a handoff frame; kefud's answer is shown as a note and, when no operator is
 * online, a "Leave a message" form: name optional, an e-mail address or a phone number,
 * the message, sent as a leave_message frame and confirmed when kefud has kept it) and
 * "Rate this chat" (1-5 stars as a radio group moved with the arrow keys, an optional
 * comment, a rating frame).  The chat keeps working while a form is open.  Main thread.
 */
import { h, icon } from '../lib/dom.js';
import { newId } from '../lib/proto.js';
import { I } from './icons.js';

/* The same checks as kefud's (daemon/proto.c), so the form says what is wrong at once. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const PHONE = /^[0-9 +\-.()]{5,32}$/;
const phoneOk = (p) => PHONE.test(p) && /^(\D*\d){5,20}\D*$/.test(p);

/* w: {T, ui, log, chat, emit}.  Returns {handoff(f)} for kefud's handoff frame,
 * leftAck(f) / leftError(f) for the answers to a left message (true when they were), and
 * offline() for a dropped connection. */
export function setupPeople(w) {
  const { T, ui } = w;
  let leave = null;            /* the open form: {box, id, show(msg)}, or null */

  /* The leave-a-message form, once (a second hand-off answer focuses it). */
  function showLeave() {
    if (leave) {
      leave.box.querySelector('textarea').focus();
      return;
    }
    const field = (label, attrs) => {
      const input = h(attrs.rows ? 'textarea' : 'input', Object.assign({ 'aria-label': label,
        placeholder: label }, attrs));
      const el = h('label', { cls: 'fld' }, [h('span', { cls: 'vh', text: label }), input]);
      return { input, el };
    };
    const name = field(T.leaveName, { type: 'text', maxlength: '100', autocomplete: 'name' });
    const email = field(T.leaveEmail, { type: 'email', maxlength: '254', autocomplete: 'email' });
    const phone = field(T.leavePhone, { type: 'tel', maxlength: '32', autocomplete: 'tel' });
    const text = field(T.leaveText, { rows: '3', maxlength: '2000' });
    const err = h('p', { cls: 'err', role: 'alert' });
    const send = h('button', { type: 'submit', cls: 'btn pri', text: T.leaveSend });
    const show = (msg, focus) => {
      err.textContent = msg || '';
      if (focus) focus.focus();
    };
    const form = h('form', { cls: 'rate leave', 'aria-label': T.leaveTitle, novalidate: '' }, [
      h('div', { cls: 'ttl', text: T.leaveTitle }), h('div', { text: T.leaveIntro }),
      name.el, email.el, phone.el, text.el, err, send]);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = { name: name.input.value.trim(), email: email.input.value.trim(),
        phone: phone.input.value.trim(), text: text.input.value.trim() };
      if (!v.text) return show(T.leaveNeedText, text.input);
      if (!v.email && !v.phone) return show(T.leaveNeedContact, email.input);
      if (v.email && !EMAIL.test(v.email)) return show(T.leaveBadEmail, email.input);
      if (v.phone && !phoneOk(v.phone)) return show(T.leaveBadPhone, phone.input);
      const f = { type: 'leave_message', id: newId('l'), text: v.text };
      ['name', 'email', 'phone'].forEach((k) => { if (v[k]) f[k] = v[k]; });
      if (!w.chat.frame(f)) return show(T.offline);
      leave.id = f.id;
      send.disabled = true;
      show('');
    });
    leave = { box: form, id: null, show: (msg) => { send.disabled = false; show(msg); } };
    w.log.add(form);
    email.input.focus();
  }

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
      if (f.operators_online === 0) showLeave();
    },
    leftAck(f) {
      if (!leave || f.id !== leave.id) return false;
      leave.box.remove();
      leave = null;
      w.log.note(T.leaveThanks);
      ui.input.focus();
      return true;
    },
    leftError(f) {
      if (!leave || f.id !== leave.id) return false;
      leave.show(f.message || f.code);
      return true;
    },
    /* The connection dropped: a message sent but not acknowledged may be sent again. */
    offline() {
      if (!leave || !leave.id) return;
      leave.id = null;
      leave.show(T.offline);
    },
  };
}
