// Releases, newest first: status, gates, blockers and the locale matrix of repacks. Kept
// live: a change to a job of a shown release (its release job, a gate, a blocker, a repack)
// re-reads the releases shown, in their repositories' `jobChanged`.

import { gql, live } from './graphql.js';
import { href, navigate, withParams } from './router.js';
import {
  esc, badge, statusOf, STATUS_MARK, STATUSES, timeAgo, shortRev, errorBox, debounce,
} from './util.js';

const PAGE = 10;
const GATES = 200;
const RELEASE_MARK = { waiting: '…', running: '▶', blocked: '⊗', failed: '✗', shipped: '✓' };

const JOB = 'guid name symbol platform state result';
const RELEASES_QUERY = `query Releases($product: String, $channel: String, $version: String, $first: Int!, $after: String, $gates: Int!) {
  releases(product: $product, channel: $channel, version: $version, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      product version buildNumber channel revision locales createdAt status
      repository { name }
      job { ${JOB} }
      push { pushId revision }
      gates(first: $gates) { pageInfo { hasNextPage } nodes { ${JOB} } }
      blockers(first: 50) { pageInfo { hasNextPage } nodes { ${JOB} } }
      localeMatrix { locales platforms cells { locale platform missing state result job { guid name } } }
    }
  }
}`;

const JOB_CHANGED = `subscription ReleaseJobs($repo: String!, $after: String) {
  jobChanged(repository: $repo, after: $after) { cursor job { guid kind } }
}`;
/** Job kinds that may join a shown release (a new repack fills a matrix cell). */
const JOINING = new Set(['RELEASE', 'L10N_REPACK']);

function jobLink(job) {
  const word = statusOf(job);
  return `<a class="job s-${word}" href="${esc(href('job', { guid: job.guid }))}" title="${esc(job.name)} — ${word}">${esc(job.symbol || STATUS_MARK[word])}</a>`;
}

