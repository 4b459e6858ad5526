// The web UI's benchmark, in Debian's headless chromium against a real server. It prints
// figures; it asserts nothing about time (speed is measured here, never in the tests).
//
//   node bench.mjs SERVER_URL [--minutes 30] [--runs 5] [--rate 10]
//
// TREEHERD_TOKEN must hold a token with the `admin` scope. It makes a repository of its own
// with 50 pushes of 500 jobs (half of them pending, so they can move later), then measures:
//
//   1. first render: from the start of navigation to `#/pushes?repo=R&count=50` until every
//      one of the 25,000 symbols is in the page and the next frame is drawn (median of
//      `--runs` page loads). Beside it, its reference: the same finished markup served as a
//      static page (what the browser alone needs to parse, lay out and draw it).
//   2. live update: a job's state changed through `submitJobs`; the time from the mutation's
//      answer to the frame in which its symbol shows the new state (p50, p95, max of 50).
//   3. heap: `--minutes` of steady live updates (`--rate` job changes a second, on the
//      loaded pushes), the JS heap after a forced GC at 1 minute and at the end, with DOM
//      node counts.

import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { chromium } from 'playwright-core';

import { graphqlClient } from './api.mjs';

const args = process.argv.slice(2);
const BASE = (args.find((a) => !a.startsWith('--')) || process.env.TREEHERD_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const MINUTES = option('minutes', 30);
const RUNS = option('runs', 5);
const RATE = option('rate', 10);
const TOKEN = process.env.TREEHERD_TOKEN || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const PUSHES = 50;
const JOBS_PER_PUSH = 500;
const PLATFORMS = ['linux64', 'linux64-asan', 'windows11-64', 'windows11-32', 'macosx1470-64', 'android-em-7.0'];
const SUITES = [['M', 'mochitest-plain', 16], ['M', 'mochitest-browser-chrome', 16], ['X', 'xpcshell', 8],
  ['R', 'reftest', 8], ['W', 'web-platform-tests', 24], ['T', 'talos', 6]];
const REPO = `uibench-${Date.now().toString(36)}`;
const revision = (n) => crypto.createHash('sha1').update(`${REPO}/${n}`).digest('hex');

const api = graphqlClient(BASE, TOKEN);

const SUBMIT = 'mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }';

const made = new Map();

/** The 500 jobs of push `n`: per platform a build and its test chunks; half still pending. */
function jobsOf(n) {
  if (made.has(n)) return made.get(n);
  const jobs = [];
  const rev = revision(n);
  let i = 0;
  for (const platform of PLATFORMS) {
    for (const [group, suite, chunks] of SUITES) {
      for (let chunk = 1; chunk <= chunks && jobs.length < JOBS_PER_PUSH; chunk += 1, i += 1) {
        const pending = i % 2 === 0;
        jobs.push({
          guid: `${REPO}-${n}-${i}`, repository: REPO, revision: rev, platform, buildSystem: 'taskcluster',
          kind: 'TEST', name: `test-${platform}/opt-${suite}-${chunk}`, symbol: String(chunk),
          groupSymbol: group, groupName: suite, tier: 1 + (i % 7 === 0),
          ...(pending ? { state: 'PENDING' }
            : { state: 'COMPLETED', result: i % 23 === 0 ? 'TESTFAILED' : 'SUCCESS',
              startedAt: new Date(Date.now() - 20 * 60e3).toISOString(), finishedAt: new Date().toISOString() }),
        });
      }
    }
  }
  while (jobs.length < JOBS_PER_PUSH) {
    const k = jobs.length;
    jobs.push({ guid: `${REPO}-${n}-b${k}`, repository: REPO, revision: rev, platform: PLATFORMS[k % PLATFORMS.length],
      kind: 'BUILD', name: `build-${PLATFORMS[k % PLATFORMS.length]}/opt-${k}`, symbol: `B${k}`, state: 'COMPLETED',
      result: 'SUCCESS', buildSystem: 'taskcluster' });
  }
  made.set(n, jobs);
  return jobs;
}

async function makeData() {
  await api('mutation($r: RepositoryInput!) { createRepository(input: $r) { name } }',
    { r: { name: REPO, vcs: 'HG', url: `https://hg.example/${REPO}` } });
  const started = Date.now();
  for (let n = 1; n <= PUSHES; n += 1) {
    await api('mutation($p: PushInput!) { submitPush(input: $p) { pushId } }', {
      p: { repository: REPO, revision: revision(n), author: `dev${n % 7}@example.com`,
        pushedAt: new Date(Date.now() - (PUSHES - n) * 10 * 60e3).toISOString(),
        commits: [{ revision: revision(n), author: `dev${n % 7}@example.com`, message: `Bug ${1_800_000 + n} - change ${n} r=reviewer` }] },
    });
    await api(SUBMIT, { jobs: jobsOf(n) });
  }
  console.log(`data: ${PUSHES} pushes x ${JOBS_PER_PUSH} jobs made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const url = `${BASE}/#/pushes?repo=${REPO}&count=${PUSHES}`;
const ALL = PUSHES * JOBS_PER_PUSH;

/**
 * Watches, from the document's start, for the frame in which every symbol is in the page, and
 * records the time (ms since navigation start) of the frame after it: the one that shows them.
 */
function watchFirstFrame(done) {
  const check = () => {
    if (done()) requestAnimationFrame(() => { window.__rendered = performance.now(); });
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

/** Loads the push list in a fresh context; ms from navigation start to the first full frame. */
async function firstRender(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(`(${watchFirstFrame})(() => document.querySelector('.counts')?.dataset.jobs === '${ALL}')`);
  await page.goto(url, { waitUntil: 'commit' });
  const ms = await page.waitForFunction(() => window.__rendered, null, { timeout: 60e3 }).then((h) => h.jsonValue(), async (e) => {
    const state = await page.evaluate(() => [document.querySelector('.counts')?.textContent, typeof window.__rendered, document.querySelector('main')?.innerText.slice(0, 500), location.href]);
    throw new Error(`${e.message}: ${JSON.stringify(state)}`);
  });
  // Where the time went: the page's GraphQL requests (the heads, the chunks of jobs).
  const query = await page.evaluate(() => {
    const requests = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '/graphql');
    return requests.length ? {
      count: requests.length,
      sent: Math.min(...requests.map((e) => e.requestStart)),
      answered: Math.max(...requests.map((e) => e.responseEnd)),
      kb: requests.reduce((sum, e) => sum + e.encodedBodySize, 0) / 1024,
    } : null;
  });
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  await context.close();
  return { ms, html, query };
}

/** The same markup as a static page: the browser's own parse, style, layout and paint. */
async function staticRender(browser, html) {
  const server = http.createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      // Scripts out (they would fetch again), styles in: the same stylesheet, inlined.
      response.end(html.replace(/<script[\s\S]*?<\/script>/g, ''));
    } else {
      response.writeHead(302, { location: `${BASE}${request.url}` });
      response.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // The stylesheet is cached first, so neither side pays for fetching it.
  await page.goto(`${BASE}/ui/style.css`);
  await page.addInitScript(`(${watchFirstFrame})(() => document.readyState === 'complete'
    && document.querySelectorAll('.push .job').length === ${ALL})`);
  await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: 'commit' });
  const ms = await page.waitForFunction(() => window.__rendered, null, { timeout: 60e3 }).then((h) => h.jsonValue());
  await context.close();
  server.close();
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** The pending jobs, in the order they will move: each moves to RUNNING, then to COMPLETED. */
function* moves() {
  for (let step = 0; step < 2; step += 1) {
    for (let i = 0; i < JOBS_PER_PUSH; i += 2) {
      for (let n = PUSHES; n >= 1; n -= 1) {
        const job = jobsOf(n).find((j) => j.guid === `${REPO}-${n}-${i}`);
        if (!job) continue;
        yield step === 0
          ? { ...job, state: 'RUNNING', startedAt: new Date().toISOString() }
          : { ...job, state: 'COMPLETED', result: i % 46 === 0 ? 'BUSTED' : 'SUCCESS', finishedAt: new Date().toISOString() };
      }
    }
  }
}

/**
 * Each sample: a watcher armed in the page first (checking every frame for the symbol's new
 * state, then noting the time of the frame after, which shows it), then the mutation; the
 * latency is from the mutation's answer in this process to that frame (one clock).
 */
async function liveLatency(page, next, samples) {
  const latencies = [];
  for (let k = 0; k < samples; k += 1) {
    const job = next();
    const word = job.state === 'RUNNING' ? 'running' : job.result.toLowerCase();
    await page.evaluate(([guid, cls]) => {
      window.__seen = new Promise((resolve) => {
        const check = () => {
          const el = document.querySelector(`.job[data-guid="${guid}"]`);
          if (el && el.classList.contains(cls)) requestAnimationFrame(() => resolve(Date.now()));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      });
    }, [job.guid, `s-${word}`]);
    await api(SUBMIT, { jobs: [job] });
    const answered = Date.now();
    const seen = await Promise.race([
      page.evaluate(() => window.__seen),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${job.guid} not drawn within 10 s`)), 10e3)),
    ]);
    latencies.push(seen - answered);
    await page.waitForTimeout(50);
  }
  return latencies;
}

async function heap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const { nodes, jsEventListeners } = await cdp.send('Memory.getDOMCounters');
  return { mb: usedSize / 2 ** 20, nodes, listeners: jsEventListeners };
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

async function main() {
  if (!TOKEN) throw new Error('TREEHERD_TOKEN must hold an admin token');
  console.log(`${new Date().toISOString()}: ${os.cpus().length} cores, load average ${load()}; Chromium ${CHROMIUM}`);
  await makeData();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-precise-memory-info'] });
  try {
    // 1. First render, beside the same markup as a static page.
    await firstRender(browser); // warms the server's caches and the browser's
    const ours = [];
    const queries = [];
    let html = '';
    for (let r = 0; r < RUNS; r += 1) {
      const run = await firstRender(browser);
      ours.push(run.ms);
      if (run.query) queries.push(run.query);
      html = run.html;
    }
    const reference = [];
    for (let r = 0; r < RUNS; r += 1) reference.push(await staticRender(browser, html));
    const [a, b] = [median(ours), median(reference)];
    console.log(`first render, ${PUSHES} pushes x ${JOBS_PER_PUSH} jobs: median ${a.toFixed(0)} ms (runs: ${ours.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(`  reference, the same markup as a static page: median ${b.toFixed(0)} ms; ratio ${(a / b).toFixed(2)}x`);
    if (queries.length) {
      const q = queries.sort((x, y) => x.answered - y.answered)[Math.floor(queries.length / 2)];
      console.log(`  of which its ${q.count} GraphQL requests: the first sent at ${q.sent.toFixed(0)} ms, the last answered at ${q.answered.toFixed(0)} ms (${q.kb.toFixed(0)} KiB in all; the median run by last answer)`);
    }

    // 2 and 3. One page kept open with its subscriptions.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction((n) => document.querySelector('.counts')?.dataset.jobs === String(n), ALL, { timeout: 60e3 });
    await page.waitForSelector('#live[data-status="live"]');
    await page.waitForTimeout(500);
    const cdp = await context.newCDPSession(page);
    const iterator = moves();
    const next = () => {
      const { value, done } = iterator.next();
      if (done) throw new Error('ran out of pending jobs to move');
      return value;
    };
    const latencies = await liveLatency(page, next, 50);
    console.log(`live update, mutation answered -> symbol drawn: p50 ${pct(latencies, 0.5)} ms, p95 ${pct(latencies, 0.95)} ms, max ${Math.max(...latencies)} ms (50 changes)`);

    const started = Date.now();
    const samples = [];
    let changes = 0;
    let sampleAt = 60e3;
    const endAt = MINUTES * 60e3;
    const perTick = Math.max(1, Math.round(RATE / 10));
    while (Date.now() - started < endAt) {
      const tick = Date.now();
      const batch = [];
      for (let k = 0; k < perTick; k += 1) batch.push(next());
      await api(SUBMIT, { jobs: batch });
      changes += batch.length;
      const elapsed = Date.now() - started;
      if (elapsed >= sampleAt) {
        const h = await heap(cdp);
        samples.push({ minute: Math.round(elapsed / 60e3), changes, ...h });
        console.log(`  heap after ${(elapsed / 60e3).toFixed(1)} min (${changes} live changes): ${h.mb.toFixed(2)} MiB, ${h.nodes} DOM nodes, ${h.listeners} listeners`);
        // Every minute for the first five, then every five.
        sampleAt = Math.min(sampleAt + (sampleAt < 5 * 60e3 ? 60e3 : 5 * 60e3), endAt);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
    }
    const last = await heap(cdp);
    const first = samples[0] || last;
    samples.push({ minute: MINUTES, changes, ...last });
    const shown = await page.evaluate(() => document.querySelector('.counts')?.dataset.jobs);
    console.log(`heap after ${MINUTES} min of live updates (${changes} changes, ${(changes / ((Date.now() - started) / 1000)).toFixed(1)}/s): `
      + `${last.mb.toFixed(2)} MiB vs ${first.mb.toFixed(2)} MiB after 1 min: ${(((last.mb / first.mb) - 1) * 100).toFixed(1)}%`);
    console.log(`  DOM nodes ${first.nodes} -> ${last.nodes}; jobs shown ${shown}; page errors: ${errors.length}`);
    console.log(`  samples: ${samples.map((x) => `${x.minute} min ${x.mb.toFixed(2)} MiB`).join(', ')}`);
    for (const e of errors.slice(0, 5)) console.log(`  page error: ${e}`);
    console.log(`${new Date().toISOString()}: done; load average ${load()}`);
    await context.close();
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
