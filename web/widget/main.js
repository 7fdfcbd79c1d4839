/* web/widget/main.js - the widget's start: reads the embed's settings, builds the panel,
 * connects the shared protocol client (lib/proto.js) to the views and replaces the public
 * API stub that widget.js (the loader) put on window.KefuWidget.  Main thread, once per
 * page.  Module map:
 *   panel.js      elements, shadow root, styles (style.js), icons (icons.js)
 *   transcript.js the conversation log (answers through lib/md.js)
 *   pictures.js   attach / paste / drop, downscaling, preview and upload progress
 *   voice.js      recording to WAV, spoken answers
 *   people.js     talk to a person (a leave-a-message form when nobody is online), rate
 *                 this chat
 * Every widget event is a CustomEvent "kefu:<name>" on the host element that bubbles out
 * of the shadow root (docs/widget.md).
 */
import { operatorFrames } from '../lib/operator.js';
import { createChat } from '../lib/proto.js';
import { prefs } from '../lib/storage.js';
import { strings } from '../lib/strings.js';
import { typingSignal } from '../lib/typing.js';
import { buildPanel } from './panel.js';
import { setupPeople } from './people.js';
import { setupPictures } from './pictures.js';
import { createTranscript } from './transcript.js';
import { setupVoice } from './voice.js';

/* cfg: the script tag's data-* values plus src (its URL); api: window.KefuWidget, whose
 * open/close/send queued their calls in calls until now. */
export function start(cfg, api, calls) {
  const server = (cfg.server || new URL(cfg.src, location.href).origin).replace(/\/+$/, '');
  const T = strings(cfg.lang === 'zh' ? 'zh' : 'en');
  const w = {
    T,
    title: cfg.title || T.title,
    side: cfg.position === 'left' ? 'left' : 'right',
    color: cfg.color,
    store: prefs('kefu.widget:' + server + ':'),
  };
  const ui = w.ui = buildPanel(w);
  w.emit = (name, detail) => ui.host.dispatchEvent(new CustomEvent('kefu:' + name,
    { detail: detail || {}, bubbles: true, composed: true }));
  w.send = send;
  w.upload = upload;
  const log = w.log = createTranscript(w);
  const pictures = setupPictures(w);
  const people = setupPeople(w);
  const voice = setupVoice(w);
  const operator = operatorFrames(T, {
    note: log.note,
    typing: log.setTyping,
    change: (f) => w.emit('operator', f),
  });
  const typing = typingSignal((on) => operator.name() && chat.frame({ type: 'typing', on }));

  /* The answer (or error) for outbox entry m has come. */
  function settled(m) {
    if (!m) return;
    log.settled(m.id);
    if (m.kind === 'image') pictures.done(m);
  }

  const chat = w.chat = createChat({
    url: server.replace(/^http/i, 'ws') + '/ws',
    store: w.store,
    idPrefix: 'w',
    on: {
      state(s) {
        ui.statusEl.textContent = T[s];
        if (s === 'offline') people.offline();
      },
      session(s) {
        log.redraw(s, chat.pending());
        pictures.clearPreview();
        w.emit('ready', { session: s.token });
      },
      waiting: log.setTyping,
      sent(m) { if (m.kind === 'image') pictures.progress(m); },
      reply(f, m) {
        settled(m);
        log.dropQuick();
        log.addBot(f, true, f.id);
        w.emit('reply', f);
      },
      acked(f, m) { settled(m); },
      error(f, m) {
        if (!m && people.leftError(f)) return;   /* shown in the leave-a-message form */
        settled(m);
        log.setTyping(false);
        log.note(f.message || f.code);
        w.emit('error', f);
      },
      speech(f, bytes) { voice.play(bytes); },
      frame(f) {
        if (f.type === 'transcript') {
          log.transcribed(f.id, f.text);
          w.emit('transcript', f);
        } else if (f.type === 'seen') {
          log.showSeen(f.id, f);
          w.emit('seen', f);
        } else if (f.type === 'handoff') {
          people.handoff(f);
          w.emit('handoff', f);
        } else if (operator.frame(f)) {
          /* joined, left, typing: lib/operator.js */
        } else if (f.type === 'ack' && /^r-/.test(f.id)) {
          w.emit('rated', f);
        } else if (f.type === 'ack' && people.leftAck(f)) {
          w.emit('left_message', f);
        }
      },
    },
  });

  function send(text) {
    const m = chat.send(text);
    if (!m) return;
    typing.stop();
    log.dropQuick();
    log.addMe(m.id, m.text, true);
    w.emit('message', { id: m.id, text: m.text });
  }

  function upload(kind, bytes, mime, extra) {
    const m = chat.upload(kind, bytes, mime, extra);
    log.dropQuick();
    log.addMe(m.id, kind === 'audio' ? '\uD83C\uDFA4 ' + T.voice : m.text, true, m.thumb);
    w.emit('upload', { id: m.id, kind, bytes: bytes.byteLength });
  }

  function submit() {
    const text = ui.input.value;
    const p = pictures.takeReady();
    if (p) upload('image', p.bytes, p.mime, { text: text.trim(), thumb: p.thumb });
    else if (text.trim()) send(text);
    else return;
    ui.input.value = '';
    ui.input.style.height = '';
    ui.input.focus();
  }

  /* Opens or closes the panel; quiet (restoring the state at page load) moves no focus. */
  function setOpen(open, quiet) {
    ui.panel.hidden = !open;
    ui.host.classList.toggle('open', open);
    ui.launcher.setAttribute('aria-expanded', String(open));
    ui.launcher.setAttribute('aria-label', open ? T.close : T.open);
    w.store.save('open', open);
    if (open) {
      chat.connect();
      log.scrollDown();
      if (!quiet) ui.input.focus();
    } else if (!quiet) {
      ui.launcher.focus();
    }
    w.emit(open ? 'open' : 'close');
  }

  ui.launcher.addEventListener('click', () => setOpen(ui.panel.hidden));
  ui.closeBtn.addEventListener('click', () => setOpen(false));
  ui.panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') setOpen(false); });
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  ui.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  ui.input.addEventListener('input', () => {
    typing.input();
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + 'px';
  });

  api.open = () => setOpen(true);
  api.close = () => setOpen(false);
  api.send = send;
  api.element = ui.host;

  /* Into the page's body (waiting for it when the tag sits in <head>); then what was
   * asked of the API before the modules had loaded. */
  function mount() {
    document.body.appendChild(ui.host);
    chat.pending().forEach((m) => log.addMe(m.id, m.text, true));
    const wasOpen = w.store.load('open', false);
    if (chat.session() || chat.pending().length || wasOpen) chat.connect();
    if (wasOpen) setOpen(true, true);
    calls.splice(0).forEach(([name, args]) => api[name](...args));
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
}
