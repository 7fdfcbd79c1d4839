/* web/chat.js - the plain chat page's view (chat.html; an ES module, main thread).
 *
 * The protocol (session resume, outbox, resends, retries, reconnects) is lib/proto.js and
 * the answers' Markdown is lib/md.js, the same code as the widget's; this file only draws
 * the transcript into chat.html's elements, and lib/operator.js says when an operator joins
 * or leaves (as in the widget).  Customer text and notes go in as text; bot
 * answers go through md.js, which builds DOM nodes and never parses HTML.  The session
 * token and the unanswered texts are kept in localStorage ("kefu.session",
 * "kefu.outbox"), so a reload redraws the conversation and sends what was still pending.
 */
import { h } from './lib/dom.js';
import { renderInto } from './lib/md.js';
import { operatorFrames } from './lib/operator.js';
import { createChat } from './lib/proto.js';
import { prefs } from './lib/storage.js';
import { strings } from './lib/strings.js';

const T = strings(document.documentElement.lang);
const main = document.querySelector('main.chat');
const transcript = document.getElementById('transcript');
const form = document.getElementById('composer');
const input = document.getElementById('message');
const statusEl = document.getElementById('status');
const wsPath = (main && main.getAttribute('data-ws')) || '/ws';

let bubbles = {};          /* message id -> customer bubble */
let typing = null;

/* ---- transcript ----------------------------------------------------------------------- */

function scrollDown() {
  transcript.scrollTop = transcript.scrollHeight;
}

function append(el) {
  if (typing && typing.parentNode === transcript) transcript.insertBefore(el, typing);
  else transcript.appendChild(el);
  scrollDown();
  return el;
}

function addCustomer(id, text, pending) {
  const el = append(h('div', { cls: 'msg me' + (pending ? ' pending' : ''), text }));
  if (id) bubbles[id] = el;
  return el;
}

function addNote(text) {
  return append(h('div', { cls: 'msg note', text }));
}

function dropQuickReplies() {
  transcript.querySelectorAll('.quick').forEach((g) => g.remove());
}

function addBot(reply, withQuick) {
  const el = append(renderInto(h('div', { cls: 'msg bot' }), reply.text));
  const quick = (withQuick && Array.isArray(reply.quick_replies) && reply.quick_replies) || [];
  const buttons = quick.filter((q) => q && q.title).map((q) =>
    h('button', { type: 'button', text: String(q.title), onclick: () => send(q.title) }));
  if (buttons.length)
    append(h('div', { cls: 'quick', role: 'group', 'aria-label': T.suggested }, buttons));
  return el;
}

function setTyping(on) {
  if (on && !typing) {
    typing = transcript.appendChild(h('div', { cls: 'typing', text: T.typing }));
    scrollDown();
  } else if (!on && typing) {
    typing.remove();
    typing = null;
  }
}

/* The whole transcript again: greeting, the session's history, then what is pending. */
function redraw(s) {
  transcript.textContent = '';
  typing = null;
  bubbles = {};
  if (s.greeting) addBot({ text: s.greeting }, false);
  const msgs = s.messages.filter((m) => m && typeof m === 'object');
  let last = -1;
  msgs.forEach((m, i) => { if (m.from === 'bot' || m.from === 'operator') last = i; });
  msgs.forEach((m, i) => {
    if (m.from === 'customer') addCustomer(m.id, m.text, false);
    else if (m.from === 'bot' || m.from === 'operator')
      addBot(m, i === last && i === msgs.length - 1);
    else addNote(m.text);
  });
  chat.pending().forEach((p) => addCustomer(p.id, p.text, true));
}

/* ---- the protocol client -------------------------------------------------------------- */

function setStatus(state) {
  statusEl.textContent = T[state];
  statusEl.className = 'status' + (state === 'connecting' ? '' : ' ' + state);
}

function settled(item) {
  if (item && bubbles[item.id]) bubbles[item.id].classList.remove('pending');
}

/* an operator joining or leaving, and typing (lib/operator.js, shared with the widget) */
const operator = operatorFrames(T, { note: addNote, typing: setTyping });

const chat = createChat({
  url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + wsPath,
  store: prefs('kefu.'),
  on: {
    state: setStatus,
    session: redraw,
    waiting: setTyping,
    reply(f, item) {
      settled(item);
      addBot(f, true);
    },
    error(f, item) {
      settled(item);
      addNote(f.message || 'Error: ' + f.code);
    },
    frame: (f) => operator.frame(f),
  },
});

/* ---- sending -------------------------------------------------------------------------- */

function send(text) {
  const p = chat.send(text);
  if (!p) return;
  dropQuickReplies();
  addCustomer(p.id, p.text, true);
}

function grow() {
  input.style.height = 'auto';
  input.style.height = Math.min(input.scrollHeight, 160) + 'px';
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  send(input.value);
  input.value = '';
  grow();
  input.focus();
});

input.addEventListener('keydown', (e) => {
  /* Enter sends; Shift+Enter is a new line; never while an IME is composing. */
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
    e.preventDefault();
    form.requestSubmit();
  }
});
input.addEventListener('input', grow);

chat.pending().forEach((p) => addCustomer(p.id, p.text, true));
chat.connect();
input.focus();
