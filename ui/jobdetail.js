// The job detail: core fields and attributes, timings, machine, the failure summary
// (classification, failure lines and bug suggestions: classify.js), logs with their parsed
// error lines and steps, test results, artifacts, dependencies and dependents. Shown in the
// side panel of the push list, or alone as the `#/job?guid=` page.

import { logTextUrl, logViewHref } from './logview.js';
import { gql, live } from './graphql.js';
import { features } from './features.js';
import { bindSheriff, detailFields, sheriffHtml, testClassificationHtml, testResultFields } from './classify.js';
import { onTokenChange } from './token.js';
import { href, navigate } from './router.js';
import {
  esc, safeUrl, badge, statusOf, STATUS_MARK, timeAgo, duration, between, shortRev, debounce,
  errorBox, FAILED,
} from './util.js';

const LIST_SHOWN = 50;
const TESTS_ASKED = 200;

const NEIGHBOUR = 'kind job { guid name symbol platform state result }';

/** The detail query, with the sheriffing fields the server has. */
const detailQuery = (have) => `query JobDetail($guid: String!, $tests: Int!) {
  job(guid: $guid) {
    ${detailFields(have)}
    guid kind name symbol groupSymbol groupName platform buildSystem state result tier machine
    submittedAt startedAt finishedAt attributes revision
    repository { name }
    push { pushId revision }
    logs {
      name url status reason attempts lineCount errorCount
      errors { lineNumber line step }
      steps { name result firstLine lastLine durationMs errorCount }
    }
    artifacts { name kind url contentType size }
    testResults(first: $tests) {
      pageInfo { hasNextPage }
      nodes { test subtest status expected failed message durationMs group artifacts { name kind url } ${testResultFields(have)} }
    }
    dependencies { ${NEIGHBOUR} }
    dependents { ${NEIGHBOUR} }
    danglingDependencies { kind guid }
  }
}`;

function field(label, value) {
  return value === null || value === undefined || value === ''
    ? ''
    : `<dt>${esc(label)}</dt><dd>${value}</dd>`;
}

function neighbours(title, list, cls) {
  if (!list.length) return `<section class="${cls}"><h3>${title}</h3><p class="none">none</p></section>`;
  const items = list.slice(0, LIST_SHOWN).map(({ kind, job }) => {
    const word = statusOf(job);
    return `<li><button type="button" class="link" data-guid="${esc(job.guid)}"><span class="job s-${word}" aria-hidden="true">${esc(job.symbol || '·')}</span> ${esc(job.name)}</button> ${badge(word)} <span class="kind">${esc(kind.toLowerCase())}</span></li>`;
  });
  const more = list.length > LIST_SHOWN ? `<li class="more">and ${list.length - LIST_SHOWN} more (see the dependency view)</li>` : '';
  return `<section class="${cls}"><h3>${title} <span class="n">(${list.length})</span></h3><ul class="neighbours">${items.join('')}${more}</ul></section>`;
}

/** A job's logs: each opens in the log viewer (at an error line from that line's link). */
function logsHtml(guid, logs) {
  if (!logs.length) return '<section class="logs"><h3>Logs</h3><p class="none">none</p></section>';
  const parts = logs.map((log) => {
    const errors = log.errors.length
      ? `<ol class="log-errors">${log.errors.map((e) => `<li class="log-error"><a class="ln" href="${esc(logViewHref(guid, log.name, e.lineNumber))}" title="open the log at line ${e.lineNumber + 1}">${e.lineNumber + 1}</a> <code>${esc(e.line)}</code></li>`).join('')}</ol>`
        + (log.errorCount > log.errors.length ? `<p class="more">${log.errorCount - log.errors.length} more error lines in the log</p>` : '')
      : (log.status === 'PARSED' ? '<p class="none">no error lines</p>' : '');
    const steps = log.steps.length
      ? `<details class="steps"><summary>${log.steps.length} steps</summary><table><thead><tr><th>step</th><th>result</th><th>lines</th><th>time</th><th>errors</th></tr></thead><tbody>${log.steps.map((s) => `<tr><td>${esc(s.name)}</td><td>${badge(s.result)}</td><td>${s.firstLine}–${s.lastLine ?? ''}</td><td>${s.durationMs !== null ? esc(duration(s.durationMs / 1000)) : ''}</td><td>${s.errorCount || ''}</td></tr>`).join('')}</tbody></table></details>`
      : '';
    const size = log.lineCount !== null ? ` · ${log.lineCount} lines` : '';
    const reason = log.reason ? ` <span class="reason">(${esc(log.reason)})</span>` : '';
    // The text from this origin (`raw`); the stored URL as well when it is a link elsewhere.
    const source = safeUrl(log.url) !== '#' ? ` · <a href="${esc(log.url)}" target="_blank" rel="noopener">source</a>` : '';
    const links = ` · <a class="log-view" href="${esc(logViewHref(guid, log.name))}">open in viewer</a> · <a href="${esc(logTextUrl(guid, log.name))}" target="_blank" rel="noopener">raw</a>${source}`;
    return `<div class="log"><p><a href="${esc(logViewHref(guid, log.name))}">${esc(log.name)}</a> <span class="logstatus l-${esc(log.status.toLowerCase())}">${esc(log.status.toLowerCase())}</span>${reason}${size}${log.errorCount ? ` · <strong>${log.errorCount} error line${log.errorCount === 1 ? '' : 's'}</strong>` : ''}${links}</p>${errors}${steps}</div>`;
  });
  return `<section class="logs"><h3>Logs</h3>${parts.join('')}</section>`;
}

