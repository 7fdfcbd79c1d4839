/* web/console/ui.js - the console's one door to its view library: Preact's h/render and
 * hooks, and `html`, htm bound to Preact's h (tagged templates instead of JSX, so no
 * build step).  Main thread.  The vendored files come from scripts/npm/console via
 * scripts/post-setup.d/40-console.sh; nothing else imports vendor/.
 */
import { h, render, Fragment } from './vendor/preact.js';
import htm from './vendor/htm.js';

export { render, Fragment };
export { useState, useEffect, useLayoutEffect, useRef } from './vendor/hooks.js';
export const html = htm.bind(h);
