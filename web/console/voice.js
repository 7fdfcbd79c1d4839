/* web/console/voice.js - a player for a customer's voice clip.  Main thread.  The clip's
 * bytes come from the authenticated attachment route and are decoded and played with
 * WebAudio: the console's CSP has no media-src, so an <audio src> would be refused, and a
 * fetch is allowed (connect-src 'self').  One button plays and stops.
 */
import { html, useEffect, useRef, useState } from './ui.js';
import { t } from './i18n.js';
import { attachment } from './convdata.js';

export function VoicePlayer({ id }) {
  const [state, setState] = useState('idle');      /* idle | loading | playing | error */
  const [secs, setSecs] = useState(0);
  const ctx = useRef(null);
  const buf = useRef(null);
  const src = useRef(null);
  useEffect(() => () => { if (ctx.current) ctx.current.close(); }, []);

  async function toggle() {
    if (state === 'playing') {
      src.current.stop();
      return;
    }
    try {
      if (!ctx.current) ctx.current = new AudioContext();
      if (!buf.current) {
        setState('loading');
        buf.current = await ctx.current.decodeAudioData(await attachment(id));
        setSecs(buf.current.duration);
      }
      const s = ctx.current.createBufferSource();
      s.buffer = buf.current;
      s.connect(ctx.current.destination);
      s.onended = () => setState('idle');
      src.current = s;
      s.start();
      setState('playing');
    } catch (e) {
      setState('error');
    }
  }

  return html`<span class="player">
    <button type="button" class="small" onClick=${toggle}
      aria-pressed=${state === 'playing' ? 'true' : 'false'}>
      ${state === 'playing' ? t('voice_stop') : t('voice_play')}</button>
    ${secs > 0 && html`<span class="muted">${secs.toFixed(1)} s</span>`}
    ${state === 'loading' && html`<span class="muted">${t('loading')}</span>`}
    ${state === 'error' && html`<span class="error">${t('voice_error')}</span>`}
  </span>`;
}
