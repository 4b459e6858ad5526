// End-to-end tests of treeherd's web UI in a real browser (Debian's chromium, driven by
// playwright-core), against a server started with demo data (`treeherd serve --demo`): the
// demo picture as a new user sees it, and beside it data of the tests' own, made through the
// GraphQL API as a build system would, for exact expectations.
//
//   node e2e.test.mjs [SERVER_URL]
//
// SERVER_URL (or TREEHERD_URL) defaults to http://127.0.0.1:8000. TREEHERD_TOKEN is a token
// with the `admin` scope. Screenshots go to TREEHERD_UI_SCREENSHOTS (default
// target/ui-screenshots at the repository root); CHROMIUM overrides /usr/bin/chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { graphqlClient } from './api.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.argv[2] || process.env.TREEHERD_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const TOKEN = process.env.TREEHERD_TOKEN || '';
const SHOTS = path.resolve(path.join(here, '../..'), process.env.TREEHERD_UI_SCREENSHOTS || 'target/ui-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** A repository of its own per run, so the test can run against any server. */
const REPO = `ui-${Date.now().toString(36)}`;
const PRODUCT = `fx-${REPO}`;
const PLATFORMS = ['linux64', 'windows11-64', 'macosx1470-64'];
const NOW = Date.now();
const iso = (msAgo) => new Date(NOW - msAgo).toISOString();
const MIN = 60e3;
const revision = (name) => crypto.createHash('sha1').update(`${REPO}/${name}`).digest('hex');

/** The newest push's failing mochitest: its log is parsed for the detail check. */
const FAILING = `${REPO}-3-linux64-M2`;
const BUILD = `${REPO}-3-linux64-B`;
const SIGNING = `${REPO}-3-linux64-Bs`;

const LOG = [
  '[taskcluster 2026-01-01T00:00:00.000Z] Task ID: abc',
  '[task 2026-01-01T00:00:01.000Z] 00:00:01     INFO - TEST-START | dom/tests/a.html',
  '[task 2026-01-01T00:00:02.000Z] 00:00:02     INFO - TEST-UNEXPECTED-FAIL | dom/tests/a.html | assertion failed: expected 1, got 2',
  '[task 2026-01-01T00:00:03.000Z] 00:00:03     INFO - TEST-OK | dom/tests/b.html',
  '[task 2026-01-01T00:00:04.000Z] 00:00:04    ERROR - TEST-UNEXPECTED-TIMEOUT | dom/tests/c.html | test timed out',
  '[taskcluster 2026-01-01T00:00:05.000Z] === Task Finished ===',
  '',
].join('\n');

let browser;
let logServer;
let jobCount = 0;
const pageErrors = [];

const api = graphqlClient(BASE, TOKEN);

const SUBMIT_JOBS = 'mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }';

/** The jobs of push `n` (1 oldest): per platform a build, 4 mochitests, 2 xpcshells, a lint. */
function jobsOf(n) {
  const jobs = [];
  const rev = revision(`push-${n}`);
  for (const platform of PLATFORMS) {
    const base = {
      repository: REPO, revision: rev, platform, buildSystem: 'taskcluster',
      submittedAt: iso((4 - n) * 40 * MIN + 30 * MIN),
    };
    const done = (result, machine) => ({
      state: 'COMPLETED', result, machine, startedAt: iso((4 - n) * 40 * MIN + 25 * MIN),
      finishedAt: iso((4 - n) * 40 * MIN + 5 * MIN),
    });
    const busted = n === 3 && platform === 'windows11-64';
    jobs.push({ ...base, guid: `${REPO}-${n}-${platform}-B`, kind: 'BUILD', name: `build-${platform}/opt`,
      symbol: 'B', ...done(busted ? 'BUSTED' : 'SUCCESS', `b-${platform}-1`) });
    for (let chunk = 1; chunk <= 4; chunk += 1) {
      let status = done('SUCCESS', `t-${platform}-${chunk}`);
      if (n === 3 && platform === 'linux64' && chunk === 2) status = done('TESTFAILED', 't-linux64-13');
      else if (n === 3 && chunk === 4) status = { state: 'RUNNING', machine: `t-${platform}-9`, startedAt: iso(3 * MIN) };
      else if (n === 3 && chunk === 3) status = { state: 'PENDING' };
      else if (n === 2 && chunk === 1 && platform === 'macosx1470-64') status = done('EXCEPTION', 't-mac-1');
      else if (n === 1 && chunk === 2 && platform === 'linux64') status = done('RETRY', 't-linux64-13');
      jobs.push({ ...base, guid: `${REPO}-${n}-${platform}-M${chunk}`, kind: 'TEST',
        name: `test-${platform}/opt-mochitest-plain-${chunk}`, symbol: String(chunk), groupSymbol: 'M',
        groupName: 'Mochitests', ...status });
    }
    for (let chunk = 1; chunk <= 2; chunk += 1) {
      jobs.push({ ...base, guid: `${REPO}-${n}-${platform}-X${chunk}`, kind: 'TEST',
        name: `test-${platform}/opt-xpcshell-${chunk}`, symbol: String(chunk), groupSymbol: 'X',
        groupName: 'XPCShell', ...(n === 2 && chunk === 2 ? done('USERCANCEL', 'x-1') : done('SUCCESS', `x-${platform}`)) });
    }
    jobs.push({ ...base, guid: `${REPO}-${n}-${platform}-ES`, kind: 'OTHER', name: `source-test-eslint-${platform}`,
      symbol: 'ES', tier: 2, ...done('SUCCESS', 'lint-1') });
  }
  if (n === 3) {
    jobs.push({ repository: REPO, revision: rev, platform: 'linux64', buildSystem: 'taskcluster', guid: SIGNING,
      kind: 'OTHER', name: 'build-signing-linux64/opt', symbol: 'Bs', state: 'PENDING' });
  }
  return jobs;
}

async function makeData() {
  await api('mutation($r: RepositoryInput!) { createRepository(input: $r) { name } }',
    { r: { name: REPO, vcs: 'HG', url: `https://hg.example/${REPO}` } });
  for (let n = 1; n <= 3; n += 1) {
    const rev = revision(`push-${n}`);
    await api('mutation($p: PushInput!) { submitPush(input: $p) { pushId } }', {
      p: {
        repository: REPO, revision: rev, author: `dev${n}@example.com`, pushedAt: iso((4 - n) * 40 * MIN),
        commits: [
          { revision: revision(`push-${n}-a`), author: `dev${n}@example.com`, message: `Bug ${1000 + n} - part 1: prepare\n\nLonger text.` },
          { revision: rev, author: `dev${n}@example.com`, message: `Bug ${1000 + n} - part 2: fix it r=reviewer` },
        ],
      },
    });
    const jobs = jobsOf(n);
    jobCount += jobs.length;
    await api(SUBMIT_JOBS, { jobs });
    const edges = [];
    for (const platform of PLATFORMS) {
      for (const suffix of ['M1', 'M2', 'M3', 'M4', 'X1', 'X2']) {
        edges.push({ dependent: `${REPO}-${n}-${platform}-${suffix}`, dependency: `${REPO}-${n}-${platform}-B`, kind: 'TEST' });
      }
    }
    if (n === 3) {
      edges.push({ dependent: SIGNING, dependency: BUILD, kind: 'GENERIC' });
      edges.push({ dependent: SIGNING, dependency: FAILING, kind: 'GENERIC' });
    }
    await api('mutation($e: [DependencyInput!]!) { addDependencies(input: $e) { added } }', { e: edges });
  }
  const { port } = logServer.address();
  await api(`mutation($job: String!, $url: String!) {
    attachArtifacts(job: $job, artifacts: [{name: "live_backing.log", kind: RAW_LOG, url: $url}]) { attached }
    submitTestResults(job: $job, results: [
      {test: "dom/tests/a.html", status: FAIL, message: "assertion failed: expected 1, got 2"},
      {test: "dom/tests/b.html", status: PASS}]) { test }
  }`, { job: FAILING, url: `http://127.0.0.1:${port}/live_backing.log` });
  await api(`mutation($p: ReleaseInput!) { createRelease(input: $p) { status } }`, {
    p: { product: PRODUCT, version: '99.0b1', buildNumber: 1, channel: 'beta', repository: REPO,
      revision: revision('push-3'), gates: [BUILD, FAILING, `${REPO}-3-linux64-M1`], locales: ['de', 'fr'] },
  });
  jobCount += 1; // the release job, on the newest push
  await api(`mutation($r: String!) {
    a: declareSchedule(repository: $r, name: "valgrind", every: "1h")
    b: declareSchedule(repository: $r, name: "periodic-update", every: "24h")
  }`, { r: REPO });
  await api(SUBMIT_JOBS, { jobs: [
    { guid: `${REPO}-valgrind-1`, repository: REPO, kind: 'SCHEDULED', name: 'valgrind', state: 'COMPLETED',
      result: 'SUCCESS', startedAt: iso(5 * 60 * MIN), finishedAt: iso(4 * 60 * MIN) },
    { guid: `${REPO}-update-1`, repository: REPO, kind: 'SCHEDULED', name: 'periodic-update', state: 'COMPLETED',
      result: 'SUCCESS', startedAt: iso(60 * MIN), finishedAt: iso(50 * MIN) },
  ] });
  // The parse worker fetches the log from the server above; wait for its error lines.
  const deadline = Date.now() + 60e3;
  for (;;) {
    const { job } = await api('query($g: String!) { job(guid: $g) { logs { status reason errors { line } } } }', { g: FAILING });
    const log = job.logs[0];
    if (log && log.status === 'PARSED' && log.errors.length) break;
    if (log && log.status === 'FAILED') throw new Error(`the log was not parsed: ${log.reason}`);
    if (Date.now() > deadline) throw new Error(`the log is still ${log && log.status} after 60 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function newPage({ width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`${page.url()}: console: ${message.text()}`);
  });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

const pushesUrl = (extra = '') => `${BASE}/#/pushes?repo=${REPO}${extra}`;

before(async () => {
  assert.ok(TOKEN, 'TREEHERD_TOKEN must hold an admin token');
  fs.mkdirSync(SHOTS, { recursive: true });
  logServer = http.createServer((request, response) => {
    if (request.url === '/live_backing.log') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(LOG);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise((resolve) => logServer.listen(0, '127.0.0.1', resolve));
  await makeData();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  if (browser) await browser.close();
  if (logServer) logServer.close();
  console.log(`screenshots in ${SHOTS}`);
});

test('the push list renders pushes newest first with their jobs and summaries', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(pushesUrl());
  await page.locator('.push').nth(2).waitFor();
  const ids = await page.locator('.push').evaluateAll((els) => els.map((e) => Number(e.dataset.push)));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  assert.equal(ids.length, 3);
  await page.waitForFunction((n) => document.querySelectorAll('.push .job').length === n, jobCount);
  const first = page.locator('.push').first();
  assert.match(await first.locator('.commits').innerText(), /Bug 1003 - part 2: fix it/);
  assert.match(await first.locator('.summary').innerText(), /1 testfailed/);
  assert.match(await first.locator('.summary').innerText(), /1 busted/);
  const platforms = await first.locator('.platform').allInnerTexts();
  assert.deepEqual(platforms, ['linux64', 'macosx1470-64', 'other', 'windows11-64']); // other: the release job
  // Colour is not the only signal: a failed symbol says what it is in its title.
  assert.match(await page.locator(`.job[data-guid="${FAILING}"]`).getAttribute('title'), /testfailed/);
  await shot(page, '01-pushes');
  await page.context().close();
});

test('a filter narrows the list and lives in the URL', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(pushesUrl());
  await page.waitForFunction((n) => document.querySelectorAll('.push .job').length === n, jobCount);
  await page.locator('select[name=result]').selectOption('testfailed');
  await page.waitForFunction(() => location.hash.includes('result=testfailed'));
  await page.waitForFunction(() => {
    const jobs = document.querySelectorAll('.push .job');
    return jobs.length === 1 && jobs[0].classList.contains('s-testfailed');
  });
  await shot(page, '02-filter-result');
  // The free-text filter on job names, and a shared address opens the same view.
  await page.goto(pushesUrl('&q=xpcshell%20windows'));
  await page.waitForFunction(() => document.querySelectorAll('.push .job').length === 6);
  const names = await page.locator('.push .job').evaluateAll((els) => els.map((e) => e.title));
  assert.ok(names.every((n) => n.includes('xpcshell') && n.includes('windows')), names.join(', '));
  await page.locator('input[name=q]').fill('mochitest');
  await page.waitForFunction(() => location.hash.includes('q=mochitest'));
  await page.waitForFunction(() => document.querySelectorAll('.push .job').length === 36);
  await page.locator('select[name=state]').selectOption('running');
  await page.waitForFunction(() => document.querySelectorAll('.push .job').length === 3);
  assert.match(page.url(), /state=running/);
  assert.match(page.url(), /q=mochitest/);
  await shot(page, '03-filter-text');
  await page.context().close();
});

test('clicking a job opens its detail with the parsed error lines', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(pushesUrl());
  await page.locator(`.job[data-guid="${FAILING}"]`).click();
  const detail = page.locator('#detail');
  await detail.locator('.log-error').first().waitFor();
  const errors = await detail.locator('.log-error').allInnerTexts();
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0], /TEST-UNEXPECTED-FAIL \| dom\/tests\/a.html/);
  assert.match(await detail.locator('.tests').innerText(), /dom\/tests\/a.html/);
  assert.match(await detail.locator('.dependencies').innerText(), /build-linux64\/opt/);
  assert.match(await detail.locator('.dependents').innerText(), /build-signing-linux64/);
  assert.match(await detail.locator('.core').innerText(), /t-linux64-13/);
  assert.match(page.url(), new RegExp(`job=${FAILING}`));
  await shot(page, '04-job-detail');
  // Keyboard: the next job, then Escape closes the panel.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((g) => {
    const selected = document.querySelector('.job.selected');
    return selected && selected.dataset.guid !== g && document.activeElement === selected;
  }, FAILING);
  const next = await page.locator('.job.selected').getAttribute('data-guid');
  await page.waitForFunction((g) => document.querySelector('#detail .core')?.textContent.includes(g) ?? false, next);
  await page.keyboard.press('k');
  await page.waitForFunction((g) => document.querySelector('.job.selected')?.dataset.guid === g, FAILING);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('#detail').hidden);
  // A symbol is a button to assistive technology, and Enter on it opens it as on one.
  const symbol = page.getByRole('button').and(page.locator(`[data-guid="${FAILING}"]`));
  await symbol.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((g) => !document.querySelector('#detail').hidden
    && (document.querySelector('#detail .core')?.textContent.includes(g) ?? false), FAILING);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('#detail').hidden);
  // Tabbing into the list, with no job selected, lands on the first one and opens it.
  await page.locator('.legend summary').focus();
  await page.keyboard.press('Tab');
  const firstJob = await page.locator('.push .job').first().getAttribute('data-guid');
  await page.waitForFunction((g) => {
    const selected = document.querySelector('.job.selected');
    return selected?.dataset.guid === g && document.activeElement === selected
      && (document.querySelector('#detail .core')?.textContent.includes(g) ?? false);
  }, firstJob);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('#detail').hidden);
  // A narrow window shows the same detail over the list.
  await page.setViewportSize({ width: 420, height: 800 });
  await shot(page, '05-narrow-pushes');
  await page.locator(`.job[data-guid="${FAILING}"]`).click();
  await page.locator('#detail .log-error').first().waitFor();
  await shot(page, '05-narrow-detail');
  await page.context().close();
});

