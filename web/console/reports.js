/* web/console/reports.js - the Reports page: what kefu did over a period, by language and
 * channel.  Main thread.  The filter bar (period, language, channel) asks kefud for the
 * five reports at once (reports_data.js); the page shows the key figures with their
 * definitions, four charts (conversations and messages per day, containment / hand-off /
 * fallback rates per day, answer latency per day, busiest hours) with the definition
 * under each, and the tables behind them, each downloadable as CSV.  The top review
 * clusters come from the Review queue's table when it exists (the API says available).
 */
import { html, useEffect, useState } from './ui.js';
import { t, errorText } from './i18n.js';
import { Chart, series } from './reports_chart.js';
import { PRESETS, period, loadReports, csvUrl, pct, pctOf, secs, msec } from './reports_data.js';

const pctText = (v) => v.toFixed(1) + ' %';
const int = (v) => (v === null || v === undefined ? '—' : String(Math.round(v)));

function Filters({ f, days, onChange }) {
  const set = (k) => (e) => onChange(k, e.target.value);
  return html`<form class="report-filters" aria-label=${t('reports_filters')}
      onSubmit=${(e) => e.preventDefault()}>
    <label>${t('reports_period')}<select value=${days} onChange=${set('days')}>
      ${PRESETS.map((d) => html`<option value=${d}>${t('reports_last_days', { n: d })}</option>`)}
    </select></label>
    <label>${t('reports_language')}<select value=${f.lang} onChange=${set('lang')}>
      <option value="">${t('reports_all')}</option>
      <option value="en">${t('lang_en')}</option><option value="zh">${t('lang_zh')}</option>
    </select></label>
    <label>${t('reports_channel')}<select value=${f.channel} onChange=${set('channel')}>
      <option value="">${t('reports_all')}</option>
      <option value="widget">${t('reports_ch_widget')}</option>
      <option value="voice">${t('reports_ch_voice')}</option>
      <option value="api">${t('reports_ch_api')}</option>
    </select></label>
  </form>`;
}

function Figure({ name, value, def }) {
  return html`<div class="kpi" role="group" aria-label=${name}>
    <div class="kpi-name">${name}</div><div class="kpi-value">${value}</div>
    <div class="kpi-def">${def}</div></div>`;
}

function Summary({ s }) {
  const tto = s.time_to_operator;
  return html`<div class="kpis">
    <${Figure} name=${t('reports_conversations')} value=${int(s.conversations)}
      def=${t('reports_def_conversations')} />
    <${Figure} name=${t('reports_messages')} value=${int(s.messages.total)}
      def=${t('reports_def_messages')} />
    <${Figure} name=${t('reports_containment')} value=${pct(s.containment)}
      def=${t('reports_def_containment')} />
    <${Figure} name=${t('reports_handoff_rate')} value=${pct(s.handoff_rate)}
      def=${t('reports_def_handoff_rate')} />
    <${Figure} name=${t('reports_fallback_rate')} value=${pct(s.fallback_rate)}
      def=${t('reports_def_fallback_rate')} />
    <${Figure} name=${t('reports_thumbs')} value=${int(s.thumbs_up) + ' / ' + int(s.thumbs_down)}
      def=${t('reports_def_thumbs')} />
    <${Figure} name=${t('reports_csat')} value=${pct(s.csat)}
      def=${t('reports_def_csat', { n: s.ratings })} />
    <${Figure} name=${t('reports_tto')} value=${secs(tto.avg_s) + ' / ' + secs(tto.p90_s)}
      def=${t('reports_def_tto', { untaken: tto.untaken })} />
    <${Figure} name=${t('reports_latency')}
      value=${msec(s.latency.p50_ms) + ' / ' + msec(s.latency.p99_ms)}
      def=${t('reports_def_latency')} />
  </div>`;
}

function Csv({ name, f }) {
  return html`<a class="csv" href=${csvUrl(name, f)} download=${'kefu-' + name + '.csv'}>
    ${t('reports_csv')}</a>`;
}

/* A table of rows with columns [[heading, value(row)]]. */
function Table({ id, title, rows, cols, name, f }) {
  return html`<section class="report-table" aria-labelledby=${id}>
    <div class="report-table-head"><h2 id=${id}>${title}</h2>
      <${Csv} name=${name} f=${f} /></div>
    <table class="grid" aria-labelledby=${id}>
      <thead><tr>${cols.map((c) => html`<th>${c[0]}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>
        ${cols.map((c) => html`<td>${c[1](r)}</td>`)}</tr>`)}</tbody>
    </table></section>`;
}

