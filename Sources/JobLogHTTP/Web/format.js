// Formatting of durations, times, rates and numbers for display.

/** 850 ms, 12.3 s, 4m 05s, 2h 03m, 3d 4h. */
export function duration(ms) {
  if (ms === null || ms === undefined || !isFinite(ms)) return '–';
  ms = Math.max(0, ms);
  if (ms < 1000) return Math.round(ms) + ' ms';
  const s = ms / 1000;
  if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm ' + pad(Math.floor(s % 60)) + 's';
  const hr = Math.floor(m / 60);
  if (hr < 48) return hr + 'h ' + pad(m % 60) + 'm';
  return Math.floor(hr / 24) + 'd ' + (hr % 24) + 'h';
}

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

/** Milliseconds since the epoch of an ISO timestamp, or null. */
export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return isNaN(t) ? null : t;
}

/** Local date and time: 2026-12-01 21:30:05 (the date only when not today). */
export function dateTime(iso) {
  const t = parseTime(iso);
  if (t === null) return '–';
  const d = new Date(t);
  const now = new Date();
  const time = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  if (d.toDateString() === now.toDateString()) return time;
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + time;
}

/** Local time with milliseconds, for log lines: 21:30:05.123. */
export function clockMs(iso) {
  const t = parseTime(iso);
  if (t === null) return '';
  const d = new Date(t);
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
}

/** 12.5 users/s, 0.25 /s. */
export function rate(perSecond, unit) {
  if (perSecond === null || perSecond === undefined || !isFinite(perSecond)) return null;
  const v = perSecond >= 100 ? Math.round(perSecond) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);
  return v + ' ' + (unit ? unit + '/s' : '/s');
}

/** ETA 4s, ETA 3m 10s. */
export function eta(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return null;
  return 'ETA ' + duration(seconds * 1000);
}

/** 1,234,567 */
export function count(n) {
  if (n === null || n === undefined) return '–';
  return Number(n).toLocaleString('en-US');
}

/** Elapsed time of a run: its durationMs when finished, else since startedAt. */
export function runDuration(run, nowMs = Date.now()) {
  if (run.durationMs !== null && run.durationMs !== undefined) return run.durationMs;
  const start = parseTime(run.startedAt);
  if (start === null) return null;
  const end = parseTime(run.finishedAt);
  return (end ?? nowMs) - start;
}

/** Compact one-line JSON, cut to max characters. */
export function jsonLine(value, max = 120) {
  let s;
  try {
    s = JSON.stringify(value);
  } catch {
    s = String(value);
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