test('the dependency view renders, marks blockers and navigates', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(pushesUrl(`&job=${SIGNING}`));
  await page.locator('#detail .graph-link').click();
  await page.waitForFunction(() => location.hash.startsWith('#/graph'));
  const svg = page.locator('svg.depgraph');
  await svg.waitFor();
  // Signing waits on the linux64 build and the failing test (which waits on the build too);
  // nothing waits on signing.
  await page.waitForFunction(() => document.querySelectorAll('svg.depgraph .node').length === 3);
  assert.equal(await svg.locator('.node.focus').getAttribute('data-guid'), SIGNING);
  assert.equal(await svg.locator('.node.blocker').getAttribute('data-guid'), FAILING);
  assert.match(await page.locator('.graph-side .blockers').innerText(), /mochitest-plain-2/);
  assert.ok(await svg.locator('.edge.crit').count() >= 1, 'the critical path is drawn');
  await shot(page, '06-dependencies');
  await svg.locator(`.node[data-guid="${BUILD}"]`).click();
  await page.waitForFunction((g) => document.querySelector('svg.depgraph .node.focus')?.dataset.guid === g, BUILD);
  assert.match(page.url(), new RegExp(`job=${BUILD}`));
  // Downstream of the build: its 6 tests, signing and the release job.
  await page.waitForFunction(() => document.querySelectorAll('svg.depgraph .node').length === 9);
  await shot(page, '07-dependencies-moved');
  // Upstream only from the build: itself alone.
  await page.locator('select[name=dir]').selectOption('upstream');
  await page.waitForFunction(() => document.querySelectorAll('svg.depgraph .node').length === 1);
  assert.match(page.url(), /dir=upstream/);
  await page.context().close();
});

