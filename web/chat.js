/* web/chat.js — the plain chat page's client (protocol: docs/protocol.md).
 *
 * One WebSocket to /ws with subprotocol kefu.v1.  The session token is kept in
 * localStorage: on every (re)connect the server's welcome is answered with a hello for
 * the stored token, and the history it sends back redraws the transcript.  Messages
 * not answered yet ("pending", also kept in localStorage) are sent again with the
 * same id after a reconnect; the server answers a known id with the reply it logged,
 * so nothing is doubled.  Bot text is Markdown: it is HTML-escaped first, then a tiny
 * allow-list (paragraphs, line breaks, lists, bold, italic, code, http(s)/mailto links)
 * is turned into tags, so no markup from the answer store reaches the page.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'kefu.session';
  var PENDING_KEY = 'kefu.pending';
  var MAX_RETRIES = 5;

  var main = document.querySelector('main.chat');
  var transcript = document.getElementById('transcript');
  var form = document.getElementById('composer');
  var input = document.getElementById('message');
  var statusEl = document.getElementById('status');
  var wsPath = (main && main.getAttribute('data-ws')) || '/ws';

  var ws = null;
  var ready = false;          /* welcome (and resume) done on this socket */
  var resuming = false;
  var welcome = null;         /* this socket's welcome frame */
  var backoff = 500;
  var token = load(TOKEN_KEY, null);
  var pending = load(PENDING_KEY, []);   /* [{id, text, tries}] in sending order */
  var bubbles = {};           /* message id -> customer bubble */
  var typing = null;

  /* ---- storage -------------------------------------------------------------------- */

  function load(key, dflt) {
    try {
      var v = window.localStorage.getItem(key);
      return v === null ? dflt : JSON.parse(v);
    } catch (e) {
      return dflt;
    }
  }

  function store(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* private mode: the chat still works, it just will not resume */ }
  }

  /* ---- safe Markdown ---------------------------------------------------------------- */

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }

  /* Inline marks on one already escaped line. */
  function inline(s) {
    var codes = [];
    s = s.replace(/`([^`]+)`/g, function (_, c) {
      codes.push(c);
      return '\uE000' + (codes.length - 1) + '\uE001';
    });
    s = s.replace(/\[([^\]]+)\]\(((?:https?:\/\/|mailto:)[^\s)]+)\)/g,
      '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>');
    s = s.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
    s = s.replace(/__([^_]+)__/g, '<strong>$1</strong>');
    s = s.replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?![*\w])/g, '$1<em>$2</em>');
    s = s.replace(/(^|[^_\w])_([^_\s][^_]*)_(?![_\w])/g, '$1<em>$2</em>');
    return s.replace(/\uE000(\d+)\uE001/g, function (_, i) {
      return codes[+i] === undefined ? '' : '<code>' + codes[+i] + '</code>';
    });
  }

  function markdown(src) {
    var lines = escapeHtml(src || '').split(/\r?\n/);
    var out = [], para = [], list = null;

    function flushPara() {
      if (para.length) out.push('<p>' + para.map(inline).join('<br>') + '</p>');
      para = [];
    }
    function flushList() {
      if (!list) return;
      out.push('<' + list.tag + '>' + list.items.map(function (it) {
        return '<li>' + inline(it) + '</li>';
      }).join('') + '</' + list.tag + '>');
      list = null;
    }
    function item(tag, text) {
      flushPara();
      if (!list || list.tag !== tag) {
        flushList();
        list = { tag: tag, items: [] };
      }
      list.items.push(text);
    }

    lines.forEach(function (line) {
      var m;
      if (/^\s*$/.test(line)) {
        flushPara();
        flushList();
      } else if ((m = /^\s*[-*+\u2022]\s+(.*)$/.exec(line))) {
        item('ul', m[1]);
      } else if ((m = /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line))) {
        item('ol', m[1]);
      } else if ((m = /^\s*#{1,6}\s+(.*)$/.exec(line))) {
        flushPara();
        flushList();
        out.push('<p><strong>' + inline(m[1]) + '</strong></p>');
      } else {
        flushList();
        para.push(line);
      }
    });
    flushPara();
    flushList();
    return out.join('');
  }

  /* ---- transcript ------------------------------------------------------------------- */

  function scrollDown() {
    transcript.scrollTop = transcript.scrollHeight;
  }

  function append(el) {
    if (typing && typing.parentNode === transcript) transcript.insertBefore(el, typing);
    else transcript.appendChild(el);
    scrollDown();
    return el;
  }

  function addCustomer(id, text, isPending) {
    var el = document.createElement('div');
    el.className = 'msg me' + (isPending ? ' pending' : '');
    el.textContent = text;
    if (id) bubbles[id] = el;
    return append(el);
  }

  function dropQuickReplies() {
    var groups = transcript.querySelectorAll('.quick');
    for (var i = 0; i < groups.length; i++) groups[i].parentNode.removeChild(groups[i]);
  }

  function addBot(reply, withQuick) {
    var el = document.createElement('div');
    el.className = 'msg bot';
    el.innerHTML = markdown(reply.text);
    append(el);
    var quick = reply.quick_replies || [];
    if (withQuick && quick.length) {
      var group = document.createElement('div');
      group.className = 'quick';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', 'Suggested answers');
      quick.forEach(function (q) {
        if (!q || !q.title) return;
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = q.title;
        b.addEventListener('click', function () { send(q.title); });
        group.appendChild(b);
      });
      append(group);
    }
    return el;
  }

  function addNote(text) {
    var el = document.createElement('div');
    el.className = 'msg note';
    el.textContent = text;
    return append(el);
  }

  function updateTyping() {
    var waiting = ready && pending.length > 0;
    if (waiting && !typing) {
      typing = document.createElement('div');
      typing.className = 'typing';
      typing.textContent = 'Assistant is typing…';
      transcript.appendChild(typing);
      scrollDown();
    } else if (!waiting && typing) {
      typing.parentNode.removeChild(typing);
      typing = null;
    }
  }

  function renderHistory(messages) {
    var answered = {}, lastBot = -1;
    messages.forEach(function (m, i) {
      if (m.from === 'bot' || m.from === 'operator') {
        lastBot = i;
        if (m.id) answered[m.id] = true;
      }
    });
    transcript.textContent = '';
    typing = null;
    bubbles = {};
    messages.forEach(function (m, i) {
      if (m.from === 'customer') addCustomer(m.id, m.text, false);
      else if (m.from === 'bot' || m.from === 'operator') {
        addBot(m, i === lastBot && i === messages.length - 1);
      } else addNote(m.text);
    });
    pending = pending.filter(function (p) { return !answered[p.id]; });
    store(PENDING_KEY, pending);
    pending.forEach(function (p) { addCustomer(p.id, p.text, true); });
  }

  /* ---- connection ------------------------------------------------------------------- */

  function setStatus(text, cls) {
    statusEl.textContent = text;
    statusEl.className = 'status' + (cls ? ' ' + cls : '');
  }

  function wsUrl() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + wsPath;
  }

  function transmit(p) {
    if (!ready || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: 'message', id: p.id, text: p.text }));
  }

  function onReady(greeting) {
    ready = true;
    resuming = false;
    backoff = 500;
    setStatus('Online', 'online');
    if (greeting && !transcript.querySelector('.msg')) addBot({ text: greeting }, false);
    pending.forEach(transmit);
    updateTyping();
  }

  function onReply(f) {
    pending = pending.filter(function (p) { return p.id !== f.id; });
    store(PENDING_KEY, pending);
    if (bubbles[f.id]) bubbles[f.id].classList.remove('pending');
    addBot(f, true);
    updateTyping();
  }

  function retryLater(id, ms) {
    setTimeout(function () {
      for (var i = 0; i < pending.length; i++)
        if (pending[i].id === id) transmit(pending[i]);
    }, ms);
  }

  function onError(f) {
    var p = null;
    for (var i = 0; i < pending.length; i++) if (pending[i].id === f.id) p = pending[i];

    if (f.code === 'unknown_session' && resuming) {
      /* The stored session is gone: keep the fresh one from this welcome. */
      token = welcome.session;
      store(TOKEN_KEY, token);
      transcript.textContent = '';
      typing = null;
      bubbles = {};
      pending.forEach(function (q) { addCustomer(q.id, q.text, true); });
      onReady(welcome.text);
      return;
    }
    if (p && (f.code === 'busy' || f.code === 'rate_limited' || f.code === 'internal')) {
      p.tries = (p.tries || 0) + 1;
      if (p.tries <= MAX_RETRIES) {
        retryLater(p.id, f.code === 'rate_limited' ? 5000 : 1000 * p.tries);
        return;
      }
    }
    if (p) {
      /* Not retryable (too long, empty, ...): give the message up. */
      pending = pending.filter(function (q) { return q !== p; });
      store(PENDING_KEY, pending);
      if (bubbles[p.id]) bubbles[p.id].classList.remove('pending');
      updateTyping();
    }
    addNote(f.message || ('Error: ' + f.code));
  }

  function onFrame(f) {
    switch (f.type) {
    case 'welcome':
      welcome = f;
      if (token && token !== f.session) {
        resuming = true;
        ws.send(JSON.stringify({ type: 'hello', session: token }));
      } else {
        token = f.session;
        store(TOKEN_KEY, token);
        onReady(f.text);
      }
      break;
    case 'history':
      token = f.session;
      store(TOKEN_KEY, token);
      renderHistory(f.messages || []);
      onReady(null);
      break;
    case 'reply':
      onReply(f);
      break;
    case 'error':
      onError(f);
      break;
    default:
      break;           /* pong and frames of later protocol versions */
    }
  }

  function connect() {
    ready = false;
    setStatus('Connecting…', '');
    try {
      ws = new WebSocket(wsUrl(), 'kefu.v1');
    } catch (e) {
      reconnectLater();
      return;
    }
    ws.onmessage = function (ev) {
      var f;
      try {
        f = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (f && typeof f === 'object') onFrame(f);
    };
    ws.onclose = function () {
      ws = null;
      ready = false;
      updateTyping();
      setStatus('Offline — reconnecting…', 'offline');
      reconnectLater();
    };
  }

  function reconnectLater() {
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  }

  /* ---- sending ---------------------------------------------------------------------- */

  function newId() {
    return 'm-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 8);
  }

  function send(text) {
    text = String(text).trim();
    if (!text) return;
    var p = { id: newId(), text: text, tries: 0 };
    pending.push(p);
    store(PENDING_KEY, pending);
    dropQuickReplies();
    addCustomer(p.id, text, true);
    transmit(p);
    updateTyping();
  }

  function grow() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 160) + 'px';
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    send(input.value);
    input.value = '';
    grow();
    input.focus();
  });

  input.addEventListener('keydown', function (e) {
    /* Enter sends; Shift+Enter is a new line; never while an IME is composing. */
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if (form.requestSubmit) form.requestSubmit();
      else form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  input.addEventListener('input', grow);

  connect();
  input.focus();
})();
