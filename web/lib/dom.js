/* web/lib/dom.js - building DOM without HTML strings, for every kefu page.  Main thread.
 * Text always goes in as text (textContent or a text node); attributes are set one by one;
 * on* keys become event listeners, never attributes.  So no page of kefu parses HTML.
 */

const SVG = 'http://www.w3.org/2000/svg';

/* h('div', {cls, text, onclick, 'aria-label': ...}, [child, 'text', null]) -> element of
 * the page's document.  null/undefined attributes and children are skipped. */
export function h(tag, attrs, kids) {
  const el = document.createElement(tag);
  for (const k of Object.keys(attrs || {})) {
    const v = attrs[k];
    if (k === 'text') el.textContent = v;
    else if (k === 'cls') el.className = v;
    else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) el.setAttribute(k, v);
  }
  for (const c of kids || []) {
    if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/* A 24x24 stroked SVG icon of path data d, hidden from assistive technology. */
export function icon(d) {
  const s = document.createElementNS(SVG, 'svg');
  s.setAttribute('viewBox', '0 0 24 24');
  s.setAttribute('aria-hidden', 'true');
  s.setAttribute('focusable', 'false');
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', d);
  s.appendChild(p);
  return s;
}
