// Job insights (getJobStats, compareRuns): the p50/p95 band of the job page's
// duration chart, its success rate and outcome trends, and on the run page the
// comparison with the usual run, whose per-stage baselines the stage timeline
// draws as "usual" marks.

import * as api from './api.js';
import { h, svg, replace } from './dom.js';
import * as fmt from './format.js';

const STATUS_CLASS = { SUCCESS: 'success', FAILED: 'failed', RUNNING: 'running', CANCELLED: 'cancelled', ABANDONED: 'abandoned' };

/** Room a duration chart leaves right of its plot for the band's labels. */
export const BAND_LABEL_WIDTH = 78;

/**
 * The p50/p95 band of a duration chart: a shaded band from p50 to p95 and a
 * line at each, labelled right of the plot. y(ms) maps a duration to the
 * chart's y; x1..x2 is the plot.
 */
export function durationBand(band, y, x1, x2) {
  if (!band || band.p50 === null || band.p50 === undefined) return [];
  const p95 = band.p95 ?? band.p50;
  const out = [
    svg('rect', { x: x1, width: Math.max(0, x2 - x1), y: y(p95).toFixed(1), height: Math.max(0.5, y(band.p50) - y(p95)).toFixed(1), class: 'pband' }),
  ];
  const y95 = y(p95) + 3.5;
  const y50 = Math.max(y(band.p50) + 3.5, y95 + 11); // never on top of the p95 label
  for (const [name, v, ly] of [['p50', band.p50, y50], ['p95', p95, y95]]) {
    out.push(svg('line', { x1, x2, y1: y(v).toFixed(1), y2: y(v).toFixed(1), class: 'pline ' + name }));
    const t = svg('text', { x: x2 + 4, y: ly.toFixed(1), class: 'plabel-svg ' + name, 'text-anchor': 'start' });
    t.textContent = name + ' ' + fmt.duration(v);
    out.push(t);
  }
  return out;
}

/** The job page's statistics panel (success rate, statuses, outcome trends) for getJobStats' `stats`. */
export function jobStatsPanel(stats) {
  const node = h('section', { class: 'panel jobstats', dataset: { runs: String(stats.runs) } });
  if (!stats.runs) {
    replace(node, h('h2', null, 'Success rate and outcome trends'), h('p', { class: 'muted' }, 'No finished runs yet.'));
    return node;
  }
  const rate = stats.successRate === null ? null : Math.round(stats.successRate * 1000) / 10;
  const recent = (stats.recent || []).slice().reverse(); // oldest first
  const byStatus = Object.entries(stats.byStatus || {});
  const strip = h(
    'div',
    { class: 'statusstrip', 'aria-label': 'status of the last runs, oldest first' },
    recent.map((r) =>
      h('a', {
        href: '#/runs/' + encodeURIComponent(r.id),
        class: 'sq st-' + (STATUS_CLASS[r.status] || 'unknown'),
        title: '#' + r.id + ' ' + r.status + ' · ' + fmt.duration(r.durationMs),
        dataset: { runId: r.id, status: r.status },
      }),
    ),
  );
  const d = stats.durationMs || {};
  replace(
    node,
    h('h2', null, 'Success rate and outcome trends'),
    h(
      'p',
      { class: 'rate' },
      h('strong', { class: 'successrate', dataset: { rate: String(stats.successRate) } }, rate === null ? '–' : rate + '% SUCCESS'),
      h('span', { class: 'muted' }, ' over the last ' + stats.runs + (stats.runs === 1 ? ' finished run' : ' finished runs') + ': '),
      byStatus.map(([s, n], i) => h('span', { class: 'bystatus', dataset: { status: s } }, (i ? ', ' : '') + n + ' ' + s)),
    ),
    strip,
    h('p', { class: 'muted small' }, 'Duration p50 ' + fmt.duration(d.p50) + ' · p95 ' + fmt.duration(d.p95) + ' · max ' + fmt.duration(d.max)),
    outcomeTrends(stats.outcome || {}, recent),
  );
  return node;
}

/** One row per outcome counter: a sparkline over the recent runs, last, median and range. */
function outcomeTrends(outcome, recent) {
  const keys = Object.keys(outcome);
  if (keys.length === 0) return h('p', { class: 'muted small' }, 'No outcome counters reported.');
  return h(
    'table',
    { class: 'trends' },
    h('thead', null, h('tr', null, ['Counter', 'Trend (oldest → newest)', 'Last', 'Median', 'Min – max'].map((t) => h('th', null, t)))),
    h(
      'tbody',
      null,
      keys.map((k) => {
        const o = outcome[k];
        const points = recent.map((r) => ({ id: r.id, v: r.outcomeSummary ? r.outcomeSummary[k] : undefined }));
        return h(
          'tr',
          { class: 'trend', dataset: { key: k } },
          h('td', { class: 'key' }, k),
          h('td', null, sparkline(points, k)),
          h('td', { class: 'num last' }, fmt.count(o.last)),
          h('td', { class: 'num' }, fmt.count(o.median)),
          h('td', { class: 'num' }, fmt.count(o.min) + ' – ' + fmt.count(o.max)),
        );
      }),
    ),
  );
}

