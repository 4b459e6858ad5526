// Small helpers every view shares: HTML escaping (views build HTML strings, so every value
// that came from the server goes through `esc`), job status words, times and durations.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"']/;

/** Escapes text for use in HTML content and in double-quoted attributes. */
export function esc(value) {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // Most values (symbols, guids, platforms) have nothing to escape: no new string for them.
  return NEEDS_ESCAPE.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]) : text;
}

/** A URL safe to put in an href: only http(s) ones, anything else becomes inert. */
export function safeUrl(url) {
  return /^https?:\/\//i.test(url || '') ? url : '#';
}

/**
 * The one word that says where a job is: its state until it completes, then its result.
 * Views colour by it, and always print it too (colour is never the only signal).
 */
export function statusOf(job) {
  if (job.state !== 'COMPLETED') return job.state.toLowerCase();
  return job.result.toLowerCase();
}

/** Every status word, in the order summaries and the legend list them. */
export const STATUSES = [
  'testfailed', 'busted', 'exception', 'retry', 'usercancel', 'superseded',
  'running', 'pending', 'unscheduled', 'success', 'unknown',
];

/** A mark beside each status word, so it reads without colour. */
export const STATUS_MARK = {
  success: '✓', testfailed: '✗', busted: '✗✗', exception: '⚠', retry: '↻',
  usercancel: '⊘', superseded: '⤼', running: '▶', pending: '…', unscheduled: '○',
  unknown: '?',
};

export const FAILED = new Set(['testfailed', 'busted', 'exception']);

export const JOB_STATES = ['UNSCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED'];
export const JOB_RESULTS = [
  'SUCCESS', 'TESTFAILED', 'BUSTED', 'EXCEPTION', 'RETRY', 'USERCANCEL', 'SUPERSEDED', 'UNKNOWN',
];

/** A status badge: coloured, with its mark and word. */
export function badge(word) {
  const w = String(word || 'unknown').toLowerCase();
  return `<span class="badge s-${esc(w)}">${esc(STATUS_MARK[w] || '')} ${esc(w)}</span>`;
}

/** "3 min ago" style, with the exact time in a tooltip (via <time>). */
export function timeAgo(iso, now = Date.now()) {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return esc(iso);
  const d = Math.round((now - t) / 1000);
  const s = Math.abs(d);
  let span;
  if (s < 60) span = `${s} s`;
  else if (s < 3600) span = `${Math.floor(s / 60)} min`;
  else if (s < 86400) span = `${Math.floor(s / 3600)} h`;
  else span = `${Math.floor(s / 86400)} d`;
  const text = d < 0 ? `in ${span}` : `${span} ago`;
  return `<time datetime="${esc(iso)}" title="${esc(new Date(t).toISOString())}">${text}</time>`;
}

/** Seconds as "1 h 02 min", "4 min 05 s", "12 s". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** The seconds between two ISO times (the second defaulting to now), or null. */
export function between(from, to) {
  if (!from) return null;
  const a = Date.parse(from);
  const b = to ? Date.parse(to) : Date.now();
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return (b - a) / 1000;
}

export function shortRev(revision) {
  return (revision || '').slice(0, 12);
}

/** Calls `fn` at most once per `ms`, with the latest arguments. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** An error as one line of HTML for a view's body. */
export function errorBox(error) {
  return `<p class="error" role="alert">${esc(error && error.message ? error.message : String(error))}</p>`;
}
