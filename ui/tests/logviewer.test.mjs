// Browser tests of the log viewer (`#/log?job=&log=&line=`, ui/logview.js) against a server
// started with demo data: a demo failed job's log opens from its detail with line numbers,
// its stored error line highlighted at its stored line number and its steps folded and
// unfolded; then a ~100 MB log of the test's own, served by a local HTTP server that holds
// back its end, opens quickly, draws before the download ends, jumps near its end and keeps
// the DOM to the rows on screen.
//
//   node logviewer.test.mjs [SERVER_URL]     (TREEHERD_TOKEN: an admin token; CHROMIUM)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { chromium } from 'playwright-core';

import { graphqlClient } from './api.mjs';

const BASE = (process.argv[2] || process.env.TREEHERD_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const TOKEN = process.env.TREEHERD_TOKEN || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const api = graphqlClient(BASE, TOKEN);

/** The big log: about 100 MB of lines, an error line near the end. */
const BIG_LINES = 1_000_000;
const BIG_ERROR_LINE = 990_000; // 0-based
/** Bytes the log server holds back until the test lets them go. */
const HELD = 1 << 20;

let browser;
let server;
let release;
let bigSize = 0;
const released = new Promise((resolve) => { release = resolve; });
const pageErrors = [];

function bigLog() {
  const pad = 'x'.repeat(40);
  const lines = [];
  let size = 0;
  for (let n = 0; n < BIG_LINES; n += 1) {
    const line = n === BIG_ERROR_LINE
      ? `[task 2026-01-01T00:00:00.000Z] 00:00:00     INFO - TEST-UNEXPECTED-FAIL | big/test_end.html | the end is near\n`
      : `[task 2026-01-01T00:00:00.000Z] 00:00:00     INFO - line ${n} ${pad}\n`;
    lines.push(line);
    size += line.length;
  }
  const buffer = Buffer.allocUnsafe(size);
  let at = 0;
  for (const line of lines) at += buffer.write(line, at, 'latin1');
  return buffer;
}

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const body = bigLog();
  bigSize = body.length;
  // Everything but the last HELD bytes at once; those when the test says so.
  server = http.createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    response.write(body.subarray(0, body.length - HELD));
    released.then(() => response.end(body.subarray(body.length - HELD)));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  release();
  if (browser) await browser.close();
  if (server) server.close();
});

async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  return page;
}

/** A demo job with a parsed log holding error lines and a foldable step. */
async function demoFailure() {
  const data = await api(`{ repository(name: "autoland") { pushes(first: 5) { nodes {
    jobs(first: 1000, filter: {result: TESTFAILED}) { nodes { guid name
      logs { name url status errors { lineNumber line } steps { name result firstLine lastLine errorCount } } } } } } } }`);
  for (const push of data.repository.pushes.nodes) {
    for (const job of push.jobs.nodes) {
      const log = job.logs.find((l) => l.status === 'PARSED' && l.errors.length);
      if (log) return { job, log };
    }
  }
  throw new Error('no demo job with a parsed log');
}

