// The log viewer, `#/log?job=GUID&log=NAME[&line=N]`: a job's log as numbered lines, its
// stored error lines highlighted and listed, its steps folded, `line=N` (1-based, as
// Treeherder's log viewer counts) scrolled to and marked.
//
// The text comes from treeherd itself (`/api/jobs/{guid}/logs/{name}`, which fetches the
// stored URL and inflates gzip), so any log opens with no CORS and no other host. It stays
// fast on a log of hundreds of MB because nothing is proportional to its size but one copy
// of its bytes and one number per line:
// - the download is read as a stream into one growing byte buffer, and line starts are
//   indexed as each chunk arrives (cut as the parser cuts: `\n`, `\r\n`, a lone `\r`), so
//   the first lines are drawn before the download ends;
// - lines are decoded only when they are drawn, and only the rows on screen (plus a margin)
//   exist in the DOM: rows have one fixed height, so a scroll position is a line number;
// - past the height a browser can scroll (~30M px) the scroll bar maps proportionally.

import { gql } from './graphql.js';
import { href, navigate, withParams } from './router.js';
import { esc, badge, errorBox, safeUrl } from './util.js';

/** Row height in px: the CSS (`.lv-row`) says the same. */
const ROW = 18;
/** Rows drawn above and below the visible ones. */
const MARGIN = 30;
/** The tallest scroll space used; beyond it, scroll positions map proportionally. */
const MAX_SPACE = 8_000_000;
/** A line longer than this (bytes) is drawn cut, with a mark. */
const MAX_DRAWN = 4096;
const LF = 10;
const CR = 13;

const LOG_QUERY = `query LogView($guid: String!) {
  job(guid: $guid) {
    guid name symbol
    logs {
      name url status reason lineCount errorCount
      errors { lineNumber line }
      steps { name result firstLine lastLine errorCount }
    }
  }
}`;

/** The address of the viewer for a job's log, at a 0-based line when given. */
export function logViewHref(guid, name, line) {
  return href('log', { job: guid, log: name, line: line === undefined || line === null ? '' : line + 1 });
}

