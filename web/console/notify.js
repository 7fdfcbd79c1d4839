/* web/console/notify.js - telling the operator that a customer waits for a person.
 * Main thread.  Three ways, each optional: the page title carries the number of waiting
 * hand-offs ("(2) kefu console"), a short two-tone beep generated with WebAudio (no sound
 * file; the AudioContext is created at the operator's first click or key, as browsers
 * require), and a browser Notification when the operator granted the permission (asked
 * only from a button, never on load).  The sound can be switched off (kept per browser).
 */
import { prefs } from '../lib/storage.js';
import { t } from './i18n.js';

const store = prefs('kefu.console.');
const BASE_TITLE = document.title;
let audio = null;

function unlockAudio() {
  if (audio || !window.AudioContext) return;
  try {
    audio = new AudioContext();
  } catch (e) { audio = null; }
}
window.addEventListener('pointerdown', unlockAudio, { once: true, capture: true });
window.addEventListener('keydown', unlockAudio, { once: true, capture: true });

/* The title badge: n waiting hand-offs (0 clears it). */
export function setWaiting(n) {
  document.title = (n > 0 ? '(' + n + ') ' : '') + t('title');
}
document.title = BASE_TITLE;

export const soundOn = () => store.load('sound', true);
export function setSound(on) {
  store.save('sound', !!on);
}

/* 880 Hz then 660 Hz, 120 ms each, soft attack and release. */
export function beep() {
  if (!audio || !soundOn()) return false;
  if (audio.state === 'suspended') audio.resume();
  const now = audio.currentTime;
  [880, 660].forEach((hz, i) => {
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = hz;
    g.gain.setValueAtTime(0.0001, now + i * 0.14);
    g.gain.exponentialRampToValueAtTime(0.2, now + i * 0.14 + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.14 + 0.12);
    o.connect(g).connect(audio.destination);
    o.start(now + i * 0.14);
    o.stop(now + i * 0.14 + 0.13);
  });
  return true;
}

export const notifyPermission = () =>
  (window.Notification ? Notification.permission : 'unsupported');

export async function askNotifyPermission() {
  if (!window.Notification) return 'unsupported';
  return Notification.requestPermission();
}

/* A hand-off request arrived (an /ops frame): sound and desktop notification. */
export function handoffArrived(f) {
  beep();
  if (notifyPermission() === 'granted' && document.visibilityState !== 'visible') {
    try {
      const n = new Notification(t('notify_handoff'),
        { body: t('notify_handoff_body'), tag: 'kefu-handoff' });
      n.onclick = () => { window.focus(); location.hash = '#/conversations'; n.close(); };
    } catch (e) { /* some platforms allow Notification only from a service worker */ }
  }
}
