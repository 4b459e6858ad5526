// The shell of treeherd's UI: the header (views, repository, live status), the router that
// mounts one view at a time, and the job detail panel the push list shares.

import { gql, live } from './graphql.js';
import { currentRoute, href, navigate, withParams } from './router.js';
import { errorBox, esc } from './util.js';
import { PushesView } from './pushes.js';
import { JobView } from './jobdetail.js';
import { GraphView } from './depgraph.js';
import { MachinesView } from './machines.js';
import { ScheduledView } from './scheduled.js';
import { ReleasesView } from './releases.js';

const VIEW_CLASSES = {
  pushes: PushesView,
  job: JobView,
  graph: GraphView,
  machines: MachinesView,
  scheduled: ScheduledView,
  releases: ReleasesView,
};
const TITLES = {
  pushes: 'Pushes', job: 'Job', graph: 'Dependencies', machines: 'Machines',
  scheduled: 'Scheduled jobs', releases: 'Releases',
};
/** Views that show one repository. */
const PER_REPOSITORY = new Set(['pushes', 'scheduled']);
const LIVE_TEXT = {
  live: '● live', connecting: '○ connecting…', reconnecting: '○ reconnecting…', off: '○ not live',
};

const main = document.getElementById('main');
const detailPanel = document.getElementById('detail');
const repoSelect = document.getElementById('repo');
const liveEl = document.getElementById('live');

let repositories = [];
let view = null;
let viewName = '';
let viewRepo = '';

function remembered() {
  try {
    return localStorage.getItem('treeherd.repo') || '';
  } catch {
    return '';
  }
}

function remember(repo) {
  try {
    localStorage.setItem('treeherd.repo', repo);
  } catch {
    // Storage may be off (private windows); the URL still says everything.
  }
}

function repositoryOf(params) {
  const asked = params.get('repo');
  if (asked) return asked;
  const saved = remembered();
  if (saved && repositories.includes(saved)) return saved;
  return repositories[0] || '';
}

function fillRepositories(current) {
  const names = repositories.includes(current) || !current ? repositories : [current, ...repositories];
  repoSelect.innerHTML = names.map((n) => `<option${n === current ? ' selected' : ''}>${esc(n)}</option>`).join('');
}

function route() {
  const r = currentRoute();
  const repo = repositoryOf(r.params);
  if (PER_REPOSITORY.has(r.view) && repo && !r.params.get('repo')) {
    navigate(r.view, withParams(r.params, { repo }), { replace: true });
    return;
  }
  if (repo) remember(repo);
  fillRepositories(repo);
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    const name = link.dataset.view;
    link.href = href(name, PER_REPOSITORY.has(name) ? { repo } : {});
    if (name === r.view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${TITLES[r.view]}${repo && PER_REPOSITORY.has(r.view) ? ` · ${repo}` : ''} · treeherd`;
  if (view && viewName === r.view && viewRepo === repo && view.update(r)) return;
  if (view) view.unmount();
  main.innerHTML = '';
  main.scrollTop = 0;
  viewName = r.view;
  viewRepo = repo;
  view = new VIEW_CLASSES[r.view](main, r, { repo, detailPanel });
}

async function start() {
  live.onStatus((status) => {
    liveEl.textContent = LIVE_TEXT[status] || status;
    liveEl.dataset.status = status;
  });
  repoSelect.addEventListener('change', () => {
    const target = PER_REPOSITORY.has(viewName) ? viewName : 'pushes';
    navigate(target, { repo: repoSelect.value });
  });
  const listing = gql('{ repositories { name } }').then((data) => data.repositories.map((r) => r.name));
  if (currentRoute().params.get('repo')) {
    // The URL names the repository: the view starts at once, the menu fills when it can.
    window.addEventListener('hashchange', route);
    route();
    try {
      repositories = await listing;
      fillRepositories(viewRepo);
    } catch (error) {
      console.warn('cannot list the repositories', error);
    }
    return;
  }
  try {
    repositories = await listing;
  } catch (error) {
    main.innerHTML = errorBox(error);
  }
  window.addEventListener('hashchange', route);
  route();
}

start();
