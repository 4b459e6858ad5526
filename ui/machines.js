// Machines: their state per build system (kept current by `machineChanged`), and how often
// each failed over the last days beside its platform, flaky ones flagged.

import { gql, live } from './graphql.js';
import { href, navigate, withParams } from './router.js';
import { esc, statusOf, STATUS_MARK, timeAgo, errorBox } from './util.js';

const PAGE = 100;
/** Build systems whose flakiness and changes are followed at once. */
const MAX_SYSTEMS = 5;
const MACHINE_STATES = ['IDLE', 'BUSY', 'OFFLINE', 'QUARANTINED'];
const STATE_MARK = { idle: '○', busy: '▶', offline: '◌', quarantined: '⊘' };

const MACHINE_FIELDS = `buildSystem name platform os state reason until lastSeenAt
  currentJob { guid name symbol state result }`;

const MACHINES_QUERY = `query Machines($buildSystem: String, $state: MachineState, $platform: String, $first: Int!, $after: String) {
  machines(buildSystem: $buildSystem, state: $state, platform: $platform, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { ${MACHINE_FIELDS} }
  }
}`;

const FLAKINESS_QUERY = `query Flakiness($buildSystem: String!, $since: DateTime!, $until: DateTime!) {
  machineFlakiness(buildSystem: $buildSystem, since: $since, until: $until) {
    buildSystem name platform jobs failed failureRate platformFailureRate flagged
  }
}`;

const MACHINE_SUBSCRIPTION = `subscription Machines($buildSystem: String!, $after: String) {
  machineChanged(buildSystem: $buildSystem, after: $after) { cursor machine { ${MACHINE_FIELDS} } }
}`;

const key = (m) => `${m.buildSystem}\u0000${m.name}`;
const percent = (x) => `${Math.round(x * 1000) / 10}%`;

function stateHtml(state) {
  const w = state.toLowerCase();
  return `<span class="mstate m-${w}">${STATE_MARK[w]} ${w}</span>`;
}

function rowHtml(m, flaky) {
  const job = m.currentJob;
  const jobCell = job
    ? `<a href="${esc(href('job', { guid: job.guid }))}"><span class="job s-${statusOf(job)}" aria-hidden="true">${esc(job.symbol || STATUS_MARK[statusOf(job)])}</span> ${esc(job.name)}</a>`
    : '';
  const f = flaky;
  return `<tr data-key="${esc(key(m))}" class="${f && f.flagged ? 'flagged' : ''}">
<td>${esc(m.name)}${f && f.flagged ? ' <strong class="flag">⚑ flaky</strong>' : ''}</td>
<td>${esc(m.buildSystem)}</td><td>${esc(m.platform || '')}</td>
<td>${stateHtml(m.state)}${m.reason ? ` <span class="reason">${esc(m.reason)}</span>` : ''}${m.until ? ` until ${timeAgo(m.until)}` : ''}</td>
<td>${jobCell}</td><td>${timeAgo(m.lastSeenAt)}</td>
<td>${f ? `${percent(f.failureRate)} <span class="of">of ${f.jobs} (platform ${percent(f.platformFailureRate)})</span>` : ''}</td></tr>`;
}

export class MachinesView {
  constructor(root, route) {
    this.root = root;
    this.update(route);
  }

  update(route) {
    this.params = route.params;
    this.stop();
    this.generation = (this.generation || 0) + 1;
    this.machines = new Map();
    this.flakiness = new Map();
    this.render();
    this.load();
    return true;
  }

  stop() {
    for (const stop of this.stops || []) stop();
    this.stops = [];
  }

  unmount() {
    this.generation += 1;
    this.stop();
  }