function artifactLinks(artifacts) {
  return artifacts.map((a) => `<a href="${esc(safeUrl(a.url))}" target="_blank" rel="noopener">${esc(a.name)}</a> <span class="kind">${esc(a.kind.toLowerCase())}</span>`).join(', ');
}

/** The job's test results, failed first; `classifiable`: each failed one can be classified. */
function testsHtml(connection, classifiable) {
  const results = connection.nodes;
  if (!results.length) return '';
  const failed = results.filter((r) => r.failed);
  const sorted = failed.concat(results.filter((r) => !r.failed));
  const rows = sorted.slice(0, LIST_SHOWN).map((r) => `<tr class="${r.failed ? 'failed' : ''}">
<td>${r.failed ? '<strong>✗ FAIL</strong> ' : ''}${esc(r.test)}${r.subtest ? ` <span class="sub">› ${esc(r.subtest)}</span>` : ''}</td>
<td>${esc(r.status)}${r.expected ? ` <span class="exp">(expected ${esc(r.expected)})</span>` : ''}</td>
<td>${esc(r.message || '')}${r.artifacts.length ? `<br>${artifactLinks(r.artifacts)}` : ''}${r.failed && (r.classification || classifiable) ? `<br>${testClassificationHtml(r, classifiable)}` : ''}</td></tr>`);
  const more = results.length > LIST_SHOWN || connection.pageInfo.hasNextPage ? '<p class="more">more results not shown</p>' : '';
  return `<section class="tests"><h3>Test results <span class="n">(${failed.length} failed of ${results.length}${connection.pageInfo.hasNextPage ? '+' : ''})</span></h3>
<table><thead><tr><th>test</th><th>status</th><th>message</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}</section>`;
}

function attributesHtml(attributes) {
  const entries = attributes && typeof attributes === 'object' ? Object.entries(attributes) : [];
  if (!entries.length) return '';
  return `<section class="attributes"><h3>Attributes</h3><dl>${entries.map(([k, v]) => field(k, esc(typeof v === 'string' ? v : JSON.stringify(v)))).join('')}</dl></section>`;
}

