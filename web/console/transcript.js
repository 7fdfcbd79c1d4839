/* web/console/transcript.js - a conversation's transcript, the role=log named
 * "Transcript": the customer's texts, pictures (thumbnails from the authenticated
 * attachment route) with their names and the text read from them, voice clips (player
 * and transcript), each bot reply with the answer chosen, its confidence, the quick
 * replies offered and the customer's thumbs, operator and system messages, a message
 * left when nobody was online (with the contact the customer gave), and ratings.
 * Main thread.  Answers and operator replies are Markdown through content.js; everything
 * the customer sent is plain text there.
 */
import { html, useEffect, useRef } from './ui.js';
import { t, when } from './i18n.js';
import { Markdown, Plain } from './content.js';
import { attachmentUrl, nameOf } from './convdata.js';
import { VoicePlayer } from './voice.js';

function Attachment({ a }) {
  if (a.kind === 'image') {
    return html`<figure class="pic">
      ${a.unsafe ? html`<p class="muted">${t('picture_hidden')}</p>`
        : html`<a href=${attachmentUrl(a.id)} target="_blank" rel="noopener">
            <img src=${attachmentUrl(a.id)} alt=${a.name || t('picture')} loading="lazy" /></a>`}
      ${a.name && html`<figcaption><${Plain} text=${a.name} /></figcaption>`}
    </figure>`;
  }
  if (a.kind === 'audio') {
    return html`<div class="voice"><${VoicePlayer} id=${a.id} />
      ${a.name && html`<${Plain} cls="inline muted" text=${' ' + a.name} />`}</div>`;
  }
  return html`<p class="muted">${t('attachment')} ${a.kind}</p>`;
}

function BotMeta({ m }) {
  const conf = typeof m.confidence === 'number' ? Math.round(m.confidence * 100) + '%' : '';
  const qr = Array.isArray(m.quick_replies) ? m.quick_replies : [];
  return html`<div class="meta">
    ${(m.answer_title || m.answer_id) && html`<span>${t('answer') + ': '}
      <${Plain} cls="inline" text=${m.answer_title || '#' + m.answer_id} /></span>`}
    ${conf && html`<span class=${m.confidence < 0.5 ? 'low' : ''}>
      ${t('confidence') + ': ' + conf}</span>`}
    ${m.feedback === 1 && html`<span class="fb up">${t('thumbs_up')}</span>`}
    ${m.feedback === -1 && html`<span class="fb down">${t('thumbs_down')}</span>`}
    ${qr.length > 0 && html`<span class="qr">${t('quick_replies') + ': '}${qr.map((q) =>
      html`<${Plain} cls="chip inline"
        text=${typeof q === 'string' ? q : q.text || q.title || ''} />`)}</span>`}
  </div>`;
}

/* A message the customer left when nobody was online: what it is and how to reply. */
function LeftMessage({ c }) {
  const parts = [c.name && [t('leave_name'), c.name], c.email && [t('leave_email'), c.email],
    c.phone && [t('leave_phone'), c.phone]].filter(Boolean);
  return html`<div class="left" role="note" aria-label=${t('leave_message')}>
    <strong>${t('leave_message')}</strong>
    ${parts.map(([k, v]) => html` <span class="contact">${k + ': '}<${Plain} cls="inline"
      text=${v} /></span>`)}
  </div>`;
}

function Message({ m }) {
  const from = m.from || 'system';
  const who = (from === 'operator' && nameOf(m.operator)) || t('from_' + from);
  const atts = Array.isArray(m.attachments) ? m.attachments : [];
  return html`<article class=${'msg ' + from} aria-label=${who}>
    <header><span class="from">${who}</span> <time>${m.ts ? when(m.ts) : ''}</time></header>
    ${m.left && html`<${LeftMessage} c=${m.left} />`}
    ${atts.map((a) => html`<${Attachment} a=${a} />`)}
    ${m.text && (from === 'bot' || from === 'operator' ? html`<${Markdown} text=${m.text} />`
      : m.upload ? html`<div class="read"><span class="muted">
          ${t(m.upload === 'audio' ? 'transcript_of_clip' : 'read_from_picture')}</span>
          <${Plain} text=${m.text} /></div>`
      : html`<${Plain} text=${m.text} />`)}
    ${from === 'bot' && html`<${BotMeta} m=${m} />`}
  </article>`;
}

export function Transcript({ messages, ratings }) {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length]);
  return html`<div class="transcript" role="log" aria-label=${t('transcript')} tabindex="0"
    ref=${ref}>
    ${messages.map((m, i) => html`<${Message} key=${m.id || i} m=${m} />`)}
    ${ratings.map((r) => html`<p class="rating">
      ${t('rated', { n: r.stars })}${r.comment ? ': ' : ''}
      ${r.comment && html`<${Plain} cls="inline" text=${r.comment} />`}</p>`)}
  </div>`;
}
