// The push list: a repository's pushes newest first, more on scroll, each with its jobs as
// symbols grouped by platform (and group symbol), a status summary, filters in the URL,
// and live updates that patch the one symbol or push they touch. Sheriffing as in
// Treeherder: unclassified failures stand out (classified ones look calmer, with an
// asterisk) and are counted per push, `n` / `p` (or `j` / `k`) step through them, `space`
// (or a ctrl-click) pins a job to the pinboard (pinboard.js) that classifies them together.
//
// A page of pushes arrives in two steps (see `load`): the heads first, then the jobs in
// chunks asked for side by side and drawn as each arrives, so the top of the list shows
// first and the server works while the browser draws. Rendering builds one HTML string per
// push (no element per job is created by hand) and one delegated click handler serves every
// symbol. What the view holds is bounded: at most MAX_PUSHES pushes and their jobs, no
// event log.

import { gql, live } from './graphql.js';
import { href, navigate, withParams } from './router.js';
import {
  esc, statusOf, STATUSES, STATUS_MARK, JOB_STATES, JOB_RESULTS, timeAgo, shortRev, debounce,
  errorBox,
} from './util.js';
import { JobDetail } from './jobdetail.js';
import { featuresKnown } from './features.js';
import {
  CLASSIFIED_EVENT, classificationName, isClassifiedFailure, isUnclassifiedFailure,
} from './classify.js';
import { Pinboard } from './pinboard.js';

/** Pushes per page, unless the URL's `count` asks for up to MAX_PUSH_PAGE. */
const PUSH_PAGE = 10;
const MAX_PUSH_PAGE = 50;
/**
 * A page of pushes comes in two steps: their heads (revision, author, commits, status) in one
 * small request, drawn at once, then their jobs in requests of JOBS_CHUNK pushes, all sent
 * together, each drawn as it arrives: the server answers them side by side while the browser
 * draws. The first request is smaller, so the top of the list fills first. A request of
 * JOBS_CHUNK pushes of a full JOB_PAGE stays below the server's complexity limit (600,000,
 * about 12 per job asked).
 */
const FIRST_JOBS_CHUNK = 4;
const JOBS_CHUNK = 12;
const JOB_PAGE = 1000;
/** Pushes kept at most; the oldest are dropped when live pushes arrive on top. */
const MAX_PUSHES = 200;
/** Commits listed under a push before "and N more". */
const COMMITS_SHOWN = 6;

const BASE_JOB_FIELDS = 'guid name symbol groupSymbol groupName platform state result tier';
const BASE_STATUS_FIELDS =
  'total unscheduled pending running completed success testfailed busted exception retry usercancel superseded unknown';

/**
 * The view's queries, with the sheriffing fields when the server has them (features.js): a
 * job's classification (for its look and `n` / `p`), a push's count of unclassified failures
 * and the classification changes of the repository.
 */