/** The whole detail of a job as HTML (`have`: the server's features, see features.js). */
export function detailHtml(job, { closable, have }) {
  const word = statusOf(job);
  const repo = job.repository.name;
  const pushLink = job.push
    ? `<a href="${esc(href('pushes', { repo, rev: job.push.revision, job: job.guid }))}">push #${job.push.pushId} (${esc(shortRev(job.push.revision))})</a>`
    : (job.revision ? `${esc(shortRev(job.revision))} (not in the pushlog yet)` : 'none');
  const wait = between(job.submittedAt, job.startedAt);
  const run = job.startedAt ? between(job.startedAt, job.finishedAt) : null;
  const machine = job.machine
    ? `<a href="${esc(href('machines', { buildSystem: job.buildSystem || '' }))}">${esc(job.machine)}</a>`
    : '';
  return `<header class="detail-head">
<h2><span class="job s-${word}" aria-hidden="true">${esc(job.symbol || STATUS_MARK[word])}</span> ${esc(job.name)}</h2>
${closable ? '<button type="button" class="close" aria-label="close the job detail" title="close (Esc)">×</button>' : ''}
<p class="detail-status">${badge(word)} <span class="kind">${esc(job.kind.toLowerCase())}</span> · tier ${job.tier}
 · <a class="graph-link" href="${esc(href('graph', { job: job.guid, repo }))}">dependency view</a></p>
</header>
${sheriffHtml(job, have)}
<section class="core"><dl>
${field('guid', `<code>${esc(job.guid)}</code>`)}
${field('repository', esc(repo))}
${field('push', pushLink)}
${field('platform', esc(job.platform))}
${field('group', job.groupSymbol ? `${esc(job.groupSymbol)} ${job.groupName ? `(${esc(job.groupName)})` : ''}` : '')}
${field('build system', esc(job.buildSystem))}
${field('machine', machine)}
${field('state / result', `${esc(job.state.toLowerCase())} / ${esc(job.result.toLowerCase())}`)}
</dl></section>
<section class="timings"><h3>Timings</h3><dl>
${field('submitted', timeAgo(job.submittedAt))}
${field('started', timeAgo(job.startedAt))}
${field('finished', timeAgo(job.finishedAt))}
${field('waited', wait !== null ? esc(duration(wait)) : '')}
${field(job.finishedAt ? 'ran' : 'running for', run !== null ? esc(duration(run)) : '')}
</dl></section>
${logsHtml(job.guid, job.logs)}
${testsHtml(job.testResults, FAILED.has(word) && have.classify && have.classifyTest)}
<section class="artifacts"><h3>Artifacts</h3>${job.artifacts.length ? `<ul>${job.artifacts.map((a) => `<li>${artifactLinks([a])}${a.size ? ` <span class="size">${a.size} bytes</span>` : ''}</li>`).join('')}</ul>` : '<p class="none">none</p>'}</section>
${neighbours('Depends on', job.dependencies, 'dependencies')}
${job.danglingDependencies.length ? `<p class="dangling">Waiting for jobs that have not arrived: ${job.danglingDependencies.map((d) => `<code>${esc(d.guid)}</code>`).join(', ')}</p>` : ''}
${neighbours('Needed by', job.dependents, 'dependents')}
${attributesHtml(job.attributes)}`;
}

/**
 * What a person typed into the classification form, so a live refresh of the detail (the job
 * changed, or its classification did) does not throw it away; null when the form is as drawn.
 */
function typedForm(panel) {
  const form = panel.querySelector('form.classify-form');
  if (!form || !form.dataset.typed) return null;
  const active = form.contains(document.activeElement) ? document.activeElement.name : '';
  const values = {};
  for (const el of form.elements) if (el.name) values[el.name] = el.value;
  return { values, active };
}

function restoreForm(panel, { values, active }) {
  const form = panel.querySelector('form.classify-form');
  if (!form) return;
  for (const el of form.elements) if (el.name in values) el.value = values[el.name];
  form.dataset.typed = 'yes';
  if (active && form.elements[active]) form.elements[active].focus();
}

/** A job's detail shown in a container element, kept current on request. */
export class JobDetail {
  constructor(panel, { onNavigate, onClose, onLoaded, closable = true } = {}) {
    this.panel = panel;
    this.onLoaded = onLoaded;
    this.onNavigate = onNavigate;
    this.onClose = onClose;
    this.closable = closable;
    this.guid = '';
    this.controller = null;
    this.openSoon = debounce((guid) => this.load(guid), 120);
    this.refreshSoon = debounce(() => this.guid && this.load(this.guid, { keepScroll: true }), 500);
    this.onClick = (event) => {
      const target = event.target.closest('button[data-guid], button.close');
      if (!target) return;
      if (target.classList.contains('close')) this.close();
      else if (this.onNavigate) this.onNavigate(target.dataset.guid);
      else navigate('job', { guid: target.dataset.guid });
    };
    panel.addEventListener('click', this.onClick);
    this.sheriff = bindSheriff(panel, {
      job: () => this.job,
      done: () => this.guid && this.load(this.guid, { keepScroll: true }),
    });
    // The token box changed: the failure summary's hint about it may no longer hold.
    this.stopToken = onTokenChange(() => this.job && this.refreshSoon());
  }

