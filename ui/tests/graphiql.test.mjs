// GraphiQL at /graphiql works with no network beyond the host: every request whose host is
// not this server's is aborted and counted, and the page must still load GraphiQL (served by
// the binary from ui/vendor/graphiql/), run a query against the demo data, and follow a
// subscription over the same origin's WebSocket, with no script error and no request that
// tried to leave.
//
//   node graphiql.test.mjs [SERVER_URL]
//
// SERVER_URL (or TREEHERD_URL) defaults to http://127.0.0.1:8000 and must serve demo data
// (`treeherd serve --demo`); TREEHERD_TOKEN is a token with the `admin` scope; CHROMIUM
// overrides /usr/bin/chromium. ui/tests/run.sh sets all three.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';

import { graphqlClient } from './api.mjs';

const BASE = (process.argv[2] || process.env.TREEHERD_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const TOKEN = process.env.TREEHERD_TOKEN || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const api = graphqlClient(BASE, TOKEN);

let browser;

/**
 * A page on a context where only this host answers: `left` collects every request that tried
 * to go elsewhere (aborted), `errors` every uncaught error and console error.
 */
async function offlinePage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const left = [];
  const errors = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOCAL_HOSTS.has(url.hostname)) {
      return route.continue();
    }
    left.push(url.href);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { page, left, errors };
}

/** Opens GraphiQL and waits for its query editor (a CodeMirror instance). */
async function openGraphiql(page) {
  const response = await page.goto(`${BASE}/graphiql`);
  assert.equal(response.status(), 200);
  await page.waitForFunction(() => {
    const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
    return editor && editor.CodeMirror;
  });
}

/** Replaces the query in GraphiQL's editor and presses its run button. */
async function run(page, query) {
  await page.evaluate((q) => {
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q);
  }, query);
  await page.locator('.graphiql-execute-button').click();
}

/** The result pane's text once it holds `needle` (within `timeout` ms). */
async function resultContaining(page, needle, timeout = 20000) {
  const handle = await page.waitForFunction((n) => {
    const pane = document.querySelector('.graphiql-response .CodeMirror');
    const text = pane && pane.CodeMirror ? pane.CodeMirror.getValue() : '';
    return text.includes(n) ? text : null;
  }, needle, { timeout });
  return handle.jsonValue();
}

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  if (browser) await browser.close();
});

test('GraphiQL runs a query against the demo with the network beyond the host cut off', { timeout: 90e3 }, async () => {
  const { page, left, errors } = await offlinePage();
  await openGraphiql(page);
  await run(page, '{ repositories { name } }');
  const text = await resultContaining(page, '"repositories"');
  const shown = JSON.parse(text);
  assert.equal(shown.errors, undefined, text);
  const names = shown.data.repositories.map((r) => r.name);
  assert.ok(names.includes('mozilla-central'), `a demo repository in ${text}`);
  const { repositories } = await api('{ repositories { name } }');
  assert.deepEqual(names, repositories.map((r) => r.name), 'the same answer as over HTTP');
  // GraphiQL fetched the schema too (the Docs panel and completion depend on it).
  await page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
  await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().waitFor();
  assert.deepEqual(left, [], 'no request may leave the host');
  assert.deepEqual(errors, [], 'no script error');
  await page.context().close();
});

test('GraphiQL follows a subscription over the same origin WebSocket', { timeout: 90e3 }, async () => {
  assert.ok(TOKEN, 'TREEHERD_TOKEN must hold an admin token');
  const repo = `gq-${Date.now().toString(36)}`;
  await api('mutation($r: RepositoryInput!) { createRepository(input: $r) { name } }',
    { r: { name: repo, vcs: 'HG', url: `https://hg.example/${repo}` } });
  const { page, left, errors } = await offlinePage();
  let subscribed = false;
  page.on('websocket', (socket) => {
    assert.equal(new URL(socket.url()).host, new URL(BASE).host, 'the socket stays on this origin');
    socket.on('framesent', (frame) => {
      if (String(frame.payload).includes('"type":"subscribe"')) subscribed = true;
    });
  });
  await openGraphiql(page);
  // On a loaded machine GraphiQL may not have taken the first press (still loading the
  // schema): press again until the subscribe frame has gone, for at most 30 s.
  const query = `subscription { pushAdded(repository: "${repo}") { cursor push { revision } } }`;
  const pressedUntil = Date.now() + 30e3;
  for (let pressed = 0; !subscribed; pressed += 1) {
    assert.ok(Date.now() < pressedUntil, `GraphiQL sent no subscribe frame after ${pressed} presses`);
    await run(page, query);
    for (let waited = 0; !subscribed && waited < 3000; waited += 100) await page.waitForTimeout(100);
  }
  const revision = crypto.createHash('sha1').update(repo).digest('hex');
  // The subscription may be registered a moment after its frame is sent: push until it is seen.
  const deadline = Date.now() + 20e3;
  for (let n = 0; ; n += 1) {
    const rev = n === 0 ? revision : crypto.createHash('sha1').update(`${repo}/${n}`).digest('hex');
    await api('mutation($p: PushInput!) { submitPush(input: $p) { pushId } }', {
      p: { repository: repo, revision: rev, author: 'graphiql@example.com', pushedAt: new Date().toISOString(),
        commits: [{ revision: rev, author: 'graphiql@example.com', message: 'Bug 1 - seen in GraphiQL' }] },
    });
    const seen = await resultContaining(page, '"pushAdded"', 2000).then(() => true, () => false);
    if (seen) break;
    assert.ok(Date.now() < deadline, 'no pushAdded event reached GraphiQL within 20 s');
  }
  const text = await resultContaining(page, '"pushAdded"');
  assert.match(JSON.parse(text).data.pushAdded.push.revision, /^[0-9a-f]{40}$/, text);
  assert.deepEqual(left, [], 'no request may leave the host');
  assert.deepEqual(errors, [], 'no script error');
  await page.context().close();
});
