/* web/lib/proto.js - the customer side of kefu's chat protocol (docs/protocol.md), shared
 * by the chat page (web/chat.js) and the widget (web/widget/).  Runs on the page's main
 * thread; the client owns its socket (lib/socket.js) and its outbox.
 *
 * Sessions: the server's welcome is answered with a hello for the stored session token;
 * its history (or, for a new or forgotten session, nothing) is handed to the page as one
 * "session" event to draw.  Messages: every text and upload gets a client id and stays in
 * the outbox until its reply arrives; after a reconnect the outbox is sent again in order
 * with the same ids, and kefud answers a known id with the reply it logged, so nothing is
 * lost or doubled.  Texts are kept in storage (they survive a reload); picture and clip
 * bytes are kept in memory only.  busy, rate_limited and internal errors are retried up
 * to 5 times (after retry_after seconds when the error has it).  An upload is a JSON header with its byte count, then one binary message; a
 * speech header announces the binary message that follows it.
 *
 * The page hears of everything through the callbacks in opts.on (all optional):
 *   state(s)             'connecting' | 'online' | 'offline'
 *   session(s)           {greeting, messages, resumed, token}: redraw the transcript
 *   reply(f, item)       a reply frame; item: the outbox entry it answers (or null)
 *   error(f, item)       an error frame that is not retried; item as for reply
 *   acked(f, item)       an ack of an outbox entry: logged for the operator who has the
 *                        conversation, no bot reply will come
 *   frame(f)             any other frame (transcript, seen, handoff, ack, pong, ...)
 *   speech(f, bytes)     a speech header and its WAV bytes
 *   sent(item)           an outbox entry went out on the socket
 *   waiting(on)          whether a sent message still waits for its answer
 */
import { openSocket } from './socket.js';

const RETRIED = /^(busy|rate_limited|internal)$/;
const MAX_TRIES = 5;
const PING_MS = 25000;

let seq = 0;

/* A client id: prefix, time, a counter and some randomness (unique per browser). */
export function newId(prefix) {
  return prefix + '-' + Date.now().toString(36) + '-' + (++seq) +
    Math.random().toString(36).slice(2, 6);
}

/* opts: url (the ws:// or wss:// URL of /ws), store ({load(key, dflt), save(key, value)},
 * lib/storage.js), idPrefix (texts' id prefix, default 'm'), on (callbacks above).
 * Nothing connects until connect() or the first send. */
