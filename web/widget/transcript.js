/* web/widget/transcript.js - the widget's conversation log: customer bubbles (with a
 * picture thumbnail), bot answers (Markdown through lib/md.js, thumbs, quick replies),
 * notes, the typing indicator, what kefud read from a picture, and the redraw from a
 * session's history.  Main thread.  Customer text, notes and what was read are set as
 * text; answers become DOM nodes through md.js, never through an HTML parser.
 */
import { h, icon } from '../lib/dom.js';
import { renderInto } from '../lib/md.js';
import { newId } from '../lib/proto.js';
import { I } from './icons.js';

const SLOW_MS = 30000;

/* w: {T, ui, emit, send(text), chat}.  Returns the log's operations. */
export function createTranscript(w) {
  const { T } = w;
  const log = w.ui.log;
  let typingEl = null;
  let typingTimer = 0;
  let bubbles = {};            /* customer message id -> bubble */

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function add(el) {
    if (typingEl && typingEl.parentNode === log) log.insertBefore(el, typingEl);
    else log.appendChild(el);
    scrollDown();
    return el;
  }

  function note(text) {
    return add(h('div', { cls: 'm note', text: text == null ? '' : String(text) }));
  }

  function addMe(id, text, pending, img) {
    const el = h('div', { cls: 'm me' + (pending ? ' pending' : '') }, [
      img ? h('img', { src: img, alt: '' }) : null,
      text ? h('span', { text: String(text) }) : null]);
    if (id) bubbles[id] = el;
    return add(el);
  }

  function dropQuick() {
    log.querySelectorAll('.quick').forEach((q) => q.remove());
  }

  /* Thumbs up/down under the answer to the customer message custId. */
  function thumbs(custId) {
    const up = h('button', { type: 'button', title: T.helpful, 'aria-label': T.helpful,
      'aria-pressed': 'false' }, [icon(I.up)]);
    const down = h('button', { type: 'button', title: T.unhelpful, 'aria-label': T.unhelpful,
      'aria-pressed': 'false' }, [icon(I.down)]);
    const vote = (v) => () => {
      up.setAttribute('aria-pressed', String(v > 0));
      down.setAttribute('aria-pressed', String(v < 0));
      w.chat.frame({ type: 'feedback', id: newId('f'), message: custId, value: v });
      w.emit('feedback', { message: custId, value: v });
    };
    up.addEventListener('click', vote(1));
    down.addEventListener('click', vote(-1));
    return h('div', { cls: 'tools' }, [up, down]);
  }

  /* A bot (or operator) answer f; quick replies only when withQuick; thumbs when it
   * answers the customer message custId with a stored answer. */
  function addBot(f, withQuick, custId) {
    const el = add(renderInto(h('div', { cls: 'm bot' }), f.text));
    if (custId && f.answer_id) add(thumbs(custId));
    const quick = (withQuick && Array.isArray(f.quick_replies) && f.quick_replies) || [];
    const buttons = quick.filter((q) => q && q.title).map((q) =>
      h('button', { type: 'button', text: String(q.title), onclick: () => w.send(q.title) }));
    if (buttons.length)
      add(h('div', { cls: 'quick', role: 'group', 'aria-label': T.suggested }, buttons));
    return el;
  }

  /* The typing dots while a message waits; after SLOW_MS a note that it is kept. */
  function setTyping(on) {
    clearTimeout(typingTimer);
    if (on && !typingEl) {
      typingEl = log.appendChild(h('div', { cls: 'typing', role: 'status' },
        [h('i'), h('i'), h('i'), h('span', { cls: 'vh', text: T.typing })]));
      scrollDown();
    } else if (!on && typingEl) {
      typingEl.remove();
      typingEl = null;
    }
    if (on) typingTimer = setTimeout(() => { setTyping(false); note(T.slow); }, SLOW_MS);
  }

  /* What kefud read from the picture of message id (a seen frame), under its bubble. */
  function showSeen(id, f) {
    const parts = [];
    if (f.ocr_text) {
      const read = String(f.ocr_text).replace(/\s+/g, ' ').trim().slice(0, 200);
      parts.push('\u201C' + read + '\u201D');
    }
    for (const c of Array.isArray(f.codes) ? f.codes : [])
      if (c) parts.push((c.type || 'code') + ': ' + c.data);
    for (const e of Array.isArray(f.entities) ? f.entities : [])
      if (e) parts.push(e.kind + ': ' + e.text);
    if (f.category) parts.push(String(f.category));
    if (!parts.length) return;
    const el = h('div', { cls: 'seen', text: T.read + ' ' + parts.join(' \u00B7 ') });
    const b = bubbles[id];
    if (b && b.nextSibling) log.insertBefore(el, b.nextSibling);
    else add(el);
  }

  /* A voice bubble becomes its transcript (a transcript frame). */
  function transcribed(id, text) {
    if (!bubbles[id]) {
      addMe(id, text, false);
      return;
    }
    bubbles[id].textContent = String(text);
    bubbles[id].title = T.voice;
  }

  /* The whole log again: greeting (not logged by kefud), history, then the outbox. */
  function redraw(s, pending) {
    log.textContent = '';
    typingEl = null;
    bubbles = {};
    if (s.greeting) addBot({ text: s.greeting });
    const msgs = s.messages.filter((m) => m && typeof m === 'object');
    let last = -1;
    msgs.forEach((m, i) => { if (m.from === 'bot' || m.from === 'operator') last = i; });
    msgs.forEach((m, i) => {
      if (m.from === 'customer') addMe(m.id, m.text, false);
      else if (m.from === 'bot' || m.from === 'operator')
        addBot(m, i === last && i === msgs.length - 1, m.id);
      else note(m.text);
    });
    pending.forEach((m) => addMe(m.id, m.text || (m.kind === 'audio' ? T.voice : ''), true,
      m.thumb));
  }

  /* The message id got its answer (or was given up). */
  function settled(id) {
    if (bubbles[id]) bubbles[id].classList.remove('pending');
  }

  return { add, note, addMe, addBot, dropQuick, setTyping, showSeen, transcribed, redraw,
    settled, scrollDown };
}
