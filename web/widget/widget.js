/* web/widget/widget.js - kefu's embeddable chat widget (docs/widget.md).
 *
 * One tag on any page:
 *   <script src="https://kefu.example/widget/widget.js" data-server="https://kefu.example"
 *           data-title="Help" data-lang="en" data-color="#0b62c4" data-position="right"></script>
 * Everything lives in a shadow root (styles included, as a constructed stylesheet so a
 * strict Content-Security-Policy without 'unsafe-inline' still applies them), so the
 * host page's CSS cannot reach in and ours cannot leak out.  No framework, no build step.
 *
 * Protocol: docs/protocol.md (welcome/hello/history, message/reply, uploads, people).
 * Text that reaches the page is set with textContent, except bot answers, whose
 * Markdown is HTML-escaped first and then given a small allow-list of tags; links keep
 * only http:, https:, mailto: and same-site /path targets.  Messages go through an
 * outbox kept in localStorage: each has a client id, is sent again after a reconnect until its reply
 * arrives, and the server answers a known id with the reply it logged, so nothing typed
 * is lost or doubled.  Pictures are downscaled in a canvas before upload; voice is
 * captured with getUserMedia + Web Audio and encoded here as 16 kHz mono 16-bit WAV.
 */
(function () {
  'use strict';
  if (window.KefuWidget) return;            /* the tag twice on a page: one widget */

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var ds = (script && script.dataset) || {};
  var server = (ds.server || (script && script.src ? new URL(script.src, location.href).origin
                                                   : location.origin)).replace(/\/+$/, '');
  var lang = ds.lang === 'zh' ? 'zh' : 'en';
  var side = ds.position === 'left' ? 'left' : 'right';

  /* The file is pure ASCII (non-ASCII text is \u-escaped): a host page served without a
   * UTF-8 charset would decode this script as windows-1252 and garble it otherwise. */
  var T = {
    en: {
      title: 'Customer service', open: 'Open chat', close: 'Close chat', message: 'Message',
      send: 'Send', placeholder: 'Type your question\u2026', online: 'Online',
      connecting: 'Connecting\u2026', offline: 'Offline \u2014 your messages will be sent when we are back',
      typing: 'Assistant is typing\u2026', slow: 'This is taking longer than usual; your message is kept and will be answered.',
      attach: 'Attach a picture', record: 'Record a voice message', stop: 'Stop recording and send',
      recording: 'Recording\u2026 ', person: 'Talk to a person', waiting: 'Waiting for a person',
      end: 'Rate this chat', helpful: 'Helpful', unhelpful: 'Not helpful',
      rateq: 'How was this chat?', star: ' of 5 stars', comment: 'Comment (optional)',
      rate: 'Send rating', rated: 'Thank you for your rating!', remove: 'Remove picture',
      read: 'Read from your picture:', voice: 'Voice message', play: 'Play answer',
      speak: 'Read answers aloud', drop: 'Drop a picture to send it', suggested: 'Suggested answers',
      conversation: 'Conversation', nomic: 'The microphone is not available.',
      badimg: 'That file is not a picture I can read.', uploading: 'Uploading\u2026 ',
      processing: 'Looking at it\u2026', handoffReason: 'The customer asked for a person.'
    },
    zh: {
      title: '\u5728\u7EBF\u5BA2\u670D', open: '\u6253\u5F00\u804A\u5929', close: '\u5173\u95ED\u804A\u5929', message: '\u6D88\u606F', send: '\u53D1\u9001',
      placeholder: '\u8BF7\u8F93\u5165\u60A8\u7684\u95EE\u9898\u2026', online: '\u5728\u7EBF', connecting: '\u6B63\u5728\u8FDE\u63A5\u2026',
      offline: '\u5DF2\u79BB\u7EBF\u2014\u2014\u6062\u590D\u8FDE\u63A5\u540E\u4F1A\u81EA\u52A8\u53D1\u9001\u60A8\u7684\u6D88\u606F', typing: '\u5BA2\u670D\u6B63\u5728\u8F93\u5165\u2026',
      slow: '\u56DE\u590D\u6BD4\u5E73\u65F6\u6162\uFF0C\u60A8\u7684\u6D88\u606F\u5DF2\u4FDD\u7559\uFF0C\u7A0D\u540E\u4F1A\u5F97\u5230\u56DE\u7B54\u3002', attach: '\u53D1\u9001\u56FE\u7247',
      record: '\u5F55\u5236\u8BED\u97F3\u6D88\u606F', stop: '\u505C\u6B62\u5F55\u97F3\u5E76\u53D1\u9001', recording: '\u6B63\u5728\u5F55\u97F3\u2026 ',
      person: '\u8F6C\u4EBA\u5DE5\u5BA2\u670D', waiting: '\u6B63\u5728\u7B49\u5F85\u4EBA\u5DE5\u5BA2\u670D', end: '\u8BC4\u4EF7\u672C\u6B21\u5BF9\u8BDD',
      helpful: '\u6709\u5E2E\u52A9', unhelpful: '\u6CA1\u6709\u5E2E\u52A9', rateq: '\u60A8\u5BF9\u672C\u6B21\u5BF9\u8BDD\u6EE1\u610F\u5417\uFF1F',
      star: ' \u661F\uFF08\u6EE1\u5206 5 \u661F\uFF09', comment: '\u7559\u8A00\uFF08\u53EF\u9009\uFF09', rate: '\u63D0\u4EA4\u8BC4\u4EF7', rated: '\u611F\u8C22\u60A8\u7684\u8BC4\u4EF7\uFF01',
      remove: '\u79FB\u9664\u56FE\u7247', read: '\u4ECE\u56FE\u7247\u4E2D\u8BC6\u522B\u5230\uFF1A', voice: '\u8BED\u97F3\u6D88\u606F', play: '\u64AD\u653E\u56DE\u7B54',
      speak: '\u6717\u8BFB\u56DE\u7B54', drop: '\u5C06\u56FE\u7247\u62D6\u5230\u8FD9\u91CC\u53D1\u9001', suggested: '\u63A8\u8350\u95EE\u9898', conversation: '\u5BF9\u8BDD\u8BB0\u5F55',
      nomic: '\u65E0\u6CD5\u4F7F\u7528\u9EA6\u514B\u98CE\u3002', badimg: '\u65E0\u6CD5\u8BFB\u53D6\u8FD9\u4E2A\u56FE\u7247\u6587\u4EF6\u3002', uploading: '\u6B63\u5728\u4E0A\u4F20\u2026 ',
      processing: '\u6B63\u5728\u8BC6\u522B\u2026', handoffReason: '\u5BA2\u6237\u8981\u6C42\u8F6C\u4EBA\u5DE5\u3002'
    }
  }[lang];
  var title = ds.title || T.title;

  /* ---- storage (per kefud server) ------------------------------------------------ */

  var KEY = 'kefu.widget:' + server + ':';
  function load(k, d) {
    try { var v = localStorage.getItem(KEY + k); return v === null ? d : JSON.parse(v); }
    catch (e) { return d; }
  }
  function save(k, v) {
    try { localStorage.setItem(KEY + k, JSON.stringify(v)); } catch (e) { /* private mode */ }
  }

  /* ---- safe Markdown: escape everything, then re-allow a few marks ------------------ */

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }

  function inline(s) {
    var codes = [];
    s = s.replace(/`([^`]+)`/g, function (_, c) { codes.push(c); return '\uE000' + (codes.length - 1) + '\uE001'; });
    s = s.replace(/\[([^\]]+)\]\(((?:https?:\/\/|mailto:|\/(?![\/\\]))[^\s()<>"'\\]+)\)/gi,
      '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>');
    s = s.replace(/(^|[\s(])(https?:\/\/[^\s<>"')]+[^\s<>"').,;:!?])/g,
      '$1<a href="$2" target="_blank" rel="noopener noreferrer">$2</a>');
    s = s.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/__([^_]+)__/g, '<strong>$1</strong>');
    s = s.replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?![*\w])/g, '$1<em>$2</em>');
    s = s.replace(/(^|[^_\w])_([^_\s][^_]*)_(?![_\w])/g, '$1<em>$2</em>');
    return s.replace(/\uE000(\d+)\uE001/g, function (_, i) { return '<code>' + codes[+i] + '</code>'; });
  }

  function markdown(src) {
    var out = [], para = [], list = null;
    function flushPara() { if (para.length) out.push('<p>' + para.map(inline).join('<br>') + '</p>'); para = []; }
    function flushList() {
      if (list) out.push('<' + list.t + '>' + list.items.map(function (x) { return '<li>' + inline(x) + '</li>'; }).join('') + '</' + list.t + '>');
      list = null;
    }
    esc(src || '').split(/\r?\n/).forEach(function (line) {
      var m, t;
      if (/^\s*$/.test(line)) { flushPara(); flushList(); return; }
      if ((m = /^\s*(?:[-*+\u2022]|(\d{1,3})[.)])\s+(.*)$/.exec(line))) {
        t = m[1] ? 'ol' : 'ul';
        flushPara();
        if (!list || list.t !== t) { flushList(); list = { t: t, items: [] }; }
        list.items.push(m[2]);
        return;
      }
      if ((m = /^\s*#{1,6}\s+(.*)$/.exec(line))) { flushPara(); flushList(); out.push('<p><strong>' + inline(m[1]) + '</strong></p>'); return; }
      flushList();
      para.push(line);
    });
    flushPara();
    flushList();
    return out.join('');
  }

  /* ---- DOM helpers ------------------------------------------------------------------ */

  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') el.textContent = attrs[k];
      else if (k === 'cls') el.className = attrs[k];
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined) el.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return el;
  }
  function icon(d) {
    var s = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    var p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    p.setAttribute('d', d);
    s.appendChild(p);
    return s;
  }
  var I = {
    chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z',
    close: 'M6 6l12 12M18 6L6 18',
    clip: 'M16.5 6.5l-8 8a2 2 0 0 0 2.8 2.8l8.2-8.2a4 4 0 0 0-5.7-5.7L5.6 11.6a6 6 0 0 0 8.5 8.5l6.4-6.4',
    mic: 'M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3',
    up: 'M7 11v9H4v-9h3zm2 9h8.5a2 2 0 0 0 2-1.6l1.2-6A2 2 0 0 0 18.7 10H14V5.5A2.5 2.5 0 0 0 11.5 3L9 10v10z',
    down: 'M17 13V4h3v9h-3zm-2-9H6.5a2 2 0 0 0-2 1.6l-1.2 6A2 2 0 0 0 5.3 14H10v4.5a2.5 2.5 0 0 0 2.5 2.5L15 14V4z',
    person: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 9a8 8 0 0 1 16 0',
    star: 'M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.2-5.5-2.9-5.5 2.9 1-6.2L3 9.7l6.2-.9z',
    sound: 'M4 9v6h4l5 4V5L8 9H4zm12.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z'
  };

  /* ---- styles ------------------------------------------------------------------------- */

  var STYLE = [
    ':host{all:initial !important;position:fixed !important;z-index:2147483000 !important;bottom:16px !important;' + side + ':16px !important;' +
      'display:block !important;visibility:visible !important;opacity:1 !important;transform:none !important;' +
      'font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif !important;' +
      'color:#1d2430 !important;--a:#0b62c4;--ai:#fff;--bg:#fff;--bot:#eef1f4;--line:#d5dbe3;--mut:#5b6675}',
    '*,*::before,*::after{box-sizing:border-box}',
    '[hidden]{display:none !important}',
    'button{font:inherit;color:inherit;cursor:pointer;border:0;background:none;margin:0}',
    'button:focus-visible,textarea:focus-visible,[tabindex]:focus-visible,a:focus-visible{outline:3px solid var(--a);outline-offset:2px}',
    'svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}',
    '.launch{width:56px;height:56px;border-radius:50%;background:var(--a);color:var(--ai);display:grid;place-items:center;box-shadow:0 4px 16px rgba(0,0,0,.25)}',
    '.launch svg{width:28px;height:28px}',
    '.panel{position:absolute;bottom:68px;' + side + ':0;width:380px;max-width:calc(100vw - 32px);height:600px;max-height:calc(100vh - 100px);' +
      'background:var(--bg);border:1px solid var(--line);border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden}',
    '@media (max-width:480px){.panel{position:fixed;inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0;border:0}:host(.open) .launch{display:none}}',
    '.head{display:flex;align-items:center;gap:6px;padding:10px 10px 10px 14px;background:var(--a);color:var(--ai)}',
    '.tt{flex:1;min-width:0}.head h2{font-size:16px;margin:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    '.st{font-size:12px;opacity:.9;display:block;font-weight:400}',
    '.ib{width:34px;height:34px;border-radius:8px;display:grid;place-items:center;flex:none}',
    '.head .ib:hover{background:rgba(255,255,255,.18)}',
    '.ib[aria-pressed=true]{background:rgba(255,255,255,.28)}',
    '.log{flex:1;overflow-y:auto;overflow-x:hidden;padding:12px;display:flex;flex-direction:column;gap:8px;overscroll-behavior:contain}',
    '.m{max-width:85%;padding:8px 12px;border-radius:14px;overflow-wrap:anywhere;white-space:pre-wrap}',
    '.m p{margin:0 0 6px}.m p:last-child{margin:0}.m ul,.m ol{margin:4px 0;padding-left:20px}.m a{color:inherit}',
    '.m code{font-family:ui-monospace,monospace;font-size:90%;background:rgba(0,0,0,.06);padding:0 3px;border-radius:3px}',
    '.me{align-self:flex-end;background:var(--a);color:var(--ai);border-bottom-right-radius:4px}',
    '.me.pending{opacity:.65}',
    '.bot{align-self:flex-start;background:var(--bot);border-bottom-left-radius:4px;white-space:normal}',
    '.note{align-self:center;font-size:13px;color:var(--mut);text-align:center;max-width:95%}',
    '.me img{display:block;max-width:100%;max-height:180px;border-radius:8px;margin-bottom:4px}',
    '.seen{align-self:flex-end;font-size:12px;color:var(--mut);max-width:85%;overflow-wrap:anywhere}',
    '.tools{display:flex;gap:4px;align-self:flex-start;margin-top:-4px}',
    '.tools button{width:30px;height:28px;border-radius:6px;display:grid;place-items:center;color:var(--mut)}',
    '.tools svg{width:16px;height:16px}',
    '.tools button[aria-pressed=true]{color:var(--a);background:var(--bot)}',
    '.quick{display:flex;flex-wrap:wrap;gap:6px}',
    '.quick button,.btn{border:1px solid var(--a);color:var(--a);border-radius:16px;padding:5px 12px;font-size:14px;text-align:left}',
    '.btn.pri{background:var(--a);color:var(--ai);text-align:center}',
    '.typing{align-self:flex-start;color:var(--mut);font-size:13px}',
    '.typing i{display:inline-block;width:6px;height:6px;border-radius:50%;background:var(--mut);margin-right:3px;animation:b 1s infinite}',
    '.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}',
    '@keyframes b{50%{opacity:.2}}@media (prefers-reduced-motion:reduce){.typing i{animation:none}}',
    '.prev{display:flex;align-items:center;gap:8px;padding:8px 12px;border-top:1px solid var(--line)}',
    '.prev .ib{margin-left:auto}.prev img{height:48px;max-width:120px;object-fit:contain;border-radius:6px;border:1px solid var(--line)}',
    '.bar{flex:1;height:6px;background:var(--bot);border-radius:3px;overflow:hidden}.bar b{display:block;height:100%;width:0;background:var(--a)}',
    '.rec{display:flex;align-items:center;gap:8px;padding:6px 12px;color:#b00020;font-size:13px;border-top:1px solid var(--line)}',
    '.form{display:flex;align-items:flex-end;gap:4px;padding:8px;border-top:1px solid var(--line)}',
    '.form .ib{color:var(--mut)}.form .ib.on{color:#b00020}',
    'textarea{flex:1;min-width:0;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:7px 10px;resize:none;max-height:120px;margin:0}',
    '.send{background:var(--a);color:var(--ai);border-radius:10px;padding:7px 14px;font-weight:600}',
    '.rate{align-self:stretch;border:1px solid var(--line);border-radius:10px;padding:10px;display:flex;flex-direction:column;gap:8px}',
    '.stars{display:flex;gap:2px}.stars button{width:36px;height:36px;display:grid;place-items:center;color:#c8a200}',
    '.stars svg{width:26px;height:26px}.stars button[aria-checked=true] svg,.stars .lit svg{fill:currentColor}',
    '.rate textarea{flex:none}',
    '.drop{position:absolute;inset:0;background:rgba(11,98,196,.12);border:3px dashed var(--a);display:grid;place-items:center;font-weight:600;pointer-events:none}',
    '.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '@media (prefers-color-scheme:dark){:host{color:#e6eaf0 !important;--bg:#1a2028;--bot:#262e39;--line:#33404f;--mut:#a3adba}}'
  ].join('\n');

  /* ---- build the widget ---------------------------------------------------------------- */

  var host = document.createElement('kefu-chat');
  var root = host.attachShadow({ mode: 'open' });
  if (ds.color && window.CSS && CSS.supports && CSS.supports('color', ds.color)) host.style.setProperty('--a', ds.color);
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(h('style', { text: STYLE }));
  }

  var statusEl = h('span', { cls: 'st', role: 'status', text: T.connecting });
  var personBtn = h('button', { type: 'button', cls: 'ib', title: T.person, 'aria-label': T.person, onclick: askPerson }, [icon(I.person)]);
  var speakBtn = h('button', { type: 'button', cls: 'ib', title: T.speak, 'aria-label': T.speak, 'aria-pressed': String(!!load('speak', false)), onclick: toggleSpeak }, [icon(I.sound)]);
  var rateBtn = h('button', { type: 'button', cls: 'ib', title: T.end, 'aria-label': T.end, onclick: showRating }, [icon(I.star)]);
  var closeBtn = h('button', { type: 'button', cls: 'ib', title: T.close, 'aria-label': T.close, onclick: function () { setOpen(false); } }, [icon(I.close)]);
  var log = h('div', { cls: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T.conversation, tabindex: '0' });
  var input = h('textarea', { rows: '1', 'aria-label': T.message, placeholder: T.placeholder, maxlength: '2000', enterkeyhint: 'send' });
  var fileIn = h('input', { type: 'file', accept: 'image/*', hidden: '', tabindex: '-1', 'aria-hidden': 'true' });
  var attachBtn = h('button', { type: 'button', cls: 'ib', title: T.attach, 'aria-label': T.attach, onclick: function () { fileIn.click(); } }, [icon(I.clip)]);
  var micBtn = h('button', { type: 'button', cls: 'ib', title: T.record, 'aria-label': T.record, 'aria-pressed': 'false', onclick: toggleRecord }, [icon(I.mic)]);
  var sendBtn = h('button', { type: 'submit', cls: 'send', text: T.send });
  var form = h('form', { cls: 'form', onsubmit: function (e) { e.preventDefault(); submit(); } },
    [attachBtn, fileIn, input, micBtn, sendBtn]);
  var prevImg = h('img', { alt: '' });
  var prevBar = h('b');
  var prevBox = h('div', { cls: 'bar', hidden: '' }, [prevBar]);
  var prevTxt = h('span', { cls: 'vh', 'aria-live': 'polite' });
  var prev = h('div', { cls: 'prev', hidden: '' }, [prevImg, prevBox, prevTxt,
    h('button', { type: 'button', cls: 'ib', title: T.remove, 'aria-label': T.remove, onclick: clearPicture }, [icon(I.close)])]);
  var recTxt = h('span', { 'aria-live': 'polite' });
  var rec = h('div', { cls: 'rec', hidden: '' }, [recTxt]);
  var drop = h('div', { cls: 'drop', hidden: '', text: T.drop });
  var panel = h('section', { cls: 'panel', role: 'dialog', 'aria-label': title, hidden: '' }, [
    h('div', { cls: 'head' }, [h('div', { cls: 'tt' }, [h('h2', { text: title }), statusEl]), personBtn, speakBtn, rateBtn, closeBtn]),
    log, prev, rec, form, drop]);
  var launcher = h('button', { type: 'button', cls: 'launch', 'aria-label': T.open, 'aria-expanded': 'false', onclick: function () { setOpen(panel.hidden); } }, [icon(I.chat)]);
  root.appendChild(panel);
  root.appendChild(launcher);

  function emit(name, detail) {
    host.dispatchEvent(new CustomEvent('kefu:' + name, { detail: detail || {}, bubbles: true, composed: true }));
  }

  /* Opens or closes the panel; quiet (restoring the state at page load) moves no focus. */
  function setOpen(open, quiet) {
    panel.hidden = !open;
    host.classList.toggle('open', open);
    launcher.setAttribute('aria-expanded', String(open));
    launcher.setAttribute('aria-label', open ? T.close : T.open);
    save('open', open);
    if (open) {
      if (!ws) connect();
      scrollDown();
      if (!quiet) input.focus();
    } else if (!quiet) {
      launcher.focus();
    }
    emit(open ? 'open' : 'close');
  }
  panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') setOpen(false); });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  input.addEventListener('input', function () {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  });

  /* ---- transcript ------------------------------------------------------------------- */

  var typingEl = null, typingTimer = 0, bubbles = {}, seenFor = {};
  function scrollDown() { log.scrollTop = log.scrollHeight; }
  function add(el) {
    if (typingEl && typingEl.parentNode === log) log.insertBefore(el, typingEl); else log.appendChild(el);
    scrollDown();
    return el;
  }
  function note(text) { return add(h('div', { cls: 'm note', text: text })); }

  function addMe(id, text, pending, img) {
    var el = h('div', { cls: 'm me' + (pending ? ' pending' : '') }, [img ? h('img', { src: img, alt: '' }) : null, text ? h('span', { text: text }) : null]);
    if (id) bubbles[id] = el;
    return add(el);
  }

  function dropQuick() {
    var q = log.querySelectorAll('.quick');
    for (var i = 0; i < q.length; i++) q[i].remove();
  }

  function addBot(f, withQuick, custId) {
    var el = add(h('div', { cls: 'm bot' }));
    el.innerHTML = markdown(f.text);
    if (custId && f.answer_id) {
      var up = h('button', { type: 'button', title: T.helpful, 'aria-label': T.helpful, 'aria-pressed': 'false' }, [icon(I.up)]);
      var down = h('button', { type: 'button', title: T.unhelpful, 'aria-label': T.unhelpful, 'aria-pressed': 'false' }, [icon(I.down)]);
      var vote = function (v) {
        return function () {
          up.setAttribute('aria-pressed', String(v > 0));
          down.setAttribute('aria-pressed', String(v < 0));
          frame({ type: 'feedback', id: newId('f'), message: custId, value: v });
          emit('feedback', { message: custId, value: v });
        };
      };
      up.addEventListener('click', vote(1));
      down.addEventListener('click', vote(-1));
      add(h('div', { cls: 'tools' }, [up, down]));
    }
    var quick = (withQuick && f.quick_replies) || [];
    if (quick.length) {
      add(h('div', { cls: 'quick', role: 'group', 'aria-label': T.suggested }, quick.filter(function (q) { return q && q.title; }).map(function (q) {
        return h('button', { type: 'button', text: q.title, onclick: function () { send(q.title); } });
      })));
    }
    return el;
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    if (on && !typingEl) {
      typingEl = log.appendChild(h('div', { cls: 'typing', role: 'status' }, [h('i'), h('i'), h('i'), h('span', { cls: 'vh', text: T.typing })]));
      scrollDown();
    } else if (!on && typingEl) {
      typingEl.remove();
      typingEl = null;
    }
    if (on) typingTimer = setTimeout(function () { setTyping(false); note(T.slow); }, 30000);
  }
  function updateTyping() { setTyping(ready && outbox.some(function (m) { return m.sent; })); }

  function showSeen(id, f) {
    var parts = [];
    if (f.ocr_text) parts.push('\u201C' + String(f.ocr_text).replace(/\s+/g, ' ').trim().slice(0, 200) + '\u201D');
    (f.codes || []).forEach(function (c) { parts.push((c.type || 'code') + ': ' + c.data); });
    (f.entities || []).forEach(function (e) { parts.push(e.kind + ': ' + e.text); });
    if (f.category) parts.push(String(f.category));
    if (!parts.length) return;
    var el = h('div', { cls: 'seen', text: T.read + ' ' + parts.join(' \u00B7 ') });
    var b = bubbles[id];
    if (b && b.nextSibling) log.insertBefore(el, b.nextSibling); else add(el);
    seenFor[id] = true;
  }

  function renderHistory(msgs) {
    log.textContent = '';
    typingEl = null;
    bubbles = {};
    var answered = {}, last = -1;
    msgs.forEach(function (m, i) { if (m.from === 'bot' || m.from === 'operator') { last = i; if (m.id) answered[m.id] = 1; } });
    if (welcome && welcome.text) addBot({ text: welcome.text });   /* greetings are not logged */
    msgs.forEach(function (m, i) {
      if (m.from === 'customer') addMe(m.id, m.text, false);
      else if (m.from === 'bot' || m.from === 'operator') addBot(m, i === last && i === msgs.length - 1, m.id);
      else note(m.text);
    });
    outbox = outbox.filter(function (m) { if (answered[m.id]) delete uploads[m.id]; return !answered[m.id]; });
    saveOutbox();
    clearPreview();
    outbox.forEach(function (m) { addMe(m.id, m.text || (m.kind === 'audio' ? T.voice : ''), true, m.thumb); });
  }

  /* ---- connection --------------------------------------------------------------------- */

  var ws = null, ready = false, welcome = null, resuming = false, backoff = 500, retryTimer = 0, pingTimer = 0;
  var token = load('session', null);
  var outbox = load('outbox', []);          /* [{id, text}] text messages, persisted */
  var uploads = {};                         /* id -> {kind, blob, text, speak} (memory only) */
  var expectSpeech = null;                  /* a speech frame announced its binary */
  var seq = 0;

  function saveOutbox() { save('outbox', outbox.filter(function (m) { return !m.kind; }).map(function (m) { return { id: m.id, text: m.text }; })); }
  function newId(p) { return p + '-' + Date.now().toString(36) + '-' + (++seq) + Math.random().toString(36).slice(2, 6); }
  function status(t) { statusEl.textContent = t; }
  function frame(o) {
    if (ws && ws.readyState === 1 && ready) { ws.send(JSON.stringify(o)); return true; }
    return false;
  }
  function wsUrl() { return server.replace(/^http/i, 'ws') + '/ws'; }

  function transmit(m) {
    if (!ws || ws.readyState !== 1 || !ready) return;
    if (!m.kind) {
      ws.send(JSON.stringify({ type: 'message', id: m.id, text: m.text }));
    } else {
      var u = uploads[m.id];
      if (!u) return;
      var hdr = { type: m.kind, id: m.id, bytes: u.bytes.byteLength, mime: u.mime };
      if (m.kind === 'audio') hdr.speak = u.speak;
      if (m.kind === 'image' && m.text) hdr.text = m.text;
      ws.send(JSON.stringify(hdr));
      ws.send(u.bytes);
      progress(m.id, u.bytes.byteLength);
    }
    m.sent = true;
    updateTyping();
  }

  /* Upload progress from the socket's send buffer, then "looking at it". */
  function progress(id, total) {
    if (!uploads[id] || uploads[id].kind !== 'image') return;
    prev.hidden = false;
    prevBox.hidden = false;
    (function tick() {
      var done = ws ? Math.max(0, 1 - ws.bufferedAmount / total) : 0;
      prevBar.style.width = Math.round(done * 100) + '%';
      prevTxt.textContent = done < 1 ? T.uploading + Math.round(done * 100) + '%' : T.processing;
      if (done < 1 && uploads[id]) setTimeout(tick, 100);
    })();
  }

  function onReady(greeting) {
    ready = true;
    resuming = false;
    backoff = 500;
    status(T.online);
    if (greeting && !log.querySelector('.m.bot')) log.insertBefore(addBot({ text: greeting }), log.firstChild);
    outbox.forEach(transmit);
    updateTyping();
    emit('ready', { session: token });
  }

  function settle(id) {
    var m = null;
    outbox = outbox.filter(function (x) { if (x.id === id) m = x; return x.id !== id; });
    saveOutbox();
    if (bubbles[id]) bubbles[id].classList.remove('pending');
    if (m && m.kind) { delete uploads[id]; if (m.kind === 'image') clearPreview(); }
    updateTyping();
    return m;
  }

  function onFrame(f) {
    switch (f.type) {
    case 'welcome':
      welcome = f;
      if (token && token !== f.session) { resuming = true; ws.send(JSON.stringify({ type: 'hello', session: token })); }
      else { token = f.session; save('session', token); onReady(f.text); }
      break;
    case 'history':
      token = f.session;
      save('session', token);
      renderHistory(f.messages || []);
      onReady(null);
      break;
    case 'transcript':
      if (bubbles[f.id]) {
        bubbles[f.id].textContent = f.text;
        bubbles[f.id].title = T.voice;
      } else addMe(f.id, f.text, false);
      emit('transcript', f);
      break;
    case 'seen':
      showSeen(f.id, f);
      emit('seen', f);
      break;
    case 'reply':
      settle(f.id);
      dropQuick();
      addBot(f, true, f.id);
      emit('reply', f);
      break;
    case 'speech':
      expectSpeech = f;
      break;
    case 'handoff':
      note(f.text);
      personBtn.setAttribute('aria-pressed', 'true');
      personBtn.title = T.waiting;
      emit('handoff', f);
      break;
    case 'ack':
      if (/^r-/.test(f.id)) emit('rated', f);
      break;
    case 'error':
      onError(f);
      break;
    }
  }

  function onError(f) {
    if (f.code === 'unknown_session' && resuming) {
      token = welcome.session;      /* the stored chat is gone: keep this fresh one */
      save('session', token);
      log.textContent = '';
      typingEl = null;
      outbox.forEach(function (m) { addMe(m.id, m.text, true, m.thumb); });
      onReady(welcome.text);
      return;
    }
    var m = null;
    outbox.forEach(function (x) { if (x.id === f.id) m = x; });
    if (m && /^(busy|rate_limited|internal)$/.test(f.code) && (m.tries = (m.tries || 0) + 1) <= 5) {
      m.sent = false;
      setTimeout(function () { if (outbox.indexOf(m) >= 0) transmit(m); }, f.code === 'rate_limited' ? 5000 : 1000 * m.tries);
      return;
    }
    if (m) settle(f.id);
    setTyping(false);
    updateTyping();
    note(f.message || f.code);
    emit('error', f);
  }

  function playSpeech(buf) {
    var ctx = audioCtx();
    if (!ctx) return;
    var bytes = buf.slice(0);
    var play = function () {
      ctx.decodeAudioData(bytes.slice(0)).then(function (ab) {
        var src = ctx.createBufferSource();
        src.buffer = ab;
        src.connect(ctx.destination);
        src.start();
      }, function () {});
    };
    var bots = log.querySelectorAll('.m.bot');
    var last = bots[bots.length - 1];
    if (last) last.appendChild(h('button', { type: 'button', cls: 'btn', text: '\u25B6 ' + T.play, onclick: play }));
    scrollDown();
    if (speakBtn.getAttribute('aria-pressed') === 'true') play();
    emit('speech', { bytes: buf.byteLength });
  }

  function connect() {
    clearTimeout(retryTimer);
    ready = false;
    status(T.connecting);
    try { ws = new WebSocket(wsUrl(), 'kefu.v1'); } catch (e) { ws = null; return later(); }
    ws.binaryType = 'arraybuffer';
    var me = ws;
    ws.onmessage = function (ev) {
      if (typeof ev.data !== 'string') {
        if (expectSpeech) { expectSpeech = null; playSpeech(ev.data); }
        return;
      }
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && typeof f === 'object') onFrame(f);
    };
    ws.onclose = function () {
      if (ws !== me) return;
      ws = null;
      ready = false;
      outbox.forEach(function (m) { m.sent = false; });
      setTyping(false);
      status(T.offline);
      later();
    };
    clearInterval(pingTimer);
    pingTimer = setInterval(function () { if (ready) frame({ type: 'ping' }); }, 25000);
  }
  function later() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, backoff + Math.random() * 250);
    backoff = Math.min(backoff * 2, 8000);
  }
  window.addEventListener('online', function () { if (!ws) { backoff = 500; connect(); } });

  /* ---- sending ------------------------------------------------------------------------- */

  function send(text) {
    text = String(text || '').trim();
    if (!text) return;
    var m = { id: newId('w'), text: text };
    outbox.push(m);
    saveOutbox();
    dropQuick();
    addMe(m.id, text, true);
    emit('message', { id: m.id, text: text });
    if (ready) transmit(m);
    else if (!ws) { backoff = 500; connect(); }
  }

  function queueUpload(kind, bytes, mime, text, thumb, speak) {
    var m = { id: newId(kind === 'audio' ? 'a' : 'p'), kind: kind, text: text, thumb: thumb };
    uploads[m.id] = { kind: kind, bytes: bytes, mime: mime, speak: !!speak };
    outbox.push(m);
    dropQuick();
    addMe(m.id, kind === 'audio' ? '\uD83C\uDFA4 ' + T.voice : text, true, thumb);
    emit('upload', { id: m.id, kind: kind, bytes: bytes.byteLength });
    if (ready) transmit(m);
    else if (!ws) connect();
  }

  function submit() {
    var text = input.value;
    if (picture) {
      var p = picture;
      picture = null;
      queueUpload('image', p.bytes, p.mime, text.trim(), p.thumb, false);
    } else if (!text.trim()) {
      return;
    } else {
      send(text);
    }
    input.value = '';
    input.style.height = '';
    input.focus();
  }

  /* ---- pictures ---------------------------------------------------------------------- */

  var picture = null;        /* {bytes, mime, thumb} waiting for Send */
  var MAX_SIDE = 1600, KEEP_BYTES = 1500000;

  function clearPreview() { if (picture) return; prev.hidden = true; prevBox.hidden = true; prevBar.style.width = '0'; prevTxt.textContent = ''; }
  function clearPicture() { picture = null; clearPreview(); input.focus(); }

  function canvasBlob(c, type, q) {
    return new Promise(function (ok) { c.toBlob(ok, type, q); });
  }

  /* Reads a picture file: big ones are downscaled to MAX_SIDE (JPEG), small ones kept
   * as they are (a PNG screenshot keeps its sharp text for OCR); a data: URL thumbnail
   * (allowed by strict CSPs, unlike blob: URLs) is made for the preview. */
  function takePicture(file) {
    if (!file || !/^image\//.test(file.type || '')) { note(T.badimg); return; }
    createImageBitmap(file).then(function (bm) {
      var big = Math.max(bm.width, bm.height);
      var scale = Math.min(1, MAX_SIDE / big);
      var t = Math.min(1, 160 / big);
      var tc = h('canvas', { width: Math.max(1, Math.round(bm.width * t)), height: Math.max(1, Math.round(bm.height * t)) });
      tc.getContext('2d').drawImage(bm, 0, 0, tc.width, tc.height);
      var thumb = tc.toDataURL('image/jpeg', 0.8);
      var out, size = [bm.width, bm.height];
      if (scale < 1 || file.size > KEEP_BYTES) {
        var c = h('canvas', { width: Math.round(bm.width * scale), height: Math.round(bm.height * scale) });
        var g = c.getContext('2d');
        g.fillStyle = '#fff';
        g.fillRect(0, 0, c.width, c.height);
        g.drawImage(bm, 0, 0, c.width, c.height);
        size = [c.width, c.height];
        out = canvasBlob(c, 'image/jpeg', 0.85);
      } else out = Promise.resolve(file);
      return out.then(function (blob) { return blob.arrayBuffer().then(function (b) { return [b, blob.type || file.type, thumb, size]; }); });
    }).then(function (r) {
      picture = { bytes: r[0], mime: r[1], thumb: r[2] };
      prevImg.src = r[2];
      prevBar.style.width = '0';
      prevBox.hidden = true;
      prevTxt.textContent = '';
      prev.hidden = false;
      emit('picture', { bytes: r[0].byteLength, mime: r[1], width: r[3][0], height: r[3][1] });
      input.focus();
    }).catch(function () { note(T.badimg); });
  }
  fileIn.addEventListener('change', function () { takePicture(fileIn.files[0]); fileIn.value = ''; });
  input.addEventListener('paste', function (e) {
    var files = (e.clipboardData && e.clipboardData.files) || [];
    for (var i = 0; i < files.length; i++) if (/^image\//.test(files[i].type)) { e.preventDefault(); takePicture(files[i]); return; }
  });
  panel.addEventListener('dragover', function (e) { if (e.dataTransfer && [].indexOf.call(e.dataTransfer.types, 'Files') >= 0) { e.preventDefault(); drop.hidden = false; } });
  panel.addEventListener('dragleave', function (e) { if (e.target === panel || !panel.contains(e.relatedTarget)) drop.hidden = true; });
  panel.addEventListener('drop', function (e) {
    drop.hidden = true;
    if (e.dataTransfer && e.dataTransfer.files.length) { e.preventDefault(); takePicture(e.dataTransfer.files[0]); }
  });

  /* ---- voice --------------------------------------------------------------------------- */

  var actx = null, recState = null, MAX_REC = 30;
  function audioCtx() {
    var A = window.AudioContext || window.webkitAudioContext;
    if (!actx && A) actx = new A();
    if (actx && actx.state === 'suspended') actx.resume();
    return actx;
  }

  function toggleRecord() { if (recState) stopRecord(true); else startRecord(); }

  function startRecord() {
    var ctx = audioCtx();
    if (!ctx || !navigator.mediaDevices) { note(T.nomic); return; }
    recState = { chunks: [], n: 0, t0: Date.now() };
    var st = recState;
    navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } })
      .then(function (stream) {
        if (recState !== st) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
        st.stream = stream;
        st.src = ctx.createMediaStreamSource(stream);
        st.proc = ctx.createScriptProcessor(4096, 1, 1);
        st.mute = ctx.createGain();
        st.mute.gain.value = 0;
        st.proc.onaudioprocess = function (e) {
          var d = e.inputBuffer.getChannelData(0);
          st.chunks.push(new Float32Array(d));
          st.n += d.length;
        };
        st.src.connect(st.proc);
        st.proc.connect(st.mute);
        st.mute.connect(ctx.destination);
        micBtn.classList.add('on');
        micBtn.setAttribute('aria-pressed', 'true');
        micBtn.setAttribute('aria-label', T.stop);
        rec.hidden = false;
        (function tick() {
          if (recState !== st) return;
          var s = (Date.now() - st.t0) / 1000;
          recTxt.textContent = T.recording + s.toFixed(0) + ' s';
          if (s >= MAX_REC) stopRecord(true); else setTimeout(tick, 250);
        })();
        emit('recording', {});
      }, function () { recState = null; note(T.nomic); });
  }

  function stopRecord(sendIt) {
    var st = recState;
    recState = null;
    micBtn.classList.remove('on');
    micBtn.setAttribute('aria-pressed', 'false');
    micBtn.setAttribute('aria-label', T.record);
    rec.hidden = true;
    if (!st || !st.stream) return;
    st.stream.getTracks().forEach(function (t) { t.stop(); });
    st.src.disconnect();
    st.proc.disconnect();
    st.mute.disconnect();
    if (!sendIt || !st.n) return;
    var all = new Float32Array(st.n), o = 0;
    st.chunks.forEach(function (c) { all.set(c, o); o += c.length; });
    var wav = encodeWav(resample(all, actx.sampleRate, 16000), 16000);
    queueUpload('audio', wav, 'audio/wav', '', null, speakBtn.getAttribute('aria-pressed') === 'true');
  }

  /* To 16 kHz: each output sample averages the input samples of its interval (a box
   * low-pass that keeps aliasing down), linear interpolation when upsampling. */
  function resample(x, from, to) {
    if (from === to) return x;
    var r = from / to, n = Math.floor(x.length / r), y = new Float32Array(n);
    for (var i = 0; i < n; i++) {
      var a = i * r, b = a + r;
      if (r > 1) {
        var s = 0, c = 0;
        for (var j = Math.floor(a); j < Math.min(Math.ceil(b), x.length); j++) { s += x[j]; c++; }
        y[i] = c ? s / c : 0;
      } else {
        var k = Math.floor(a), f = a - k;
        y[i] = x[k] * (1 - f) + (k + 1 < x.length ? x[k + 1] : x[k]) * f;
      }
    }
    return y;
  }

  /* 16-bit PCM mono WAV (RIFF) of samples in [-1, 1]. */
  function encodeWav(x, rate) {
    var b = new ArrayBuffer(44 + x.length * 2), v = new DataView(b);
    function str(o, s) { for (var i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); }
    str(0, 'RIFF'); v.setUint32(4, 36 + x.length * 2, true); str(8, 'WAVE');
    str(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
    v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
    str(36, 'data'); v.setUint32(40, x.length * 2, true);
    for (var i = 0; i < x.length; i++) {
      var s = Math.max(-1, Math.min(1, x[i]));
      v.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
    return b;
  }

  function toggleSpeak() {
    var on = speakBtn.getAttribute('aria-pressed') !== 'true';
    speakBtn.setAttribute('aria-pressed', String(on));
    save('speak', on);
    if (on) audioCtx();
  }

  /* ---- people: a person, a rating ------------------------------------------------------ */

  function askPerson() {
    if (!frame({ type: 'handoff', id: newId('h'), reason: T.handoffReason })) note(T.offline);
  }

  function showRating() {
    var old = log.querySelector('.rate');
    if (old) { old.querySelector('button').focus(); return; }
    var stars = 0, btns = [];
    var group = h('div', { cls: 'stars', role: 'radiogroup', 'aria-label': T.rateq });
    function pick(n, focus) {
      stars = n;
      btns.forEach(function (b, i) {
        b.setAttribute('aria-checked', String(i + 1 === n));
        b.tabIndex = i + 1 === n || (!n && !i) ? 0 : -1;
        b.classList.toggle('lit', i < n);
      });
      if (focus) btns[n - 1].focus();
    }
    for (var i = 1; i <= 5; i++) {
      (function (n) {
        var b = h('button', { type: 'button', role: 'radio', 'aria-checked': 'false', 'aria-label': n + T.star, tabindex: n === 1 ? '0' : '-1', onclick: function () { pick(n); } }, [icon(I.star)]);
        b.addEventListener('keydown', function (e) {
          var d = e.key === 'ArrowRight' || e.key === 'ArrowUp' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowDown' ? -1 : 0;
          if (d) { e.preventDefault(); pick(Math.max(1, Math.min(5, (stars || n) + d)), true); }
        });
        btns.push(b);
        group.appendChild(b);
      })(i);
    }
    var comment = h('textarea', { rows: '2', 'aria-label': T.comment, placeholder: T.comment, maxlength: '1000' });
    var box = h('div', { cls: 'rate' }, [h('div', { text: T.rateq }), group, comment,
      h('button', { type: 'button', cls: 'btn pri', text: T.rate, onclick: function () {
        if (!stars) { btns[0].focus(); return; }
        if (frame({ type: 'rating', id: newId('r'), stars: stars, comment: comment.value.trim() })) {
          box.remove();
          note(T.rated);
          input.focus();
        } else note(T.offline);
      } })]);
    add(box);
    btns[0].focus();
  }

  /* ---- start ------------------------------------------------------------------------- */

  function mount() {
    (document.body || document.documentElement).appendChild(host);
    outbox.forEach(function (m) { addMe(m.id, m.text, true); });
    if (token || outbox.length || load('open', false)) connect();
    if (load('open', false)) setOpen(true, true);
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);

  window.KefuWidget = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    send: send,
    element: host
  };
})();