test('jobs and pushes submitted through the API appear without a reload', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(pushesUrl());
  await page.locator('.push').nth(2).waitFor();
  await page.waitForSelector('#live[data-status="live"]');
  await page.evaluate(() => { window.notReloaded = true; });
  // The subscription is registered just after the acknowledgement; give it a moment.
  await page.waitForTimeout(300);
  const rev = revision('push-3');
  const guid = `${REPO}-3-linux64-live`;
  await api(SUBMIT_JOBS, { jobs: [{ guid, repository: REPO, revision: rev, kind: 'TEST', name: 'test-linux64/opt-live-1',
    symbol: 'L1', platform: 'linux64', state: 'RUNNING', startedAt: new Date().toISOString() }] });
  const symbol = page.locator(`.job[data-guid="${guid}"]`);
  await symbol.waitFor({ timeout: 10000 });
  assert.match(await symbol.getAttribute('class'), /s-running/);
  await api(SUBMIT_JOBS, { jobs: [{ guid, repository: REPO, revision: rev, kind: 'TEST', name: 'test-linux64/opt-live-1',
    symbol: 'L1', platform: 'linux64', state: 'COMPLETED', result: 'BUSTED', finishedAt: new Date().toISOString() }] });
  await page.waitForFunction((g) => document.querySelector(`.job[data-guid="${g}"]`)?.classList.contains('s-busted'), guid);
  await page.waitForFunction(() => /2 busted/.test(document.querySelector('.push .summary').textContent));
  // A new push arrives on top, then its job.
  const rev4 = revision('push-4');
  await api('mutation($p: PushInput!) { submitPush(input: $p) { pushId } }', {
    p: { repository: REPO, revision: rev4, author: 'live@example.com', pushedAt: new Date().toISOString(),
      commits: [{ revision: rev4, author: 'live@example.com', message: 'Bug 2000 - arrives live' }] },
  });
  await page.waitForFunction(() => /arrives live/.test(document.querySelector('.push .commits')?.textContent || ''));
  await api(SUBMIT_JOBS, { jobs: [{ guid: `${REPO}-4-B`, repository: REPO, revision: rev4, kind: 'BUILD',
    name: 'build-linux64/opt', symbol: 'B', platform: 'linux64', state: 'PENDING' }] });
  await page.locator(`.push >> nth=0 >> .job[data-guid="${REPO}-4-B"]`).waitFor({ timeout: 10000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  assert.equal(await page.locator('.push').count(), 4);
  await shot(page, '08-live');
  await page.context().close();
});

test('a page that loses its socket resumes after its last event: what was written meanwhile shows', { timeout: 60e3 }, async () => {
  const page = await newPage();
  // Keep the page's sockets and what it sends, to drop one and to read its subscribes.
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    window.sockets = [];
    window.sent = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.sockets.push(this);
      }

      send(data) {
        window.sent.push(String(data));
        super.send(data);
      }
    };
  });
  await page.goto(pushesUrl());
  await page.locator('.push').nth(2).waitFor();
  await page.waitForSelector('#live[data-status="live"]');
  await page.waitForTimeout(300);
  await page.evaluate(() => { window.notReloaded = true; });
  // The socket drops; the page waits a second before it reconnects. A job is written meanwhile.
  await page.evaluate(() => { window.sent = []; window.sockets.at(-1).close(); });
  const guid = `${REPO}-3-linux64-resumed`;
  await api(SUBMIT_JOBS, { jobs: [{ guid, repository: REPO, revision: revision('push-3'), kind: 'TEST',
    name: 'test-linux64/opt-resumed-1', symbol: 'R1', platform: 'linux64', state: 'RUNNING',
    startedAt: new Date().toISOString() }] });
  await page.locator(`.job[data-guid="${guid}"]`).waitFor({ timeout: 10000 });
  await page.waitForSelector('#live[data-status="live"]');
  const subscribes = await page.evaluate(() => window.sent.map((m) => JSON.parse(m)).filter((m) => m.type === 'subscribe'));
  assert.ok(subscribes.length >= 2, JSON.stringify(subscribes));
  for (const message of subscribes) {
    assert.match(String(message.payload.variables.after), /^[0-9]+$/, `resumed after a cursor: ${JSON.stringify(message)}`);
  }
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  await page.context().close();
});

