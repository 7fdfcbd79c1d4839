/* web/console/prefs.js - this browser's notification choices, shown on the Conversations
 * page and in Settings: the hand-off sound on or off and the browser-notification
 * permission (asked only when the operator presses the button).  Main thread.
 */
import { html, useState } from './ui.js';
import { t } from './i18n.js';
import { soundOn, setSound, beep, notifyPermission, askNotifyPermission } from './notify.js';

export function NotifyPrefs() {
  const [sound, setS] = useState(soundOn());
  const [perm, setPerm] = useState(notifyPermission());
  const toggle = (on) => {
    setSound(on);
    setS(on);
    if (on) beep();
  };
  return html`<div class="prefs" role="group" aria-label=${t('notifications')}>
    <label class="check"><input type="checkbox" checked=${sound}
      onChange=${(e) => toggle(e.target.checked)} />
      ${t('sound')}</label>
    ${perm === 'default' && html`<button type="button" class="small secondary"
      onClick=${async () => setPerm(await askNotifyPermission())}>${t('notify_enable')}</button>`}
    ${perm === 'granted' && html`<span class="muted">${t('notify_on')}</span>`}
    ${perm === 'denied' && html`<span class="muted">${t('notify_denied')}</span>`}
  </div>`;
}
