// The jobs list (#/jobs): one row per job name (listJobs), the job whose last
// run started most recently first: its last run, last success, runs and how
// many are running now. Refreshed when a run starts or finishes.

import * as api from './api.js';
import { h, badge, jobLink, runLink, replace } from './dom.js';
import * as fmt from './format.js';
import { live } from './live.js';

const LIMIT = 200;

/** Mounts the view; query may hold jobName (a prefix). Returns {unmount}. */
export function mountJobs(root, query, ctx) {
  let destroyed = false;
  let timer = null;
  const prefix = query.get('jobName') || '';
  const input = h('input', { type: 'search', name: 'jobName', placeholder: 'job name prefix', value: prefix });
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e) => {
        e.preventDefault();
        const v = input.value.trim();
        location.hash = '#/jobs' + (v ? '?jobName=' + encodeURIComponent(v) : '');
      },
    },
    input,
    h('button', { type: 'submit' }, 'Filter'),
  );
  const tbody = h('tbody');
  const note = h('p', { class: 'muted note' });
  replace(
    root,
    h('h1', null, 'Jobs'),
    form,
    h(
      'div',
      { class: 'tablewrap' },
      h(
        'table',
        { class: 'runs jobs' },
        h('thead', null, h('tr', null, ['Job', 'Last run', 'Started', 'Duration', 'Last success', 'Runs', 'Running'].map((t) => h('th', null, t)))),
        tbody,
      ),
    ),
    note,
  );

  async function load() {
    let jobs;
    try {
      jobs = await api.listJobs({ jobName: prefix || undefined, limit: LIMIT });
    } catch (e) {
      if (!destroyed) ctx.error(e, note);
      return;
    }
    if (destroyed) return;
    replace(
      tbody,
      jobs.map((j) => {
        const last = j.lastRun || {};
        return h(
          'tr',
          { dataset: { jobName: j.jobName, status: last.status || '' } },
          h('td', null, jobLink(j.jobName)),
          h('td', { class: 'nowrap' }, last.id ? runLink(last.id) : '–', ' ', last.status ? badge(last.status) : null),
          h('td', { class: 'nowrap' }, fmt.dateTime(last.startedAt)),
          h('td', { class: 'num' }, fmt.duration(last.durationMs ?? (last.status === 'RUNNING' ? fmt.runDuration(last) : null))),
          h('td', { class: 'nowrap' }, j.lastSuccessAt ? fmt.dateTime(j.lastSuccessAt) : 'never'),
          h('td', { class: 'num' }, fmt.count(j.runs)),
          h('td', { class: 'num running' }, fmt.count(j.running)),
        );
      }),
    );
    note.textContent = jobs.length === 0 ? 'No jobs yet.' : jobs.length === LIMIT ? 'The first ' + LIMIT + ' jobs; filter by a name prefix for others.' : '';
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  }

  const sub = live.watch(
    { level: 'error' },
    { event: (ev) => (ev.type === 'run.started' || ev.type === 'run.finished' ? later() : null), ready: later },
  );
  load();
  return {
    unmount() {
      destroyed = true;
      clearTimeout(timer);
      sub.close();
    },
  };
}
