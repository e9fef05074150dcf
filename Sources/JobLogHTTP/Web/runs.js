// The runs list (#/runs): newest first, filtered on the server by job name and
// status, by start time here, paged with beforeId (50 a page). RUNNING rows
// carry a live progress bar and a Cancel button; new runs appear at the top of
// the first page.

import * as api from './api.js';
import { cancelControl } from './cancel.js';
import { h, badge, flags, jobLink, runLink, replace } from './dom.js';
import * as fmt from './format.js';
import { live } from './live.js';
import { progressBar } from './progress.js';

const PAGE = 50;
const STATUSES = ['', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED', 'ABANDONED'];
const SINCE = [
  ['', 'any time'],
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
];
const SINCE_MS = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };

/** Mounts the view; query holds jobName, status, node, since, beforeId. Returns {unmount}. */
export function mountRuns(root, query, ctx) {
  const filters = {
    jobName: query.get('jobName') || '',
    status: query.get('status') || '',
    node: query.get('node') || '',
    since: query.get('since') || '',
  };
  const beforeId = query.get('beforeId') || '';
  const rows = new Map(); // run id -> row controller
  let sub = null;
  let destroyed = false;

  const jobInput = h('input', { type: 'search', name: 'jobName', placeholder: 'job name', value: filters.jobName });
  const statusSelect = h('select', { name: 'status' }, STATUSES.map((s) => h('option', { value: s }, s || 'any status')));
  statusSelect.value = filters.status;
  // Which daemon started the run (its --node-name): several hosts may share one store.
  const nodeInput = h('input', { type: 'search', name: 'node', placeholder: 'node', value: filters.node });
  const sinceSelect = h('select', { name: 'since' }, SINCE.map(([v, t]) => h('option', { value: v }, t)));
  sinceSelect.value = filters.since;
  const form = h(
    'form',
    { class: 'filters', onsubmit: (e) => (e.preventDefault(), go({})) },
    jobInput,
    statusSelect,
    nodeInput,
    sinceSelect,
    h('button', { type: 'submit' }, 'Filter'),
  );
  statusSelect.addEventListener('change', () => go({}));
  sinceSelect.addEventListener('change', () => go({}));

  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'runs' },
    h(
      'thead',
      null,
      h('tr', null, ['Run', 'Job', 'Status', 'Stage', 'Progress', 'Started', 'Duration', ''].map((t) => h('th', null, t))),
    ),
    tbody,
  );
  const pager = h('nav', { class: 'pager' });
  const note = h('p', { class: 'muted note' });
  replace(root, h('h1', null, 'Runs'), form, h('div', { class: 'tablewrap' }, table), note, pager);

  function go(extra) {
    const q = new URLSearchParams();
    const f = {
      jobName: jobInput.value.trim(),
      status: statusSelect.value,
      node: nodeInput.value.trim(),
      since: sinceSelect.value,
      ...extra,
    };
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    const s = q.toString();
    location.hash = '#/runs' + (s ? '?' + s : '');
  }

  function sinceMs() {
    return filters.since && SINCE_MS[filters.since] ? Date.now() - SINCE_MS[filters.since] : null;
  }

  function matches(run) {
    if (filters.jobName && run.jobName !== filters.jobName) return false;
    if (filters.status && run.status !== filters.status) return false;
    if (filters.node && run.node !== filters.node) return false;
    const s = sinceMs();
    return s === null || (fmt.parseTime(run.startedAt) ?? 0) >= s;
  }

  async function load() {
    let runs;
    try {
      runs = await api.listRuns({
        jobName: filters.jobName || undefined,
        status: filters.status || undefined,
        node: filters.node || undefined,
        limit: PAGE,
        beforeId: beforeId || undefined,
      });
    } catch (e) {
      if (!destroyed) ctx.error(e, note);
      return;
    }
    if (destroyed) return;
    const s = sinceMs();
    const shown = s === null ? runs : runs.filter((r) => (fmt.parseTime(r.startedAt) ?? 0) >= s);
    rows.clear();
    replace(tbody, shown.map((r) => addRow(r)));
    note.textContent = shown.length === 0 ? 'No runs match.' : '';
    const older = runs.length === PAGE && shown.length === runs.length ? runs[runs.length - 1].id : null;
    replace(
      pager,
      beforeId ? h('a', { href: '#', onclick: (e) => (e.preventDefault(), go({})) }, '⇤ Newest') : null,
      older ? h('a', { href: '#', class: 'older', onclick: (e) => (e.preventDefault(), go({ beforeId: older })) }, 'Older →') : null,
    );
  }

  function addRow(run) {
    const bar = progressBar(run);
    const statusCell = h('td', { class: 'nowrap' }, badge(run.status), flags(run));
    const stageCell = h('td', { class: 'stage' }, run.currentStage ?? '');
    const durCell = h('td', { class: 'num' }, fmt.duration(fmt.runDuration(run)));
    const cancel = cancelControl(run.id, (answered) => row.set({ ...row.run, ...answered }));
    cancel.update(run);
    const tr = h(
      'tr',
      { dataset: { runId: run.id, status: run.status } },
      h('td', null, runLink(run.id)),
      h('td', null, jobLink(run.jobName), run.node ? h('span', { class: 'muted node' }, ' @ ' + run.node) : null),
      statusCell,
      stageCell,
      h('td', { class: 'pcell' }, bar.node),
      h('td', { class: 'nowrap' }, fmt.dateTime(run.startedAt)),
      durCell,
      h('td', { class: 'nowrap' }, cancel.node),
    );
    const row = {
      run,
      tr,
      bar,
      set(r) {
        row.run = r;
        tr.dataset.status = r.status;
        replace(statusCell, badge(r.status), flags(r));
        cancel.update(r);
        stageCell.textContent = r.currentStage ?? '';
        bar.update(r);
        row.tick();
      },
      tick() {
        durCell.textContent = fmt.duration(fmt.runDuration(row.run));
      },
    };
    rows.set(String(run.id), row);
    return tr;
  }

  async function refreshRun(id, prepend) {
    let run;
    try {
      run = await api.getRun(id);
    } catch {
      return;
    }
    if (destroyed) return;
    const row = rows.get(String(run.id));
    if (row) row.set(run);
    else if (prepend && !beforeId && matches(run)) {
      tbody.insertBefore(addRow(run), tbody.firstChild);
      note.textContent = '';
      while (tbody.children.length > PAGE) {
        const last = tbody.lastChild;
        rows.delete(last.dataset.runId);
        last.remove();
      }
    }
  }

  function onEvent(ev) {
    const row = rows.get(String(ev.jobRunId));
    switch (ev.type) {
      case 'run.started':
        refreshRun(ev.jobRunId, true);
        break;
      case 'progress':
        if (row) {
          row.bar.progress(ev);
          if (row.bar.needsUnit() && !row.askedUnit) {
            row.askedUnit = true;
            refreshRun(ev.jobRunId, false);
          }
        }
        break;
      case 'stage':
        if (row) row.tr.querySelector('.stage').textContent = ev.stage ?? '';
        break;
      case 'cancel':
        if (row) row.set({ ...row.run, cancelRequestedAt: row.run.cancelRequestedAt || ev.at, cancelReason: ev.reason ?? null });
        break;
      case 'run.finished':
      case 'stalled':
      case 'unstalled':
      case 'slow':
        if (row) refreshRun(ev.jobRunId, false);
        break;
    }
  }

  const ticker = setInterval(() => {
    for (const row of rows.values()) if (row.run.status === 'RUNNING') row.tick();
  }, 1000);

  // Only run-level events matter here: ask for error logs at most.
  sub = live.watch(filters.jobName ? { jobName: filters.jobName, level: 'error' } : { level: 'error' }, {
    event: onEvent,
    ready: () => load(),
  });
  load();

  return {
    unmount() {
      destroyed = true;
      clearInterval(ticker);
      sub.close();
    },
  };
}