test('a demo failed job\'s log opens from its detail: line numbers, the error line, folded steps', { timeout: 60e3 }, async () => {
  const { job, log } = await demoFailure();
  assert.match(log.url, /^\/demo\/logs\//, 'the demo serves its logs itself');
  const page = await newPage();
  await page.goto(`${BASE}/#/job?guid=${job.guid}`);
  const detail = page.locator('.job-page');
  await detail.locator('.log-error').first().waitFor();

  // "open in viewer": the log from its first line, numbered from 1.
  await detail.locator('a.log-view').first().click();
  await page.locator('#lv-status[data-state="done"]').waitFor();
  assert.match(page.url(), new RegExp(`#/log\\?job=${job.guid}&log=${log.name}`));
  assert.equal(await page.locator('.lv-row[data-line="0"] .lv-ln').innerText(), '1');
  const text = await (await page.request.get(`${BASE}${log.url}`)).text();
  const lines = text.split('\n');
  assert.match(await page.locator('#lv-status').innerText(), new RegExp(`^${lines.length - 1} lines`));

  // Every stored error line is highlighted where it was stored, and listed.
  for (const error of log.errors) {
    const row = page.locator(`.lv-row.lv-error[data-line="${error.lineNumber}"]`);
    assert.ok((await row.innerText()).includes(error.line), `line ${error.lineNumber}`);
    assert.equal(await row.locator('.lv-ln').innerText(), String(error.lineNumber + 1));
  }
  assert.equal(await page.locator('.lv-errors li').count(), log.errors.length);
  assert.equal(await page.locator('.lv-error').count(), log.errors.length);

  // A successful step starts folded: its later lines are not drawn until it is unfolded.
  const step = log.steps.find((s) => s.result === 'success' && s.lastLine > s.firstLine);
  assert.ok(step, JSON.stringify(log.steps));
  const fold = page.locator(`.lv-row[data-line="${step.firstLine}"] .lv-fold`);
  assert.equal(await fold.getAttribute('aria-expanded'), 'false');
  assert.match(await page.locator(`.lv-row[data-line="${step.firstLine}"]`).innerText(), /lines folded/);
  assert.equal(await page.locator(`.lv-row[data-line="${step.lastLine}"]`).count(), 0);
  await fold.click();
  assert.equal(await fold.getAttribute('aria-expanded'), 'true');
  assert.ok((await page.locator(`.lv-row[data-line="${step.lastLine}"]`).innerText()).includes(lines[step.lastLine].slice(-30)));
  await fold.click();
  assert.equal(await page.locator(`.lv-row[data-line="${step.lastLine}"]`).count(), 0);

  // From the detail, an error line's link opens the viewer at that line, marked.
  const first = log.errors[0];
  await page.goBack();
  await detail.locator('.log-error a.ln').first().click();
  const target = page.locator('.lv-row.lv-target');
  await target.waitFor();
  assert.equal(await target.getAttribute('data-line'), String(first.lineNumber));
  assert.match(page.url(), new RegExp(`line=${first.lineNumber + 1}$`));
  assert.ok(await target.evaluate((el) => el.classList.contains('lv-error')));
  await page.close();
  assert.deepEqual(pageErrors, []);
});

test('a 100 MB log draws its first lines before the download ends, jumps near its end, keeps the DOM small', { timeout: 300e3 }, async () => {
  const repo = `logview-${Date.now().toString(36)}`;
  const revision = 'ab'.repeat(20);
  const guid = `${repo}-big`;
  await api('mutation($i: RepositoryInput!) { createRepository(input: $i) { name } }', {
    i: { name: repo, vcs: 'HG', url: `https://hg.example/${repo}`, indexedAttributes: [] },
  });
  await api('mutation($p: PushInput!) { submitPush(input: $p) { pushId } }', {
    p: { repository: repo, revision, author: 'dev@example.com', pushedAt: new Date().toISOString() },
  });
  await api('mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }', {
    j: [{ guid, repository: repo, revision, kind: 'TEST', name: 'test-linux64/opt-big', platform: 'linux64',
      state: 'COMPLETED', result: 'TESTFAILED' }],
  });
  const url = `http://127.0.0.1:${server.address().port}/big.log`;
  await api('mutation($a: [ArtifactInput!]!) { attachArtifacts(job: "' + guid + '", artifacts: $a) { attached } }', {
    a: [{ name: 'big.log', kind: 'RAW_LOG', url }],
  });

  const page = await newPage();
  const started = Date.now();
  await page.goto(`${BASE}/#/log?job=${guid}&log=big.log`);
  await page.locator('.lv-row[data-line="0"]').waitFor({ timeout: 30e3 });
  const firstLines = Date.now() - started;
  console.log(`# 100 MB log: first lines drawn ${firstLines} ms after navigation`);
  assert.ok(firstLines < 5000, `first lines after ${firstLines} ms`);
  assert.match(await page.locator('.lv-row[data-line="0"]').innerText(), /INFO - line 0 x/);
  // The server still holds the end back: what is on screen came from a partial download.
  assert.equal(await page.locator('#lv-status').getAttribute('data-state'), 'loading');

  release();
  await page.locator('#lv-status[data-state="done"]').waitFor({ timeout: 240e3 });
  assert.equal(await page.locator('#lv-status').innerText(), `1,000,000 lines, ${(bigSize / 1048576).toFixed(1)} MB`);

  // Near the end, by the address (as a link from a job's detail would).
  const jumped = Date.now();
  await page.evaluate((line) => { location.hash = `#/log?job=${encodeURIComponent(line.guid)}&log=big.log&line=${line.n}`; },
    { guid, n: BIG_ERROR_LINE + 1 });
  const target = page.locator(`.lv-row.lv-target[data-line="${BIG_ERROR_LINE}"]`);
  await target.waitFor({ timeout: 10e3 });
  console.log(`# 100 MB log: line ${BIG_ERROR_LINE + 1} drawn ${Date.now() - jumped} ms after the jump`);
  assert.match(await target.innerText(), /TEST-UNEXPECTED-FAIL \| big\/test_end.html/);
  assert.ok(await target.isVisible());
  const rows = await page.locator('.lv-row').count();
  assert.ok(rows > 30 && rows < 300, `${rows} rows in the DOM`);
  const nodes = await page.evaluate(() => document.getElementsByTagName('*').length);
  console.log(`# 100 MB log: ${rows} rows, ${nodes} elements in the page`);
  assert.ok(nodes < 3000, `${nodes} elements`);

  // Scrolling to the very end draws the last line.
  await page.locator('.lv-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.locator(`.lv-row[data-line="${BIG_LINES - 1}"]`).waitFor({ timeout: 10e3 });
  await page.close();
  assert.deepEqual(pageErrors, []);
});
