// The logs panel of a run page. A window of at most MAX_ROWS entries, in id
// order, fetched with keyset paging (getLogs afterId / beforeId), never all.
//
// Tail mode: the window ends at the newest entry and live `log` events are
// appended; the list follows them (auto-scroll) until the user scrolls up,
// and resumes when they scroll back to the bottom. History mode (after paging
// back): live entries are counted, not shown, until "Live tail".
//
// Catch-up: after each (re)subscription or `lagged` event, entries after the
// last rendered id are read from the store while live events are queued; the
// queue is then applied, skipping ids already shown. No entry is missed or
// shown twice. A view further behind than its window (a run logging faster
// than the daemon's live rate for a view) jumps to the newest page instead,
// and says so; "Older" reads what lies between.

import * as api from './api.js';
import { h, LEVELS, levelRank, replace, clear } from './dom.js';
import * as fmt from './format.js';

const MAX_ROWS = 2000;
const PAGE = 200;
const CATCHUP_PAGE = 1000;
// A catch-up reads at most this many pages after the last entry shown (the window's worth);
// further behind, it shows the newest page.
const CATCHUP_PAGES = MAX_ROWS / CATCHUP_PAGE;

const big = (id) => BigInt(id);

/** Creates the panel for a run; the run page feeds it live events. */
export function logsPanel(runId, ctx) {
  let minLevel = 'debug';
  let text = '';
  let mode = 'tail';
  let firstId = null;
  let lastId = null;
  let hasOlder = false;
  let busy = null; // the running fetch (a promise) or null
  let queue = null; // live entries held back during a catch-up
  let pendingCatchUps = 0;
  let unseen = 0;
  let follow = true;
  let beforeIdWorks = true;
  let generation = 0;
  let skipped = false; // the last catch-up jumped over entries to the newest page
  let waitingCatchUp = null; // a catch-up queued behind the running fetch, not started yet
  let jumpNext = false; // the next catch-up goes straight to the newest page

  const levelSelect = h('select', { name: 'level', 'aria-label': 'minimum level' }, LEVELS.map((l) => h('option', { value: l }, l + (l === 'debug' ? ' and up (all)' : ' and up'))));
  const textInput = h('input', { type: 'search', name: 'q', placeholder: 'filter text', 'aria-label': 'filter text' });
  const status = h('span', { class: 'muted logstatus' });
  const errSpan = h('span', { class: 'logerr' });
  const list = h('ol', { class: 'loglist' });
  const olderBtn = h('button', { type: 'button', class: 'older' }, '↑ Older');
  const oldestBtn = h('button', { type: 'button', class: 'oldest' }, '⇤ Oldest');
  const top = h('div', { class: 'logpager' }, oldestBtn, olderBtn);
  const scroller = h('div', { class: 'logscroll' }, top, list);
  const newerBtn = h('button', { type: 'button', class: 'newer' }, '↓ Newer');
  const tailBtn = h('button', { type: 'button', class: 'tail' }, 'Live tail');
  const jump = h('button', { type: 'button', class: 'jump', hidden: true }, '');
  const bottom = h('div', { class: 'logpager' }, newerBtn, tailBtn, jump, errSpan, status);
  const node = h(
    'section',
    { class: 'logs panel' },
    h('div', { class: 'loghead' }, h('h2', null, 'Logs'), levelSelect, textInput),
    scroller,
    bottom,
  );

  levelSelect.addEventListener('change', () => {
    minLevel = levelSelect.value;
    reset();
  });
  textInput.addEventListener('input', () => {
    text = textInput.value.toLowerCase();
    for (const li of list.children) applyText(li);
  });
  scroller.addEventListener('scroll', () => {
    const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 24;
    if (atBottom !== follow) {
      follow = atBottom;
      if (follow) unseen = mode === 'tail' ? 0 : unseen;
      renderControls();
    }
  });
  jump.addEventListener('click', () => (mode === 'tail' ? scrollToEnd() : toTail()));
  tailBtn.addEventListener('click', toTail);
  olderBtn.addEventListener('click', older);
  oldestBtn.addEventListener('click', oldest);
  newerBtn.addEventListener('click', newer);

  function row(e) {
    const ctxObj = e.context && typeof e.context === 'object' ? e.context : {};
    const keys = Object.keys(ctxObj);
    const li = h(
      'li',
      { class: 'log lv-' + LEVELS[levelRank(e.level)], dataset: { id: e.id, level: String(e.level) } },
      h('time', { datetime: e.createdAt, title: e.createdAt }, fmt.clockMs(e.createdAt)),
      h('span', { class: 'lvl' }, String(e.level)),
      h('span', { class: 'lstage' }, e.stage ?? ''),
      h(
        'div',
        { class: 'lbody' },
        h('span', { class: 'msg' }, String(e.message ?? '')),
        keys.length
          ? h(
              'details',
              { class: 'ctx' },
              h('summary', null, fmt.jsonLine(ctxObj, 90)),
              h('pre', null, JSON.stringify(ctxObj, null, 2)),
            )
          : null,
      ),
    );
    li._search = (String(e.message ?? '') + ' ' + (e.stage ?? '') + ' ' + (keys.length ? JSON.stringify(ctxObj) : '')).toLowerCase();
    applyText(li);
    return li;
  }

  function applyText(li) {
    li.hidden = text !== '' && !li._search.includes(text);
  }

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
    follow = true;
    unseen = 0;
    renderControls();
  }

  function append(entries) {
    const frag = document.createDocumentFragment();
    let added = 0;
    for (const e of entries) {
      if (levelRank(e.level) < levelRank(minLevel)) continue;
      if (lastId !== null && big(e.id) <= big(lastId)) continue;
      frag.appendChild(row(e));
      lastId = e.id;
      if (firstId === null) firstId = e.id;
      added++;
    }
    if (!added) return;
    list.appendChild(frag);
    while (list.children.length > MAX_ROWS) {
      list.firstChild.remove();
      hasOlder = true;
    }
    firstId = list.firstChild ? list.firstChild.dataset.id : null;
    if (follow) scroller.scrollTop = scroller.scrollHeight;
    else unseen += added;
    renderControls();
  }

  function renderControls() {
    olderBtn.disabled = busy !== null;
    oldestBtn.disabled = busy !== null;
    top.hidden = !hasOlder;
    newerBtn.hidden = mode === 'tail';
    tailBtn.hidden = mode === 'tail';
    jump.hidden = unseen === 0 || (mode === 'tail' && follow);
    jump.textContent = mode === 'tail' ? '↓ ' + unseen + ' new' : unseen + ' new since — Live tail';
    status.textContent =
      (mode === 'tail' ? (follow ? 'following' : 'paused (scrolled up)') : 'history') + ' · ' + list.children.length + ' shown' +
      (skipped && mode === 'tail' ? ' · skipped ahead to the newest (↑ Older reads the rest)' : '');
    node.dataset.skipped = String(skipped);
    node.dataset.mode = mode;
    node.dataset.follow = String(follow);
  }

  /** Runs one fetch at a time; stale generations (after reset) are dropped. */
  function serial(fn) {
    const g = generation;
    const p = (busy || Promise.resolve())
      .then(() => (g === generation ? fn(g) : null))
      .then(() => (errSpan.textContent = ''))
      .catch((e) => ctx.error(e, errSpan))
      .finally(() => {
        if (busy === p) busy = null;
        renderControls();
      });
    busy = p;
    renderControls();
    return p;
  }

  /**
   * Reads what the store has after lastId (or the newest page), then applies the live entries
   * queued meanwhile. Live entries stay queued until every pending catch-up is done: an entry
   * committed before the subscription is only in the store, and must be shown before a newer
   * live one.
   */
  function catchUp(dropped) {
    if (mode !== 'tail') return Promise.resolve();
    // More entries skipped than the window holds: straight to the newest page.
    if (dropped > MAX_ROWS) jumpNext = true;
    // One catch-up waiting behind the running fetch is enough: it reads from the last id when it starts.
    if (waitingCatchUp !== null) return waitingCatchUp;
    if (queue === null) queue = [];
    pendingCatchUps++;
    const p = serial(async (g) => {
      if (waitingCatchUp === p) waitingCatchUp = null;
      let jump = jumpNext;
      jumpNext = false;
      try {
        if (lastId === null) {
          jump = false;
          const logs = await api.getLogs(runId, { level: minLevel, limit: PAGE });
          if (g !== generation) return;
          hasOlder = logs.length === PAGE;
          append(logs);
          if (lastId === null) return; // nothing stored yet
        }
        let behind = true;
        for (let i = 0; i < CATCHUP_PAGES && behind && !jump; i++) {
          const logs = await api.getLogs(runId, { level: minLevel, limit: CATCHUP_PAGE, afterId: lastId });
          if (g !== generation) return;
          append(logs);
          behind = logs.length === CATCHUP_PAGE;
        }
        if (behind) {
          // Further behind than the window holds (a busy run, whose live view the daemon paces):
          // show the newest page instead of reading every entry in between; "Older" pages back.
          const logs = await api.getLogs(runId, { level: minLevel, limit: PAGE });
          if (g !== generation) return;
          clear(list);
          firstId = lastId = null;
          append(logs);
          hasOlder = true;
          skipped = true;
          renderControls();
        }
      } finally {
        if (g === generation && --pendingCatchUps === 0) {
          const q = queue || [];
          queue = null;
          append(q);
        }
      }
    });
    waitingCatchUp = p;
    return p;
  }

  function reset() {
    generation++;
    busy = null;
    queue = null;
    pendingCatchUps = 0;
    waitingCatchUp = null;
    jumpNext = false;
    clear(list);
    firstId = lastId = null;
    hasOlder = false;
    skipped = false;
    mode = 'tail';
    follow = true;
    unseen = 0;
    return catchUp();
  }

  function toTail() {
    reset();
  }

  function older() {
    serial(async (g) => {
      if (firstId === null) return;
      let logs = [];
      if (beforeIdWorks) {
        logs = await api.getLogs(runId, { level: minLevel, limit: PAGE, beforeId: firstId });
        if (logs.some((e) => big(e.id) >= big(firstId))) {
          beforeIdWorks = false; // a daemon without getLogs beforeId: page from the oldest instead
          logs = [];
        }
      }
      if (!beforeIdWorks) return oldestPage(g);
      if (g !== generation) return;
      const h0 = scroller.scrollHeight;
      const frag = document.createDocumentFragment();
      for (const e of logs) frag.appendChild(row(e));
      list.insertBefore(frag, list.firstChild);
      hasOlder = logs.length === PAGE;
      trimBottom();
      firstId = list.firstChild ? list.firstChild.dataset.id : null;
      scroller.scrollTop += scroller.scrollHeight - h0;
    });
  }

  function trimBottom() {
    if (list.children.length <= MAX_ROWS) return;
    while (list.children.length > MAX_ROWS) list.lastChild.remove();
    lastId = list.lastChild.dataset.id;
    mode = 'history';
    follow = false;
  }

  function oldest() {
    serial((g) => oldestPage(g));
  }

  async function oldestPage(g) {
    const logs = await api.getLogs(runId, { level: minLevel, limit: PAGE, afterId: 0 });
    if (g !== generation) return;
    clear(list);
    mode = 'history';
    follow = false;
    unseen = 0;
    hasOlder = false;
    firstId = lastId = null;
    const frag = document.createDocumentFragment();
    for (const e of logs) frag.appendChild(row(e));
    list.appendChild(frag);
    firstId = logs.length ? logs[0].id : null;
    lastId = logs.length ? logs[logs.length - 1].id : null;
    scroller.scrollTop = 0;
    if (logs.length < PAGE) becomeTail();
  }

  /** Back to following: read what came after the window, then live entries. */
  function becomeTail() {
    mode = 'tail';
    unseen = 0;
    follow = true;
    scroller.scrollTop = scroller.scrollHeight;
    catchUp(); // runs after the current fetch
  }

  function newer() {
    serial(async (g) => {
      const logs = await api.getLogs(runId, { level: minLevel, limit: PAGE, afterId: lastId ?? 0 });
      if (g !== generation) return;
      const frag = document.createDocumentFragment();
      for (const e of logs) frag.appendChild(row(e));
      list.appendChild(frag);
      if (logs.length) lastId = logs[logs.length - 1].id;
      while (list.children.length > MAX_ROWS) {
        list.firstChild.remove();
        hasOlder = true;
      }
      firstId = list.firstChild ? list.firstChild.dataset.id : null;
      if (logs.length < PAGE) becomeTail();
    });
  }

  renderControls();
  return {
    node,
    /** A live `log` event's entry. */
    log(entry) {
      if (levelRank(entry.level) < levelRank(minLevel)) return;
      if (mode !== 'tail') {
        unseen++;
        renderControls();
      } else if (queue !== null) queue.push(entry);
      else append([entry]);
    },
    /** After (re)subscribing or a lagged event: read what was missed. */
    catchUp,
  };
}
