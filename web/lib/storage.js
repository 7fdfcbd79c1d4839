/* web/lib/storage.js - small JSON values in localStorage under one key prefix (the chat
 * page's session and outbox, the widget's per-server state).  Main thread.  Storage that
 * is missing or refused (private mode, a full quota) costs only persistence: loads give
 * the default and saves are dropped, the chat keeps working.
 */

/* Returns {load(key, dflt), save(key, value)} for keys under prefix. */
export function prefs(prefix) {
  return {
    load(key, dflt) {
      try {
        const v = window.localStorage.getItem(prefix + key);
        return v === null ? dflt : JSON.parse(v);
      } catch (e) {
        return dflt;
      }
    },
    save(key, value) {
      try {
        window.localStorage.setItem(prefix + key, JSON.stringify(value));
      } catch (e) { /* no storage: nothing survives a reload, nothing else changes */ }
    },
  };
}
