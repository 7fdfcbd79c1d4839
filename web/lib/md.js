/* web/lib/md.js - the one Markdown renderer of kefu's web clients (chat page, widget,
 * operator console).  Runs in the browser's main thread; Node imports it only to test it
 * (tests/browser/test_md.js).  No state, no DOM until render().
 *
 * Safe by construction rather than by cleaning HTML: parse() turns the source into a tree
 * of plain objects ({tag, kids, href}) and strings; render() builds DOM nodes from that tree
 * with createElement / createTextNode / setAttribute only, never innerHTML, so text from an
 * answer, a customer or a picture can only ever become text.  The tags are an allow-list
 * (TAGS); the only attribute taken from the source is a link's href, and only when
 * safeHref() accepts it: http(s) URLs and same-site "/path" targets; everything else
 * ("javascript:", "data:", "mailto:", "//host", "/\host") stays visible text.
 *
 * The Markdown: blank-line separated paragraphs (single line breaks kept as <br>), "-", "*",
 * "+", bullet or "1." / "1)" list items, "#" headings (shown as a bold paragraph), inline
 * `code`, **bold** / __bold__, *italic* / _italic_, [text](url) links and bare http(s) URLs.
 */

/* Tags render() may create; the tree never holds another. */
export const TAGS = ['p', 'br', 'ul', 'ol', 'li', 'strong', 'em', 'code', 'a'];

/* Characters never allowed in a link target: spaces and controls (the URL parser drops
 * tabs and newlines, so "/\t/evil" would become "//evil"), backslash (browsers read "\" as
 * "/" in http URLs), quotes, angle brackets and backticks. */
