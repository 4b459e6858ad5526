// `#/intermittents`: what OrangeFactor was. Over a date range (the last 7 days unless the
// URL says `since=` / `until=`, both UTC days, inclusive), for one repository or all and
// optionally one platform: a chart of the failures classified intermittent and the orange
// factor (those failures ÷ pushes) per day, drawn here as SVG; the bugs with the most
// failures (bug, summary, failures, platforms, repositories); and, for the bug in `bug=`,
// its failures with links to their jobs.

import { gql } from './graphql.js';
import { features } from './features.js';
import { href, navigate, withParams } from './router.js';
import { esc, errorBox, timeAgo, badge, statusOf, shortRev } from './util.js';
import { bugLink, classificationName } from './classify.js';

const DAY_MS = 86400e3;
/** Days shown unless the URL says otherwise. */
const DEFAULT_DAYS = 7;
/** The longest range asked for (the server answers 90 days quickly; more is a mistake). */
const MAX_DAYS = 366;
const TOP_BUGS = 20;
const FAILURES_SHOWN = 100;

const BUG_FIELDS = 'id summary status resolution url';

/** The view's query; each bug with its summary when the server links it (`BugFailures.bug`). */
const viewQuery = (have) => `query Intermittents($repo: String, $since: DateTime!, $until: DateTime!, $platform: String, $first: Int!) {
  repositories { name }
  intermittentFailures(repository: $repo, since: $since, until: $until, platform: $platform) {
    days { day failures pushes orangeFactor }
    bugs(first: $first) {
      bugId failures platforms repositories perDay
      ${have.bugOfFailures ? `bug { ${BUG_FIELDS} }` : ''}
    }
  }
}`;

/** Bugs by id in one request (`Query.bug` under an alias each), for a server whose `BugFailures` has no `bug`. */
async function bugsById(ids) {
  if (!ids.length) return new Map();
  const query = `query Bugs { ${ids.map((id, i) => `b${i}: bug(id: ${Number(id)}) { ${BUG_FIELDS} }`).join(' ')} }`;
  const data = await gql(query);
  return new Map(ids.map((id, i) => [id, data[`b${i}`]]));
}

const FAILURES_QUERY = `query BugFailures($repo: String, $since: DateTime!, $until: DateTime!, $platform: String, $bug: Int!, $first: Int!) {
  intermittentFailures(repository: $repo, since: $since, until: $until, platform: $platform) {
    failures(bug: $bug, first: $first) {
      guid name symbol platform state result finishedAt
      repository { name }
      push { pushId revision }
      classification { classification bugs who at automatic }
    }
  }
}`;

/** A UTC day as YYYY-MM-DD. */
export function dayOf(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function validDay(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text || '') && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
}

/**
 * The range of the URL: `since` and `until` (inclusive UTC days), by default the last
 * DEFAULT_DAYS days up to today; an error when it is backwards or too long.
 */
