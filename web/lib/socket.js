/* web/lib/socket.js - a WebSocket that comes back: the connection layer of kefu's web
 * clients (the customer chat of lib/proto.js; the operator console's /ops channel).
 * Runs on the page's main thread; one object per connection, owned by its client.
 *
 * Text frames are parsed as JSON and handed over as objects (anything else is dropped);
 * binary frames are handed over as ArrayBuffers.  When the socket closes it is opened
 * again after a back-off of 0.5 s doubling to 8 s, with up to 0.25 s of jitter so that
 * many clients of a restarted kefud do not return in step; at once when the browser says
 * it is online again or the client calls wake().  A ping frame keeps idle proxies from
 * closing the connection.
 */

const MIN_BACKOFF = 500;
const MAX_BACKOFF = 8000;

/* opts: url (string), protocol (subprotocol or undefined), ping (ms; 0 = none),
 * pingFrame (object sent every ping ms while open), onFrame(obj), onBinary(buffer),
 * onClose() (the socket dropped; it will be opened again), onConnecting().
 * Returns the socket object; nothing connects until connect(). */
export function openSocket(opts) {
  let ws = null;
  let backoff = MIN_BACKOFF;
  let retryTimer = 0;
  let pingTimer = 0;
  let stopped = false;

  function later() {
    clearTimeout(retryTimer);
    if (stopped) return;
    retryTimer = setTimeout(connect, backoff + Math.random() * 250);
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
  }

  function connect() {
    clearTimeout(retryTimer);
    if (ws || stopped) return;
    if (opts.onConnecting) opts.onConnecting();
    let me;
    try {
      me = new WebSocket(opts.url, opts.protocol);
    } catch (e) {
      later();
      return;
    }
    ws = me;
    me.binaryType = 'arraybuffer';
    me.onmessage = (ev) => {
      if (ws !== me) return;
      if (typeof ev.data !== 'string') {
        if (opts.onBinary) opts.onBinary(ev.data);
        return;
      }
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (f && typeof f === 'object' && !Array.isArray(f)) opts.onFrame(f);
    };
    me.onclose = () => {
      if (ws !== me) return;
      ws = null;
      clearInterval(pingTimer);
      if (opts.onClose) opts.onClose();
      later();
    };
    clearInterval(pingTimer);
    if (opts.ping) pingTimer = setInterval(() => send(opts.pingFrame), opts.ping);
  }

  /* Sends an object (as JSON) or an ArrayBuffer; false when the socket is not open. */
  function send(data) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(data instanceof ArrayBuffer ? data : JSON.stringify(data));
    return true;
  }

  window.addEventListener('online', () => wake());

  /* Connects now if the socket is down (the customer typed, the browser is back online). */
  function wake() {
    if (ws || stopped) return;
    backoff = MIN_BACKOFF;
    connect();
  }

  return {
    connect,
    send,
    wake,
    /* The connection works: the next drop starts again from the shortest back-off. */
    settled() { backoff = MIN_BACKOFF; },
    isOpen: () => !!ws && ws.readyState === WebSocket.OPEN,
    exists: () => !!ws,
    bufferedAmount: () => (ws ? ws.bufferedAmount : 0),
    /* Closes for good (no reconnect). */
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      if (ws) ws.close();
      ws = null;
    },
  };
}
