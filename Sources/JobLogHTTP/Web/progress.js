// A progress bar with percent, current / total unit, rate and ETA. Rate and
// ETA start from the daemon's figures (ratePerSecond, etaSeconds over the last
// 30 s) and are then kept current from live progress events over the same
// window.

import { h } from './dom.js';
import * as fmt from './format.js';

const WINDOW_MS = 30000;

/** Creates a bar for a run; update(run-like) or progress(event) keep it current. */
export function progressBar(run) {
  const fill = h('div', { class: 'fill' });
  const track = h('div', { class: 'track', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, fill);
  const label = h('div', { class: 'plabel' });
  const node = h('div', { class: 'progress' }, track, label);
  const state = {
    current: run.progressCurrent ?? 0,
    total: run.progressTotal ?? null,
    unit: run.unit ?? null,
    status: run.status,
    serverRate: run.ratePerSecond ?? null,
    samples: [],
    lastAt: null, // `at` of the newest progress event shown
  };

  function render() {
    const { current, total, unit, status } = state;
    let percent = null;
    if (total !== null && total > 0) percent = Math.min(100, Math.floor((current * 100) / total));
    else if (total === 0) percent = 100;
    if (percent === null && status === 'SUCCESS') percent = 100;
    node.dataset.percent = percent === null ? '' : String(percent);
    node.dataset.current = String(current);
    node.dataset.status = String(status);
    node.classList.toggle('indeterminate', percent === null && status === 'RUNNING');
    node.classList.toggle('running', status === 'RUNNING');
    fill.style.width = (percent ?? 0) + '%';
    if (percent !== null) track.setAttribute('aria-valuenow', String(percent));
    const parts = [];
    if (percent !== null) parts.push(percent + '%');
    parts.push(fmt.count(current) + (total !== null ? ' / ' + fmt.count(total) : '') + (unit ? ' ' + unit : ''));
    if (status === 'RUNNING') {
      const r = currentRate();
      const rs = fmt.rate(r, unit);
      if (rs) parts.push(rs);
      if (r && r > 0 && total !== null && total > current) parts.push(fmt.eta((total - current) / r));
    }
    label.textContent = parts.join(' · ');
  }

  function currentRate() {
    const s = state.samples;
    if (s.length >= 2) {
      const a = s[0];
      const b = s[s.length - 1];
      if (b.t - a.t >= 500) return ((b.c - a.c) * 1000) / (b.t - a.t);
    }
    return state.serverRate;
  }

  render();
  return {
    node,
    /** A live `progress` event: {current, total}. */
    progress(ev) {
      const now = Date.now();
      if (typeof ev.current === 'number') state.current = ev.current;
      if (ev.total !== undefined) state.total = ev.total;
      if (typeof ev.at === 'string' && (state.lastAt === null || ev.at > state.lastAt)) state.lastAt = ev.at;
      state.samples.push({ t: now, c: state.current });
      while (state.samples.length > 2 && now - state.samples[0].t > WINDOW_MS) state.samples.shift();
      render();
    },
    /** Whether the unit is still unknown (set by setTotal after the run record was read). */
    needsUnit() {
      return state.unit === null && state.total !== null;
    },
    /**
     * A run record from the API. Its counts replace the bar's unless a live progress event
     * newer than the record (its `at` after the record's lastHeartbeatAt) was already shown.
     */
    update(r) {
      const newer = state.lastAt !== null && !(r.lastHeartbeatAt && r.lastHeartbeatAt >= state.lastAt);
      if (r.status !== 'RUNNING' || !newer) {
        state.current = r.progressCurrent ?? state.current;
        state.total = r.progressTotal ?? state.total;
      }
      state.unit = r.unit ?? state.unit;
      state.status = r.status;
      state.serverRate = r.ratePerSecond ?? null;
      if (r.status !== 'RUNNING') state.samples = [];
      render();
    },
    status(s) {
      state.status = s;
      render();
    },
  };
}