test('machines, scheduled jobs and releases render', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(`${BASE}/#/machines?buildSystem=taskcluster`);
  await page.locator('table.machines tbody tr[data-key]').first().waitFor();
  // The demo's machines were seen first: ours are on a later page.
  for (let pages = 0; !(await page.locator('table.machines').innerText()).includes('t-linux64-13'); pages += 1) {
    assert.ok(pages < 10, 't-linux64-13 is not listed');
    const rows = await page.locator('table.machines tbody tr[data-key]').count();
    await page.locator('.load-more').click();
    await page.waitForFunction((n) => document.querySelectorAll('table.machines tbody tr[data-key]').length > n, rows);
  }
  await shot(page, '09-machines');
  await page.goto(`${BASE}/#/scheduled?repo=${REPO}`);
  await page.locator('table.scheduled').waitFor();
  const overdue = await page.locator('tr.overdue').allInnerTexts();
  assert.equal(overdue.length, 1, overdue.join('\n'));
  assert.match(overdue[0], /valgrind/);
  assert.match(overdue[0], /overdue/);
  await shot(page, '10-scheduled');
  await page.goto(`${BASE}/#/releases?product=${PRODUCT}`);
  const release = page.locator('article.release');
  await release.waitFor();
  assert.match(await release.locator('.rstatus').innerText(), /blocked/);
  assert.match(await release.locator('.blockers').innerText(), /mochitest-plain-2/);
  assert.match(await release.locator('.locales summary').innerText(), /2 locales/);
  await shot(page, '11-releases');
  await page.context().close();
});

