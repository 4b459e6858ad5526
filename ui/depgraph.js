// The dependency view of a job: its upstream and downstream neighbourhood drawn from
// `dependencyGraph` nodes and edges (laid out here, in layers, dependencies above the jobs
// that wait on them; a layer wider than the box wraps into rows), with blockers and the
// critical path marked. Every node is a link: clicking one (or Enter on it) moves the view
// to that job. The drawing opens fitted to its box; the wheel, + and − (buttons or keys) zoom,
// a drag pans, "fit" (or 0) fits again. It follows its repository's job changes: a change to
// a drawn job redraws it where the person was looking.

import { gql, live } from './graphql.js';
import { href, navigate, withParams } from './router.js';
import { esc, statusOf, STATUS_MARK, badge, duration, errorBox, shortRev, debounce } from './util.js';

const NODE_W = 220;
const NODE_H = 46;
const GAP_X = 22;
/** Between layers, and between the rows a wide layer wraps into. */
const GAP_Y = 56;
const ROW_GAP = 14;
const PAD = 16;
/** The right margin that edges skipping layers run down. */
const BEND = 40;
/** Characters of a label line that fit in a node (12 px monospace). */
const LABEL_CHARS = 28;
/** Zoom: the bounds of the scale, and one step of the buttons and keys. */
const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
const STEP = 1.25;

const NODE_FIELDS = 'guid name symbol groupSymbol platform state result kind';

const GRAPH_QUERY = `query Dependencies($guid: String!, $direction: GraphDirection!, $depth: Int) {
  job(guid: $guid) {
    ${NODE_FIELDS} startedAt finishedAt
    repository { name }
    push { pushId revision }
    blockers(first: 100) { nodes { ${NODE_FIELDS} } pageInfo { hasNextPage } }
    criticalPath { totalDuration jobs { ${NODE_FIELDS} } }
  }
  dependencyGraph(guid: $guid, direction: $direction, maxDepth: $depth) {
    nodes { ${NODE_FIELDS} }
    edges { kind dependent dependency }
  }
}`;

const JOB_CHANGED = `subscription GraphJobs($repo: String!, $after: String) {
  jobChanged(repository: $repo, after: $after) { cursor job { guid } }
}`;

/** Build types that follow the platform in a task name (`test-linux64/opt-…`). */
const BUILD_TYPE = /^(opt|debug|pgo|shippable|asan|tsan|ccov)(-|$)/;

/**
 * What tells a job apart from its neighbours, for its node: the suite and chunk of a test
 * ("mochitest-browser-chrome 3" for `test-linux64/opt-mochitest-browser-chrome-3`), the
 * locale of a repack, otherwise the name. The platform, symbol and status go on the second
 * line, the full name in the tooltip.
 */
export function jobLabel(job) {
  const name = job.name || job.guid;
  const slash = name.indexOf('/');
  let label = name;
  if (slash >= 0) {
    const rest = name.slice(slash + 1).replace(BUILD_TYPE, '');
    if (rest) label = rest;
  }
  if (label !== name && job.kind === 'L10N_REPACK') label = `repack ${label}`;
  return label.replace(/-(\d+)$/, ' $1');
}

/** The group and symbol as the push list shows them: `M(bc3)`, `B`. */
function symbolText(job) {
  if (!job.symbol) return '';
  return job.groupSymbol ? `${job.groupSymbol}(${job.symbol})` : job.symbol;
}

/**
 * How many rows a layer of `count` jobs wraps into when a row holds `perRow`.
 */
function rowsOf(count, perRow) {
  return Math.max(1, Math.ceil(count / perRow));
}

/** The drawing's size when rows hold at most `perRow` jobs. */
function sizeWith(layers, perRow) {
  const widest = Math.max(1, ...layers.map((r) => Math.min(r.length, perRow)));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  let height = PAD * 2 + Math.max(0, layers.length - 1) * GAP_Y;
  for (const row of layers) {
    const rows = rowsOf(row.length, perRow);
    height += rows * NODE_H + (rows - 1) * ROW_GAP;
  }
  return { width, height };
}

