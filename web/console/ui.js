/* web/console/ui.js - the console's one door to its view library: Preact's h/render and
 * hooks, and `html`, htm bound to Preact's h (tagged templates instead of JSX, so no
 * build step), and uPlot for the Reports page's charts, loaded when first asked for.
 * Main thread.  The vendored files come from scripts/npm/console and scripts/npm/uplot
 * via scripts/post-setup.d/40-console.sh and 45-uplot.sh; nothing else imports vendor/.
 */
import { h, render, Fragment } from './vendor/preact.js';
import htm from './vendor/htm.js';

export { render, Fragment };
export { useState, useEffect, useLayoutEffect, useRef } from './vendor/hooks.js';
export const html = htm.bind(h);

/* uPlot (MIT) with its stylesheet, fetched the first time a chart is drawn: a promise of
 * the uPlot constructor.  A <link> from 'self' passes the console's CSP (style-src
 * 'self'); uPlot sets styles through element.style, never a style attribute. */
let charts = null;
export function loadCharts() {
  if (!charts) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = 'vendor/uPlot.css';
    document.head.appendChild(link);
    charts = import('./vendor/uPlot.js').then((m) => m.default);
  }
  return charts;
}
