/* web/console/live.js - the console's live channel: the /ops WebSocket (docs/protocol.md
 * "Operators"), opened after sign-in with the session cookie and reopened with back-off by
 * the shared web/lib/socket.js.  Main thread.  Views subscribe to its frames (new
 * conversations, messages, hand-off requests, typing, assignments) and redraw from the
 * API; hand-off requests also notify the operator (notify.js).  status() is 'online',
 * 'connecting' or 'offline'.  When kefud says the session has ended (`session_expired`:
 * signed out elsewhere, expired, disabled; then close code 1008) the channel stops and
 * asks /api/v1/me, whose 401 takes the app back to the sign-in page (api.js).
 */
import { openSocket } from '../lib/socket.js';
import { get } from './api.js';
import { handoffArrived } from './notify.js';

const subs = new Set();
const statusSubs = new Set();
let sock = null;
let state = 'offline';

function setState(s) {
  state = s;
  statusSubs.forEach((fn) => fn(s));
}

function onFrame(f) {
  if (f.type === 'error' && f.code === 'session_expired') {
    live.stop();                 /* no reconnecting with a dead cookie */
    get('me').catch(() => {});   /* its 401 signs the console out (onSignedOut) */
    return;
  }
  if (f.type === 'hello' || f.type === 'welcome' || f.type === 'ready') setState('online');
  if (/handoff/.test(f.type || '')) handoffArrived(f);
  subs.forEach((fn) => fn(f));
}

export const live = {
  start() {
    if (sock) return;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ops';
    sock = openSocket({
      url,
      protocol: 'kefu.ops',
      ping: 25000,
      pingFrame: { type: 'ping' },
      onConnecting: () => setState('connecting'),
      onFrame(f) {
        if (state !== 'online') {
          sock.settled();
          setState('online');
        }
        onFrame(f);
      },
      onClose: () => setState('offline'),
    });
    sock.connect();
  },
  stop() {
    if (sock) sock.close();
    sock = null;
    setState('offline');
  },
  /* fn(frame) for every frame; returns the unsubscribe function. */
  subscribe(fn) {
    subs.add(fn);
    return () => subs.delete(fn);
  },
  onStatus(fn) {
    statusSubs.add(fn);
    fn(state);
    return () => statusSubs.delete(fn);
  },
  /* Sends a frame (typing); false when the channel is down. */
  send: (f) => !!sock && sock.send(f),
  status: () => state,
};
