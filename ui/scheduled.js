// Scheduled jobs of a repository: last run, last success and failure, overdue ones flagged.
// Kept live: a scheduled job of the repository that changes re-reads the table.

import { gql, live } from './graphql.js';
import { href } from './router.js';
import { esc, badge, statusOf, timeAgo, duration, errorBox, debounce } from './util.js';

const SCHEDULED_QUERY = `query Scheduled($repo: String!) {
  scheduledJobs(repository: $repo) {
    name intervalSeconds state dueAt overdue
    lastRun { guid state result startedAt finishedAt }
    lastSuccess { guid finishedAt }
    lastFailure { guid result finishedAt }
  }
}`;

const JOB_CHANGED = `subscription ScheduledJobs($repo: String!, $after: String) {
  jobChanged(repository: $repo, after: $after) { cursor job { kind } }
}`;

function runLink(job, text) {
  return job ? `<a href="${esc(href('job', { guid: job.guid }))}">${text}</a>` : '<span class="none">never</span>';
}

export class ScheduledView {
  constructor(root, route, ctx) {
    this.root = root;
    this.repo = ctx.repo;
    this.generation = 0;
    this.stops = [];
    this.refreshSoon = debounce(() => this.load({ quiet: true }), 400);
    if (this.repo) {
      this.stops = [
        live.subscribe(JOB_CHANGED, { repo: this.repo }, (data) => {
          if (data.jobChanged && data.jobChanged.job.kind === 'SCHEDULED') this.refreshSoon();
        }),
        live.onResync(() => this.refreshSoon()),
      ];
    }
    this.load();
  }

  update(route) {
    return (route.params.get('repo') || '') === this.repo;
  }

  unmount() {
    this.generation += 1;
    this.refreshSoon.cancel();
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  /** Reads the table (`quiet`: a live refresh, drawn over the table it replaces). */
  async load({ quiet = false } = {}) {
    const generation = ++this.generation;
    if (!quiet) this.root.innerHTML = `<h1>Scheduled jobs of ${esc(this.repo)}</h1><p class="loading">Loading…</p>`;
    if (!this.repo) {
      this.root.innerHTML = '<h1>Scheduled jobs</h1><p class="empty">No repository yet.</p>';
      return;
    }
    try {
      const data = await gql(SCHEDULED_QUERY, { repo: this.repo });
      if (generation !== this.generation) return;
      const jobs = [...data.scheduledJobs].sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.name.localeCompare(b.name));
      const overdue = jobs.filter((j) => j.overdue).length;
      const rows = jobs.map((j) => `<tr class="${j.overdue ? 'overdue' : ''}">
<td>${esc(j.name)}${j.overdue ? ' <strong class="flag">⚠ overdue</strong>' : ''}</td>
<td>${j.intervalSeconds ? `every ${esc(duration(j.intervalSeconds))}` : '<span class="none">undeclared</span>'}</td>
<td>${j.lastRun ? `${runLink(j.lastRun, timeAgo(j.lastRun.startedAt || j.lastRun.finishedAt) || 'run')} ${badge(statusOf(j.lastRun))}` : runLink(null)}</td>
<td>${runLink(j.lastSuccess, j.lastSuccess ? timeAgo(j.lastSuccess.finishedAt) || 'yes' : '')}</td>
<td>${j.lastFailure ? `${runLink(j.lastFailure, timeAgo(j.lastFailure.finishedAt) || 'yes')} ${badge(j.lastFailure.result)}` : runLink(null)}</td>
<td>${j.dueAt ? timeAgo(j.dueAt) : ''}</td></tr>`).join('');
      this.root.innerHTML = `<h1>Scheduled jobs of ${esc(this.repo)}</h1>
<p>${jobs.length} scheduled job${jobs.length === 1 ? '' : 's'}${overdue ? `, <strong>${overdue} overdue</strong>` : ''}.</p>
${jobs.length ? `<table class="scheduled"><thead><tr><th>name</th><th>interval</th><th>last run</th><th>last success</th><th>last failure</th><th>due</th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="empty">No scheduled jobs.</p>'}`;
    } catch (error) {
      if (generation === this.generation) this.root.innerHTML = `<h1>Scheduled jobs</h1>${errorBox(error)}`;
    }
  }
}