  open(guid, { soon = false } = {}) {
    if (this.closable) {
      this.panel.hidden = false;
      document.body.classList.add('with-detail');
    }
    if (guid === this.guid && !this.failed) return;
    this.guid = guid;
    if (soon) this.openSoon(guid);
    else this.load(guid);
  }

  async load(guid, { keepScroll = false } = {}) {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const scroll = this.panel.scrollTop;
    if (!keepScroll) this.panel.setAttribute('aria-busy', 'true');
    try {
      const have = await features();
      const data = await gql(detailQuery(have), { guid, tests: TESTS_ASKED }, { signal: controller.signal });
      if (controller.signal.aborted || guid !== this.guid) return;
      this.failed = false;
      this.job = data.job;
      const typed = keepScroll ? typedForm(this.panel) : null;
      this.panel.innerHTML = data.job
        ? detailHtml(data.job, { closable: this.closable, have })
        : `<p class="empty">No job ${esc(guid)}.</p>${this.closable ? '<button type="button" class="close" aria-label="close">×</button>' : ''}`;
      if (typed) restoreForm(this.panel, typed);
      this.sheriff.redraw();
      this.panel.scrollTop = keepScroll ? scroll : 0;
      if (data.job && this.onLoaded) this.onLoaded(data.job);
    } catch (error) {
      if (error.name === 'AbortError') return;
      this.failed = true;
      this.panel.innerHTML = errorBox(error);
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.panel.removeAttribute('aria-busy');
      }
    }
  }

  close({ quiet = false } = {}) {
    this.openSoon.cancel();
    this.refreshSoon.cancel();
    if (this.controller) this.controller.abort();
    this.guid = '';
    this.job = null;
    if (this.closable) {
      this.panel.hidden = true;
      this.panel.innerHTML = '';
      document.body.classList.remove('with-detail');
    }
    if (!quiet && this.onClose) this.onClose();
  }

  destroy() {
    this.close({ quiet: true });
    this.panel.removeEventListener('click', this.onClick);
    this.sheriff.unbind();
    this.stopToken();
  }
}

/**
 * `#/job?guid=`: one job's detail as a page, following its repository's job changes and
 * classification changes.
 */
const JOB_CHANGED = `subscription JobPage($repo: String!, $after: String) {
  jobChanged(repository: $repo, after: $after) { cursor job { guid } }
}`;
const CLASSIFICATION_CHANGED = `subscription JobPageClassifications($repo: String!, $after: String) {
  classificationChanged(repository: $repo, after: $after) { cursor job { guid } }
}`;

export class JobView {
  constructor(root, route, ctx = {}) {
    root.innerHTML = '<article class="job-page"></article>';
    this.ctx = ctx;
    this.detail = new JobDetail(root.firstElementChild, {
      closable: false,
      onLoaded: (job) => this.follow(job),
    });
    this.stops = [];
    this.update(route);
  }

  update(route) {
    const guid = route.params.get('guid') || '';
    if (guid) this.detail.open(guid);
    return true;
  }

  /** Shows the job's repository in the header and refreshes when the job or a neighbour changes. */
  async follow(job) {
    const repo = job.repository.name;
    if (this.ctx.showRepository) this.ctx.showRepository(repo);
    this.shown = new Set([job.guid, ...job.dependencies.map((d) => d.job.guid), ...job.dependents.map((d) => d.job.guid)]);
    if (repo === this.repo) return;
    this.stop();
    this.repo = repo;
    this.stops = [
      live.subscribe(JOB_CHANGED, { repo }, (data) => {
        if (data.jobChanged && this.shown.has(data.jobChanged.job.guid)) this.detail.refreshSoon();
      }),
      live.onResync(() => this.detail.refreshSoon()),
    ];
    const have = await features();
    if (have.live && this.repo === repo && !this.stopped) {
      this.stops.push(live.subscribe(CLASSIFICATION_CHANGED, { repo }, (data) => {
        const changed = data.classificationChanged;
        if (changed && changed.job && changed.job.guid === this.detail.guid) this.detail.refreshSoon();
      }));
    }
  }

  stop() {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  unmount() {
    this.stopped = true;
    this.stop();
    this.detail.destroy();
  }
}