/**
 * How many jobs a row holds: a layer wider than that wraps into several rows. Chosen so the
 * drawing fits the box (`box`: {width, height}) at the largest scale (at most 1), and of
 * those, with the fewest wraps.
 */
function rowLength(layers, box) {
  const widest = Math.max(1, ...layers.map((r) => r.length));
  if (!box || !(box.width > 0) || !(box.height > 0)) return widest;
  let best = widest;
  let bestScale = -1;
  for (let perRow = widest; perRow >= 1; perRow -= 1) {
    const { width, height } = sizeWith(layers, perRow);
    const scale = Math.min(1, box.width / width, box.height / height);
    if (scale > bestScale + 1e-9) {
      best = perRow;
      bestScale = scale;
    }
  }
  return best;
}

/**
 * Places nodes in layers: a job sits one layer below the lowest of its dependencies; the
 * order within a layer follows the average position of the neighbours (a few sweeps). A
 * layer wider than the box wraps into rows (see `rowLength`). Returns guid -> {x, y, layer}
 * and the picture's size.
 */
export function layout(nodes, edges, box = null) {
  const up = new Map(nodes.map((n) => [n.guid, []])); // guid -> its dependencies
  const down = new Map(nodes.map((n) => [n.guid, []])); // guid -> its dependents
  for (const e of edges) {
    if (!up.has(e.dependent) || !up.has(e.dependency)) continue;
    up.get(e.dependent).push(e.dependency);
    down.get(e.dependency).push(e.dependent);
  }
  // Longest path from the sources, in topological order (Kahn).
  const layer = new Map();
  const waiting = new Map(nodes.map((n) => [n.guid, up.get(n.guid).length]));
  const queue = nodes.filter((n) => waiting.get(n.guid) === 0).map((n) => n.guid);
  for (const g of queue) layer.set(g, 0);
  for (let i = 0; i < queue.length; i += 1) {
    const g = queue[i];
    for (const d of down.get(g)) {
      layer.set(d, Math.max(layer.get(d) || 0, layer.get(g) + 1));
      waiting.set(d, waiting.get(d) - 1);
      if (waiting.get(d) === 0) queue.push(d);
    }
  }
  for (const n of nodes) if (!layer.has(n.guid)) layer.set(n.guid, 0); // never: no cycles
  const layers = [];
  for (const n of nodes) {
    const l = layer.get(n.guid);
    (layers[l] = layers[l] || []).push(n.guid);
  }
  const byName = new Map(nodes.map((n) => [n.guid, `${n.platform || ''} ${n.name}`]));
  const position = new Map();
  for (const row of layers) {
    row.sort((a, b) => byName.get(a).localeCompare(byName.get(b), 'en', { numeric: true }));
    row.forEach((g, i) => position.set(g, i));
  }
  const sweep = (rows, neighbours) => {
    for (const row of rows) {
      const weight = new Map(row.map((g) => {
        const ns = neighbours.get(g);
        return [g, ns.length ? ns.reduce((s, n) => s + position.get(n), 0) / ns.length : position.get(g)];
      }));
      // Stable: jobs with the same neighbours stay in name order (suites and chunks together).
      row.sort((a, b) => weight.get(a) - weight.get(b));
      row.forEach((g, i) => position.set(g, i));
    }
  };
  for (let i = 0; i < 3; i += 1) {
    sweep(layers.slice(1), up);
    sweep(layers.slice(0, -1).reverse(), down);
  }
  const perRow = rowLength(layers, box);
  const { width, height } = sizeWith(layers, perRow);
  const at = new Map();
  const bands = []; // per layer: the y of its first row's top and of its last row's bottom
  let y = PAD;
  layers.forEach((row, l) => {
    const rows = rowsOf(row.length, perRow);
    // Rows of one layer hold as many as each other (the last may hold fewer) and share one
    // grid, so the gutters between their columns line up for edges to run down.
    const holds = Math.ceil(row.length / rows);
    const left = (width - (holds * NODE_W + (holds - 1) * GAP_X)) / 2;
    const top = y;
    for (let r = 0; r < rows; r += 1) {
      const part = row.slice(r * holds, (r + 1) * holds);
      part.forEach((g, i) => at.set(g, { x: left + i * (NODE_W + GAP_X), y, layer: l, row: r, rows }));
      y += NODE_H + (r < rows - 1 ? ROW_GAP : GAP_Y);
    }
    bands.push({ top, bottom: y - GAP_Y });
  });
  return { at, bands, width, height };
}