/** The route serving a job's log as text from this origin. */
export function logTextUrl(guid, name) {
  return `/api/jobs/${encodeURIComponent(guid)}/logs/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** A log's bytes as they arrive, and where each line starts. */
class LineIndex {
  constructor() {
    this.bytes = new Uint8Array(1 << 20);
    this.length = 0;
    /** starts[i]: offset of line i; `breaks` lines are complete. */
    this.starts = new Float64Array(1 << 16);
    this.breaks = 0;
    this.scanned = 0;
    this.done = false;
  }

  append(chunk) {
    if (this.length + chunk.length > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < this.length + chunk.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
    this.scan();
  }

  finish() {
    this.done = true;
    this.scan();
  }

  pushStart(offset) {
    if (this.breaks + 1 >= this.starts.length) {
      const grown = new Float64Array(this.starts.length * 2);
      grown.set(this.starts);
      this.starts = grown;
    }
    this.breaks += 1;
    this.starts[this.breaks] = offset;
  }

  scan() {
    const bytes = this.bytes.subarray(0, this.length);
    let pos = this.scanned;
    if (bytes.indexOf(CR, pos) < 0) {
      // The common case: native search for each `\n`.
      for (let at = bytes.indexOf(LF, pos); at >= 0; at = bytes.indexOf(LF, pos)) {
        pos = at + 1;
        this.pushStart(pos);
      }
      this.scanned = this.length;
      return;
    }
    while (pos < bytes.length) {
      const c = bytes[pos];
      if (c === LF) {
        pos += 1;
        this.pushStart(pos);
      } else if (c === CR) {
        if (pos + 1 >= bytes.length && !this.done) break; // a `\n` may follow in the next chunk
        pos += bytes[pos + 1] === LF ? 2 : 1;
        this.pushStart(pos);
      } else {
        pos += 1;
      }
    }
    this.scanned = pos;
  }

  /** Lines so far: the complete ones, and the text after the last break if any. */
  get count() {
    return this.breaks + (this.length > this.starts[this.breaks] ? 1 : 0);
  }

  /** The bytes of line `i` without its break. */
  lineBytes(i) {
    const start = this.starts[i];
    let end = this.length;
    if (i < this.breaks) {
      end = this.starts[i + 1] - 1;
      if (this.bytes[end] === LF && end > start && this.bytes[end - 1] === CR) end -= 1;
    }
    return this.bytes.subarray(start, end);
  }
}

/** Hidden line ranges of folded steps, and the mapping between rows and lines. */
class Folds {
  constructor(steps) {
    this.steps = steps
      .map((s, index) => ({ ...s, index, folded: s.result === 'success' && !s.errorCount }))
      .filter((s) => s.lastLine !== null && s.lastLine > s.firstLine);
    this.byFirst = new Map(this.steps.map((s) => [s.firstLine, s]));
    this.update();
  }

  update() {
    const ranges = this.steps.filter((s) => s.folded)
      .map((s) => [s.firstLine + 1, s.lastLine])
      .sort((a, b) => a[0] - b[0]);
    // Merged, so nested or touching steps hide each line once.
    this.hidden = [];
    for (const [s, e] of ranges) {
      const last = this.hidden[this.hidden.length - 1];
      if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
      else this.hidden.push([s, e]);
    }
  }

  /** Rows for `lines` lines. */
  rows(lines) {
    let hidden = 0;
    for (const [s, e] of this.hidden) {
      if (s >= lines) break;
      hidden += Math.min(e, lines - 1) - s + 1;
    }
    return lines - hidden;
  }

  lineOfRow(row) {
    let line = row;
    for (const [s, e] of this.hidden) {
      if (s <= line) line += e - s + 1;
      else break;
    }
    return line;
  }

  /** The row showing `line`: its own, or its folded step's first line. */
  rowOfLine(line) {
    let row = line;
    for (const [s, e] of this.hidden) {
      if (line > e) row -= e - s + 1;
      else if (line >= s) return row - (line - s) - 1;
      else break;
    }
    return row;
  }

  /** Unfolds every step that hides `line`; whether any did. */
  reveal(line) {
    let changed = false;
    for (const step of this.steps) {
      if (step.folded && line > step.firstLine && line <= step.lastLine) {
        step.folded = false;
        changed = true;
      }
    }
    if (changed) this.update();
    return changed;
  }
}

export class LogView {
  constructor(root, route) {
    this.root = root;
    this.decoder = new TextDecoder('utf-8');
    this.controller = null;
    this.key = '';
    this.frame = 0;
    this.onScroll = () => this.scheduleDraw();
    this.onResize = () => {
      this.fitHeight();
      this.scheduleDraw();
    };
    this.onClick = (event) => this.click(event);
    window.addEventListener('resize', this.onResize);
    root.addEventListener('click', this.onClick);
    this.update(route);
  }

  update(route) {
    const guid = route.params.get('job') || '';
    const name = route.params.get('log') || '';
    const line = Number.parseInt(route.params.get('line') || '', 10);
    this.target = Number.isFinite(line) && line > 0 ? line - 1 : null;
    this.params = route.params;
    const key = `${guid}\n${name}`;
    if (key === this.key && this.index) {
      this.goToTarget({ onlyIfHidden: true });
      this.scheduleDraw();
      return true;
    }
    this.key = key;
    this.start(guid, name);
    return true;
  }

  async start(guid, name) {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.index = null;
    this.root.innerHTML = '<p class="loading">Loading the log…</p>';
    if (!guid) {
      this.root.innerHTML = '<p class="empty">No job given: open a log from a job\'s detail.</p>';
      return;
    }
    let job;
    try {
      ({ job } = await gql(LOG_QUERY, { guid }, { signal: controller.signal }));
    } catch (error) {
      if (error.name !== 'AbortError') this.root.innerHTML = errorBox(error);
      return;
    }
    if (controller.signal.aborted) return;
    const log = job && (job.logs.find((l) => l.name === name) || (!name && job.logs[0]));
    if (!log) {
      this.root.innerHTML = `<p class="empty">${job ? `Job ${esc(guid)} has no log ${esc(name)}.` : `No job ${esc(guid)}.`}</p>`;
      return;
    }
    this.job = job;
    this.log = log;
    this.errorLines = new Set(log.errors.map((e) => e.lineNumber));
    this.folds = new Folds(log.steps);
    this.index = new LineIndex();
    this.targetShown = false;
    this.mount();
    this.download(controller);
  }

  mount() {
    const { job, log } = this;
    const source = safeUrl(log.url) !== '#'
      ? ` · <a href="${esc(log.url)}" target="_blank" rel="noopener">source</a>` : '';
    const errors = log.errors.length
      ? `<details class="lv-errors-box" open><summary>${log.errorCount} error line${log.errorCount === 1 ? '' : 's'}${log.errorCount > log.errors.length ? ` (the first ${log.errors.length})` : ''}</summary><ol class="lv-errors">${log.errors.map((e) => `<li><a href="${esc(this.lineHref(e.lineNumber))}">line ${e.lineNumber + 1}</a> <code>${esc(e.line)}</code></li>`).join('')}</ol></details>`
      : `<p class="none">${log.status === 'PARSED' ? 'no error lines' : `not parsed: ${esc(log.status.toLowerCase())}`}</p>`;
    this.root.innerHTML = `<article class="log-page">
<header class="lv-head">
<h2><a href="${esc(href('job', { guid: job.guid }))}">${esc(job.name)}</a> › ${esc(log.name)}</h2>
<p><span id="lv-status" class="lv-status" data-state="loading" role="status">loading…</span>
 · <a href="${esc(logTextUrl(job.guid, log.name))}" target="_blank" rel="noopener">raw</a>${source}
 ${this.folds.steps.length ? ' · <button type="button" class="link lv-all" data-all="unfold">unfold all steps</button> · <button type="button" class="link lv-all" data-all="fold">fold all</button>' : ''}</p>
${errors}
</header>
<div class="lv-scroll" tabindex="0" aria-label="log text"><div class="lv-space"><div class="lv-rows"></div></div></div>
</article>`;
    this.status = this.root.querySelector('#lv-status');
    this.scroller = this.root.querySelector('.lv-scroll');
    this.space = this.root.querySelector('.lv-space');
    this.rows = this.root.querySelector('.lv-rows');
    this.scroller.addEventListener('scroll', this.onScroll, { passive: true });
    this.fitHeight();
  }

  /** The scroller fills the window below the header. */
  fitHeight() {
    if (!this.scroller) return;
    const top = this.scroller.getBoundingClientRect().top;
    this.scroller.style.height = `${Math.max(200, window.innerHeight - Math.max(0, top) - 12)}px`;
  }

  lineHref(line) {
    return href('log', withParams(this.params, { line: line + 1 }));
  }

  async download(controller) {
    const { index } = this;
    const started = performance.now();
    try {
      const response = await fetch(logTextUrl(this.job.guid, this.log.name), { signal: controller.signal });
      if (!response.ok) {
        let message = `HTTP ${response.status}`;
        try {
          const body = await response.json();
          if (body.error && body.error.message) message = body.error.message;
        } catch {
          // Not JSON: the status says enough.
        }
        throw new Error(message);
      }
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (this.index !== index) return;
        index.append(value);
        this.scheduleDraw();
      }
      index.finish();
      this.state = 'done';
      this.took = performance.now() - started;
    } catch (error) {
      if (error.name === 'AbortError' || this.index !== index) return;
      index.finish();
      this.state = 'failed';
      this.failure = error.message || String(error);
    }
    this.scheduleDraw();
  }

  scheduleDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Geometry: rows in all, scroll space, and the first row at the current scroll. */
  geometry() {
    const rows = this.folds.rows(this.index.count);
    const full = rows * ROW;
    const space = Math.min(full, MAX_SPACE);
    const view = this.scroller.clientHeight;
    const visible = Math.ceil(view / ROW);
    const top = this.scroller.scrollTop;
    if (full <= MAX_SPACE) return { rows, space, visible, first: top / ROW, scaled: false };
    const ratio = space > view ? top / (space - view) : 0;
    return { rows, space, visible, first: ratio * Math.max(0, rows - visible), scaled: true };
  }

  draw() {
    if (!this.index || !this.scroller) return;
    const { index } = this;
    this.drawStatus();
    if (!this.targetShown && this.target !== null && (this.target < index.count || index.done)) {
      this.targetShown = true;
      this.goToTarget();
    }
    const g = this.geometry();
    this.space.style.height = `${g.space}px`;
    const firstRow = Math.max(0, Math.floor(g.first) - MARGIN);
    const lastRow = Math.min(g.rows, Math.floor(g.first) + g.visible + MARGIN);
    // Rows sit where the scroll position says their line is.
    const offset = g.scaled
      ? this.scroller.scrollTop - (g.first - firstRow) * ROW
      : firstRow * ROW;
    this.rows.style.transform = `translateY(${Math.max(0, offset)}px)`;
    const html = [];
    for (let row = firstRow; row < lastRow; row += 1) {
      html.push(this.rowHtml(this.folds.lineOfRow(row)));
    }
    this.rows.innerHTML = html.join('');
  }

  drawStatus() {
    const { index } = this;
    const mb = (index.length / 1048576).toFixed(1);
    const lines = index.count.toLocaleString('en');
    let text;
    let state = this.state || 'loading';
    if (state === 'failed') text = `${lines} lines, ${mb} MB, then the download broke off: ${this.failure}`;
    else if (state === 'done') text = `${lines} lines, ${mb} MB`;
    else text = `loading… ${lines} lines, ${mb} MB so far`;
    if (this.status.textContent !== text) this.status.textContent = text;
    if (this.status.dataset.state !== state) this.status.dataset.state = state;
  }

  rowHtml(line) {
    const bytes = this.index.lineBytes(line);
    const cut = bytes.length > MAX_DRAWN;
    const text = this.decoder.decode(cut ? bytes.subarray(0, MAX_DRAWN) : bytes);
    const step = this.folds.byFirst.get(line);
    const classes = ['lv-row'];
    if (this.errorLines.has(line)) classes.push('lv-error');
    if (line === this.target) classes.push('lv-target');
    if (step) classes.push('lv-step');
    const fold = step
      ? `<button type="button" class="lv-fold" data-step="${step.index}" aria-expanded="${!step.folded}" title="${step.folded ? 'unfold' : 'fold'} step ${esc(step.name)}">${step.folded ? '▸' : '▾'}</button>`
      : '<span class="lv-fold-gap"></span>';
    const folded = step && step.folded
      ? ` <span class="lv-folded">${badge(step.result)} ${step.lastLine - step.firstLine} lines folded</span>` : '';
    return `<div class="${classes.join(' ')}" data-line="${line}"><a class="lv-ln" href="${esc(this.lineHref(line))}">${line + 1}</a>${fold}<span class="lv-text">${esc(text)}${cut ? '<span class="lv-cut"> … (line cut)</span>' : ''}</span>${folded}</div>`;
  }

  /** Scrolls so the target line is a third of the way down (unfolding its step). */
  goToTarget({ onlyIfHidden = false } = {}) {
    if (this.target === null || !this.index) return;
    const revealed = this.folds.reveal(this.target);
    const g = this.geometry();
    const row = this.folds.rowOfLine(this.target);
    if (onlyIfHidden && !revealed && row >= g.first && row < g.first + g.visible - 1) return;
    const topRow = Math.max(0, row - Math.floor(g.visible / 3));
    if (!g.scaled) {
      this.scroller.scrollTop = topRow * ROW;
    } else {
      const span = Math.max(1, g.rows - g.visible);
      this.scroller.scrollTop = (topRow / span) * (g.space - this.scroller.clientHeight);
    }
  }

  click(event) {
    const fold = event.target.closest('button.lv-fold');
    if (fold) {
      const step = this.folds.steps.find((s) => s.index === Number(fold.dataset.step));
      if (step) {
        step.folded = !step.folded;
        this.folds.update();
        this.draw();
      }
      return;
    }
    const all = event.target.closest('button.lv-all');
    if (all) {
      for (const step of this.folds.steps) step.folded = all.dataset.all === 'fold';
      this.folds.update();
      this.draw();
      return;
    }
    const link = event.target.closest('a.lv-ln, .lv-errors a');
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      // The URL keeps the line (to share it); the history gets no entry per click.
      event.preventDefault();
      const line = Number.parseInt(new URLSearchParams(link.getAttribute('href').split('?')[1]).get('line'), 10);
      navigate('log', withParams(this.params, { line }), { replace: true });
    }
  }

  unmount() {
    if (this.controller) this.controller.abort();
    if (this.frame) cancelAnimationFrame(this.frame);
    window.removeEventListener('resize', this.onResize);
    this.root.removeEventListener('click', this.onClick);
    this.index = null;
  }
}
