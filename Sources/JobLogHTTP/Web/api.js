// The HTTP admin API (GET /api/admin/..., and its one write, POST .../cancel).
// Bodies are the socket methods' results. The access token travels as the HttpOnly cookie the daemon set
// when the page was opened with ?token=; a 401 means "sign in".

/** The daemon refused the token (or there is none). */
export class AuthError extends Error {
  constructor() {
    super('access token required');
    this.name = 'AuthError';
  }
}

/** Any other non-2xx answer; carries the JSON-RPC error object when given. */
export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || 'HTTP ' + status);
    this.name = 'ApiError';
    this.status = status;
    this.error = error || null;
  }
}

const authListeners = new Set();

/** Calls fn whenever a request is answered 401. */
export function onAuthRequired(fn) {
  authListeners.add(fn);
}

async function get(path, params) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  return answer(res);
}

async function answer(res) {
  if (res.status === 401) {
    for (const fn of authListeners) fn();
    throw new AuthError();
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, body && body.error);
  return body;
}

async function post(path, body) {
  const res = await fetch(new URL(path, location.origin), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}),
  });
  return answer(res);
}

const run = (id) => '/api/admin/jobs/' + encodeURIComponent(id);

/** listRuns: {runs}. */
export const listRuns = (p) => get('/api/admin/jobs', p).then((b) => b.runs);
/** getRun: {run}. */
export const getRun = (id) => get(run(id)).then((b) => b.run);
/** getLogs: {logs}, chronological. */
export const getLogs = (id, p) => get(run(id) + '/logs', p).then((b) => b.logs);
/** getProgress: {progress}. */
export const getProgress = (id) => get(run(id) + '/progress').then((b) => b.progress);
/** getOutcome: {outcome}. */
export const getOutcome = (id) => get(run(id) + '/outcome').then((b) => b.outcome);
/** getStages: {stages}, oldest first. */
export const getStages = (id) => get(run(id) + '/stages').then((b) => b.stages);
/** cancelRun: {run}, with cancelRequestedAt set. `p`: {reason, graceMs}, both optional. */
export const cancelRun = (id, p) => post(run(id) + '/cancel', p).then((b) => b.run);
/** compareRuns: {comparison}, against baselineRunId or the median of the last 20 SUCCESS runs. */
export const compareRuns = (id, baseline) => get(run(id) + '/compare', { baseline }).then((b) => b.comparison);
/** listJobs: {jobs}, the job whose last run started most recently first. */
export const listJobs = (p) => get('/api/admin/job-names', p).then((b) => b.jobs);
/** getJobStats: {stats} over the last `last` finished runs of the job. */
export const getJobStats = (name, last) => get('/api/admin/job-names/' + encodeURIComponent(name) + '/stats', { last }).then((b) => b.stats);
/** ping through HTTP: the daemon's version. */
export const health = () => get('/healthz');
