/* web/console/content.js - the console's one adapter for drawing what customers, answers
 * and pictures say.  Main thread.  Everything that did not come from the console's own
 * strings goes through here: Markdown (answers, operator replies) is built by the shared
 * renderer web/lib/md.js as DOM nodes (no HTML parsing, links only http(s) and same-site
 * paths); customer text, picture names and transcripts are text nodes (Preact renders a
 * string child with createTextNode), so markup in them shows as the characters typed.
 * No component of the console sets innerHTML.
 */
import { renderInto } from '../lib/md.js';
import { html, useLayoutEffect, useRef } from './ui.js';

/* Markdown source drawn through the shared renderer. */
export function Markdown({ text, cls }) {
  const ref = useRef(null);
  useLayoutEffect(() => { renderInto(ref.current, text == null ? '' : String(text)); }, [text]);
  return html`<div class=${'md ' + (cls || '')} ref=${ref}></div>`;
}

/* Plain text, kept inert; line breaks kept by CSS (white-space: pre-wrap). */
export function Plain({ text, cls }) {
  return html`<div class=${'plain ' + (cls || '')}>${text == null ? '' : String(text)}</div>`;
}