function matrixHtml(matrix) {
  if (!matrix.locales.length) return '';
  const cells = new Map(matrix.cells.map((c) => [`${c.locale}\u0000${c.platform}`, c]));
  const rows = matrix.locales.map((locale) => `<tr><th scope="row">${esc(locale)}</th>${matrix.platforms.map((platform) => {
    const c = cells.get(`${locale}\u0000${platform}`);
    if (!c || c.missing) return '<td class="missing">— missing</td>';
    const word = c.state === 'COMPLETED' ? (c.result || 'unknown').toLowerCase() : (c.state || 'unknown').toLowerCase();
    const text = `${STATUS_MARK[word] || ''} ${word}`;
    return `<td class="s-${word}">${c.job ? `<a href="${esc(href('job', { guid: c.job.guid }))}" title="${esc(c.job.name)}">${text}</a>` : text}</td>`;
  }).join('')}</tr>`).join('');
  const missing = matrix.cells.filter((c) => c.missing).length;
  return `<details class="locales"${missing ? ' open' : ''}><summary>Locale matrix: ${matrix.locales.length} locales × ${matrix.platforms.length} platforms${missing ? `, <strong>${missing} missing</strong>` : ''}</summary>
<div class="scroll"><table class="matrix"><thead><tr><th>locale</th>${matrix.platforms.map((p) => `<th scope="col">${esc(p)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div></details>`;
}

function releaseHtml(r) {
  const status = r.status.toLowerCase();
  const counts = new Map();
  for (const g of r.gates.nodes) counts.set(statusOf(g), (counts.get(statusOf(g)) || 0) + 1);
  const summary = STATUSES.filter((w) => counts.get(w)).map((w) => `<span class="chip s-${w}">${STATUS_MARK[w]} ${counts.get(w)} ${w}</span>`).join('');
  const repo = r.repository ? r.repository.name : '';
  return `<article class="release r-${status}">
<header><h2>${esc(r.product)} ${esc(r.version)} build ${r.buildNumber} <span class="channel">${esc(r.channel)}</span></h2>
<span class="rstatus r-${status}">${RELEASE_MARK[status] || ''} ${status}</span></header>
<p class="meta">created ${timeAgo(r.createdAt)}${r.push ? ` · <a href="${esc(href('pushes', { repo, rev: r.push.revision }))}">push #${r.push.pushId} (${esc(shortRev(r.push.revision))})</a>` : ` · revision ${esc(shortRev(r.revision))}`}
${r.job ? ` · release job ${badge(statusOf(r.job))} <a href="${esc(href('graph', { job: r.job.guid, dir: 'upstream' }))}">dependency view</a>` : ''}</p>
<section class="gates"><h3>Gates <span class="n">(${r.gates.nodes.length}${r.gates.pageInfo.hasNextPage ? '+' : ''})</span> ${summary}</h3>
<p class="syms">${r.gates.nodes.map(jobLink).join('')}</p></section>
<section class="blockers"><h3>⊗ Blockers <span class="n">(${r.blockers.nodes.length}${r.blockers.pageInfo.hasNextPage ? '+' : ''})</span></h3>
${r.blockers.nodes.length ? `<ul>${r.blockers.nodes.map((b) => `<li>${jobLink(b)} <a href="${esc(href('job', { guid: b.guid }))}">${esc(b.name)}</a> ${badge(statusOf(b))}</li>`).join('')}</ul>` : '<p class="none">nothing stands in its way</p>'}</section>
${matrixHtml(r.localeMatrix)}
</article>`;
}

export class ReleasesView {
  constructor(root, route) {
    this.root = root;
    this.stops = [];
    this.repos = '';
    this.refreshSoon = debounce(() => this.refresh(), 400);
    this.update(route);
  }

  update(route) {
    this.params = route.params;
    this.generation = (this.generation || 0) + 1;
    this.after = null;
    this.shown = [];
    const p = this.params;
    this.root.innerHTML = `<h1>Releases</h1>
<form class="filters" aria-label="filter releases">
<label>Product <input name="product" value="${esc(p.get('product') || '')}" size="12"></label>
<label>Channel <input name="channel" value="${esc(p.get('channel') || '')}" size="10"></label>
<label>Version <input name="version" value="${esc(p.get('version') || '')}" size="10"></label>
</form><div class="release-list"></div><p class="more-row"><button type="button" class="load-more" hidden>Older releases</button></p>`;
    const form = this.root.querySelector('form');
    form.addEventListener('change', (event) => navigate('releases', withParams(this.params, { [event.target.name]: event.target.value.trim() })));
    form.addEventListener('submit', (event) => event.preventDefault());
    this.list = this.root.querySelector('.release-list');
    this.more = this.root.querySelector('.load-more');
    this.more.addEventListener('click', () => this.load());
    this.load();
    return true;
  }

  unmount() {
    this.generation += 1;
    this.refreshSoon.cancel();
    this.stop();
  }

  stop() {
    for (const stop of this.stops) stop();
    this.stops = [];
    this.repos = '';
  }

  variables(first, after) {
    const p = this.params;
    return {
      product: p.get('product') || null,
      channel: p.get('channel') || null,
      version: p.get('version') || null,
      first,
      after,
      gates: GATES,
    };
  }

  async load() {
    const generation = this.generation;
    try {
      const data = await gql(RELEASES_QUERY, this.variables(PAGE, this.after));
      if (generation !== this.generation) return;
      const { nodes, pageInfo } = data.releases;
      if (!nodes.length && !this.after) this.list.innerHTML = '<p class="empty">No releases.</p>';
      this.list.insertAdjacentHTML('beforeend', nodes.map(releaseHtml).join(''));
      this.shown.push(...nodes);
      this.after = pageInfo.endCursor;
      this.more.hidden = !pageInfo.hasNextPage;
      this.follow();
    } catch (error) {
      if (generation === this.generation) this.list.insertAdjacentHTML('beforeend', errorBox(error));
    }
  }

  /** Reads the releases shown again, as many as are shown, and redraws them. */
  async refresh() {
    const generation = this.generation;
    try {
      const data = await gql(RELEASES_QUERY, this.variables(Math.max(PAGE, this.shown.length), null));
      if (generation !== this.generation) return;
      const { nodes, pageInfo } = data.releases;
      this.list.innerHTML = nodes.length ? nodes.map(releaseHtml).join('') : '<p class="empty">No releases.</p>';
      this.shown = nodes;
      this.after = pageInfo.endCursor;
      this.more.hidden = !pageInfo.hasNextPage;
      this.follow();
    } catch (error) {
      console.warn('releases refresh', error);
    }
  }

  /** Follows the repositories of the releases shown. */
  follow() {
    const guids = new Set();
    const repos = new Set();
    for (const r of this.shown) {
      if (r.repository) repos.add(r.repository.name);
      if (r.job) guids.add(r.job.guid);
      for (const j of [...r.gates.nodes, ...r.blockers.nodes]) guids.add(j.guid);
      for (const c of r.localeMatrix.cells) if (c.job) guids.add(c.job.guid);
    }
    this.guids = guids;
    const key = [...repos].sort().join('\u0000');
    if (key === this.repos) return;
    this.stop();
    this.repos = key;
    this.stops = [...repos].map((repo) => live.subscribe(JOB_CHANGED, { repo }, (data) => {
      const job = data.jobChanged && data.jobChanged.job;
      if (job && (this.guids.has(job.guid) || JOINING.has(job.kind))) this.refreshSoon();
    }));
    if (this.stops.length) this.stops.push(live.onResync(() => this.refreshSoon()));
  }
}
