// The shell of treeherd's UI: the header (views, repository, live status, the token to write
// with), the router that mounts one view at a time, and the job detail panel the push list
// shares. Before the first view mounts it asks which sheriffing fields the server has
// (features.js), beside the list of repositories.

import { gql, live } from './graphql.js';
import { currentRoute, href, navigate, withParams } from './router.js';
import { errorBox, esc } from './util.js';
import { PushesView } from './pushes.js';
import { JobView } from './jobdetail.js';
import { GraphView } from './depgraph.js';
import { MachinesView } from './machines.js';
import { ScheduledView } from './scheduled.js';
import { ReleasesView } from './releases.js';
import { LogView } from './logview.js';
import { IntermittentsView } from './intermittents.js';
import { features } from './features.js';
import { mountToken } from './token.js';

const VIEW_CLASSES = {
  pushes: PushesView,
  job: JobView,
  graph: GraphView,
  machines: MachinesView,
  scheduled: ScheduledView,
  releases: ReleasesView,
  log: LogView,
  intermittents: IntermittentsView,
};
const TITLES = {
  pushes: 'Pushes', job: 'Job', graph: 'Dependencies', machines: 'Machines',
  scheduled: 'Scheduled jobs', releases: 'Releases', log: 'Log',
  intermittents: 'Intermittent failures',
};
/** Views that show one repository, named in their address. */
const PER_REPOSITORY = new Set(['pushes', 'scheduled']);
/**
 * The badge says how the page follows changes. A view that shows data that changes subscribes
 * to it; with no subscription ('off': an empty page, or one still loading) the badge is hidden
 * rather than claiming a broken connection.
 */
const LIVE_TEXT = {
  live: '● live', connecting: '○ connecting…', reconnecting: '○ reconnecting…', off: '',
};
const LIVE_TITLE = {
  live: 'this page follows changes as they happen',
  connecting: 'connecting to follow changes',
  reconnecting: 'the connection dropped: reconnecting, then re-reading what the page shows',
  off: '',
};

const main = document.getElementById('main');
const detailPanel = document.getElementById('detail');
const repoSelect = document.getElementById('repo');
const liveEl = document.getElementById('live');

let repositories = [];
let view = null;
let viewName = '';
let viewRepo = '';
/** The repository the header shows: the route's, or the one the view said it is about. */
let shownRepo = '';
/** Counts views mounted, so a view that was replaced cannot change the header. */
let mounts = 0;
/** Whether the view (one about a job) said which repository it is about. */
let reported = false;

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

/**
 * Shows `repo` as the page's repository: the menu, the views' links and the title. A view
 * about one job (the job page, the dependency view) calls it through its context once it
 * knows the job's repository; until then the title names none.
 */
function showRepository(repo) {
  shownRepo = repo;
  fillRepositories(repo);
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    const name = link.dataset.view;
    link.href = href(name, PER_REPOSITORY.has(name) ? { repo } : {});
    if (name === viewName) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const about = repo && (PER_REPOSITORY.has(viewName) || reported);
  document.title = `${TITLES[viewName]}${about ? ` · ${repo}` : ''} · treeherd`;
}

function route() {
  const r = currentRoute();
  const repo = repositoryOf(r.params);
  if (PER_REPOSITORY.has(r.view) && repo && !r.params.get('repo')) {
    navigate(r.view, withParams(r.params, { repo }), { replace: true });
    return;
  }
  if (repo) remember(repo);
  const sameRepo = !PER_REPOSITORY.has(r.view) || viewRepo === repo;
  if (view && viewName === r.view && sameRepo && view.update(r)) {
    showRepository(PER_REPOSITORY.has(r.view) ? repo : shownRepo);
    return;
  }
  if (view) view.unmount();
  main.innerHTML = '';
  main.scrollTop = 0;
  viewName = r.view;
  viewRepo = repo;
  reported = false;
  showRepository(repo);
  mounts += 1;
  const mount = mounts;
  const ctx = {
    repo,
    detailPanel,
    /** The view is about `name` (its job's repository): the header says so. */
    showRepository: (name) => {
      if (mount !== mounts || !name) return;
      reported = true;
      remember(name);
      showRepository(name);
    },
  };
  view = new VIEW_CLASSES[r.view](main, r, ctx);
}

async function start() {
  mountToken(document.getElementById('token'));
  const asked = features();
  live.onStatus((status) => {
    liveEl.textContent = LIVE_TEXT[status] ?? status;
    liveEl.title = LIVE_TITLE[status] ?? '';
    liveEl.dataset.status = status;
    liveEl.hidden = status === 'off';
  });
  repoSelect.addEventListener('change', () => {
    const target = PER_REPOSITORY.has(viewName) ? viewName : 'pushes';
    navigate(target, { repo: repoSelect.value });
  });
  const listing = gql('{ repositories { name } }').then((data) => data.repositories.map((r) => r.name));
  if (currentRoute().params.get('repo')) {
    // The URL names the repository: the view starts once the server said what it has, the
    // menu fills when it can.
    await asked;
    window.addEventListener('hashchange', route);
    route();
    try {
      repositories = await listing;
      fillRepositories(shownRepo);
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
  await asked;
  window.addEventListener('hashchange', route);
  route();
}

start();