function queriesFor(have) {
  const JOB_FIELDS = have.classification
    ? `${BASE_JOB_FIELDS} classification { classification bugs }`
    : BASE_JOB_FIELDS;
  const STATUS_FIELDS = have.unclassifiedCount ? `${BASE_STATUS_FIELDS} unclassifiedFailures` : BASE_STATUS_FIELDS;
  const HEAD_FIELDS = `pushId revision author pushedAt
  commits { revision author message }
  status { ${STATUS_FIELDS} }`;
  const JOBS_FIELD = `jobs(first: $jobs, filter: $filter) { pageInfo { hasNextPage endCursor } nodes { ${JOB_FIELDS} } }`;
  const PUSH_FIELDS = `${HEAD_FIELDS} ${JOBS_FIELD}`;
  return {
    heads: `query PushHeads($repo: String!, $first: Int!, $after: String) {
  repository(name: $repo) {
    name
    pushes(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ${HEAD_FIELDS} } }
    }
  }
}`,
    jobsOfPushes: `query JobsOfPushes($repo: String!, $first: Int!, $after: String, $jobs: Int!, $filter: JobFilter) {
  repository(name: $repo) {
    pushes(first: $first, after: $after) { edges { node { pushId ${JOBS_FIELD} } } }
  }
}`,
    push: `query Push($repo: String!, $revision: String!, $jobs: Int!, $filter: JobFilter) {
  push(repository: $repo, revision: $revision) { ${PUSH_FIELDS} }
}`,
    moreJobs: `query MoreJobs($repo: String!, $revision: String!, $jobs: Int!, $after: String, $filter: JobFilter) {
  push(repository: $repo, revision: $revision) {
    jobs(first: $jobs, after: $after, filter: $filter) { pageInfo { hasNextPage endCursor } nodes { ${JOB_FIELDS} } }
  }
}`,
    status: `query PushStatus($repo: String!, $revision: String!) {
  push(repository: $repo, revision: $revision) { status { ${STATUS_FIELDS} } }
}`,
    jobChanged: `subscription Jobs($repo: String!, $after: String) {
  jobChanged(repository: $repo, after: $after) { cursor job { ${JOB_FIELDS} push { pushId revision } } }
}`,
    pushAdded: `subscription Pushes($repo: String!, $jobs: Int!, $filter: JobFilter, $after: String) {
  pushAdded(repository: $repo, after: $after) { cursor push { ${PUSH_FIELDS} } }
}`,
    classificationChanged: have.live && have.classification
      ? `subscription Classifications($repo: String!, $after: String) {
  classificationChanged(repository: $repo, after: $after) {
    cursor
    job { guid push { pushId revision } }
    classification { classification bugs }
  }
}`
      : null,
  };
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** The server-side part of the filter (what `JobFilter` can say), from the URL. */
export function serverFilter(params, have = featuresKnown()) {
  const filter = {};
  if (params.get('unclassified') && have.unclassifiedFilter) filter.unclassifiedFailure = true;
  if (params.get('result')) filter.result = params.get('result').toUpperCase();
  if (params.get('state')) filter.state = params.get('state').toUpperCase();
  if (params.get('tier')) filter.tier = Number(params.get('tier'));
  if (params.get('platform')) filter.platform = params.get('platform');
  const q = (params.get('q') || '').trim();
  if (q) filter.name = q;
  return Object.keys(filter).length ? filter : null;
}

/** Whether a job passes the server-side filter (used on live updates). */
export function matchesFilter(job, filter) {
  if (!filter) return true;
  return (!filter.result || job.result === filter.result)
    && (!filter.state || job.state === filter.state)
    && (!filter.tier || job.tier === filter.tier)
    && (!filter.platform || job.platform === filter.platform)
    && (!filter.name || nameHas(job.name, filter.name))
    && (!filter.unclassifiedFailure || isUnclassifiedFailure(job));
}

/** The server's rule for `JobFilter.name`: every word is in the name, in any case. */
function nameHas(name, q) {
  const hay = (name || '').toLowerCase();
  return q.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}

function symbolOf(job) {
  return job.symbol || job.name.slice(0, 8);
}

/**
 * What a symbol shows of a job: its class (status, tier, selection, pinned, unclassified
 * `uc` or classified `cl` failure), title and text (Treeherder's asterisk when classified).
 */
function jobParts(job, selected, pinned) {
  const word = statusOf(job);
  const unclassified = isUnclassifiedFailure(job);
  const classified = !unclassified && isClassifiedFailure(job);
  let sheriff = '';
  if (unclassified) sheriff = ', unclassified';
  else if (classified) {
    const c = job.classification;
    sheriff = `, classified ${classificationName(c.classification)}${c.bugs && c.bugs.length ? ` (bug ${c.bugs.join(', ')})` : ''}`;
  }
  return {
    className: `job s-${word}${job.tier > 1 ? ` t${job.tier}` : ''}${unclassified ? ' uc' : ''}${classified ? ' cl' : ''}${pinned ? ' pinned' : ''}${selected ? ' selected' : ''}`,
    title: `${job.name} — ${word}${sheriff}${job.tier > 1 ? ` (tier ${job.tier})` : ''}${pinned ? ' — pinned' : ''}`,
    text: classified ? `${symbolOf(job)}*` : symbolOf(job),
  };
}

/**
 * One symbol. Only the selected one is in the tab order (the roving tab stop); the others
 * get a tabindex when they are selected, so 25,000 symbols carry no attribute for it. A
 * `span` with the button role, not a `button`: Chromium lays a button out as a flex box
 * around an anonymous block, which for 25,000 symbols cost about 40% more layout and paint.
 * The keys a button would answer (Enter, Space) are answered by the view's key handler.
 */
export function jobHtml(job, selected, pinned) {
  const p = jobParts(job, selected, pinned);
  return `<span role="button" class="${esc(p.className)}" data-guid="${esc(job.guid)}"${selected ? ' tabindex="0"' : ''} title="${esc(p.title)}">${esc(p.text)}</span>`;
}

/**
 * Rewrites a symbol in place for a live change. No new element: replacing one per change
 * (outerHTML) left Chromium holding a detached node every few changes, so a tab kept open
 * grew without bound; the same element also keeps its focus.
 */
function patchJob(el, job, selected, pinned) {
  const p = jobParts(job, selected, pinned);
  if (el.className !== p.className) el.className = p.className;
  if (el.title !== p.title) el.title = p.title;
  if (el.textContent !== p.text) el.textContent = p.text;
  el.tabIndex = selected ? 0 : -1;
}

/** The jobs of a push, grouped by platform then group symbol, as HTML. */
export function jobsHtml(jobs, { selected, pinned } = {}) {
  const platforms = new Map();
  let shown = 0;
  for (const job of jobs) {
    shown += 1;
    const platform = job.platform || 'other';
    let groups = platforms.get(platform);
    if (!groups) platforms.set(platform, (groups = new Map()));
    const group = job.groupSymbol && job.groupSymbol !== '?' ? job.groupSymbol : '';
    let list = groups.get(group);
    if (!list) groups.set(group, (list = []));
    list.push(job);
  }
  if (!shown) return { html: '<p class="nojobs">No matching jobs.</p>', shown };
  const bySymbol = (a, b) => collator.compare(symbolOf(a), symbolOf(b)) || collator.compare(a.name, b.name);
  const out = [];
  for (const platform of [...platforms.keys()].sort(collator.compare)) {
    const groups = platforms.get(platform);
    out.push(`<div class="platform-row"><span class="platform">${esc(platform)}</span><span class="syms">`);
    for (const group of [...groups.keys()].sort(collator.compare)) {
      const list = groups.get(group).sort(bySymbol);
      if (group) {
        out.push(`<span class="grp" title="${esc(list[0].groupName || group)}">${esc(group)}(`);
      }
      for (const job of list) out.push(jobHtml(job, job.guid === selected, !!pinned && pinned.has(job.guid)));
      if (group) out.push(')</span>');
    }
    out.push('</span></div>');
  }
  return { html: out.join(''), shown };
}

/**
 * The status summary of a push: one chip per non-zero count, with its word, and the count of
 * unclassified failures when the server gives it (a link to them alone when it can filter).
 */
export function summaryHtml(status, params, have = featuresKnown()) {
  if (!status) return '';
  const chips = [];
  if (status.unclassifiedFailures) {
    // No chip when none is left: a push with nothing to look at says nothing about it.
    const n = status.unclassifiedFailures;
    const text = `⚑ ${n} unclassified`;
    const title = `${n} failed job${n === 1 ? '' : 's'} nobody has classified yet`;
    chips.push(have.unclassifiedFilter
      ? `<a class="chip unclassified" href="${esc(href('pushes', withParams(params, { unclassified: '1' })))}" title="${title}: show them alone" data-n="${n}">${text}</a>`
      : `<span class="chip unclassified" title="${title}" data-n="${n}">${text}</span>`);
  }
  for (const word of STATUSES) {
    const n = status[word];
    if (!n) continue;
    const isState = JOB_STATES.includes(word.toUpperCase());
    const target = href('pushes', withParams(params, isState ? { state: word, result: '' } : { result: word, state: '' }));
    chips.push(`<a class="chip s-${word}" href="${esc(target)}" title="show ${word} jobs">${STATUS_MARK[word]} ${n} ${word}</a>`);
  }
  return `<span class="total">${status.total} job${status.total === 1 ? '' : 's'}</span>${chips.join('')}`;
}

function pushHeadHtml(repo, push, params, have) {
  const revLink = href('pushes', { repo, rev: push.revision });
  const commits = push.commits || [];
  const listed = commits.slice(-COMMITS_SHOWN).reverse().map((c) => {
    const first = (c.message || '').split('\n')[0];
    return `<li><code>${esc(shortRev(c.revision))}</code> <span class="msg" title="${esc(c.message)}">${esc(first)}</span> <span class="by">${esc(c.author)}</span></li>`;
  });
  if (commits.length > COMMITS_SHOWN) listed.push(`<li class="more">and ${commits.length - COMMITS_SHOWN} more</li>`);
  return `<header class="push-head">
<h2><a class="rev" href="${esc(revLink)}" title="${esc(push.revision)}">${esc(shortRev(push.revision))}</a>
<span class="author">${esc(push.author)}</span> ${timeAgo(push.pushedAt)} <span class="pushid">#${push.pushId}</span></h2>
<div class="summary" aria-label="status summary">${summaryHtml(push.status, params, have)}</div>
</header><ul class="commits">${listed.join('')}</ul>`;
}

/**
 * A push as the view keeps it. From a head alone (no `jobs` asked) its jobs are still to
 * come: `arrived` is false until `addJobs` has had their first page.
 */
function toPush(node, cursor) {
  const push = {
    pushId: node.pushId,
    revision: node.revision,
    author: node.author,
    pushedAt: node.pushedAt,
    commits: node.commits,
    status: node.status,
    cursor,
    jobs: new Map(),
    jobsCursor: null,
    arrived: false,
    complete: false,
  };
  if (node.jobs) addJobs(push, node.jobs);
  return push;
}

/**
 * Adds a page of a push's jobs. A job already here came from a live update meanwhile, which
 * is newer than the page: it stays.
 */
function addJobs(push, { nodes, pageInfo }) {
  for (const job of nodes) if (!push.jobs.has(job.guid)) push.jobs.set(job.guid, job);
  push.jobsCursor = pageInfo.endCursor;
  push.complete = !pageInfo.hasNextPage;
  push.arrived = true;
}

export class PushesView {
  constructor(root, route, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.repo = ctx.repo;
    this.params = route.params;
    this.have = featuresKnown();
    this.q = queriesFor(this.have);
    this.filter = serverFilter(route.params, this.have);
    this.rev = route.params.get('rev') || '';
    this.selected = route.params.get('job') || '';
    const count = Number.parseInt(route.params.get('count'), 10);
    this.pageSize = count > 0 ? Math.min(count, MAX_PUSH_PAGE) : PUSH_PAGE;
    this.pushes = []; // newest first
    this.byId = new Map();
    this.endCursor = null;
    this.hasMore = false;
    this.loading = false;
    this.generation = 0; // bumps on reload, so late answers of an older load are dropped
    this.dirty = new Set();
    this.statusDue = new Map(); // pushId -> timer
    this.fetchingNew = new Set();
    this.platforms = new Set();
    this.buttons = null;
    this.detail = new JobDetail(ctx.detailPanel, {
      onNavigate: (guid) => this.select(guid, { open: true, focus: false }),
      onClose: () => this.select('', { open: false }),
    });
    this.render();
    this.pinboard = new Pinboard(this.root.querySelector('.pinboard'), {
      onChange: (guids) => this.pinsChanged(guids),
      canClassify: () => this.whyNotClassify(),
    });
    this.bind();
    this.subscribe();
    this.load();
    if (this.selected) this.detail.open(this.selected);
  }

  /** Why the pinboard cannot save here (a server without classifyJobs), or ''. */
  whyNotClassify() {
    if (!this.have.classify) return 'this server does not classify jobs yet (no classifyJobs)';
    return '';
  }

  /** Pinned or unpinned jobs take their look. */
  pinsChanged(guids) {
    for (const guid of guids) {
      const el = this.list.querySelector(`.job[data-guid="${CSS.escape(guid)}"]`);
      const job = el && this.jobOf(el);
      if (job) patchJob(el, job, guid === this.selected, this.pinboard.has(guid));
    }
  }

  /** The job a symbol stands for. */
  jobOf(el) {
    const pushEl = el.closest('.push');
    const push = pushEl && this.byId.get(Number(pushEl.dataset.push));
    return push ? push.jobs.get(el.dataset.guid) : null;
  }

  /** Handles a route change in place when it can (text filter, selection). */
  update(route) {
    const p = route.params;
    const same = (k) => (p.get(k) || '') === (this.params.get(k) || '');
    if (!['repo', 'result', 'state', 'tier', 'platform', 'rev', 'count', 'unclassified'].every(same)) return false;
    const qChanged = !same('q');
    this.params = p;
    if (qChanged) {
      // The name filter is the server's: fetch again, and follow new pushes with it. The
      // form stays, so typing keeps its focus.
      this.filter = serverFilter(p);
      const input = this.root.querySelector('input[name=q]');
      if (input && input.value !== (p.get('q') || '')) input.value = p.get('q') || '';
      for (const stop of this.stops || []) stop();
      this.subscribe();
      this.reload();
    }
    const job = p.get('job') || '';
    if (job !== this.selected) this.select(job, { open: !!job, focus: false, url: false });
    return true;
  }

  unmount() {
    this.generation += 1;
    for (const stop of this.stops || []) stop();
    for (const timer of this.statusDue.values()) clearTimeout(timer);
    this.statusDue.clear();
    this.observer && this.observer.disconnect();
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener(CLASSIFIED_EVENT, this.onClassified);
    this.pinboard.destroy();
    this.detail.destroy();
    this.onText.cancel();
  }

  // ---- rendering ----

  render() {
    const p = this.params;
    const opt = (values, current) => ['<option value="">any</option>']
      .concat(values.map((v) => `<option value="${v.toLowerCase()}"${current === v.toLowerCase() ? ' selected' : ''}>${v.toLowerCase()}</option>`))
      .join('');
    const tier = p.get('tier') || '';
    this.root.innerHTML = `
<form class="filters" role="search" aria-label="filter jobs">
  <label>Result <select name="result">${opt(JOB_RESULTS, (p.get('result') || '').toLowerCase())}</select></label>
  <label>State <select name="state">${opt(JOB_STATES, (p.get('state') || '').toLowerCase())}</select></label>
  <label>Tier <select name="tier"><option value="">any</option>${[1, 2, 3].map((t) => `<option${String(t) === tier ? ' selected' : ''}>${t}</option>`).join('')}</select></label>
  <label>Platform <input name="platform" list="platform-list" value="${esc(p.get('platform') || '')}" size="14"></label>
  <datalist id="platform-list"></datalist>
  <label class="grow">Job name <input type="search" name="q" value="${esc(p.get('q') || '')}" placeholder="words in the job name  ( / )" autocomplete="off"></label>
  ${this.have.unclassifiedFilter ? `<label class="check"><input type="checkbox" name="unclassified" value="1"${p.get('unclassified') ? ' checked' : ''}> unclassified failures only (<kbd>u</kbd>)</label>` : ''}
  <a class="clear" href="${esc(href('pushes', { repo: this.repo }))}">clear filters</a>
</form>
<details class="legend"><summary>Legend and keys (<kbd>?</kbd>)</summary>
  <p>${STATUSES.map((w) => `<span class="job s-${w}" aria-hidden="true">${STATUS_MARK[w]}</span> ${w}`).join(' &nbsp; ')}</p>
  <p><span class="job s-testfailed uc" aria-hidden="true">2</span> unclassified failure &nbsp;
  <span class="job s-testfailed cl" aria-hidden="true">2*</span> classified failure (<code>*</code>) &nbsp;
  <span class="job s-testfailed uc pinned" aria-hidden="true">2</span> pinned</p>
  <table class="keys"><tbody>
  <tr><td><kbd>←</kbd> <kbd>→</kbd></td><td>previous / next job (the detail follows)</td></tr>
  <tr><td><kbd>n</kbd> or <kbd>j</kbd>, <kbd>p</kbd> or <kbd>k</kbd></td><td>next / previous unclassified failure</td></tr>
  <tr><td><kbd>Enter</kbd>, <kbd>Esc</kbd></td><td>open the selected job, close the detail</td></tr>
  <tr><td><kbd>space</kbd>, <kbd>ctrl</kbd>/<kbd>cmd</kbd>+click</td><td>pin the selected job, pin or unpin the clicked one</td></tr>
  <tr><td><kbd>b</kbd>, <kbd>c</kbd></td><td>pin the selected job and type its bugs, its note</td></tr>
  <tr><td><kbd>ctrl</kbd>+<kbd>enter</kbd></td><td>save the pinboard: classify every pinned job</td></tr>
  <tr><td><kbd>ctrl</kbd>+<kbd>shift</kbd>+<kbd>u</kbd></td><td>clear the pinboard</td></tr>
  ${this.have.unclassifiedFilter ? '<tr><td><kbd>u</kbd></td><td>show only unclassified failures, or everything again</td></tr>' : ''}
  <tr><td><kbd>g</kbd>, <kbd>l</kbd></td><td>dependency view, log of the selected job</td></tr>
  <tr><td><kbd>/</kbd> or <kbd>f</kbd></td><td>job name filter</td></tr>
  <tr><td><kbd>?</kbd></td><td>show or hide this help</td></tr>
  </tbody></table>
</details>
${this.rev ? `<p class="single">One push: <code>${esc(shortRev(this.rev))}</code> — <a href="${esc(href('pushes', withParams(p, { rev: '' })))}">all pushes</a></p>` : ''}
<p class="counts" aria-live="polite"></p>
<div class="push-list" tabindex="0" aria-label="pushes and their jobs; arrow keys move between jobs"></div>
<div class="sentinel"></div>
<p class="more-row"><button type="button" class="load-more" hidden>Load more pushes</button></p>
<section class="pinboard" aria-label="pinboard" hidden></section>`;
    this.list = this.root.querySelector('.push-list');
    this.countsEl = this.root.querySelector('.counts');
    this.buttons = this.list.getElementsByClassName('job');
  }

  renderCounts() {
    // A load that ends after the view was left (another page drew over it) has nothing to count.
    if (!this.list.isConnected) return;
    let shown = 0;
    for (const push of this.pushes) shown += push.shown || 0;
    const text = this.loading && !this.pushes.length
      ? 'Loading…'
      : `${shown} job${shown === 1 ? '' : 's'} shown in ${this.pushes.length} push${this.pushes.length === 1 ? '' : 'es'}`;
    this.countsEl.textContent = text;
    this.countsEl.dataset.jobs = String(shown);
    const more = this.root.querySelector('.load-more');
    more.hidden = !this.hasMore || !!this.rev;
  }

  pushElementHtml(push) {
    return `<section class="push" id="p${push.pushId}" data-push="${push.pushId}">${pushHeadHtml(this.repo, push, this.params, this.have)}<div class="jobs">${this.jobsOfPushHtml(push)}</div></section>`;
  }

  /** A push's symbols, or a line saying they are on their way. */
  jobsOfPushHtml(push) {
    if (!push.arrived && !push.jobs.size) {
      push.shown = 0;
      return '<p class="nojobs">Loading jobs…</p>';
    }
    const { html, shown } = jobsHtml(push.jobs.values(), { selected: this.selected, pinned: this.pinboard && this.pinboard.jobs });
    push.shown = shown;
    return html;
  }

  /** Appends pushes at the bottom in one DOM write. */
  appendPushes(pushes) {
    this.list.insertAdjacentHTML('beforeend', pushes.map((push) => this.pushElementHtml(push)).join(''));
    this.renderCounts();
  }

  rerenderPushJobs(push) {
    const el = document.getElementById(`p${push.pushId}`);
    if (!el) return;
    const hadFocus = el.contains(document.activeElement);
    el.querySelector('.jobs').innerHTML = this.jobsOfPushHtml(push);
    if (hadFocus) this.focusSelected();
  }

  rerenderPushHead(push) {
    const el = document.getElementById(`p${push.pushId}`);
    if (!el) return;
    el.querySelector('.summary').innerHTML = summaryHtml(push.status, this.params, this.have);
  }

  noteJobs(jobs) {
    const before = this.platforms.size;
    for (const job of jobs) if (job.platform) this.platforms.add(job.platform);
    if (this.platforms.size !== before) {
      this.root.querySelector('#platform-list').innerHTML = [...this.platforms].sort(collator.compare)
        .map((p) => `<option value="${esc(p)}">`).join('');
    }
  }

  // ---- loading ----

  variables(extra) {
    return { repo: this.repo, jobs: JOB_PAGE, filter: this.filter, ...extra };
  }

  async load() {
    if (this.loading) return;
    if (!this.repo) {
      this.list.innerHTML = '<p class="empty">No repository yet: create one through the API (see the README).</p>';
      return;
    }
    this.loading = true;
    const generation = this.generation;
    let loaded = false;
    this.renderCounts();
    try {
      if (this.rev) {
        const data = await gql(this.q.push, this.variables({ revision: this.rev }));
        if (generation !== this.generation) return;
        if (!data.push) {
          this.list.innerHTML = `<p class="empty">No push ${esc(this.rev)} in ${esc(this.repo)}.</p>`;
          return;
        }
        this.hasMore = false;
        this.show([toPush(data.push, null)], generation);
      } else {
        const after = this.endCursor;
        // The first pushes' jobs need no cursor but the page's own: asked for beside the heads.
        const firstJobs = this.askJobs(Math.min(FIRST_JOBS_CHUNK, this.pageSize), after);
        const data = await gql(this.q.heads, { repo: this.repo, first: this.pageSize, after });
        if (generation !== this.generation) return;
        if (!data.repository) {
          this.list.innerHTML = `<p class="empty">No repository named ${esc(this.repo)}.</p>`;
          return;
        }
        const { edges, pageInfo } = data.repository.pushes;
        this.endCursor = pageInfo.endCursor || this.endCursor;
        this.hasMore = pageInfo.hasNextPage;
        const heads = edges.map((e) => toPush(e.node, e.cursor));
        // The other jobs are asked for first, the heads drawn while the server works on them.
        const jobs = this.loadJobs(heads, firstJobs, generation);
        this.show(heads.filter((p) => !this.byId.has(p.pushId)), generation);
        await jobs;
      }
      loaded = true;
    } catch (error) {
      if (generation === this.generation) {
        this.list.insertAdjacentHTML('beforeend', errorBox(error));
      }
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.renderCounts();
      }
    }
    // The list may still end above the fold: keep going (each load is one page).
    if (loaded && generation === this.generation) this.maybeLoadMore();
  }

  /** Adds pushes that arrived at the bottom of the list and draws them. */
  show(added, generation) {
    for (const push of added) {
      this.pushes.push(push);
      this.byId.set(push.pushId, push);
      this.noteJobs(push.jobs.values());
    }
    if (!this.pushes.length) {
      this.list.innerHTML = '<p class="empty">No pushes yet.</p>';
    } else {
      this.list.querySelector('p.empty')?.remove();
      this.appendPushes(added);
    }
    for (const push of added) if (push.arrived) this.jobsArrived(push, generation);
  }

  /**
   * The first page of jobs of `heads` (pushes in list order): the first FIRST_JOBS_CHUNK
   * come with `firstJobs` (already asked for), the rest in one request per chunk, all under
   * way at once. Each chunk's symbols are drawn as it arrives into the pushes the view shows;
   * a chunk that fails says so in its pushes. A push no chunk brought (a new push arrived
   * between the requests and shifted the page) asks for its own.
   */
  loadJobs(heads, firstJobs, generation) {
    const chunks = [{ answer: firstJobs, pushes: heads.slice(0, FIRST_JOBS_CHUNK) }];
    for (let i = FIRST_JOBS_CHUNK; i < heads.length; i += JOBS_CHUNK) {
      const pushes = heads.slice(i, i + JOBS_CHUNK);
      chunks.push({ answer: this.askJobs(pushes.length, heads[i - 1].cursor), pushes });
    }
    const all = Promise.all(chunks.map(async (chunk) => {
      try {
        const data = await chunk.answer;
        if (generation !== this.generation || !data.repository) return;
        for (const { node } of data.repository.pushes.edges) {
          const push = this.byId.get(node.pushId);
          if (!push || push.arrived) continue;
          addJobs(push, node.jobs);
          this.noteJobs(push.jobs.values());
          this.rerenderPushJobs(push);
          this.jobsArrived(push, generation);
        }
        this.renderCounts();
      } catch (error) {
        if (generation !== this.generation) return;
        for (const push of chunk.pushes) {
          const jobs = document.getElementById(`p${push.pushId}`)?.querySelector('.jobs');
          if (jobs && !push.jobs.size) jobs.innerHTML = errorBox(error);
        }
        chunk.failed = true;
      }
    }));
    return all.then(() => {
      if (generation !== this.generation) return;
      for (const chunk of chunks) {
        if (chunk.failed) continue;
        for (const head of chunk.pushes) {
          const push = this.byId.get(head.pushId);
          if (push && !push.arrived) this.loadRest(push, generation);
        }
      }
    });
  }

  /**
   * Asks for the first page of jobs of the `first` pushes after the cursor `after`. An answer
   * left unawaited (the view was reloaded meanwhile) must not report its failure as unhandled.
   */
  askJobs(first, after) {
    const answer = gql(this.q.jobsOfPushes, this.variables({ first, after }));
    answer.catch(() => {});
    return answer;
  }

  /** What follows a push's first page of jobs: the selected job shown, the rest asked for. */
  jobsArrived(push, generation) {
    if (this.selected && !this.revealed && push.jobs.has(this.selected)) {
      this.revealed = this.focusSelected({ scroll: true });
    }
    if (!push.complete) this.loadRest(push, generation);
  }

  /** The rest of a push's jobs beyond the first page, page by page. */
  async loadRest(push, generation) {
    try {
      while (!push.complete && generation === this.generation && this.byId.get(push.pushId) === push) {
        const data = await gql(this.q.moreJobs, this.variables({ revision: push.revision, after: push.jobsCursor }));
        if (!data.push) return;
        addJobs(push, data.push.jobs);
        this.noteJobs(data.push.jobs.nodes);
      }
    } catch (error) {
      console.warn('cannot load the rest of a push', error);
    }
    if (generation === this.generation) {
      this.rerenderPushJobs(push);
      this.renderCounts();
    }
  }

  /** Loads the next page while the bottom of the list is on screen. */
  maybeLoadMore() {
    if (this.loading || !this.hasMore || this.rev || !this.sentinelVisible) return;
    if (this.pushes.length >= MAX_PUSHES) return;
    this.load();
  }

  /** Starts over (after a reconnect, when events may have been missed). */
  reload() {
    this.generation += 1;
    this.pushes = [];
    this.byId.clear();
    this.endCursor = null;
    this.loading = false;
    this.list.innerHTML = '';
    this.load();
  }

  // ---- live updates ----

  subscribe() {
    if (!this.repo) return;
    this.stops = [
      live.subscribe(this.q.jobChanged, { repo: this.repo }, (data) => this.onJob(data.jobChanged.job)),
      live.subscribe(this.q.pushAdded, { repo: this.repo, jobs: JOB_PAGE, filter: this.filter },
        (data) => this.onPush(data.pushAdded.push)),
      live.onResync(() => this.reload()),
    ];
    if (this.q.classificationChanged) {
      this.stops.push(live.subscribe(this.q.classificationChanged, { repo: this.repo },
        (data) => this.onClassification(data.classificationChanged)));
    }
  }

  /**
   * A job of the repository was classified (here, in another tab, by the autoclassifier): its
   * symbol takes the new look, its push's count of unclassified failures follows, and the
   * detail re-reads when it shows that job.
   */
  onClassification(changed) {
    if (!changed || !changed.job || !changed.job.push) return;
    const push = this.byId.get(changed.job.push.pushId);
    const old = push && push.jobs.get(changed.job.guid);
    if (old) {
      const job = { ...old, classification: changed.classification };
      const keep = matchesFilter(job, this.filter);
      if (keep) push.jobs.set(job.guid, job);
      else push.jobs.delete(job.guid);
      const el = keep && this.symbolElement(push, job.guid);
      if (el) patchJob(el, job, job.guid === this.selected, this.pinboard.has(job.guid));
      else this.markDirty(push);
      this.pinboard.update(job);
      this.recount(push);
    } else if (push) {
      this.askStatus(push);
    }
    if (changed.job.guid === this.selected) this.detail.refreshSoon();
  }

  onJob(changed) {
    if (!changed) return;
    const pushId = changed.push ? changed.push.pushId : null;
    if (pushId === null) return;
    const push = this.byId.get(pushId);
    if (!push) {
      // A push newer than any shown that we have not heard of: fetch it (once).
      const newest = this.pushes.length ? this.pushes[0].pushId : -Infinity;
      if (!this.rev && pushId > newest) this.fetchPush(changed.push.revision);
      return;
    }
    // Kept without its push (a new object: `delete` would leave every changed job in V8's
    // slower, larger dictionary mode).
    const { push: _where, ...job } = changed;
    const old = push.jobs.get(job.guid);
    const keep = matchesFilter(job, this.filter);
    this.updateStatus(push, old, job);
    if (keep) push.jobs.set(job.guid, job);
    else push.jobs.delete(job.guid);
    if (keep) this.noteJobs([job]);
    if (this.pinboard.has(job.guid)) this.pinboard.update(job);
    // The common case: a known symbol changes state in place.
    if (old && keep && old.platform === job.platform && old.groupSymbol === job.groupSymbol
        && old.symbol === job.symbol && old.name === job.name) {
      const el = this.symbolElement(push, job.guid);
      if (el) {
        patchJob(el, job, job.guid === this.selected, this.pinboard.has(job.guid));
      } else {
        this.markDirty(push);
      }
    } else if (old || keep) {
      this.markDirty(push);
    }
    if (job.guid === this.selected) this.detail.refreshSoon();
  }

  symbolElement(push, guid) {
    const el = document.getElementById(`p${push.pushId}`);
    return el && el.querySelector(`.job[data-guid="${CSS.escape(guid)}"]`);
  }

  /** The push's counts: exact locally when every job of it is here, else asked again. */
  updateStatus(push, old, job) {
    const s = push.status;
    if (!this.filter && push.complete && s) {
      if (old) {
        const was = statusOf(old);
        s[was] = Math.max(0, (s[was] || 0) - 1);
        if (old.state === 'COMPLETED') s.completed -= 1;
      } else {
        s.total += 1;
      }
      s[statusOf(job)] = (s[statusOf(job)] || 0) + 1;
      if (job.state === 'COMPLETED') s.completed += 1;
      if (typeof s.unclassifiedFailures === 'number') {
        s.unclassifiedFailures += (isUnclassifiedFailure(job) ? 1 : 0) - (old && isUnclassifiedFailure(old) ? 1 : 0);
      }
      this.rerenderPushHead(push);
      return;
    }
    this.askStatus(push);
  }

  /**
   * The push's count of unclassified failures after a classification: counted here when
   * every job of it is here (and no filter hides some), else asked again.
   */
  recount(push) {
    const s = push.status;
    if (!s || typeof s.unclassifiedFailures !== 'number') return;
    if (this.filter || !push.complete) {
      this.askStatus(push);
      return;
    }
    let n = 0;
    for (const job of push.jobs.values()) if (isUnclassifiedFailure(job)) n += 1;
    s.unclassifiedFailures = n;
    this.rerenderPushHead(push);
  }

  /** Asks for the push's counts again, at most once a second. */
  askStatus(push) {
    if (this.statusDue.has(push.pushId)) return;
    this.statusDue.set(push.pushId, setTimeout(async () => {
      this.statusDue.delete(push.pushId);
      try {
        const data = await gql(this.q.status, { repo: this.repo, revision: push.revision });
        if (data.push && this.byId.get(push.pushId) === push) {
          push.status = data.push.status;
          this.rerenderPushHead(push);
        }
      } catch (error) {
        console.warn('cannot refresh a push status', error);
      }
    }, 1000));
  }

  markDirty(push) {
    this.dirty.add(push.pushId);
    if (this.dirty.size === 1) {
      requestAnimationFrame(() => {
        for (const id of this.dirty) {
          const p = this.byId.get(id);
          if (p) this.rerenderPushJobs(p);
        }
        this.dirty.clear();
        this.renderCounts();
      });
    }
  }

  async fetchPush(revision) {
    if (this.fetchingNew.has(revision)) return;
    this.fetchingNew.add(revision);
    const generation = this.generation;
    try {
      const data = await gql(this.q.push, this.variables({ revision }));
      if (data.push && generation === this.generation) this.insertPush(toPush(data.push, null));
    } catch (error) {
      console.warn('cannot fetch a new push', error);
    } finally {
      this.fetchingNew.delete(revision);
    }
  }

  onPush(node) {
    if (!node || this.rev) return;
    this.insertPush(toPush(node, null));
  }

  /** Puts a push in its place (newest first) and drops the oldest beyond MAX_PUSHES. */
  insertPush(push) {
    if (this.byId.has(push.pushId)) return;
    if (this.pushes.length && push.pushId < this.pushes[this.pushes.length - 1].pushId && this.hasMore) return;
    let at = this.pushes.findIndex((p) => p.pushId < push.pushId);
    if (at < 0) at = this.pushes.length;
    this.pushes.splice(at, 0, push);
    this.byId.set(push.pushId, push);
    this.noteJobs(push.jobs.values());
    this.list.querySelector('p.empty')?.remove();
    const html = this.pushElementHtml(push);
    const next = this.pushes[at + 1];
    const nextEl = next && document.getElementById(`p${next.pushId}`);
    if (nextEl) nextEl.insertAdjacentHTML('beforebegin', html);
    else this.list.insertAdjacentHTML('beforeend', html);
    while (this.pushes.length > MAX_PUSHES) {
      const dropped = this.pushes.pop();
      this.byId.delete(dropped.pushId);
      document.getElementById(`p${dropped.pushId}`)?.remove();
      this.hasMore = true;
      const last = this.pushes[this.pushes.length - 1];
      if (last.cursor) this.endCursor = last.cursor;
    }
    if (!push.complete) this.loadRest(push, this.generation);
    this.renderCounts();
  }

  // ---- selection and keys ----

  bind() {
    this.list.addEventListener('click', (event) => {
      const button = event.target.closest('.job[data-guid]');
      if (!button) return;
      if (event.ctrlKey || event.metaKey) {
        // Treeherder's ctrl/cmd-click: pin or unpin, the selection stays.
        const job = this.jobOf(button);
        if (job) this.pinboard.toggle(job);
        return;
      }
      this.select(button.dataset.guid, { open: true });
    });
    this.list.addEventListener('focus', (event) => {
      // Tabbing into the list lands on the selected job, or the first one. A pointer press
      // focuses the list too (a symbol is focusable only once selected), but the click that
      // follows says which job: only the keyboard's focus (`:focus-visible`) picks one here.
      if (event.target !== this.list || !this.list.matches(':focus-visible')) return;
      if (!this.focusSelected() && this.buttons.length) this.select(this.buttons[0].dataset.guid, { open: true });
    });
    const form = this.root.querySelector('.filters');
    form.addEventListener('change', (event) => {
      if (event.target.name === 'q') return;
      const changes = { job: '' };
      changes[event.target.name] = event.target.type === 'checkbox'
        ? (event.target.checked ? event.target.value : '')
        : event.target.value.trim();
      navigate('pushes', withParams(this.params, changes));
    });
    form.addEventListener('submit', (event) => event.preventDefault());
    this.onText = debounce((value) => {
      navigate('pushes', withParams(this.params, { q: value.trim() }), { replace: true });
    }, 200);
    form.querySelector('input[name=q]').addEventListener('input', (event) => this.onText(event.target.value));
    this.root.querySelector('.load-more').addEventListener('click', () => this.load());
    this.observer = new IntersectionObserver((entries) => {
      this.sentinelVisible = entries.some((e) => e.isIntersecting);
      this.maybeLoadMore();
    }, { rootMargin: '600px' });
    this.observer.observe(this.root.querySelector('.sentinel'));
    this.onKey = (event) => this.key(event);
    document.addEventListener('keydown', this.onKey);
    // Classified from this page (the detail, the pinboard): shown at once, before the
    // subscription (if the server has one) says so too.
    this.onClassified = (event) => {
      for (const { guid, classification } of event.detail) {
        const push = this.pushes.find((p) => p.jobs.has(guid));
        if (push) this.onClassification({ job: { guid, push: { pushId: push.pushId } }, classification });
      }
    };
    window.addEventListener(CLASSIFIED_EVENT, this.onClassified);
  }

  key(event) {
    const target = event.target;
    const typing = target instanceof HTMLElement
      && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName));
    // Treeherder's ctrl+enter saves, even from a field: the detail's classification form when
    // the focus is in it, else the pinboard.
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
      event.preventDefault();
      const form = target instanceof HTMLElement && target.closest('form.classify-form');
      if (form) form.requestSubmit();
      else this.pinboard.save();
      return;
    }
    if (event.ctrlKey && event.shiftKey && event.key.toLowerCase() === 'u') {
      event.preventDefault();
      this.pinboard.clear();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') {
      if (typing) target.blur();
      else if (this.selected) this.detail.close();
      return;
    }
    if (typing) return;
    // Up and down keep scrolling the detail panel when it has the focus.
    if ((event.key === 'ArrowUp' || event.key === 'ArrowDown') && this.ctx.detailPanel.contains(target)) return;
    // A focused control (a button, a link, a folding summary) answers space and enter itself.
    const control = target instanceof HTMLElement && target.matches('button, a[href], summary');
    switch (event.key) {
      case 'Enter':
        if (target instanceof HTMLElement && target.matches('.job[data-guid]') && this.list.contains(target)) {
          event.preventDefault();
          this.select(target.dataset.guid, { open: true });
        }
        break;
      case ' ':
        if (control) break;
        event.preventDefault();
        this.pinSelected();
        break;
      case 'b': case 'c':
        // Pin the selected job and type its bug (b) or note (c), as in Treeherder.
        event.preventDefault();
        this.pinSelected();
        if (this.pinboard.size) this.pinboard.focus(event.key === 'b' ? 'bugs' : 'note');
        break;
      case 'ArrowRight': case 'ArrowDown':
        event.preventDefault();
        this.step(1);
        break;
      case 'ArrowLeft': case 'ArrowUp':
        event.preventDefault();
        this.step(-1);
        break;
      case 'n': case 'j':
        event.preventDefault();
        this.stepUnclassified(1);
        break;
      case 'p': case 'k':
        event.preventDefault();
        this.stepUnclassified(-1);
        break;
      case 'u':
        if (!this.have.unclassifiedFilter) break;
        navigate('pushes', withParams(this.params, { unclassified: this.params.get('unclassified') ? '' : '1', job: '' }));
        break;
      case '?': {
        const legend = this.root.querySelector('.legend');
        legend.open = !legend.open;
        break;
      }
      case '/': case 'f':
        event.preventDefault();
        this.root.querySelector('input[name=q]').focus();
        break;
      case 'g':
        if (this.selected) navigate('graph', { job: this.selected, repo: this.repo });
        break;
      case 'l': {
        // Treeherder's l: the selected job's log, as its detail's first "open in viewer".
        const log = this.selected && this.ctx.detailPanel.querySelector('a.log-view');
        if (log) location.hash = log.hash;
        break;
      }
      default:
        break;
    }
  }

  /** Pins the selected job (space). */
  pinSelected() {
    const el = this.selected && this.list.querySelector(`.job[data-guid="${CSS.escape(this.selected)}"]`);
    const job = el && this.jobOf(el);
    if (job) this.pinboard.pin(job);
  }

  /**
   * Selects the next (+1) or previous (-1) unclassified failure in list order from the
   * selected job (Treeherder's `n` / `p`), wrapping around at either end.
   */
  stepUnclassified(delta) {
    const failures = [...this.list.querySelectorAll('.job.uc')];
    if (!failures.length) {
      this.countsEl.textContent = 'No unclassified failure in the pushes shown.';
      return;
    }
    const current = this.selected && this.list.querySelector(`.job[data-guid="${CSS.escape(this.selected)}"]`);
    let index = -1;
    if (current) {
      const after = (el) => current.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING;
      index = delta > 0 ? failures.findIndex(after) : failures.findLastIndex((el) => el !== current && !after(el));
    }
    if (index < 0) index = delta > 0 ? 0 : failures.length - 1;
    this.select(failures[index].dataset.guid, { open: true });
  }

  /** Moves the selection to the next (+1) or previous (-1) shown job. */
  step(delta) {
    const buttons = this.buttons;
    if (!buttons.length) return;
    const current = this.selected && this.list.querySelector(`.job[data-guid="${CSS.escape(this.selected)}"]`);
    let index = current ? Array.prototype.indexOf.call(buttons, current) + delta : (delta > 0 ? 0 : buttons.length - 1);
    index = Math.max(0, Math.min(buttons.length - 1, index));
    this.select(buttons[index].dataset.guid, { open: true });
  }

  focusSelected({ scroll = false } = {}) {
    if (!this.selected) return false;
    const el = this.list.querySelector(`.job[data-guid="${CSS.escape(this.selected)}"]`);
    if (!el) return false;
    el.focus({ preventScroll: !scroll });
    if (scroll) el.scrollIntoView({ block: 'center' });
    return true;
  }

  select(guid, { open = true, focus = true, url = true } = {}) {
    const previous = this.selected && this.list.querySelector(`.job[data-guid="${CSS.escape(this.selected)}"]`);
    if (previous) {
      previous.classList.remove('selected');
      previous.tabIndex = -1;
    }
    this.selected = guid;
    const el = guid && this.list.querySelector(`.job[data-guid="${CSS.escape(guid)}"]`);
    if (el) {
      el.classList.add('selected');
      el.tabIndex = 0;
      if (focus) {
        el.focus({ preventScroll: true });
        el.scrollIntoView({ block: 'nearest' });
      }
    }
    if (url) navigate('pushes', withParams(this.params, { job: guid }), { replace: true });
    if (guid && open) this.detail.open(guid, { soon: true });
    else if (!guid) this.detail.close({ quiet: true });
  }
}
