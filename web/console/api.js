/* web/console/api.js - the console's client of kefud's REST API /api/v1/ (docs/api.md).
 * Main thread.  One fetch wrapper: JSON in and out, the session cookie sent by the
 * browser, and the session's CSRF token in X-CSRF-Token on every request that may change
 * state (the server refuses those without it).  Errors become ApiError with the server's
 * stable code; a 401 on any call but the login tells the app (onSignedOut) so it shows
 * the sign-in page again.
 */

let csrf = '';
let signedOut = () => {};

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter || 0;
  }
}

export function setCsrf(token) {
  csrf = token || '';
}

export function onSignedOut(fn) {
  signedOut = fn;
}

/* method, path under /api/v1/ (may carry a query), optional body object -> parsed JSON. */
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch('/api/v1/' + path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message || e));
  }
  let j = null;
  try {
    j = await res.json();
  } catch (e) { /* not JSON */ }
  if (!res.ok) {
    const err = new ApiError(res.status, (j && j.code) || 'http_' + res.status,
      (j && j.message) || res.statusText, parseInt(res.headers.get('Retry-After'), 10) || 0);
    if (res.status === 401 && path !== 'login') signedOut();
    throw err;
  }
  return j || {};
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);

/* A query string of the non-empty values of o ("" when none). */
export function query(o) {
  const q = new URLSearchParams();
  for (const k of Object.keys(o)) {
    if (o[k] !== '' && o[k] !== null && o[k] !== undefined && o[k] !== false) q.set(k, o[k]);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

/* The bytes of an authenticated route (an attachment) as an ArrayBuffer. */
export async function bytes(path) {
  const res = await fetch('/api/v1/' + path, { credentials: 'same-origin' });
  if (!res.ok) throw new ApiError(res.status, 'http_' + res.status, res.statusText);
  return res.arrayBuffer();
}

/* POSTs a file's bytes as the raw body (Content-Type: its type) -> parsed JSON. */
export async function upload(path, file) {
  let res;
  try {
    res = await fetch('/api/v1/' + path, { method: 'POST', credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRF-Token': csrf,
        'Content-Type': file.type || 'application/octet-stream' }, body: file });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message || e));
  }
  let j = null;
  try {
    j = await res.json();
  } catch (e) { /* not JSON */ }
  if (!res.ok) {
    if (res.status === 401) signedOut();
    throw new ApiError(res.status, (j && j.code) || 'http_' + res.status,
      (j && j.message) || res.statusText);
  }
  return j || {};
}
