// The run page (#/runs/ID): header (with Cancel while RUNNING), live progress,
// stage timeline (with the usual stage durations), outcome counters, the
// comparison with the usual run, params, the error of a failed run, and the
// logs panel. One watch on the run feeds all of them.

import * as api from './api.js';
import { cancelControl } from './cancel.js';
import { h, badge, flags, jobLink, replace } from './dom.js';
import * as fmt from './format.js';
import { comparisonPanel, usualStages } from './insights.js';
import { live } from './live.js';
import { logsPanel } from './logs.js';
import { progressBar } from './progress.js';
import { stageTimeline } from './timeline.js';

/** Mounts the page of run `id`. Returns {unmount}. */
export function mountRun(root, id, ctx) {
  let destroyed = false;
  let sub = null;
  let ticker = null;
  replace(root, h('p', { class: 'muted' }, 'Loading run ' + id + '…'));

  (async () => {
    let run;
    try {
      run = await api.getRun(id);
    } catch (e) {
      if (!destroyed) ctx.error(e, root, 'Run ' + id);
      return;
    }
    if (destroyed) return;
    const view = build(run, ctx);
    replace(root, view.node);
    ticker = setInterval(view.tick, 1000);
    sub = live.watch(
      { jobRunId: run.id, level: 'debug' },
      {
        event: view.event,
        ready: view.resync,
      },
    );
    view.logs.catchUp();
    view.timeline.load().catch((e) => ctx.error(e));
    view.comparison.load();
  })();

  return {
    unmount() {
      destroyed = true;
      if (ticker) clearInterval(ticker);
      if (sub) sub.close();
    },
  };
}

function build(initial, ctx) {
  let run = initial;
  const title = h('h1', null, jobLink(run.jobName), h('span', { class: 'muted' }, ' run #' + run.id));
  const statusSlot = h('span', { class: 'status' });
  const stageSlot = h('span', { class: 'curstage' });
  const meta = h('dl', { class: 'meta' });
  const cancel = cancelControl(run.id, (answered) => {
    run = { ...run, ...answered };
    renderHead();
  });
  const actions = h('div', { class: 'actions' }, cancel.node);
  const bar = progressBar(run);
  const timeline = stageTimeline(run);
  const comparison = comparisonPanel(run.id, (stages) => timeline.usual(usualStages(stages)));
  let ticks = 0;
  let resyncTimer = null;
  let lastResync = 0;
  const outcome = h('dl', { class: 'counters' });
  const params = h('pre', { class: 'json' });
  const errorBox = h('section', { class: 'panel errorbox', hidden: true });
  const logs = logsPanel(run.id, ctx);
  const counts = h('p', { class: 'muted small logcounts' });

  const node = h(
    'article',
    { class: 'runpage', dataset: { runId: run.id } },
    h('header', { class: 'runhead' }, title, h('div', { class: 'headline' }, statusSlot, stageSlot, actions)),
    h('section', { class: 'panel' }, bar.node, meta),
    errorBox,
    h('div', { class: 'cols' }, timeline.node, h('section', { class: 'panel outcome' }, h('h2', null, 'Outcome'), outcome)),
    comparison.node,
    logs.node,
    counts,
    h('details', { class: 'panel params' }, h('summary', null, 'Params'), params),
  );

  function item(label, value) {
    return h('div', null, h('dt', null, label), h('dd', null, value));
  }

  function renderHead() {
    node.dataset.status = run.status;
    replace(statusSlot, badge(run.status), flags(run));
    cancel.update(run);
    stageSlot.textContent = run.currentStage ? 'Stage: ' + run.currentStage : '';
    replace(
      meta,
      item('Started', fmt.dateTime(run.startedAt)),
      item('Finished', run.finishedAt ? fmt.dateTime(run.finishedAt) : '–'),
      item('Duration', fmt.duration(fmt.runDuration(run))),
      item('Owner', 'pid ' + (run.pid ?? '–') + ', uid ' + (run.uid ?? '–')),
      run.node ? item('Node', run.node) : null,
      item('Trigger', (run.trigger ?? '') + (run.scope ? ' · ' + run.scope : '')),
      run.algorithmVersion ? item('Version', run.algorithmVersion) : null,
      item('Last heard', fmt.dateTime(run.lastHeartbeatAt)),
    );
  }

  function renderOutcome(summary) {
    const entries = Object.entries(summary || {});
    if (entries.length === 0) replace(outcome, h('p', { class: 'muted' }, 'No counters.'));
    else
      replace(
        outcome,
        entries.map(([k, v]) => h('div', { class: 'counter', dataset: { key: k } }, h('dt', null, k), h('dd', { class: 'num' }, fmt.count(v)))),
      );
  }

  function renderRest() {
    renderOutcome(run.outcomeSummary);
    params.textContent = JSON.stringify((run.metadata && run.metadata.params) || {}, null, 2);
    if (run.error) {
      errorBox.hidden = false;
      replace(
        errorBox,
        h('h2', null, 'Error'),
        h('p', { class: 'errmsg' }, String(run.error.message ?? '')),
        run.error.stack ? h('pre', { class: 'json' }, String(run.error.stack)) : null,
      );
    } else errorBox.hidden = true;
    const lc = run.logCounts || {};
    const dc = run.droppedLogCounts || {};
    const dropped = Object.values(dc).reduce((a, b) => a + b, 0);
    counts.textContent =
      'Stored entries: ' +
      Object.entries(lc)
        .map(([k, v]) => k + ' ' + fmt.count(v))
        .join(', ') +
      (dropped ? ' · dropped by the log budget: ' + fmt.count(dropped) : '');
  }

  let askedUnit = false;

  async function refresh() {
    try {
      run = await api.getRun(run.id);
    } catch (e) {
      ctx.error(e);
      return;
    }
    renderHead();
    renderRest();
    bar.update(run);
    timeline.update(run);
  }

  renderHead();
  renderRest();

  return {
    node,
    logs,
    timeline,
    comparison,
    event(ev) {
      switch (ev.type) {
        case 'log':
          logs.log(ev.log);
          break;
        case 'progress':
          bar.progress(ev);
          if (bar.needsUnit() && !askedUnit) {
            askedUnit = true;
            refresh();
          }
          break;
        case 'stage':
          run = { ...run, currentStage: ev.stage };
          renderHead();
          timeline.stage(ev);
          comparison.load();
          break;
        case 'outcome':
          renderOutcome(ev.outcomeSummary);
          break;
        case 'cancel':
          run = { ...run, cancelRequestedAt: run.cancelRequestedAt || ev.at, cancelReason: ev.reason ?? null };
          renderHead();
          break;
        case 'run.finished':
          run = { ...run, status: ev.status };
          renderHead();
          bar.status(ev.status);
          refresh();
          comparison.load();
          break;
        case 'stalled':
        case 'unstalled':
        case 'slow':
          refresh();
          break;
      }
    },
    /** After a reconnect or a `lagged` event (with how many events it skipped). */
    resync(reason, dropped) {
      logs.catchUp(dropped);
      // The rest of the page at most once a second: a busy run's paced view is told `lagged` often.
      if (resyncTimer !== null) return;
      resyncTimer = setTimeout(() => {
        resyncTimer = null;
        lastResync = Date.now();
        refresh();
        timeline.load().catch(() => {});
        comparison.load();
      }, Math.max(0, lastResync + 1000 - Date.now()));
    },
    tick() {
      if (run.status === 'RUNNING') {
        renderHead();
        timeline.tick();
        if (++ticks % 10 === 0) comparison.load(); // the run's time so far
      }
    },
  };
}