function Charts({ r }) {
  const days = r.daily.days;
  const xs = days.map((d) => d.day_ms / 1000);
  const time = (uPlot, ys) => ({ scales: { x: { time: true } }, series: [{}].concat(ys),
    axes: [{}, { size: 50 }], legend: { live: false } });
  const hours = r.hours.hours;
  return html`<div class="charts">
    <${Chart} label=${t('reports_chart_volume')} caption=${t('reports_def_chart_volume')}
      data=${[xs, days.map((d) => d.conversations), days.map((d) => d.customer),
        days.map((d) => d.bot + d.operator)]}
      make=${(u) => time(u, [series(t('reports_conversations'), 0, int),
        series(t('reports_customer_messages'), 1, int), series(t('reports_replies'), 2, int)])} />
    <${Chart} label=${t('reports_chart_rates')} caption=${t('reports_def_chart_rates')}
      data=${[xs, days.map((d) => pctOf(d.containment)), days.map((d) => pctOf(d.handoff_rate)),
        days.map((d) => pctOf(d.fallback_rate))]}
      make=${(u) => Object.assign(time(u, [series(t('reports_containment'), 0, pctText),
        series(t('reports_handoff_rate'), 1, pctText),
        series(t('reports_fallback_rate'), 2, pctText)]),
        { scales: { x: { time: true }, y: { range: [0, 100] } } })} />
    <${Chart} label=${t('reports_chart_latency')} caption=${t('reports_def_chart_latency')}
      data=${[xs, days.map((d) => d.p50_ms), days.map((d) => d.p99_ms)]}
      make=${(u) => time(u, [series('p50', 0, msec), series('p99', 1, msec)])} />
    <${Chart} label=${t('reports_chart_hours')} caption=${t('reports_def_chart_hours')}
      data=${[hours.map((h) => h.hour), hours.map((h) => h.customer),
        hours.map((h) => h.conversations)]}
      make=${(u) => ({ scales: { x: { time: false } }, legend: { live: false },
        axes: [{ values: (_, v) => v.map((x) => x + ':00') }, { size: 50 }],
        series: [{ label: t('reports_hour') },
          Object.assign(series(t('reports_customer_messages'), 1, int, true),
            { paths: u.paths.bars({ size: [0.7, 40] }), points: { show: false } }),
          series(t('reports_conversations'), 0, int)] })} />
  </div>`;
}

export function Reports() {
  const [days, setDays] = useState(30);
  const [f, setF] = useState(Object.assign({ lang: '', channel: '' }, period(30)));
  const [r, setR] = useState(null);
  const [err, setErr] = useState('');

  useEffect(() => {
    let gone = false;
    setErr('');
    loadReports(f).then((x) => { if (!gone) setR(x); })
      .catch((e) => { if (!gone) setErr(errorText(e)); });
    return () => { gone = true; };
  }, [f]);

  function change(k, v) {
    if (k === 'days') {
      setDays(Number(v));
      setF(Object.assign({}, f, period(Number(v))));
    } else {
      setF(Object.assign({}, f, { [k]: v }));
    }
  }

  const cl = r && r.clusters;
  return html`<section class="page reports" aria-labelledby="rep-h">
    <h1 id="rep-h">${t('nav_reports')}</h1>
    <${Filters} f=${f} days=${days} onChange=${change} />
    <p class="error" role="alert">${err}</p>
    ${!r && !err && html`<p class="muted">${t('loading')}</p>`}
    ${r && html`<div>
      <div class="report-table-head"><h2 id="rep-sum">${t('reports_summary')}</h2>
        <${Csv} name="summary" f=${f} /></div>
      <${Summary} s=${r.summary} />
      <${Charts} r=${r} />
      <${Table} id="rep-daily" title=${t('reports_daily')} name="daily" f=${f}
        rows=${r.daily.days} cols=${[[t('reports_day'), (d) => d.day],
          [t('reports_conversations'), (d) => int(d.conversations)],
          [t('reports_containment'), (d) => pct(d.containment)],
          [t('reports_handoff_rate'), (d) => pct(d.handoff_rate)],
          [t('reports_customer_messages'), (d) => int(d.customer)],
          [t('reports_replies'), (d) => int(d.bot + d.operator)],
          [t('reports_fallback_rate'), (d) => pct(d.fallback_rate)],
          ['p50', (d) => msec(d.p50_ms)], ['p99', (d) => msec(d.p99_ms)]]} />
      <${Table} id="rep-answers" title=${t('reports_top_answers')} name="answers" f=${f}
        rows=${r.answers.answers}
        cols=${[[t('reports_answer'), (a) => a.title || '#' + a.answer_id],
          [t('reports_replies'), (a) => int(a.replies)],
          [t('reports_up'), (a) => int(a.thumbs_up)],
          [t('reports_down'), (a) => int(a.thumbs_down)],
          [t('reports_down_rate'), (a) => pct(a.thumbs_down_rate)]]} />
      <${Table} id="rep-hours" title=${t('reports_busiest')} name="hours" f=${f}
        rows=${r.hours.hours} cols=${[[t('reports_hour'), (h) => h.hour + ':00'],
          [t('reports_conversations'), (h) => int(h.conversations)],
          [t('reports_customer_messages'), (h) => int(h.customer)],
          [t('reports_replies'), (h) => int(h.replies)]]} />
      ${cl.available ? html`<${Table} id="rep-clusters" title=${t('reports_clusters')}
          name="clusters" f=${f} rows=${cl.clusters}
          cols=${[[t('reports_cluster'), (c) => c.label],
            [t('reports_size'), (c) => int(c.size)]]} />`
        : html`<section aria-labelledby="rep-clusters">
          <h2 id="rep-clusters">${t('reports_clusters')}</h2>
          <p class="muted">${t('reports_no_clusters')}</p></section>`}
      <p class="muted">${t('reports_def_rollup')}</p>
    </div>`}
  </section>`;
}