export function createChat(opts) {
  const on = opts.on || {};
  const store = opts.store;
  const fire = (name, ...args) => { if (on[name]) on[name](...args); };
  let token = store.load('session', null);
  let outbox = (store.load('outbox', []) || []).filter((m) => m && m.id && m.text);
  let ready = false;
  let welcome = null;
  let resuming = false;
  let expectSpeech = null;

  const sock = openSocket({
    url: opts.url,
    protocol: 'kefu.v1',
    ping: PING_MS,
    pingFrame: { type: 'ping' },
    onConnecting: () => { ready = false; fire('state', 'connecting'); },
    onFrame,
    onBinary(buf) {
      if (!expectSpeech) return;
      const f = expectSpeech;
      expectSpeech = null;
      fire('speech', f, buf);
    },
    onClose() {
      ready = false;
      outbox.forEach((m) => { m.sent = false; });
      fire('state', 'offline');
      fire('waiting', false);
    },
  });

  function saveOutbox() {
    store.save('outbox', outbox.filter((m) => !m.kind).map((m) => ({ id: m.id, text: m.text })));
  }

  function waiting() {
    fire('waiting', ready && outbox.some((m) => m.sent));
  }

  function transmit(m) {
    if (!ready || outbox.indexOf(m) < 0) return;
    if (!m.kind) {
      if (!sock.send({ type: 'message', id: m.id, text: m.text })) return;
    } else {
      const hdr = { type: m.kind, id: m.id, bytes: m.bytes.byteLength, mime: m.mime };
      if (m.kind === 'audio') hdr.speak = !!m.speak;
      if (m.kind === 'image' && m.text) hdr.text = m.text;
      if (!sock.send(hdr) || !sock.send(m.bytes)) return;
    }
    m.sent = true;
    fire('sent', m);
    waiting();
  }

  function start(greeting, messages, resumed) {
    ready = true;
    resuming = false;
    sock.settled();
    fire('state', 'online');
    fire('session', { greeting, messages, resumed, token });
    outbox.forEach(transmit);
    waiting();
  }

  /* Removes the entry id from the outbox; returns it (or null). */
  function settle(id) {
    const m = outbox.find((x) => x.id === id) || null;
    if (m) {
      outbox = outbox.filter((x) => x !== m);
      saveOutbox();
    }
    return m;
  }

  function onError(f) {
    if (f.code === 'unknown_session' && resuming) {
      token = welcome.session;          /* the stored chat is gone: keep this fresh one */
      store.save('session', token);
      start(welcome.text, [], false);
      return;
    }
    const m = outbox.find((x) => x.id === f.id) || null;
    if (m && RETRIED.test(f.code) && (m.tries = (m.tries || 0) + 1) <= MAX_TRIES) {
      m.sent = false;
      /* a busy upload shed by kefud says when to come back (retry_after, seconds) */
      setTimeout(() => transmit(m), f.retry_after > 0 ? 1000 * f.retry_after :
        f.code === 'rate_limited' ? 5000 : 1000 * m.tries);
      return;
    }
    if (m) settle(m.id);
    fire('error', f, m);
    waiting();
  }

  function onFrame(f) {
    switch (f.type) {
    case 'welcome':
      welcome = f;
      if (token && token !== f.session) {
        resuming = true;
        sock.send({ type: 'hello', session: token });
      } else {
        token = f.session;
        store.save('session', token);
        start(f.text, [], false);
      }
      break;
    case 'history': {
      token = f.session;
      store.save('session', token);
      const msgs = Array.isArray(f.messages) ? f.messages : [];
      const answered = new Set(msgs.filter((m) => m && (m.from === 'bot' || m.from === 'operator'))
        .map((m) => m.id));
      outbox = outbox.filter((m) => !answered.has(m.id));
      saveOutbox();
      start(welcome ? welcome.text : '', msgs, true);
      break;
    }
    case 'reply': {
      const m = settle(f.id);
      fire('reply', f, m);
      waiting();
      break;
    }
    case 'ack': {
      const m = settle(f.id);
      if (m) {
        fire('acked', f, m);
        waiting();
      } else {
        fire('frame', f);
      }
      break;
    }
    case 'speech':
      expectSpeech = f;
      break;
    case 'error':
      onError(f);
      break;
    default:
      fire('frame', f);
    }
  }

  function queue(m) {
    outbox.push(m);
    saveOutbox();
    if (ready) transmit(m);
    else sock.wake();
    return m;
  }

  return {
    connect: () => sock.connect(),
    /* Queues a text message; returns its outbox entry {id, text} (null for blank text). */
    send(text) {
      text = String(text == null ? '' : text).trim();
      return text ? queue({ id: newId(opts.idPrefix || 'm'), text }) : null;
    },
    /* Queues a picture ('image') or clip ('audio') of bytes (ArrayBuffer) and mime;
     * extra: {text, speak, thumb}.  Returns the outbox entry. */
    upload(kind, bytes, mime, extra) {
      const x = extra || {};
      return queue({ id: newId(kind === 'audio' ? 'a' : 'p'), kind, bytes, mime,
        text: x.text || '', speak: !!x.speak, thumb: x.thumb || null });
    },
    /* Sends a frame of the people part (feedback, rating, handoff); false when offline. */
    frame: (o) => ready && sock.send(o),
    /* The outbox entries not answered yet, in sending order. */
    pending: () => outbox.slice(),
    isReady: () => ready,
    exists: () => sock.exists(),
    bufferedAmount: () => sock.bufferedAmount(),
    session: () => token,
  };
}
