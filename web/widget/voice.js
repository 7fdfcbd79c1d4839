/* web/widget/voice.js - voice messages and spoken answers.  Main thread (the Web Audio
 * ScriptProcessorNode calls back on it too).  The microphone button records at most
 * MAX_REC s through getUserMedia (echo cancellation, noise suppression and gain control
 * off: they hurt recognition); on stop the samples are resampled to 16 kHz and encoded
 * here as 16-bit mono WAV, then queued as an 'audio' upload.  Spoken answers (speech
 * frames) are played through Web Audio (no media element, so media-src stays 'none').
 */
import { h } from '../lib/dom.js';

const MAX_REC = 30;
const RATE = 16000;

/* To rate `to`: each output sample averages the input samples of its interval (a box
 * low-pass that keeps aliasing down), linear interpolation when upsampling. */
export function resample(x, from, to) {
  if (from === to) return x;
  const r = from / to;
  const n = Math.floor(x.length / r);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = i * r;
    if (r > 1) {
      let s = 0;
      let c = 0;
      for (let j = Math.floor(a); j < Math.min(Math.ceil(a + r), x.length); j++, c++) s += x[j];
      y[i] = c ? s / c : 0;
    } else {
      const k = Math.floor(a);
      const f = a - k;
      y[i] = x[k] * (1 - f) + (k + 1 < x.length ? x[k + 1] : x[k]) * f;
    }
  }
  return y;
}

/* 16-bit PCM mono WAV (RIFF) of samples in [-1, 1] -> ArrayBuffer. */
export function encodeWav(x, rate) {
  const b = new ArrayBuffer(44 + x.length * 2);
  const v = new DataView(b);
  const str = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  str(0, 'RIFF');
  v.setUint32(4, 36 + x.length * 2, true);
  str(8, 'WAVE');
  str(12, 'fmt ');
  v.setUint32(16, 16, true);          /* fmt chunk size */
  v.setUint16(20, 1, true);           /* PCM */
  v.setUint16(22, 1, true);           /* mono */
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);    /* bytes per second */
  v.setUint16(32, 2, true);           /* block align */
  v.setUint16(34, 16, true);          /* bits per sample */
  str(36, 'data');
  v.setUint32(40, x.length * 2, true);
  for (let i = 0; i < x.length; i++) {
    const s = Math.max(-1, Math.min(1, x[i]));
    v.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return b;
}

/* w: {T, ui, store, emit, log, upload(kind, bytes, mime, extra)}.  Returns {play}. */
export function setupVoice(w) {
  const { T, ui } = w;
  let actx = null;
  let rec = null;              /* the recording in progress */

  function audioCtx() {
    const A = window.AudioContext || window.webkitAudioContext;
    if (!actx && A) actx = new A();
    if (actx && actx.state === 'suspended') actx.resume();
    return actx;
  }

  const speaking = () => ui.speakBtn.getAttribute('aria-pressed') === 'true';

  function showRecording(on) {
    ui.micBtn.classList.toggle('on', on);
    ui.micBtn.setAttribute('aria-pressed', String(on));
    ui.micBtn.setAttribute('aria-label', on ? T.stop : T.record);
    ui.rec.hidden = !on;
  }

  function start() {
    const ctx = audioCtx();
    if (!ctx || !navigator.mediaDevices) {
      w.log.note(T.nomic);
      return;
    }
    const st = rec = { chunks: [], n: 0, t0: Date.now() };
    navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false,
      noiseSuppression: false, autoGainControl: false } }).then((stream) => {
      if (rec !== st) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      st.stream = stream;
      st.src = ctx.createMediaStreamSource(stream);
      st.proc = ctx.createScriptProcessor(4096, 1, 1);
      st.mute = ctx.createGain();
      st.mute.gain.value = 0;
      st.proc.onaudioprocess = (e) => {
        const d = e.inputBuffer.getChannelData(0);
        st.chunks.push(new Float32Array(d));
        st.n += d.length;
      };
      st.src.connect(st.proc);
      st.proc.connect(st.mute);
      st.mute.connect(ctx.destination);
      showRecording(true);
      (function tick() {
        if (rec !== st) return;
        const s = (Date.now() - st.t0) / 1000;
        ui.recTxt.textContent = T.recording + s.toFixed(0) + ' s';
        if (s >= MAX_REC) stop(true);
        else setTimeout(tick, 250);
      })();
      w.emit('recording', {});
    }, () => {
      rec = null;
      w.log.note(T.nomic);
    });
  }

  function stop(sendIt) {
    const st = rec;
    rec = null;
    showRecording(false);
    if (!st || !st.stream) return;
    st.stream.getTracks().forEach((t) => t.stop());
    st.src.disconnect();
    st.proc.disconnect();
    st.mute.disconnect();
    if (!sendIt || !st.n) return;
    const all = new Float32Array(st.n);
    let o = 0;
    for (const c of st.chunks) {
      all.set(c, o);
      o += c.length;
    }
    const wav = encodeWav(resample(all, actx.sampleRate, RATE), RATE);
    w.upload('audio', wav, 'audio/wav', { speak: speaking() });
  }

  /* Plays a spoken answer's WAV bytes (when "read answers aloud" is on) and gives the
   * last answer a play button. */
  function play(buf) {
    const ctx = audioCtx();
    if (!ctx) return;
    const bytes = buf.slice(0);
    const go = () => {
      ctx.decodeAudioData(bytes.slice(0)).then((ab) => {
        const src = ctx.createBufferSource();
        src.buffer = ab;
        src.connect(ctx.destination);
        src.start();
      }, () => {});
    };
    const bots = ui.log.querySelectorAll('.m.bot');
    const last = bots[bots.length - 1];
    if (last) last.appendChild(h('button', { type: 'button', cls: 'btn',
      text: '\u25B6 ' + T.play, onclick: go }));
    w.log.scrollDown();
    if (speaking()) go();
    w.emit('speech', { bytes: buf.byteLength });
  }

  ui.speakBtn.setAttribute('aria-pressed', String(!!w.store.load('speak', false)));
  ui.speakBtn.addEventListener('click', () => {
    const on = !speaking();
    ui.speakBtn.setAttribute('aria-pressed', String(on));
    w.store.save('speak', on);
    if (on) audioCtx();
  });
  ui.micBtn.addEventListener('click', () => (rec ? stop(true) : start()));
  return { play };
}
