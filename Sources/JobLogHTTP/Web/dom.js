// DOM helpers. Every string goes in through textContent or setAttribute,
// never through innerHTML: job data (names, stages, messages, context) is
// shown as text, whatever characters it holds.

/** Creates an element: h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child). */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  setProps(node, props);
  append(node, children);
  return node;
}

/** Creates an SVG element with attributes. */
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

function setProps(node, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'value') node.value = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
}

/** Appends children: nodes, strings (as text), arrays; null and false are skipped. */
export function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.appendChild(c);
    else node.appendChild(document.createTextNode(String(c)));
  }
  return node;
}

/** Removes every child. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Replaces the children of node. */
export function replace(node, ...children) {
  clear(node);
  return append(node, children);
}

const STATUSES = new Set(['RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED', 'ABANDONED']);
const LEVELS = ['debug', 'info', 'milestone', 'warning', 'error'];

/** A status badge; the class comes from a fixed list, never from the raw string. */
export function badge(status) {
  const known = STATUSES.has(status) ? status.toLowerCase() : 'unknown';
  return h('span', { class: 'badge st-' + known, dataset: { status: String(status) } }, String(status));
}

/** Rank of a level (0 = debug … 4 = error); unknown levels rank as info. */
export function levelRank(level) {
  const i = LEVELS.indexOf(level);
  return i < 0 ? 1 : i;
}

export { LEVELS };

/** A link to a route inside the app. */
export function link(route, ...children) {
  return h('a', { href: '#' + route }, ...children);
}

/** A link to a job's page. */
export function jobLink(name) {
  return link('/jobs/' + encodeURIComponent(name), name);
}

/** A link to a run's page. */
export function runLink(id, ...children) {
  return link('/runs/' + encodeURIComponent(id), ...(children.length ? children : ['#' + id]));
}

/**
 * Flags beside the status (fields of later issues; absent today): stalled since …,
 * slow, cancel requested.
 */
export function flags(run) {
  const out = [];
  if (run.stalledSince) out.push(h('span', { class: 'badge flag stalled', title: 'no progress since ' + run.stalledSince }, 'stalled'));
  if (run.slow === true) out.push(h('span', { class: 'badge flag slow', title: 'over twice the usual duration' }, 'slow'));
  if (run.cancelRequestedAt && run.status === 'RUNNING') out.push(h('span', { class: 'badge flag cancel' }, 'cancel requested'));
  return out;
}
