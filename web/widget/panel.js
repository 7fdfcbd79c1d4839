/* web/widget/panel.js - builds the widget's elements: the <kefu-chat> host with its open
 * shadow root, the launcher and the panel (header with its buttons, the transcript log,
 * picture preview, recording line, message form, drop zone).  Main thread, once at start.
 * Only structure, labels and styles live here; the other modules wire the behaviour
 * (main.js: open/close and sending; pictures.js, voice.js, people.js: their buttons).
 */
import { h, icon } from '../lib/dom.js';
import { I } from './icons.js';
import { css } from './style.js';

/* An icon button of the header or form with its accessible name (and tooltip). */
function iconButton(label, path, extra) {
  return h('button', Object.assign({ type: 'button', cls: 'ib', title: label,
    'aria-label': label }, extra || {}), [icon(path)]);
}

/* w: {T, title, side, color}.  Returns the elements by name (ui). */
export function buildPanel(w) {
  const T = w.T;
  const host = document.createElement('kefu-chat');
  const root = host.attachShadow({ mode: 'open' });
  if (w.color && window.CSS && CSS.supports && CSS.supports('color', w.color))
    host.style.setProperty('--a', w.color);
  const style = css(w.side);
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(style);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(h('style', { text: style }));  /* browsers before constructable sheets */
  }

  const ui = {
    host,
    root,
    statusEl: h('span', { cls: 'st', role: 'status', text: T.connecting }),
    personBtn: iconButton(T.person, I.person),
    speakBtn: iconButton(T.speak, I.sound, { 'aria-pressed': 'false' }),
    rateBtn: iconButton(T.end, I.star),
    closeBtn: iconButton(T.close, I.close),
    log: h('div', { cls: 'log', role: 'log', 'aria-live': 'polite',
      'aria-label': T.conversation, tabindex: '0' }),
    input: h('textarea', { rows: '1', 'aria-label': T.message, placeholder: T.placeholder,
      maxlength: '2000', enterkeyhint: 'send' }),
    fileIn: h('input', { type: 'file', accept: 'image/*', hidden: '', tabindex: '-1',
      'aria-hidden': 'true' }),
    attachBtn: iconButton(T.attach, I.clip),
    micBtn: iconButton(T.record, I.mic, { 'aria-pressed': 'false' }),
    sendBtn: h('button', { type: 'submit', cls: 'send', text: T.send }),
    prevImg: h('img', { alt: '' }),
    prevBar: h('b'),
    prevTxt: h('span', { cls: 'vh', 'aria-live': 'polite' }),
    prevClose: iconButton(T.remove, I.close),
    recTxt: h('span', { 'aria-live': 'polite' }),
    drop: h('div', { cls: 'drop', hidden: '', text: T.drop }),
    launcher: h('button', { type: 'button', cls: 'launch', 'aria-label': T.open,
      'aria-expanded': 'false' }, [icon(I.chat)]),
  };
  ui.form = h('form', { cls: 'form' },
    [ui.attachBtn, ui.fileIn, ui.input, ui.micBtn, ui.sendBtn]);
  ui.prevBox = h('div', { cls: 'bar', hidden: '' }, [ui.prevBar]);
  ui.prev = h('div', { cls: 'prev', hidden: '' },
    [ui.prevImg, ui.prevBox, ui.prevTxt, ui.prevClose]);
  ui.rec = h('div', { cls: 'rec', hidden: '' }, [ui.recTxt]);
  const head = h('div', { cls: 'head' }, [
    h('div', { cls: 'tt' }, [h('h2', { text: w.title }), ui.statusEl]),
    ui.personBtn, ui.speakBtn, ui.rateBtn, ui.closeBtn]);
  ui.panel = h('section', { cls: 'panel', role: 'dialog', 'aria-label': w.title, hidden: '' },
    [head, ui.log, ui.prev, ui.rec, ui.form, ui.drop]);
  root.appendChild(ui.panel);
  root.appendChild(ui.launcher);
  return ui;
}