const ABS = /^https?:\/\/[^\s\\<>"'`\u0000-\u001f\u007f]+$/i;
const PATH = /^\/(?![/\\])[^\s\\<>"'`\u0000-\u001f\u007f]*$/;

/* Returns url when it may be a link target (http:, https:, or a path on this site),
 * else null. */
export function safeHref(url) {
  url = String(url);
  return ABS.test(url) || PATH.test(url) ? url : null;
}

/* ---- inline marks ----------------------------------------------------------------- */

/* Each mark: a pattern (global, so lastIndex scans), whether the character before the
 * match must not be a word/mark character, and how a match becomes nodes.  At one
 * position the earlier entry wins (code before links before emphasis). */
const WORD = /[\w*]/;
const MARKS = [
  { re: /`([^`]+)`/g, make: (m) => ({ tag: 'code', kids: [m[1]] }) },
  { re: /\[([^[\]]+)\]\(([^\s()<>"'\\]+)\)/g, link: true,
    make: (m, depth) => safeHref(m[2]) &&
      { tag: 'a', href: m[2], kids: inline(m[1], false, depth + 1) } },
  { re: /https?:\/\/[^\s<>"')]*[^\s<>"').,;:!?]/gi, link: true, after: /[\s(]/,
    make: (m) => safeHref(m[0]) && { tag: 'a', href: m[0], kids: [m[0]] } },
  { re: /\*\*([^*]+)\*\*/g, make: (m, d) => ({ tag: 'strong', kids: inline(m[1], true, d + 1) }) },
  { re: /__([^_]+)__/g, make: (m, d) => ({ tag: 'strong', kids: inline(m[1], true, d + 1) }) },
  { re: /\*([^*\s][^*]*)\*(?![*\w])/g, notAfter: WORD,
    make: (m, d) => ({ tag: 'em', kids: inline(m[1], true, d + 1) }) },
  { re: /_([^_\s][^_]*)_(?![_\w])/g, notAfter: /[\w_]/,
    make: (m, d) => ({ tag: 'em', kids: inline(m[1], true, d + 1) }) },
];
const MAX_DEPTH = 8;

/* The first match of mark k at or after pos whose surroundings fit and whose make()
 * accepts it: {index, end, node}, or null. */
function nextMark(k, s, pos, links, depth) {
  const mk = MARKS[k];
  if ((mk.link && !links) || depth >= MAX_DEPTH) return null;
  mk.re.lastIndex = pos;
  for (let m; (m = mk.re.exec(s));) {
    const prev = m.index ? s[m.index - 1] : '';
    const fits = (!mk.after || !prev || mk.after.test(prev)) &&
      (!mk.notAfter || !prev || !mk.notAfter.test(prev));
    const node = fits && mk.make(m, depth);
    if (node) return { index: m.index, end: m.index + m[0].length, node };
    mk.re.lastIndex = m.index + 1;
  }
  return null;
}

/* One line (or a mark's inside) -> array of strings and inline nodes.  links: whether
 * links may start here (not inside a link's own text). */
function inline(s, links, depth) {
  const out = [];
  const next = MARKS.map(() => undefined);   /* cached next match of each mark */
  let pos = 0;
  while (pos < s.length) {
    let best = null;
    for (let k = 0; k < MARKS.length; k++) {
      if (next[k] === undefined || (next[k] && next[k].index < pos))
        next[k] = nextMark(k, s, pos, links, depth);
      if (next[k] && (!best || next[k].index < best.index)) best = next[k];
    }
    if (!best) break;
    if (best.index > pos) out.push(s.slice(pos, best.index));
    out.push(best.node);
    pos = best.end;
  }
  if (pos < s.length) out.push(s.slice(pos));
  return out;
}

/* ---- blocks ----------------------------------------------------------------------- */

const ITEM = /^\s*(?:[-*+\u2022]|(\d{1,3})[.)])\s+(.*)$/;
const HEADING = /^\s*#{1,6}\s+(.*)$/;

/* Markdown source -> array of block nodes (p, ul, ol).  Never throws. */
export function parse(src) {
  const out = [];
  let para = [];
  let list = null;
  const flushPara = () => {
    if (!para.length) return;
    const kids = [];
    para.forEach((line, i) => {
      if (i) kids.push({ tag: 'br', kids: [] });
      kids.push(...inline(line, true, 0));
    });
    out.push({ tag: 'p', kids });
    para = [];
  };
  const flushList = () => {
    if (list) out.push(list);
    list = null;
  };
  String(src == null ? '' : src).split(/\r?\n/).forEach((line) => {
    let m;
    if (/^\s*$/.test(line)) {
      flushPara();
      flushList();
    } else if ((m = ITEM.exec(line))) {
      const tag = m[1] ? 'ol' : 'ul';
      flushPara();
      if (!list || list.tag !== tag) {
        flushList();
        list = { tag, kids: [] };
      }
      list.kids.push({ tag: 'li', kids: inline(m[2], true, 0) });
    } else if ((m = HEADING.exec(line))) {
      flushPara();
      flushList();
      out.push({ tag: 'p', kids: [{ tag: 'strong', kids: inline(m[1], true, 0) }] });
    } else {
      flushList();
      para.push(line);
    }
  });
  flushPara();
  flushList();
  return out;
}

/* ---- DOM -------------------------------------------------------------------------- */

/* Appends the nodes to parent, made with doc's factory methods only. */
function build(doc, parent, nodes) {
  for (const n of nodes) {
    if (typeof n === 'string') {
      parent.appendChild(doc.createTextNode(n));
      continue;
    }
    if (!TAGS.includes(n.tag)) continue;               /* cannot happen: parse() makes TAGS */
    const el = doc.createElement(n.tag);
    if (n.tag === 'a') {
      const href = safeHref(n.href);
      if (!href) {                                     /* checked again where it matters */
        build(doc, parent, n.kids);
        continue;
      }
      el.setAttribute('href', href);
      el.setAttribute('target', '_blank');
      el.setAttribute('rel', 'noopener noreferrer');
    }
    build(doc, el, n.kids);
    parent.appendChild(el);
  }
}

/* Markdown source -> a DocumentFragment of doc (default: the page's document). */
export function render(src, doc) {
  doc = doc || document;
  const frag = doc.createDocumentFragment();
  build(doc, frag, parse(src));
  return frag;
}

/* Replaces el's children with the rendered Markdown; returns el. */
export function renderInto(el, src) {
  el.textContent = '';
  el.appendChild(render(src, el.ownerDocument));
  return el;
}