// ---- On the demo data (`treeherd serve --demo`), as a new user first sees it ----

const DEMO_REPO = 'autoland';

/** A recent autoland job that failed, with a parsed log. */
async function demoFailure() {
  const data = await api(`{ jobs(repository: "${DEMO_REPO}", filter: {result: TESTFAILED}, first: 20) {
    nodes { guid name push { revision } logs { status errorCount } } } }`);
  return data.jobs.nodes.find((j) => j.logs.some((l) => l.status === 'PARSED' && l.errorCount > 0));
}

test('the demo: the push list opens on autoland with its pushes and jobs', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  await page.waitForFunction((r) => location.hash.startsWith(`#/pushes?repo=${r}`), DEMO_REPO);
  await page.locator('.push').nth(9).waitFor();
  const ids = await page.locator('.push').evaluateAll((els) => els.map((e) => Number(e.dataset.push)));
  assert.equal(ids[0], 200, 'the newest of the 200 autoland pushes first');
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  // Every job of the first ten pushes is drawn (the summaries count them).
  await page.waitForFunction(() => [...document.querySelectorAll('.push')].slice(0, 10).every((push) => {
    const total = Number(/(\d+) jobs?/.exec(push.querySelector('.summary').textContent)?.[1] || -1);
    return push.querySelectorAll('.job').length === total;
  }));
  const first = page.locator('.push').first();
  const platforms = await first.locator('.platform').allInnerTexts();
  for (const platform of ['linux64', 'windows11-64', 'macosx1470-64', 'android-em-7.0-x86_64']) {
    assert.ok(platforms.includes(platform), platforms.join(', '));
  }
  assert.match(await first.locator('.commits').innerText(), /Bug \d+ - /);
  // The newest push is still running; older ones are mostly green with some failures.
  assert.ok(await first.locator('.job.s-running, .job.s-pending, .job.s-unscheduled').count() > 0);
  const shown = await page.locator('.push .job').evaluateAll((els) => els.map((e) => [...e.classList].find((c) => c.startsWith('s-'))));
  const count = (word) => shown.filter((w) => w === word).length;
  assert.ok(count('s-success') > 10 * count('s-testfailed'), `${count('s-success')} green, ${count('s-testfailed')} orange`);
  assert.ok(count('s-testfailed') > 0, 'no failure shown');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, '20-demo-pushes');
  // A longer page of pushes, as the address can ask for (at most 50): the heads, then the
  // jobs in chunks asked for side by side. Every push ends with all its jobs, none loading.
  await page.goto(`${BASE}/#/pushes?repo=${DEMO_REPO}&count=50`);
  await page.waitForFunction(() => {
    const pushes = [...document.querySelectorAll('.push')];
    return pushes.length >= 50 && pushes.slice(0, 50).every((push) => {
      const total = Number(/(\d+) jobs?/.exec(push.querySelector('.summary').textContent)?.[1] || -1);
      return push.querySelectorAll('.job').length === total;
    });
  });
  assert.equal(await page.locator('p.error').count(), 0, await page.locator('main').innerText());
  assert.equal(await page.locator('.push .nojobs').count(), 0);
  await page.context().close();
});

test('the demo: filters narrow the list to failures, and to words of job names', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(`${BASE}/#/pushes?repo=${DEMO_REPO}`);
  await page.locator('.push').nth(9).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.push .job').length > 1000);
  const all = await page.locator('.push .job').count();
  await page.locator('select[name=result]').selectOption('testfailed');
  await page.waitForFunction(() => location.hash.includes('result=testfailed'));
  await page.waitForFunction(() => {
    const jobs = [...document.querySelectorAll('.push .job')];
    return jobs.length > 0 && jobs.every((j) => j.classList.contains('s-testfailed'));
  });
  assert.ok(await page.locator('.push .job').count() < all / 10);
  await shot(page, '21-demo-filter-result');
  await page.goto(`${BASE}/#/pushes?repo=${DEMO_REPO}&q=xpcshell%20linux64`);
  await page.waitForFunction(() => document.querySelectorAll('.push .job').length > 0);
  const names = await page.locator('.push .job').evaluateAll((els) => els.map((e) => e.title));
  assert.ok(names.every((n) => n.includes('xpcshell') && n.includes('linux64')), names.join(', '));
  await page.context().close();
});

test('the demo: a failed job opens with its parsed log, test results and dependency view', { timeout: 60e3 }, async () => {
  const failure = await demoFailure();
  assert.ok(failure, 'no failed autoland job with a parsed log');
  const page = await newPage();
  await page.goto(`${BASE}/#/pushes?repo=${DEMO_REPO}&rev=${failure.push.revision}`);
  const symbol = page.locator(`.job[data-guid="${failure.guid}"]`);
  await symbol.click();
  const detail = page.locator('#detail');
  await detail.locator('.log-error').first().waitFor();
  const errors = await detail.locator('.log-error').allInnerTexts();
  assert.equal(errors.length, failure.logs[0].errorCount, errors.join('\n'));
  assert.ok(errors.every((e) => /TEST-UNEXPECTED-(FAIL|TIMEOUT)/.test(e)), errors.join('\n'));
  assert.match(await detail.locator('.logs .steps summary').innerText(), /\d+ steps/);
  assert.match(await detail.locator('.tests').innerText(), /✗ FAIL/);
  assert.match(await detail.locator('.dependencies').innerText(), /build-/);
  await shot(page, '22-demo-job-detail');
  // Its dependency view: the build it tests, the docker image, the build's toolchain.
  await detail.locator('.graph-link').click();
  const svg = page.locator('svg.depgraph');
  await svg.waitFor();
  await page.waitForFunction((g) => document.querySelector('svg.depgraph .node.focus')?.dataset.guid === g, failure.guid);
  assert.ok(await svg.locator('.node').count() >= 4);
  await shot(page, '23-demo-dependencies');
  const build = await svg.locator('.node', { hasText: 'build-' }).first().getAttribute('data-guid');
  await svg.locator(`.node[data-guid="${build}"]`).click();
  await page.waitForFunction((g) => document.querySelector('svg.depgraph .node.focus')?.dataset.guid === g, build);
  assert.match(page.url(), new RegExp(`job=${build}`));
  // Downstream of a build: its tests (and repacks).
  await page.waitForFunction(() => document.querySelectorAll('svg.depgraph .node').length > 20);
  await page.context().close();
});