/** A small line of values (runs without the counter are gaps); a <title> per point. */
export function sparkline(points, label) {
  const W = 160;
  const H = 28;
  const vals = points.map((p) => p.v).filter((v) => typeof v === 'number');
  const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'spark', role: 'img', 'aria-label': label + ' over the recent runs' });
  if (vals.length === 0) return root;
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const step = points.length > 1 ? (W - 6) / (points.length - 1) : 0;
  const x = (i) => 3 + i * step;
  const y = (v) => (hi === lo ? H / 2 : 3 + (1 - (v - lo) / (hi - lo)) * (H - 6));
  let path = '';
  let pen = false;
  points.forEach((p, i) => {
    if (typeof p.v !== 'number') {
      pen = false;
      return;
    }
    path += (pen ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(p.v).toFixed(1);
    pen = true;
  });
  root.appendChild(svg('path', { d: path, class: 'sline' }));
  points.forEach((p, i) => {
    if (typeof p.v !== 'number') return;
    const c = svg('circle', { cx: x(i).toFixed(1), cy: y(p.v).toFixed(1), r: i === points.length - 1 ? 2.6 : 1.6, class: 'spt' });
    const t = svg('title');
    t.textContent = '#' + p.id + ': ' + fmt.count(p.v);
    c.appendChild(t);
    root.appendChild(c);
  });
  return root;
}

/**
 * The run page's comparison with the usual run (compareRuns): duration, stages
 * and counters, largest change first. onBaseline(stages) hands the per-stage
 * baselines to the timeline. load() (re)reads it.
 */
export function comparisonPanel(runId, onBaseline) {
  let baselineId = '';
  const body = h('div', { class: 'cmpbody' });
  const label = h('span', { class: 'muted small cmpbase' });
  const input = h('input', { type: 'text', name: 'baseline', inputmode: 'numeric', placeholder: 'run id', size: 8, 'aria-label': 'baseline run id' });
  const form = h(
    'form',
    {
      class: 'cmpform',
      onsubmit: (e) => {
        e.preventDefault();
        baselineId = input.value.trim().replace(/^#/, '');
        load();
      },
    },
    h('label', { class: 'small muted' }, 'Against run ', input),
    h('button', { type: 'submit' }, 'Compare'),
  );
  const node = h('section', { class: 'panel comparison' }, h('div', { class: 'cmphead' }, h('h2', null, 'Compared with the usual run'), label, form), body);
  let seq = 0;
  let busy = false;
  let again = false;
  let timer = null;
  let lastAt = 0;

  /** Reads the comparison again: at most one request at a time and one a second (stage events can be many). */
  function load() {
    if (busy || timer) {
      again = true;
      return;
    }
    const wait = lastAt + 1000 - Date.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = null;
        load();
      }, wait);
      return;
    }
    busy = true;
    again = false;
    lastAt = Date.now();
    read().finally(() => {
      busy = false;
      if (again) {
        again = false;
        load();
      }
    });
  }

  async function read() {
    const mine = ++seq;
    let c;
    try {
      c = await api.compareRuns(runId, baselineId || undefined);
    } catch (e) {
      if (mine !== seq) return;
      const text = e instanceof api.ApiError && e.status === 404 && baselineId ? 'Run ' + baselineId + ' was not found.' : e.message || String(e);
      replace(body, h('p', { class: 'err' }, text));
      return;
    }
    if (mine !== seq) return;
    render(c);
    if (onBaseline && !baselineId) onBaseline(c.stages || []);
  }

  function render(c) {
    label.textContent = 'against the ' + c.baseline;
    node.dataset.baseline = c.baseline;
    const rows = [];
    const d = c.durationMs || {};
    rows.push(row('duration', 'Duration', fmt.duration(d.run), fmt.duration(d.baseline), ratioCell(d.ratio)));
    for (const s of c.stages || []) rows.push(row('stage', s.stage, fmt.duration(s.run), fmt.duration(s.baseline), ratioCell(s.ratio)));
    for (const o of c.outcome || []) rows.push(row('outcome', o.key, fmt.count(o.run), fmt.count(o.baseline), deltaCell(o.delta)));
    if (/^median of 0 /.test(c.baseline)) {
      replace(body, h('p', { class: 'muted' }, 'No earlier SUCCESS run of this job to compare with.'));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'cmp' },
        h('thead', null, h('tr', null, ['', 'This run', 'Usual', 'Change'].map((t) => h('th', null, t)))),
        h('tbody', null, rows),
      ),
    );
  }

  function row(kind, name, run, base, change) {
    return h('tr', { class: 'cmp-' + kind, dataset: { kind, name } }, h('td', { class: 'cmpname' }, name), h('td', { class: 'num' }, run), h('td', { class: 'num' }, base), change);
  }

  return { node, load };
}

function ratioCell(ratio) {
  if (ratio === null || ratio === undefined) return h('td', { class: 'num muted' }, '–');
  const cls = ratio >= 2 ? ' hi' : ratio <= 0.5 ? ' lo' : '';
  return h('td', { class: 'num ratio' + cls, dataset: { ratio: String(ratio) } }, ratio.toFixed(ratio >= 10 ? 0 : 1) + '×');
}

function deltaCell(delta) {
  if (delta === null || delta === undefined) return h('td', { class: 'num muted' }, '–');
  return h('td', { class: 'num delta' }, (delta > 0 ? '+' : '') + fmt.count(delta));
}

/** Usual (baseline) duration per stage name from compareRuns' stages. */
export function usualStages(stages) {
  const out = new Map();
  for (const s of stages) if (s.baseline !== null && s.baseline !== undefined) out.set(s.stage, s.baseline);
  return out;
}
