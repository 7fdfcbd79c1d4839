/* web/console/reports_chart.js - one chart of the Reports page: uPlot (ui.js loads it
 * the first time) drawn into a <figure> whose caption is the figure's definition; the
 * same numbers are in the table below each chart, so the chart itself is role="img"
 * with a label.  Main thread.  Drawn again when the data or the width changes.
 */
import { html, useEffect, useRef } from './ui.js';
import { loadCharts } from './ui.js';

/* The series colours (also what the browser test looks for on the canvas). */
export const COLOURS = ['#2d6cdf', '#d9480f', '#2b8a3e', '#7048e8'];

/* props: label (the chart's name), caption (its definition), make(uPlot) -> uPlot
 * options without width/height, data (uPlot's columns: [xs, ys1, ys2...]). */
export function Chart({ label, caption, make, data }) {
  const box = useRef(null);
  useEffect(() => {
    let plot = null;
    let gone = false;
    let observer = null;
    loadCharts().then((uPlot) => {
      if (gone || !box.current) return;
      const width = () => Math.max(280, box.current.clientWidth - 8);
      plot = new uPlot(Object.assign({ width: width(), height: 220 }, make(uPlot)), data,
        box.current);
      box.current.dataset.drawn = '1';
      observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
      observer.observe(box.current);
    });
    return () => {
      gone = true;
      if (observer) observer.disconnect();
      if (plot) plot.destroy();
    };
  }, [data]);
  return html`<figure class="chart-fig">
    <div class="chart" ref=${box} role="img" aria-label=${label}></div>
    <figcaption>${caption}</figcaption>
  </figure>`;
}

/* Series options: a line (or bars) named label in colour i; fmt formats the legend. */
export function series(label, i, fmt, bars) {
  return { label, stroke: COLOURS[i], width: 2, fill: bars ? COLOURS[i] + '55' : undefined,
    value: (u, v) => (v === null || v === undefined ? '—' : fmt(v)), spanGaps: false };
}