export function rangeOf(params, now = Date.now()) {
  const until = validDay(params.get('until')) ? params.get('until') : dayOf(now);
  const since = validDay(params.get('since'))
    ? params.get('since')
    : dayOf(Date.parse(`${until}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS);
  const days = Math.round((Date.parse(`${until}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / DAY_MS) + 1;
  let error = '';
  if (days < 1) error = `the range ends (${until}) before it starts (${since})`;
  else if (days > MAX_DAYS) error = `${days} days is more than the ${MAX_DAYS} this page shows`;
  // Until the last moment of the last day: right whether the server's end is inclusive or not.
  return { since, until, days, error, sinceTime: `${since}T00:00:00Z`, untilTime: `${until}T23:59:59Z` };
}

/** Round steps for an axis from 0 to `max`: about `count` of them (whole ones for counts). */
export function ticks(max, count = 4, { whole = false } = {}) {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  if (whole) step = Math.max(1, Math.ceil(step));
  const out = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  if (out[out.length - 1] < max) out.push(Number((out[out.length - 1] + step).toFixed(10)));
  return out;
}

function fmt(value) {
  if (Number.isInteger(value)) return String(value);
  if (value < 0.01) return value.toPrecision(2);
  return value.toFixed(value < 1 ? 2 : 1);
}

/**
 * The chart: a bar per day (failures, left axis) and a line with a dot per day (orange
 * factor, right axis), days along the bottom. Every bar and dot says its numbers in a
 * tooltip; the same numbers are in the table under the chart.
 */
export function chartSvg(days) {
  const W = 760;
  const H = 260;
  const m = { top: 18, right: 52, bottom: 42, left: 46 };
  const w = W - m.left - m.right;
  const h = H - m.top - m.bottom;
  const n = Math.max(days.length, 1);
  const band = w / n;
  const failTicks = ticks(Math.max(1, ...days.map((d) => d.failures)), 4, { whole: true });
  const failMax = failTicks[failTicks.length - 1];
  const ofTicks = ticks(Math.max(0.01, ...days.map((d) => d.orangeFactor)));
  const ofMax = ofTicks[ofTicks.length - 1];
  const x = (i) => m.left + band * i + band / 2;
  const yFail = (v) => m.top + h - (v / failMax) * h;
  const yOf = (v) => m.top + h - (v / ofMax) * h;
  const out = [];
  out.push(`<svg class="if-chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="failures and orange factor per day, ${esc(days.length ? `${days[0].day} to ${days[days.length - 1].day}` : 'no days')}">`);
  for (const t of failTicks) {
    const y = yFail(t).toFixed(1);
    out.push(`<line class="grid" x1="${m.left}" x2="${m.left + w}" y1="${y}" y2="${y}"/><text class="ax ax-left" x="${m.left - 6}" y="${y}" dy="0.32em" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of ofTicks) {
    out.push(`<text class="ax ax-right" x="${m.left + w + 6}" y="${yOf(t).toFixed(1)}" dy="0.32em">${fmt(t)}</text>`);
  }
  out.push(`<text class="ax-title" transform="translate(12 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">failures</text>`);
  out.push(`<text class="ax-title of" transform="translate(${W - 8} ${m.top + h / 2}) rotate(90)" text-anchor="middle">orange factor</text>`);
  const barW = Math.max(1, Math.min(band * 0.7, 48));
  const every = Math.ceil(days.length / 14);
  days.forEach((d, i) => {
    const y = yFail(d.failures);
    const tip = `${d.day}: ${d.failures} failure${d.failures === 1 ? '' : 's'} in ${d.pushes} push${d.pushes === 1 ? '' : 'es'}, orange factor ${fmt(d.orangeFactor)}`;
    out.push(`<rect class="bar" data-day="${esc(d.day)}" x="${(x(i) - barW / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${(m.top + h - y).toFixed(1)}"><title>${esc(tip)}</title></rect>`);
    if (i % every === 0) {
      out.push(`<text class="ax ax-day" x="${x(i).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle">${esc(d.day.slice(5))}</text>`);
    }
  });
  if (days.length) {
    const points = days.map((d, i) => `${x(i).toFixed(1)},${yOf(d.orangeFactor).toFixed(1)}`);
    out.push(`<polyline class="of-line" points="${points.join(' ')}"/>`);
    days.forEach((d, i) => {
      out.push(`<circle class="of-dot" data-day="${esc(d.day)}" cx="${x(i).toFixed(1)}" cy="${yOf(d.orangeFactor).toFixed(1)}" r="3.5"><title>${esc(`${d.day}: orange factor ${fmt(d.orangeFactor)} (${d.failures} ÷ ${d.pushes})`)}</title></circle>`);
    });
  }
  out.push(`<line class="axis" x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}"/>`);
  out.push(`<g class="if-legend" transform="translate(${m.left} ${H - 10})"><rect class="bar" x="0" y="-9" width="12" height="10"/><text x="17" y="0">failures classified intermittent</text>
<line class="of-line" x1="230" x2="252" y1="-4" y2="-4"/><circle class="of-dot" cx="241" cy="-4" r="3.5"/><text x="258" y="0">orange factor (failures ÷ pushes)</text></g>`);
  out.push('</svg>');
  return out.join('');
}

function daysTableHtml(days) {
  return `<details class="if-days"><summary>the numbers per day</summary><table><thead><tr><th>day</th><th>failures</th><th>pushes</th><th>orange factor</th></tr></thead><tbody>${days.map((d) => `<tr><td>${esc(d.day)}</td><td>${d.failures}</td><td>${d.pushes}</td><td>${fmt(d.orangeFactor)}</td></tr>`).join('')}</tbody></table></details>`;
}

/** A bug's failures per day as a row of small bars. */
function sparkSvg(perDay) {
  const max = Math.max(1, ...perDay);
  const w = 3;
  return `<svg class="spark" viewBox="0 0 ${perDay.length * (w + 1)} 16" width="${perDay.length * (w + 1)}" height="16" aria-hidden="true">${perDay.map((v, i) => `<rect x="${i * (w + 1)}" y="${16 - (v / max) * 16}" width="${w}" height="${(v / max) * 16}"/>`).join('')}</svg>`;
}

function bugsTableHtml(bugs, selected) {
  if (!bugs.length) return '<p class="empty">No failure classified intermittent with a bug in this range.</p>';
  const rows = bugs.map((b) => {
    const bug = b.bug;
    const state = bug ? `${bug.status.toLowerCase()}${bug.resolution ? ` ${bug.resolution.toLowerCase()}` : ''}` : '';
    return `<tr data-bug="${b.bugId}"${b.bugId === selected ? ' class="selected" aria-selected="true"' : ''}>
<td>${bugLink(b.bugId, bug && bug.url)}</td>
<td>${bug ? esc(bug.summary) : '<span class="none">not in the local bug list</span>'} <span class="kind">${esc(state)}</span></td>
<td class="num"><button type="button" class="link show-failures" data-bug="${b.bugId}" title="list these failures">${b.failures}</button></td>
<td>${b.perDay && b.perDay.length ? sparkSvg(b.perDay) : ''}</td>
<td>${b.platforms.map(esc).join(', ')}</td>
<td>${b.repositories.map(esc).join(', ')}</td></tr>`;
  });
  return `<table class="if-bugs"><thead><tr><th>bug</th><th>summary</th><th>failures</th><th>per day</th><th>platforms</th><th>repositories</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function failuresHtml(bugId, jobs) {
  if (!jobs.length) return `<p class="empty">No failure of bug ${bugId} in this range.</p>`;
  const rows = jobs.map((job) => {
    const repo = job.repository.name;
    const push = job.push
      ? `<a href="${esc(href('pushes', { repo, rev: job.push.revision, job: job.guid }))}">${esc(shortRev(job.push.revision))}</a>`
      : '';
    const c = job.classification;
    return `<tr data-guid="${esc(job.guid)}"><td>${timeAgo(job.finishedAt)}</td><td>${esc(repo)}</td><td>${push}</td>
<td><a class="job-link" href="${esc(href('job', { guid: job.guid }))}">${esc(job.name)}</a></td><td>${esc(job.platform)}</td>
<td>${badge(statusOf(job))}</td><td>${c ? `${esc(classificationName(c.classification))}${c.automatic ? ' <span class="auto">auto</span>' : ''}` : ''}</td></tr>`;
  });
  const more = jobs.length >= FAILURES_SHOWN ? `<p class="more">the newest ${FAILURES_SHOWN} are listed</p>` : '';
  return `<table class="if-failures"><thead><tr><th>finished</th><th>repository</th><th>push</th><th>job</th><th>platform</th><th>result</th><th>classification</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

export class IntermittentsView {
  constructor(root, route) {
    this.root = root;
    this.generation = 0;
    this.params = route.params;
    this.onChange = (event) => this.changed(event);
    this.onClick = (event) => this.clicked(event);
    root.addEventListener('change', this.onChange);
    root.addEventListener('click', this.onClick);
    this.start();
  }

  async start() {
    const generation = this.generation;
    const have = await features();
    if (generation !== this.generation) return;
    this.have = have;
    if (!have.intermittents) {
      this.root.innerHTML = '<h1>Intermittent failures</h1><p class="empty">This server has no intermittent failures view yet (<code>Query.intermittentFailures</code>).</p>';
      return;
    }
    this.render();
    this.load();
  }

  /** Filters and the bug change in place. */
  update(route) {
    const before = this.params;
    this.params = route.params;
    if (!this.form) return true;
    const same = (k) => (before.get(k) || '') === (route.params.get(k) || '');
    if (['since', 'until', 'repo', 'platform'].every(same)) {
      if (!same('bug')) this.loadFailures();
    } else {
      this.fillForm();
      this.load();
    }
    return true;
  }

  unmount() {
    this.generation += 1;
    this.root.removeEventListener('change', this.onChange);
    this.root.removeEventListener('click', this.onClick);
  }

  render() {
    this.root.innerHTML = `<div class="if-page">
<h1>Intermittent failures</h1>
<form class="filters if-filters" role="search" aria-label="range and filters">
  <label>From <input type="date" name="since" required></label>
  <label>To <input type="date" name="until" required></label>
  <label>Repository <select name="repo"><option value="">all</option></select></label>
  <label>Platform <input name="platform" list="if-platforms" size="16" placeholder="any"></label>
  <datalist id="if-platforms"></datalist>
  <a class="clear" href="${esc(href('intermittents'))}">last ${DEFAULT_DAYS} days, everything</a>
</form>
<p class="if-summary" aria-live="polite"></p>
<div class="if-chart-box"></div>
<h2>Top bugs</h2>
<div class="if-bugs-box"></div>
<section class="if-bug" aria-live="polite"></section>
</div>`;
    this.form = this.root.querySelector('form');
    this.form.addEventListener('submit', (event) => event.preventDefault());
    this.fillForm();
  }

  fillForm() {
    const range = rangeOf(this.params);
    this.form.elements.since.value = range.since;
    this.form.elements.until.value = range.until;
    this.form.elements.platform.value = this.params.get('platform') || '';
    const select = this.form.elements.repo;
    const repo = this.params.get('repo') || '';
    if (repo && ![...select.options].some((o) => o.value === repo)) select.add(new Option(repo, repo));
    select.value = repo;
  }

  variables(range) {
    return {
      repo: this.params.get('repo') || null,
      platform: (this.params.get('platform') || '').trim() || null,
      since: range.sinceTime,
      until: range.untilTime,
    };
  }

  async load() {
    const generation = ++this.generation;
    const range = rangeOf(this.params);
    const summary = this.root.querySelector('.if-summary');
    if (range.error) {
      summary.innerHTML = errorBox(range.error);
      return;
    }
    summary.textContent = 'Loading…';
    this.root.setAttribute('aria-busy', 'true');
    try {
      const data = await gql(viewQuery(this.have), { ...this.variables(range), first: TOP_BUGS });
      if (generation !== this.generation) return;
      if (!this.have.bugOfFailures && this.have.bug) {
        try {
          const bugs = await bugsById(data.intermittentFailures.bugs.map((b) => b.bugId));
          for (const b of data.intermittentFailures.bugs) b.bug = bugs.get(b.bugId) || null;
        } catch (error) {
          console.warn('cannot read the bugs', error);
        }
        if (generation !== this.generation) return;
      }
      this.fillRepositories(data.repositories.map((r) => r.name));
      const view = data.intermittentFailures;
      const failures = view.days.reduce((sum, d) => sum + d.failures, 0);
      const pushes = view.days.reduce((sum, d) => sum + d.pushes, 0);
      const where = this.params.get('repo') || 'every repository';
      summary.textContent = `${failures} intermittent failure${failures === 1 ? '' : 's'} in ${pushes} push${pushes === 1 ? '' : 'es'} of ${where}${this.params.get('platform') ? ` on ${this.params.get('platform')}` : ''}, ${range.since} to ${range.until}: orange factor ${pushes ? fmt(failures / pushes) : '0'}`;
      this.root.querySelector('.if-chart-box').innerHTML = chartSvg(view.days) + daysTableHtml(view.days);
      this.root.querySelector('.if-bugs-box').innerHTML = bugsTableHtml(view.bugs, Number(this.params.get('bug')));
      const platforms = new Set(view.bugs.flatMap((b) => b.platforms));
      this.root.querySelector('#if-platforms').innerHTML = [...platforms].sort().map((p) => `<option value="${esc(p)}">`).join('');
      this.loadFailures();
    } catch (error) {
      if (generation !== this.generation) return;
      summary.innerHTML = errorBox(error);
    } finally {
      if (generation === this.generation) this.root.removeAttribute('aria-busy');
    }
  }

  fillRepositories(names) {
    const select = this.form.elements.repo;
    const current = this.params.get('repo') || '';
    const all = names.includes(current) || !current ? names : [current, ...names];
    select.innerHTML = `<option value="">all</option>${all.map((n) => `<option${n === current ? ' selected' : ''}>${esc(n)}</option>`).join('')}`;
  }

  /** The failures of the bug in `bug=`, under the table. */
  async loadFailures() {
    const box = this.root.querySelector('.if-bug');
    const bug = Number.parseInt(this.params.get('bug'), 10);
    for (const row of this.root.querySelectorAll('.if-bugs tr[data-bug]')) {
      const on = Number(row.dataset.bug) === bug;
      row.classList.toggle('selected', on);
      if (on) row.setAttribute('aria-selected', 'true');
      else row.removeAttribute('aria-selected');
    }
    if (!(bug > 0)) {
      box.innerHTML = '<p class="none">Choose a bug\'s failures in the table to list them.</p>';
      return;
    }
    const range = rangeOf(this.params);
    if (range.error) return;
    const token = `${bug}|${this.generation}`;
    this.failuresFor = token;
    box.innerHTML = `<h2>Failures of bug ${bug}</h2><p>Loading…</p>`;
    try {
      const data = await gql(FAILURES_QUERY, { ...this.variables(range), bug, first: FAILURES_SHOWN });
      if (this.failuresFor !== token) return;
      const jobs = data.intermittentFailures.failures;
      box.innerHTML = `<h2>Failures of ${bugLink(bug, this.bugUrl(bug))} <span class="n">(${jobs.length})</span></h2>${failuresHtml(bug, jobs)}`;
    } catch (error) {
      if (this.failuresFor === token) box.innerHTML = `<h2>Failures of bug ${bug}</h2>${errorBox(error)}`;
    }
  }

  bugUrl(bug) {
    const link = this.root.querySelector(`.if-bugs tr[data-bug="${bug}"] a.bug`);
    return link && link.target === '_blank' ? link.href : null;
  }

  changed(event) {
    const el = event.target;
    if (!el.name || !this.form || !this.form.contains(el)) return;
    const value = el.value.trim();
    navigate('intermittents', withParams(this.params, { [el.name]: value, bug: el.name === 'platform' || el.name === 'repo' ? '' : this.params.get('bug') }));
  }

  clicked(event) {
    if (event.target.closest('a')) return;
    const row = event.target.closest('.if-bugs tr[data-bug]');
    if (!row) return;
    navigate('intermittents', withParams(this.params, { bug: row.dataset.bug }));
  }
}