function clip(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

/**
 * The path of an edge from the bottom of `from` (a dependency) to the top of `to`. Between
 * neighbouring layers, from a last row to a first row, a curve. Otherwise it keeps to the
 * free space: out of a wrapped layer through the gutter beside its node, along the channel
 * between layers, down the right margin past the layers it skips, and into a wrapped layer
 * down the gutter left of its node. Edges that share a stretch draw as one line, a bus.
 */
function edgePath(from, to, bands, width) {
  const x1 = from.x + NODE_W / 2;
  const y1 = from.y + NODE_H;
  const x2 = to.x + NODE_W / 2;
  const y2 = to.y - 2;
  const fromLast = from.row === from.rows - 1;
  const long = to.layer - from.layer > 1;
  if (!long && fromLast && to.row === 0) {
    return `M${x1},${y1} C${x1},${y1 + GAP_Y / 2} ${x2},${y2 - GAP_Y / 2} ${x2},${y2}`;
  }
  const below = bands[from.layer].bottom + GAP_Y / 2; // the channel under the source's layer
  const above = bands[to.layer].top - GAP_Y / 2; // the channel over the target's layer
  let d = `M${x1},${y1}`;
  if (!fromLast) {
    const gutter = from.x + NODE_W + GAP_X / 2;
    d += ` V${y1 + ROW_GAP / 2} H${gutter}`;
  }
  d += ` V${below}`;
  if (long) d += ` H${width + BEND / 2} V${above}`;
  if (to.row === 0) return `${d} H${x2} V${y2}`;
  const gutter = to.x - GAP_X / 2;
  return `${d} H${gutter} V${to.y - ROW_GAP / 2} H${x2} V${y2}`;
}

/** The picture as SVG markup: a `g.viewport` that zooming and panning transform. */
export function graphSvg(graph, { focus, blockers, critical, params, box = null }) {
  const { at, bands, width, height } = layout(graph.nodes, graph.edges, box);
  const onPath = new Set();
  for (let i = 1; i < critical.length; i += 1) onPath.add(`${critical[i - 1]}>${critical[i]}`);
  // A job with no ancestors is its own critical path: nothing worth marking.
  const criticalSet = new Set(critical.length > 1 ? critical : []);
  let anyLong = false;
  const edges = graph.edges.map((e) => {
    const from = at.get(e.dependency);
    const to = at.get(e.dependent);
    if (!from || !to) return '';
    const crit = onPath.has(`${e.dependency}>${e.dependent}`) ? ' crit' : '';
    const long = to.layer - from.layer > 1;
    anyLong = anyLong || long;
    const d = edgePath(from, to, bands, width);
    return `<path class="edge k-${e.kind.toLowerCase()}${crit}" d="${d}" marker-end="url(#arrow${crit ? '-crit' : ''})"><title>${esc(e.kind.toLowerCase())}</title></path>`;
  }).join('');
  const nodes = graph.nodes.map((n) => {
    const p = at.get(n.guid);
    const word = statusOf(n);
    const classes = ['node', `s-${word}`];
    const marks = [];
    if (n.guid === focus) classes.push('focus');
    if (blockers.has(n.guid)) {
      classes.push('blocker');
      marks.push('⊗ blocker');
    }
    if (criticalSet.has(n.guid)) {
      classes.push('critical');
      marks.push('★ critical');
    }
    const where = [n.platform || n.kind.toLowerCase(), symbolText(n)].filter(Boolean).join(' · ');
    const second = `${STATUS_MARK[word]} ${where}`;
    const flags = marks.map((m) => m.split(' ')[0]).join('');
    const link = href('graph', withParams(params, { job: n.guid }));
    return `<a class="${classes.join(' ')}" href="${esc(link)}" data-guid="${esc(n.guid)}" aria-label="${esc(`${n.name}, ${word}${marks.length ? `, ${marks.join(', ')}` : ''}`)}">
<title>${esc(n.name)} — ${word}${marks.length ? ` (${marks.join(', ')})` : ''}</title>
<rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="6"></rect>
<text x="${p.x + 8}" y="${p.y + 18}" class="l1">${esc(clip(jobLabel(n), LABEL_CHARS))}</text>
<text x="${p.x + 8}" y="${p.y + 36}" class="l2">${esc(clip(second, LABEL_CHARS - flags.length - 1))}${flags ? ` <tspan class="flags">${flags}</tspan>` : ''}</text></a>`;
  }).join('');
  const wide = width + (anyLong ? BEND : 0);
  return `<svg class="depgraph" role="img" aria-label="dependency graph: ${graph.nodes.length} jobs, ${graph.edges.length} edges" data-width="${wide}" data-height="${height}" xmlns="http://www.w3.org/2000/svg">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z"></path></marker>
<marker id="arrow-crit" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path class="crit" d="M0,0 L10,5 L0,10 z"></path></marker></defs>
<g class="viewport"><rect class="backdrop" width="${wide}" height="${height}"></rect><g class="edges">${edges}</g><g class="nodes">${nodes}</g></g></svg>`;
}

function jobList(jobs, params) {
  return `<ol class="joblist">${jobs.map((j) => {
    const word = statusOf(j);
    return `<li><a href="${esc(href('graph', withParams(params, { job: j.guid })))}" data-guid="${esc(j.guid)}">${esc(j.name)}</a> ${badge(word)}</li>`;
  }).join('')}</ol>`;
}

export class GraphView {
  constructor(root, route, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.generation = 0;
    this.stops = [];
    this.repo = '';
    this.shown = new Set();
    this.view = null; // {scale, x, y}: the drawing's transform
    this.moved = false; // the person zoomed or panned since the drawing was fitted
    root.innerHTML = `<div class="graph-page"><div class="graph-side"></div>
<div class="graph-box"><div class="zoom" role="group" aria-label="zoom">
<button type="button" data-zoom="in" title="zoom in (+)" aria-label="zoom in">+</button>
<button type="button" data-zoom="out" title="zoom out (−)" aria-label="zoom out">−</button>
<button type="button" data-zoom="fit" title="fit the drawing to the box (0)">fit</button>
<span class="scale" aria-live="polite"></span></div>
<div class="graph-canvas" tabindex="0" aria-label="the drawing: drag to pan, wheel or + and − to zoom"></div></div></div>`;
    this.side = root.querySelector('.graph-side');
    this.canvas = root.querySelector('.graph-canvas');
    this.scaleText = root.querySelector('.zoom .scale');
    this.side.addEventListener('change', (event) => {
      const { name, value } = event.target;
      if (name === 'dir' || name === 'depth') navigate('graph', withParams(this.params, { [name]: value }));
    });
    root.querySelector('.zoom').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-zoom]');
      if (button) this.zoomButton(button.dataset.zoom);
    });
    this.bindPointer();
    this.refreshSoon = debounce(() => this.load({ keep: true }), 400);
    this.resized = new ResizeObserver(() => {
      if (this.view && !this.moved) this.fit();
    });
    this.resized.observe(this.canvas);
    this.update(route);
  }

  update(route) {
    const before = this.params;
    this.params = route.params;
    // The same drawing asked again (a link to itself): keep where the person looked.
    const same = before && ['job', 'dir', 'depth'].every((k) => before.get(k) === route.params.get(k));
    this.load({ keep: same });
    return true;
  }

  async load({ keep = false } = {}) {
    const guid = this.params.get('job');
    const generation = ++this.generation;
    if (!guid) {
      this.side.innerHTML = '<p class="empty">Pick a job in the push list and press <kbd>g</kbd>, or follow its “dependency view” link.</p>';
      this.canvas.innerHTML = '';
      this.follow('');
      return;
    }
    const direction = (this.params.get('dir') || 'both').toUpperCase();
    const depthParam = this.params.get('depth') || '2';
    const depth = depthParam === 'all' ? null : Number(depthParam);
    this.root.setAttribute('aria-busy', 'true');
    try {
      const data = await gql(GRAPH_QUERY, { guid, direction, depth });
      if (generation !== this.generation) return;
      if (!data.job) {
        this.side.innerHTML = `<p class="empty">No job ${esc(guid)}.</p>`;
        this.canvas.innerHTML = '';
        this.follow('');
        return;
      }
      this.render(data.job, data.dependencyGraph, { direction, depthParam, keep });
      this.shown = new Set(data.dependencyGraph.nodes.map((n) => n.guid));
      this.follow(data.job.repository.name);
      if (this.ctx && this.ctx.showRepository) this.ctx.showRepository(data.job.repository.name);
    } catch (error) {
      if (generation === this.generation) {
        this.side.innerHTML = errorBox(error);
        this.canvas.innerHTML = '';
      }
    } finally {
      if (generation === this.generation) this.root.removeAttribute('aria-busy');
    }
  }

  /** Follows the jobs of `repo`: a change to a drawn job redraws, keeping the zoom. */
  follow(repo) {
    if (repo === this.repo) return;
    this.stop();
    this.repo = repo;
    if (!repo) return;
    this.stops = [
      live.subscribe(JOB_CHANGED, { repo }, (data) => {
        if (data.jobChanged && this.shown.has(data.jobChanged.job.guid)) this.refreshSoon();
      }),
      live.onResync(() => this.refreshSoon()),
    ];
  }

  stop() {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  render(job, graph, { direction, depthParam, keep }) {
    const params = this.params;
    const blockers = job.blockers.nodes;
    const critical = job.criticalPath.jobs;
    const word = statusOf(job);
    const option = (value, current, label = value) => `<option value="${value}"${value === current ? ' selected' : ''}>${label}</option>`;
    const repo = job.repository.name;
    this.side.innerHTML = `
<h2><span class="job s-${word}" aria-hidden="true">${esc(job.symbol || STATUS_MARK[word])}</span> ${esc(job.name)}</h2>
<p>${badge(word)} · <a href="${esc(href('job', { guid: job.guid }))}">job detail</a>${job.push ? ` · <a href="${esc(href('pushes', { repo, rev: job.push.revision, job: job.guid }))}">push ${esc(shortRev(job.push.revision))}</a>` : ''}</p>
<form class="graph-controls" aria-label="what to draw">
<label>Direction <select name="dir">${option('both', direction.toLowerCase(), 'both ways')}${option('upstream', direction.toLowerCase(), 'upstream (what it waits on)')}${option('downstream', direction.toLowerCase(), 'downstream (what waits on it)')}</select></label>
<label>Depth <select name="depth">${['1', '2', '3', '5', 'all'].map((d) => option(d, depthParam)).join('')}</select></label>
</form>
<p class="graph-counts">${graph.nodes.length} job${graph.nodes.length === 1 ? '' : 's'}, ${graph.edges.length} edge${graph.edges.length === 1 ? '' : 's'} drawn.</p>
<section class="blockers"><h3>⊗ Blockers <span class="n">(${blockers.length}${job.blockers.pageInfo.hasNextPage ? '+' : ''})</span></h3>
${blockers.length ? jobList(blockers, params) : '<p class="none">nothing stands in its way</p>'}</section>
<section class="critical"><h3>★ Critical path <span class="n">(${esc(duration(job.criticalPath.totalDuration))})</span></h3>
${critical.length > 1 ? jobList(critical, params) : '<p class="none">no ancestors</p>'}</section>`;
    this.canvas.innerHTML = graphSvg(graph, {
      focus: job.guid,
      blockers: new Set(blockers.map((b) => b.guid)),
      critical: critical.map((j) => j.guid),
      params,
      box: this.box(),
    });
    this.svg = this.canvas.querySelector('svg');
    this.viewport = this.svg.querySelector('.viewport');
    this.size = { width: Number(this.svg.dataset.width), height: Number(this.svg.dataset.height) };
    if (keep && this.view) this.apply();
    else this.fit();
  }

  /** The canvas's inner size. */
  box() {
    return { width: this.canvas.clientWidth, height: this.canvas.clientHeight };
  }

  // ---- zoom and pan ----

  /** Scales the whole drawing into the box (never above its natural size), centred. */
  fit() {
    if (!this.size) return;
    const { width, height } = this.box();
    const scale = clamp(Math.min(1, (width - 2) / this.size.width, (height - 2) / this.size.height));
    this.view = {
      scale,
      x: (width - this.size.width * scale) / 2,
      y: Math.max(0, (height - this.size.height * scale) / 2),
    };
    this.moved = false;
    this.apply();
  }

  /** Zooms by `factor` about the point (`cx`, `cy`) of the box (its centre by default). */
  zoom(factor, cx, cy) {
    if (!this.view) return;
    const box = this.box();
    const px = cx ?? box.width / 2;
    const py = cy ?? box.height / 2;
    const scale = clamp(this.view.scale * factor);
    const k = scale / this.view.scale;
    this.view = { scale, x: px - (px - this.view.x) * k, y: py - (py - this.view.y) * k };
    this.moved = true;
    this.apply();
  }

  zoomButton(which) {
    if (which === 'in') this.zoom(STEP);
    else if (which === 'out') this.zoom(1 / STEP);
    else this.fit();
  }

  apply() {
    if (!this.viewport || !this.view) return;
    const { scale, x, y } = this.view;
    this.viewport.setAttribute('transform', `translate(${x.toFixed(1)} ${y.toFixed(1)}) scale(${scale.toFixed(4)})`);
    this.svg.dataset.scale = scale.toFixed(4);
    this.scaleText.textContent = `${Math.round(scale * 100)}%`;
  }

  /** Drag to pan (a drag is never a click on the node it started on), wheel and keys to zoom. */
  bindPointer() {
    const canvas = this.canvas;
    let drag = null;
    let dragged = false;
    canvas.addEventListener('pointerdown', (event) => {
      if (event.button !== 0 || !this.view) return;
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY, from: { ...this.view }, moving: false };
      dragged = false;
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moving && Math.hypot(dx, dy) < 4) return;
      if (!drag.moving) {
        drag.moving = true;
        canvas.setPointerCapture(event.pointerId);
        canvas.classList.add('dragging');
      }
      this.view = { ...drag.from, x: drag.from.x + dx, y: drag.from.y + dy };
      this.moved = true;
      this.apply();
    });
    const end = (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      dragged = drag.moving;
      drag = null;
      canvas.classList.remove('dragging');
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    // A node is a link, and a link is natively draggable: that drag would end the pan.
    canvas.addEventListener('dragstart', (event) => event.preventDefault());
    canvas.addEventListener('click', (event) => {
      if (!dragged) return;
      dragged = false;
      event.preventDefault();
      event.stopPropagation();
    }, true);
    canvas.addEventListener('wheel', (event) => {
      if (!this.view) return;
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const lines = event.deltaMode === 1 ? 16 : 1;
      this.zoom(Math.exp(-event.deltaY * lines * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    canvas.addEventListener('keydown', (event) => {
      if (event.target !== canvas || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === '+' || event.key === '=') this.zoom(STEP);
      else if (event.key === '-' || event.key === '_') this.zoom(1 / STEP);
      else if (event.key === '0') this.fit();
      else return;
      event.preventDefault();
    });
  }

  unmount() {
    this.generation += 1;
    this.refreshSoon.cancel();
    this.resized.disconnect();
    this.stop();
  }
}

function clamp(scale) {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}