test('the demo: a job submitted to the newest push appears without a reload', { timeout: 60e3 }, async () => {
  const { repository } = await api(`{ repository(name: "${DEMO_REPO}") { pushes(first: 1) { nodes { revision } } } }`);
  const rev = repository.pushes.nodes[0].revision;
  const page = await newPage();
  await page.goto(`${BASE}/#/pushes?repo=${DEMO_REPO}`);
  await page.locator('.push').first().waitFor();
  await page.waitForSelector('#live[data-status="live"]');
  await page.evaluate(() => { window.notReloaded = true; });
  await page.waitForTimeout(300);
  const guid = `demo-live-${Date.now().toString(36)}`;
  await api(SUBMIT_JOBS, { jobs: [{ guid, repository: DEMO_REPO, revision: rev, kind: 'TEST', buildSystem: 'taskcluster',
    name: 'test-linux64/opt-mochitest-a11y', symbol: 'a11y', groupSymbol: 'M', platform: 'linux64', state: 'RUNNING',
    machine: 't-linux-007', startedAt: new Date().toISOString() }] });
  await page.locator(`.push >> nth=0 >> .job[data-guid="${guid}"]`).waitFor({ timeout: 10000 });
  assert.match(await page.locator(`.job[data-guid="${guid}"]`).getAttribute('class'), /s-running/);
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  await page.context().close();
});

test('the demo: machines, scheduled jobs and nightlies', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(`${BASE}/#/machines?buildSystem=taskcluster`);
  const flaky = page.locator('table.machines tr.flagged', { hasText: 't-linux-013' });
  await flaky.waitFor();
  assert.match(await flaky.innerText(), /quarantined/);
  assert.match(await page.locator('.flagged-list').innerText(), /t-linux-013/);
  await shot(page, '24-demo-machines');
  await page.goto(`${BASE}/#/scheduled?repo=mozilla-central`);
  await page.locator('table.scheduled').waitFor();
  const overdue = await page.locator('tr.overdue').allInnerTexts();
  assert.equal(overdue.length, 1, overdue.join('\n'));
  assert.match(overdue[0], /bouncer-check/);
  assert.match(await page.locator('table.scheduled').innerText(), /valgrind/);
  await page.goto(`${BASE}/#/releases?product=firefox`);
  await page.locator('article.release').first().waitFor();
  const releases = await page.locator('article.release h2').allInnerTexts();
  assert.ok(releases.length >= 2, releases.join('\n'));
  assert.ok(releases.every((r) => /firefox 148\.0a1 build \d+/.test(r)), releases.join('\n'));
  assert.match(await page.locator('article.release .locales summary').first().innerText(), /9 locales × 6 platforms, 6 missing/);
  await shot(page, '25-demo-releases');
  await page.context().close();
});

// ---- The rough edges a new user met (issue 15): each page tells the truth ----

/** Waits until the header's live badge says `status` (and is shown). */
async function badgeSays(page, status) {
  await page.waitForFunction((s) => {
    const badge = document.querySelector('#live');
    return badge && !badge.hidden && badge.dataset.status === s;
  }, status);
}

