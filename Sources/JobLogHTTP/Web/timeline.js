// The stage timeline of a run: one bar per stage, placed by its start and
// sized by its duration, on the run's time axis. Built from the stage log
// entries (setStage writes an `info` entry whose context is {"stage": S}),
// read in keyset pages and capped; a daemon with GET …/stages (a later issue)
// is asked that first. Live `stage` events extend it. usual(map) adds the
// usual duration of each stage (the comparison's baseline) as an outlined mark
// behind the bar, and flags a stage that took over twice its usual time.

import * as api from './api.js';
import { h, replace } from './dom.js';
import * as fmt from './format.js';

const PAGE = 1000;
let stagesEndpoint = true; // false once the daemon answered that it has no …/stages
const MAX_PAGES = 5;

function isStageEntry(e) {
  if (e.level !== 'info' || !e.context || typeof e.context !== 'object') return false;
  const keys = Object.keys(e.context);
  return keys.length === 1 && keys[0] === 'stage' && e.context.stage === e.stage;
}

/** Creates the timeline for a run record; load() reads it, stage()/update() keep it live. */
export function stageTimeline(run) {
  let stages = []; // {stage, start (ms), end (ms|null), message}
  let partial = false;
  let runStart = fmt.parseTime(run.startedAt);
  let runEnd = fmt.parseTime(run.finishedAt);
  let status = run.status;
  let usualMs = new Map(); // stage name -> usual duration (ms)
  const body = h('div', { class: 'tl' });
  const foot = h('p', { class: 'muted small' });
  const node = h('section', { class: 'panel timeline' }, h('h2', null, 'Stage timeline'), body, foot);

  function render() {
    const now = Date.now();
    const end = runEnd ?? now;
    const start = runStart ?? (stages[0] ? stages[0].start : now);
    const span = Math.max(1, end - start);
    if (stages.length === 0) {
      replace(body, h('p', { class: 'muted' }, 'No stages reported.'));
    } else {
      replace(
        body,
        stages.map((s, i) => {
          const sEnd = s.end ?? (stages[i + 1] ? stages[i + 1].start : end);
          const d = Math.max(0, sEnd - s.start);
          const bar = h('div', { class: 'bar' + (s.end === null && !stages[i + 1] && status === 'RUNNING' ? ' current' : '') });
          bar.style.left = (((s.start - start) / span) * 100).toFixed(3) + '%';
          bar.style.width = Math.max(0.5, (d / span) * 100).toFixed(3) + '%';
          bar.title = s.stage + ': ' + fmt.duration(d);
          const u = usualMs.get(s.stage);
          let mark = null;
          if (u !== undefined) {
            const left = ((s.start - start) / span) * 100;
            mark = h('div', { class: 'usual', title: 'usual ' + s.stage + ': ' + fmt.duration(u) });
            mark.style.left = left.toFixed(3) + '%';
            mark.style.width = Math.max(0.5, Math.min(100 - left, (u / span) * 100)).toFixed(3) + '%';
          }
          const over = u !== undefined && u > 0 && d > 2 * u;
          return h(
            'div',
            { class: 'tlrow' + (over ? ' over' : ''), dataset: u === undefined ? { stage: s.stage } : { stage: s.stage, usualMs: String(u) } },
            h('div', { class: 'tlname' }, s.stage, s.message ? h('span', { class: 'muted small' }, ' ' + s.message) : null),
            h('div', { class: 'tltrack' }, mark, bar),
            h(
              'div',
              { class: 'tltime num' },
              '+' + fmt.duration(s.start - start) + ' · ' + fmt.duration(d),
              u === undefined ? null : h('span', { class: 'tlusual' }, ' · usual ' + fmt.duration(u) + (u > 0 ? ' (' + (d / u).toFixed(1) + '×)' : '')),
            ),
          );
        }),
      );
    }
    foot.textContent = partial ? 'Only the first ' + PAGE * MAX_PAGES + ' info entries were read; later stages come from live events.' : '';
    node.dataset.stages = String(stages.length);
  }

  async function fromLogs(id) {
    const found = [];
    let after = 0;
    for (let i = 0; i < MAX_PAGES; i++) {
      const logs = await api.getLogs(id, { level: 'info', limit: PAGE, afterId: after });
      for (const e of logs) {
        if (isStageEntry(e)) {
          const msg = e.message === 'Stage: ' + e.stage ? '' : e.message;
          found.push({ stage: e.stage, start: fmt.parseTime(e.createdAt), end: null, message: msg });
        }
      }
      if (logs.length < PAGE) return { found, partial: false };
      after = logs[logs.length - 1].id;
    }
    return { found, partial: true };
  }

  render();
  return {
    node,
    async load() {
      let loaded;
      try {
        if (!stagesEndpoint) throw new Error('no stages endpoint');
        const st = await api.getStages(run.id);
        loaded = {
          found: st.map((s) => ({ stage: s.stage, start: fmt.parseTime(s.startedAt), end: fmt.parseTime(s.finishedAt), message: s.message || '' })),
          partial: false,
        };
      } catch (e) {
        if (e instanceof api.ApiError && e.status === 404) stagesEndpoint = false;
        loaded = await fromLogs(run.id);
      }
      // keep live stages newer than what the store returned
      const ll = loaded.found[loaded.found.length - 1];
      const lastLoaded = ll ? ll.start : -Infinity;
      const newer = stages.filter((s) => s.start > lastLoaded && !(ll && s.stage === ll.stage && s.start - lastLoaded < 1000));
      stages = loaded.found.concat(newer);
      partial = loaded.partial;
      render();
    },
    /** A live `stage` event. */
    stage(ev) {
      const t = fmt.parseTime(ev.at) ?? Date.now();
      const last = stages[stages.length - 1];
      if (last && last.stage === ev.stage && Math.abs(last.start - t) < 1000) return;
      if (last && last.end === null) last.end = t;
      stages.push({ stage: ev.stage, start: t, end: null, message: '' });
      render();
    },
    /** The usual duration per stage name (a Map), drawn behind each bar. */
    usual(map) {
      usualMs = map;
      render();
    },
    /** A fresh run record (status, finishedAt). */
    update(r) {
      status = r.status;
      runStart = fmt.parseTime(r.startedAt) ?? runStart;
      runEnd = fmt.parseTime(r.finishedAt);
      render();
    },
    tick() {
      if (status === 'RUNNING') render();
    },
  };
}