  render() {
    const p = this.params;
    const state = (p.get('state') || '').toUpperCase();
    this.root.innerHTML = `<h1>Machines</h1>
<form class="filters" aria-label="filter machines">
<label>Build system <input name="buildSystem" value="${esc(p.get('buildSystem') || '')}" size="14"></label>
<label>State <select name="state"><option value="">any</option>${MACHINE_STATES.map((s) => `<option value="${s}"${s === state ? ' selected' : ''}>${s.toLowerCase()}</option>`).join('')}</select></label>
<label>Platform <input name="platform" value="${esc(p.get('platform') || '')}" size="14"></label>
<label>Failure window <select name="days">${['1', '7', '30'].map((d) => `<option value="${d}"${d === (p.get('days') || '7') ? ' selected' : ''}>${d} d</option>`).join('')}</select></label>
</form>
<section class="flagged-list" aria-live="polite"></section>
<table class="machines"><thead><tr><th>machine</th><th>build system</th><th>platform</th><th>state</th><th>current job</th><th>last seen</th><th>failure rate</th></tr></thead><tbody></tbody></table>
<p class="more-row"><button type="button" class="load-more" hidden>More machines</button></p>`;
    this.tbody = this.root.querySelector('tbody');
    this.root.querySelector('form').addEventListener('change', (event) => {
      navigate('machines', withParams(this.params, { [event.target.name]: event.target.value.trim() }));
    });
    this.root.querySelector('form').addEventListener('submit', (event) => event.preventDefault());
    this.more = this.root.querySelector('.load-more');
    this.more.addEventListener('click', () => this.loadPage());
  }

  async load() {
    await this.loadPage();
    const generation = this.generation;
    const systems = this.params.get('buildSystem')
      ? [this.params.get('buildSystem')]
      : [...new Set([...this.machines.values()].map((m) => m.buildSystem))].slice(0, MAX_SYSTEMS);
    const days = Number(this.params.get('days') || 7);
    const until = new Date();
    const since = new Date(until.getTime() - days * 86400e3);
    await Promise.all(systems.map(async (buildSystem) => {
      try {
        const data = await gql(FLAKINESS_QUERY, { buildSystem, since: since.toISOString(), until: until.toISOString() });
        if (generation !== this.generation) return;
        // A machine that serves two platforms has an entry for each: the first (flagged
        // ones come first, then the worst) stands for it.
        for (const f of data.machineFlakiness) if (!this.flakiness.has(key(f))) this.flakiness.set(key(f), f);
      } catch (error) {
        console.warn('flakiness', error);
      }
    }));
    if (generation !== this.generation) return;
    this.renderRows();
    for (const buildSystem of systems) {
      this.stops.push(live.subscribe(MACHINE_SUBSCRIPTION, { buildSystem }, (data) => this.onMachine(data.machineChanged.machine)));
    }
  }

  async loadPage() {
    const generation = this.generation;
    const p = this.params;
    try {
      const data = await gql(MACHINES_QUERY, {
        buildSystem: p.get('buildSystem') || null,
        state: (p.get('state') || '').toUpperCase() || null,
        platform: p.get('platform') || null,
        first: PAGE,
        after: this.after || null,
      });
      if (generation !== this.generation) return;
      for (const m of data.machines.nodes) this.machines.set(key(m), m);
      this.after = data.machines.pageInfo.endCursor;
      this.more.hidden = !data.machines.pageInfo.hasNextPage;
      this.renderRows();
    } catch (error) {
      if (generation === this.generation) this.tbody.innerHTML = `<tr><td colspan="7">${errorBox(error)}</td></tr>`;
    }
  }

  renderRows() {
    const rows = [...this.machines.values()];
    this.tbody.innerHTML = rows.length
      ? rows.map((m) => rowHtml(m, this.flakiness.get(key(m)))).join('')
      : '<tr><td colspan="7" class="empty">No machines.</td></tr>';
    const flagged = [...this.flakiness.values()].filter((f) => f.flagged);
    this.root.querySelector('.flagged-list').innerHTML = flagged.length
      ? `<h2>⚑ Flaky machines</h2><ul>${flagged.map((f) => `<li><strong>${esc(f.name)}</strong> (${esc(f.buildSystem)}, ${esc(f.platform)}): ${f.failed} of ${f.jobs} jobs failed, ${percent(f.failureRate)} against ${percent(f.platformFailureRate)} on its platform</li>`).join('')}</ul>`
      : '';
  }

  /** A machine changed: patch its row (or add it when it is new and passes the filter). */
  onMachine(m) {
    if (!m) return;
    const p = this.params;
    const state = (p.get('state') || '').toUpperCase();
    if ((state && m.state !== state) || (p.get('platform') && m.platform !== p.get('platform'))) {
      if (this.machines.delete(key(m))) this.renderRows();
      return;
    }
    const known = this.machines.has(key(m));
    this.machines.set(key(m), m);
    const row = known && this.tbody.querySelector(`tr[data-key="${CSS.escape(key(m))}"]`);
    if (row) row.outerHTML = rowHtml(m, this.flakiness.get(key(m)));
    else this.renderRows();
  }
}