test('the live badge: every page that shows changing data follows it, and a page that follows nothing claims nothing', { timeout: 90e3 }, async () => {
  const page = await newPage();
  const rev = revision('push-3');
  const job = (guid, extra) => ({ guid, repository: REPO, revision: rev, kind: 'TEST', name: `test-linux64/opt-${guid}`,
    symbol: 'Lb', platform: 'linux64', buildSystem: 'taskcluster', ...extra });
  // The job page: live, and a change to the job shows without a reload.
  const watched = `${REPO}-badge-job`;
  await api(SUBMIT_JOBS, { jobs: [job(watched, { state: 'RUNNING', startedAt: new Date().toISOString() })] });
  await page.goto(`${BASE}/#/job?guid=${watched}`);
  await page.locator('.job-page .detail-status').waitFor();
  await badgeSays(page, 'live');
  await page.evaluate(() => { window.notReloaded = true; });
  await page.waitForTimeout(300);
  await api(SUBMIT_JOBS, { jobs: [job(watched, { state: 'COMPLETED', result: 'BUSTED', finishedAt: new Date().toISOString() })] });
  await page.waitForFunction(() => /busted/.test(document.querySelector('.job-page .detail-status')?.textContent || ''));
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  await shot(page, '30-job-page-live');
  // The dependency view: live, and a drawn job that changes is redrawn.
  const drawn = `${REPO}-badge-graph`;
  await api(SUBMIT_JOBS, { jobs: [job(drawn, { state: 'RUNNING', startedAt: new Date().toISOString() })] });
  await api('mutation($e: [DependencyInput!]!) { addDependencies(input: $e) { added } }',
    { e: [{ dependent: drawn, dependency: BUILD, kind: 'TEST' }] });
  await page.goto(`${BASE}/#/graph?job=${BUILD}&dir=downstream&depth=1`);
  await page.locator(`svg.depgraph .node[data-guid="${drawn}"]`).waitFor();
  assert.match(await page.locator(`svg.depgraph .node[data-guid="${drawn}"]`).getAttribute('class'), /s-running/);
  await badgeSays(page, 'live');
  await page.waitForTimeout(300);
  await api(SUBMIT_JOBS, { jobs: [job(drawn, { state: 'COMPLETED', result: 'SUCCESS', finishedAt: new Date().toISOString() })] });
  await page.waitForFunction((g) => document.querySelector(`svg.depgraph .node[data-guid="${g}"]`)?.classList.contains('s-success'), drawn);
  // Scheduled jobs: live, and a new run of the overdue one clears its flag.
  await page.goto(`${BASE}/#/scheduled?repo=${REPO}`);
  await page.locator('tr.overdue', { hasText: 'valgrind' }).waitFor();
  await badgeSays(page, 'live');
  await page.waitForTimeout(300);
  await api(SUBMIT_JOBS, { jobs: [{ guid: `${REPO}-valgrind-2`, repository: REPO, kind: 'SCHEDULED', name: 'valgrind',
    state: 'COMPLETED', result: 'SUCCESS', startedAt: iso(-1000), finishedAt: new Date().toISOString() }] });
  await page.waitForFunction(() => document.querySelectorAll('tr.overdue').length === 0);
  // Releases: live, and the release job that starts shows as running.
  const { releases } = await api(`{ releases(product: "${PRODUCT}", first: 1) { nodes { job { guid name kind state } } } }`);
  const releaseJob = releases.nodes[0].job;
  await page.goto(`${BASE}/#/releases?product=${PRODUCT}`);
  await page.locator('article.release').waitFor();
  await badgeSays(page, 'live');
  await page.waitForTimeout(300);
  await api(SUBMIT_JOBS, { jobs: [{ guid: releaseJob.guid, repository: REPO, revision: rev, kind: releaseJob.kind,
    name: releaseJob.name, state: 'RUNNING', startedAt: new Date().toISOString() }] });
  await page.waitForFunction(() => /release job\s+▶ running/.test(document.querySelector('article.release .meta')?.textContent || ''));
  await shot(page, '31-releases-live');
  // Pages with nothing to follow (no job named, a job that does not exist) show no badge.
  for (const empty of ['#/graph', '#/job?guid=no-such-job']) {
    await page.goto(`${BASE}/${empty}`);
    await page.locator('main .empty').waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#live').isVisible(), false, `${empty}: ${await page.locator('#live').textContent()}`);
    assert.doesNotMatch(await page.locator('header.top').innerText(), /not live/);
  }
  await page.context().close();
});

/** A demo build of mozilla-central that has run: its tests and repacks wait on it. */
async function demoBuild() {
  const { jobs } = await api(`{ jobs(repository: "mozilla-central", filter: {kind: BUILD, platform: "linux64", state: COMPLETED}, first: 1) {
    nodes { guid name dependents { kind } } } }`);
  return jobs.nodes[0];
}

/** The drawing's size on screen beside its box's, and its scale. */
function drawingMeasure(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('.graph-canvas');
    const drawing = document.querySelector('svg.depgraph .viewport').getBoundingClientRect();
    const box = canvas.getBoundingClientRect();
    return {
      width: drawing.width, height: drawing.height, left: drawing.left - box.left, top: drawing.top - box.top,
      boxWidth: canvas.clientWidth, boxHeight: canvas.clientHeight,
      scale: Number(document.querySelector('svg.depgraph').dataset.scale),
      transform: document.querySelector('svg.depgraph .viewport').getAttribute('transform'),
    };
  });
}

