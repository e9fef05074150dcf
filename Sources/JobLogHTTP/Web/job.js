// The job page (#/jobs/NAME): its last runs with status and duration, a
// duration chart drawn as inline SVG (one bar per run, oldest on the left) with
// the p50/p95 band, and the success rate and outcome trends (insights.js).

import * as api from './api.js';
import { h, svg, badge, flags, runLink, replace } from './dom.js';
import * as fmt from './format.js';
import { BAND_LABEL_WIDTH, durationBand, jobStatsPanel } from './insights.js';
import { live } from './live.js';

const LAST = 50;
// Events after which the page reads its runs and statistics again.
const RELOAD_ON = new Set(['run.started', 'run.finished', 'stalled', 'unstalled', 'slow']);

/** Mounts the page of job `name`. Returns {unmount}. */
export function mountJob(root, name, ctx) {
  let destroyed = false;
  let timer = null;
  const chart = h('div', { class: 'chart' });
  const summary = h('p', { class: 'muted' });
  const insights = h('div', { class: 'insights' });
  const tbody = h('tbody');
  replace(
    root,
    h('h1', null, name),
    h('p', null, h('a', { href: '#/runs?jobName=' + encodeURIComponent(name) }, 'All runs of this job →')),
    h('section', { class: 'panel' }, h('h2', null, 'Duration of the last runs'), chart, summary),
    insights,
    h(
      'section',
      { class: 'panel job' },
      h('h2', null, 'Last runs'),
      h(
        'div',
        { class: 'tablewrap' },
        h(
          'table',
          { class: 'runs' },
          h('thead', null, h('tr', null, ['Run', 'Status', 'Started', 'Duration', 'Outcome'].map((t) => h('th', null, t)))),
          tbody,
        ),
      ),
    ),
  );

  async function load() {
    let runs;
    let stats = null;
    try {
      [runs, stats] = await Promise.all([api.listRuns({ jobName: name, limit: LAST }), api.getJobStats(name, LAST).catch(() => null)]);
    } catch (e) {
      if (!destroyed) ctx.error(e, summary);
      return;
    }
    if (destroyed) return;
    replace(
      tbody,
      runs.map((r) =>
        h(
          'tr',
          { dataset: { runId: r.id, status: r.status } },
          h('td', null, runLink(r.id)),
          h('td', { class: 'nowrap' }, badge(r.status), flags(r)),
          h('td', { class: 'nowrap' }, fmt.dateTime(r.startedAt)),
          h('td', { class: 'num' }, fmt.duration(fmt.runDuration(r))),
          h('td', { class: 'small' }, fmt.jsonLine(r.outcomeSummary || {}, 80)),
        ),
      ),
    );
    const done = runs.filter((r) => r.durationMs !== null && r.durationMs !== undefined).reverse();
    replace(chart, durationChart(done, stats && stats.durationMs));
    replace(insights, stats ? jobStatsPanel(stats) : null);
    if (done.length) {
      const sorted = done.map((r) => r.durationMs).sort((a, b) => a - b);
      const ok = done.filter((r) => r.status === 'SUCCESS').length;
      summary.textContent =
        done.length + (done.length === 1 ? ' finished run' : ' finished runs') + ' · median ' + fmt.duration(sorted[Math.floor((sorted.length - 1) / 2)]) +
        ' · max ' + fmt.duration(sorted[sorted.length - 1]) + ' · ' + Math.round((ok * 100) / done.length) + '% SUCCESS';
    } else summary.textContent = 'No finished runs yet.';
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  }

  const sub = live.watch({ jobName: name, level: 'error' }, {
    event: (ev) => (RELOAD_ON.has(ev.type) ? later() : null),
    ready: later,
  });
  load();
  return {
    unmount() {
      destroyed = true;
      clearTimeout(timer);
      sub.close();
    },
  };
}

/** Bars of durationMs, colored by status; a <title> per bar names the run; band {p50, p95} shaded. */
export function durationChart(runs, band) {
  const W = 640;
  const H = 160;
  const pad = { l: 48, r: band && band.p50 != null ? BAND_LABEL_WIDTH : 8, t: 8, b: 18 };
  if (runs.length === 0) return h('p', { class: 'muted' }, 'Nothing to draw yet.');
  const max = Math.max(1, ...runs.map((r) => r.durationMs), (band && band.p95) || 0);
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const step = iw / runs.length;
  const bw = Math.max(1, Math.min(24, step * 0.7));
  const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'durchart', role: 'img', 'aria-label': 'run durations' });
  root.appendChild(svg('g', { class: 'band' }, durationBand(band, (ms) => pad.t + ih - (ms / max) * ih, pad.l, W - pad.r)));
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + ih - f * ih;
    root.appendChild(svg('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: 'grid' }));
    const t = svg('text', { x: pad.l - 4, y: y + 4, class: 'axis', 'text-anchor': 'end' });
    t.textContent = fmt.duration(max * f);
    root.appendChild(t);
  }
  runs.forEach((r, i) => {
    const bh = Math.max(1, (r.durationMs / max) * ih);
    const a = svg('a', { href: '#/runs/' + encodeURIComponent(r.id) });
    const rect = svg('rect', {
      x: (pad.l + i * step + (step - bw) / 2).toFixed(1),
      y: (pad.t + ih - bh).toFixed(1),
      width: bw.toFixed(1),
      height: bh.toFixed(1),
      class: 'b-' + (r.status === 'SUCCESS' ? 'success' : r.status === 'FAILED' ? 'failed' : 'other'),
    });
    const title = svg('title');
    title.textContent = '#' + r.id + ' ' + r.status + ' · ' + fmt.duration(r.durationMs) + ' · ' + fmt.dateTime(r.startedAt);
    rect.appendChild(title);
    a.appendChild(rect);
    root.appendChild(a);
  });
  return root;
}
