/* web/console/convdata.js - the console's calls for conversations, in one place so the
 * views do not know URLs or field names: the inbox list with its filters and full-text
 * search, one conversation (transcript, notes), its summary, the take-over actions, the
 * operator's replies, typing and notes, and the answer store for canned replies.  Main
 * thread.  The endpoints are docs/api.md's "Conversations" section.
 */
import { get, post, query, bytes } from './api.js';

/* The inbox filters: id -> the list endpoint's query. */
export const FILTERS = {
  waiting: { state: 'waiting' },
  open: { state: 'open' },
  resolved: { state: 'resolved' },
  low_confidence: { flag: 'low_confidence' },
  thumbs_down: { flag: 'thumbs_down' },
};

/* {filter, lang, channel, q} -> {conversations: [...], counts: {waiting, open, ...}} */
export async function list(f) {
  const q = Object.assign({}, FILTERS[f.filter] || {}, { lang: f.lang, channel: f.channel, q: f.q });
  const r = await get('conversations' + query(q));
  return { conversations: r.conversations || [], counts: r.counts || {} };
}

export const conversation = (id) => get('conversations/' + id);
export const summary = (id) => get('conversations/' + id + '/summary');
export const take = (id) => post('conversations/' + id + '/take');
export const handBack = (id) => post('conversations/' + id + '/handback');
export const resolve = (id) => post('conversations/' + id + '/resolve');
export const reply = (id, text) => post('conversations/' + id + '/messages', { text });
export const typing = (id) => post('conversations/' + id + '/typing');
export const note = (id, text) => post('conversations/' + id + '/notes', { text });
export const answers = (q) => get('answers' + query({ q, limit: 9 }));
export const attachment = (id) => bytes('attachments/' + id);
export const attachmentUrl = (id) => '/api/v1/attachments/' + id;