test('the demo: the dependency view of a build fits its box, zooms, pans and names suites and chunks', { timeout: 60e3 }, async () => {
  const build = await demoBuild();
  assert.ok(build.dependents.length > 20, `${build.name} has ${build.dependents.length} dependents`);
  const page = await newPage();
  await page.goto(`${BASE}/#/graph?job=${build.guid}`);
  await page.waitForFunction((n) => document.querySelectorAll('svg.depgraph .node').length > n, build.dependents.length);
  await page.waitForFunction(() => document.querySelector('svg.depgraph')?.dataset.scale);
  // Fitted on open: the whole drawing inside its box.
  const fitted = await drawingMeasure(page);
  assert.ok(fitted.width <= fitted.boxWidth + 1 && fitted.height <= fitted.boxHeight + 1, JSON.stringify(fitted));
  assert.ok(fitted.left >= -1 && fitted.top >= -1, JSON.stringify(fitted));
  assert.ok(fitted.scale >= 0.5, `fitted at ${fitted.scale}: too small to read`);
  // Labels say suite and chunk ("mochitest-browser-chrome 3"), not a bare chunk number.
  const labels = await page.locator('svg.depgraph .node .l1').allTextContents();
  assert.ok(labels.some((l) => /^mochitest-browser-chrome \d+$/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /^xpcshell \d+$/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /^repack [a-z]{2}(-[A-Z]{2})?$/.test(l)), labels.join(' | '));
  assert.ok(labels.every((l) => !/^\d+$/.test(l)), labels.join(' | '));
  assert.ok(labels.every((l) => !l.endsWith('…') || l.length >= 24), labels.join(' | '));
  const seconds = await page.locator('svg.depgraph .node .l2').allTextContents();
  assert.ok(seconds.some((l) => /linux64 · M\(bc\d+\)/.test(l)), seconds.join(' | '));
  await shot(page, '32-demo-dependencies-fitted');
  // Zoom in with the button: larger; the wheel zooms too; "fit" brings it back.
  await page.locator('.zoom button[data-zoom="in"]').click();
  const zoomed = await drawingMeasure(page);
  assert.ok(zoomed.scale > fitted.scale && zoomed.width > fitted.width * 1.2, JSON.stringify(zoomed));
  const said = Number(/^(\d+)%$/.exec(await page.locator('.zoom .scale').innerText())?.[1]);
  assert.ok(Math.abs(said - zoomed.scale * 100) <= 1, `says ${said}% at ${zoomed.scale}`);
  const box = await page.locator('.graph-canvas').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction((s) => Number(document.querySelector('svg.depgraph').dataset.scale) > s, zoomed.scale);
  await page.mouse.wheel(0, 600);
  await page.waitForFunction((s) => Number(document.querySelector('svg.depgraph').dataset.scale) < s, zoomed.scale);
  // A drag pans (and is not a click on the node it started on: the view stays).
  const url = page.url();
  const before = await drawingMeasure(page);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2 - 80, { steps: 6 });
  await page.mouse.up();
  const panned = await drawingMeasure(page);
  assert.ok(Math.abs(panned.left - before.left + 120) < 2 && Math.abs(panned.top - before.top + 80) < 2,
    `${JSON.stringify(before)} -> ${JSON.stringify(panned)}`);
  await page.waitForTimeout(300);
  assert.equal(page.url(), url, 'the drag did not follow a link');
  await page.locator('.zoom button[data-zoom="fit"]').click();
  const refit = await drawingMeasure(page);
  assert.ok(Math.abs(refit.scale - fitted.scale) < 1e-3 && refit.width <= refit.boxWidth + 1, JSON.stringify(refit));
  // Still a link to each node's own view.
  const test = await page.locator('svg.depgraph .node', { hasText: 'xpcshell' }).first().getAttribute('data-guid');
  await page.locator(`svg.depgraph .node[data-guid="${test}"]`).click();
  await page.waitForFunction((g) => document.querySelector('svg.depgraph .node.focus')?.dataset.guid === g, test);
  await page.context().close();
});

test('the demo: the job detail keeps its test-result table inside the panel', { timeout: 60e3 }, async () => {
  const failure = await demoFailure();
  const page = await newPage();
  await page.goto(`${BASE}/#/pushes?repo=${DEMO_REPO}&rev=${failure.push.revision}&job=${failure.guid}`);
  const table = page.locator('#detail .tests table');
  await table.waitFor();
  const fits = await page.evaluate(() => {
    const panel = document.querySelector('#detail');
    const edge = panel.getBoundingClientRect().left + panel.clientLeft + panel.clientWidth;
    const cells = [...panel.querySelectorAll('.tests table td, .tests table th')];
    return {
      tableRight: panel.querySelector('.tests table').getBoundingClientRect().right,
      cellRight: Math.max(...cells.map((c) => c.getBoundingClientRect().right)),
      edge,
      scrolls: panel.scrollWidth - panel.clientWidth,
    };
  });
  assert.ok(fits.tableRight <= fits.edge + 1 && fits.cellRight <= fits.edge + 1, JSON.stringify(fits));
  assert.ok(fits.scrolls <= 1, `the panel scrolls sideways by ${fits.scrolls} px`);
  await table.scrollIntoViewIfNeeded();
  await shot(page, '33-demo-test-results');
  await page.context().close();
});

test('the demo: the repository selector shows the repository of the job a page is about', { timeout: 60e3 }, async () => {
  const { jobs } = await api('{ jobs(repository: "gecko-dev", filter: {kind: TEST, state: COMPLETED}, first: 1) { nodes { guid } } }');
  const { guid } = jobs.nodes[0];
  const page = await newPage(); // a fresh browser: no repository remembered, the first listed is autoland
  await page.goto(`${BASE}/#/job?guid=${guid}`);
  await page.locator('.job-page .core').waitFor();
  await page.waitForFunction(() => document.querySelector('#repo').value === 'gecko-dev');
  assert.match(await page.title(), /gecko-dev/);
  assert.match(await page.locator('nav a[data-view="pushes"]').getAttribute('href'), /repo=gecko-dev/);
  // Its dependency view, reached from another repository's list, says the same.
  await page.goto(`${BASE}/#/pushes?repo=autoland`);
  await page.locator('.push').first().waitFor();
  await page.goto(`${BASE}/#/graph?job=${guid}`);
  await page.locator('svg.depgraph').waitFor();
  await page.waitForFunction(() => document.querySelector('#repo').value === 'gecko-dev');
  await page.context().close();
});

test('the demo: machines were last seen as their jobs ran, and the quarantined one runs nothing', { timeout: 60e3 }, async () => {
  const page = await newPage();
  await page.goto(`${BASE}/#/machines?buildSystem=taskcluster`);
  const flaky = page.locator('table.machines tr', { hasText: 't-linux-013' });
  await flaky.waitFor();
  const cells = await flaky.locator('td').allInnerTexts();
  assert.match(cells[3], /quarantined/);
  assert.equal(cells[4].trim(), '', `the quarantined machine runs ${cells[4]}`);
  // A machine running nothing was last seen when its last job ended: no two at one moment.
  const idle = await page.locator('table.machines tbody tr[data-key]').evaluateAll((rows) => rows
    .filter((r) => r.cells[4].textContent.trim() === '')
    .map((r) => r.cells[5].querySelector('time')?.dateTime));
  assert.ok(idle.length >= 3, `${idle.length} machines run nothing`);
  assert.equal(new Set(idle).size, idle.length, idle.join(', '));
  await page.context().close();
});

test('no page raised an error', () => {
  assert.deepEqual(pageErrors, []);
});
