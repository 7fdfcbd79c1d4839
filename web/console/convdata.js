/* web/console/convdata.js - the console's calls for conversations, in one place so the
 * views do not know URLs or field names: the inbox list with its filters and full-text
 * search, one conversation (transcript, notes), its summary, the take-over actions, the
 * operator's replies, typing and notes, and the answer store for canned replies.  Main
 * thread.  The endpoints are docs/api.md's "Conversations" section.
 */
import { get, post, query, bytes } from './api.js';

/* How an operator is named: display name, else login. */
export const nameOf = (o) => (o && (o.name || o.login)) || '';

/* The inbox filters: id -> the list endpoint's query. */
export const FILTERS = {
  mine: { status: 'mine' },
  waiting: { status: 'waiting' },
  open: { status: 'open' },
  resolved: { status: 'resolved' },
  low_confidence: { low_confidence: 1 },
  thumbs_down: { thumbs_down: 1 },
};

/* A conversation as the views use it: state 'resolved' once resolved_ms is set. */
function conv(c) {
  return Object.assign({}, c, { state: c.resolved_ms ? 'resolved' : c.state || 'bot' });
}

/* A transcript entry as the views use it: from, ts, quick_replies, attachments with
 * their name and the text read from them, left (the contact of a left message). */
function message(m) {
  const meta = m.meta && typeof m.meta === 'object' ? m.meta : {};
  return Object.assign({}, m, {
    from: m.kind || m.from,
    ts: m.created_ms || m.ts,
    quick_replies: Array.isArray(meta.quick_replies) ? meta.quick_replies : [],
    fallback: !!meta.fallback,
    upload: meta.upload || '',
    /* a message left when nobody was online, with the contact given (shown unredacted) */
    left: meta.left_message ? { name: meta.name || '', email: meta.email || '',
      phone: meta.phone || '' } : null,
    operator: m.operator || (meta.name ? { id: meta.operator_id, name: meta.name } : null),
    attachments: (m.attachments || []).map((a) => {
      const am = a.meta && typeof a.meta === 'object' ? a.meta : {};
      return Object.assign({}, a, { name: am.name || am.filename || '' });
    }),
  });
}

/* {filter, lang, channel, q} -> {conversations: [...], counts: {waiting, open, ...}} */
export async function list(f) {
  const q = Object.assign({}, FILTERS[f.filter] || {},
    { lang: f.lang, channel: f.channel, q: f.q });
  const r = await get('conversations' + query(q));
  return { conversations: (r.conversations || []).map(conv), counts: r.counts || {} };
}

/* -> {conversation, messages, notes, ratings, handoffs} */
export async function conversation(id) {
  const r = await get('conversations/' + id);
  return Object.assign({}, r, { conversation: conv(r.conversation),
    messages: (r.messages || []).map(message), notes: r.notes || [], ratings: r.ratings || [] });
}
export const summary = (id) => get('conversations/' + id + '/summary');
export const take = (id) => post('conversations/' + id + '/take');
export const handBack = (id) => post('conversations/' + id + '/handback');
export const resolve = (id) => post('conversations/' + id + '/resolve');
export const reply = (id, text) => post('conversations/' + id + '/messages', { text });
export const note = (id, text) => post('conversations/' + id + '/notes', { text });
export const answers = (q) => get('canned' + query({ q, limit: 9 }));
export const attachment = (id) => bytes('attachments/' + id);
export const attachmentUrl = (id) => '/api/v1/attachments/' + id;
