// Entry point: hash routing (#/runs, #/runs/ID, #/jobs, #/jobs/NAME), the sign-in
// message when the daemon refuses the token, and the live-connection badge.

import { ApiError, AuthError, onAuthRequired } from './api.js';
import { h, replace } from './dom.js';
import { live } from './live.js';
import { mountJob } from './job.js';
import { mountJobs } from './jobs.js';
import { mountRun } from './run.js';
import { mountRuns } from './runs.js';

const app = document.getElementById('app');
const conn = document.getElementById('conn');
let current = null;
let signedOut = false;

function route() {
  if (current) current.unmount();
  current = null;
  if (signedOut) return showSignIn();
  const hash = location.hash.replace(/^#/, '') || '/runs';
  const [path, qs] = hash.split('?');
  const query = new URLSearchParams(qs || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  window.scrollTo(0, 0);
  if (parts[0] === 'runs' && parts.length === 2) current = mountRun(app, parts[1], ctx);
  else if (parts[0] === 'jobs' && parts.length === 2) current = mountJob(app, parts[1], ctx);
  else if (parts[0] === 'jobs' && parts.length === 1) current = mountJobs(app, query, ctx);
  else current = mountRuns(app, query, ctx);
}

const ctx = {
  /** Shows an error where it happened; a 401 switches to the sign-in message. */
  error(e, target, what) {
    if (e instanceof AuthError) return;
    let text;
    if (e instanceof ApiError && e.status === 404) text = (what || 'It') + ' was not found.';
    else if (e instanceof ApiError && e.status === 503) text = 'The daemon\u2019s store is unavailable right now; try again shortly.';
    else if (e instanceof ApiError) text = e.message;
    else text = 'The daemon cannot be reached (' + (e && e.message ? e.message : e) + ').';
    if (target) replace(target, h('span', { class: 'err' }, text));
    else console.error(e);
  },
};

function showSignIn() {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', placeholder: 'access token', 'aria-label': 'access token', required: true });
  const form = h(
    'form',
    {
      class: 'signin panel',
      id: 'sign-in',
      action: '/',
      method: 'get',
      onsubmit: (e) => {
        e.preventDefault();
        const t = input.value.trim();
        if (t) location.assign('/?token=' + encodeURIComponent(t) + location.hash);
      },
    },
    h('h1', null, 'Sign in'),
    h(
      'p',
      null,
      'This Job Manager needs the daemon\u2019s access token. Open the link joblogd logs at start (',
      h('code', null, 'http: open http://…/?token=…'),
      '), or paste the token from the ',
      h('code', null, 'http-token'),
      ' file beside the database:',
    ),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Sign in')),
  );
  replace(app, form);
  input.focus();
}

onAuthRequired(() => {
  if (signedOut) return;
  signedOut = true;
  route();
});

live.onState((s) => {
  conn.textContent = s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : s === 'idle' ? '' : 'connecting…';
  conn.dataset.state = s;
});

window.addEventListener('hashchange', route);
route();
