// The dependency view of a job: its upstream and downstream neighbourhood drawn from
// `dependencyGraph` nodes and edges (laid out here, in layers, dependencies above the jobs
// that wait on them), with blockers and the critical path marked. Every node is a link:
// clicking one (or Enter on it) moves the view to that job.

import { gql } from './graphql.js';
import { href, navigate, withParams } from './router.js';
import { esc, statusOf, STATUS_MARK, badge, duration, errorBox, shortRev } from './util.js';

const NODE_W = 168;
const NODE_H = 46;
const GAP_X = 22;
const GAP_Y = 56;
const PAD = 16;
/** How far sideways an edge that skips layers bulges. */
const BEND = NODE_W * 0.75;

const NODE_FIELDS = 'guid name symbol platform state result kind';

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

/**
 * Places nodes in layers: a job sits one layer below the lowest of its dependencies; the
 * order within a layer follows the average position of the neighbours (a few sweeps).
 * Returns guid -> {x, y} and the picture's size.
 */
export function layout(nodes, edges) {
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
    row.sort((a, b) => byName.get(a).localeCompare(byName.get(b)));
    row.forEach((g, i) => position.set(g, i));
  }
  const sweep = (rows, neighbours) => {
    for (const row of rows) {
      const weight = new Map(row.map((g) => {
        const ns = neighbours.get(g);
        return [g, ns.length ? ns.reduce((s, n) => s + position.get(n), 0) / ns.length : position.get(g)];
      }));
      row.sort((a, b) => weight.get(a) - weight.get(b));
      row.forEach((g, i) => position.set(g, i));
    }
  };
  for (let i = 0; i < 3; i += 1) {
    sweep(layers.slice(1), up);
    sweep(layers.slice(0, -1).reverse(), down);
  }
  const widest = Math.max(1, ...layers.map((r) => r.length));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const at = new Map();
  layers.forEach((row, l) => {
    const rowWidth = row.length * NODE_W + (row.length - 1) * GAP_X;
    const left = (width - rowWidth) / 2;
    row.forEach((g, i) => at.set(g, { x: left + i * (NODE_W + GAP_X), y: PAD + l * (NODE_H + GAP_Y) }));
  });
  const height = PAD * 2 + layers.length * NODE_H + Math.max(0, layers.length - 1) * GAP_Y;
  return { at, width, height };
}

function clip(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

/** The picture as SVG markup. */
export function graphSvg(graph, { focus, blockers, critical, params }) {
  const { at, width, height } = layout(graph.nodes, graph.edges);
  const onPath = new Set();
  for (let i = 1; i < critical.length; i += 1) onPath.add(`${critical[i - 1]}>${critical[i]}`);
  // A job with no ancestors is its own critical path: nothing worth marking.
  const criticalSet = new Set(critical.length > 1 ? critical : []);
  let anyLong = false;
  const edges = graph.edges.map((e) => {
    const from = at.get(e.dependency);
    const to = at.get(e.dependent);
    if (!from || !to) return '';
    const x1 = from.x + NODE_W / 2;
    const y1 = from.y + NODE_H;
    const x2 = to.x + NODE_W / 2;
    const y2 = to.y;
    const crit = onPath.has(`${e.dependency}>${e.dependent}`) ? ' crit' : '';
    // An edge over more than one layer bulges sideways, so it does not run through the
    // nodes of the layers between.
    const long = y2 - y1 > NODE_H + GAP_Y + 1;
    anyLong = anyLong || long;
    const bend = long ? BEND : 0;
    const d = long
      ? `M${x1},${y1} C${x1 + bend},${y1 + GAP_Y} ${x2 + bend},${y2 - GAP_Y} ${x2},${y2 - 2}`
      : `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2 - 2}`;
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
    const label = `${n.symbol ? `${n.symbol} · ` : ''}${n.platform || n.kind.toLowerCase()}`;
    const link = href('graph', withParams(params, { job: n.guid }));
    return `<a class="${classes.join(' ')}" href="${esc(link)}" data-guid="${esc(n.guid)}" aria-label="${esc(`${n.name}, ${word}${marks.length ? `, ${marks.join(', ')}` : ''}`)}">
<title>${esc(n.name)} — ${word}${marks.length ? ` (${marks.join(', ')})` : ''}</title>
<rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="6"></rect>
<text x="${p.x + 8}" y="${p.y + 18}" class="l1">${esc(STATUS_MARK[word])} ${esc(clip(label, 17))}${marks.length ? ` ${marks.map((m) => m.split(' ')[0]).join('')}` : ''}</text>
<text x="${p.x + 8}" y="${p.y + 35}" class="l2">${esc(clip(n.name, 21))}</text></a>`;
  }).join('');
  const wide = width + (anyLong ? BEND : 0);
  return `<svg class="depgraph" role="img" aria-label="dependency graph: ${graph.nodes.length} jobs, ${graph.edges.length} edges" width="${wide}" height="${height}" viewBox="0 0 ${wide} ${height}" xmlns="http://www.w3.org/2000/svg">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z"></path></marker>
<marker id="arrow-crit" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path class="crit" d="M0,0 L10,5 L0,10 z"></path></marker></defs>
<g class="edges">${edges}</g><g class="nodes">${nodes}</g></svg>`;
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
    root.innerHTML = `<div class="graph-page"><div class="graph-side"></div><div class="graph-canvas" tabindex="-1"></div></div>`;
    this.side = root.querySelector('.graph-side');
    this.canvas = root.querySelector('.graph-canvas');
    this.side.addEventListener('change', (event) => {
      const { name, value } = event.target;
      if (name === 'dir' || name === 'depth') navigate('graph', withParams(this.params, { [name]: value }));
    });
    this.update(route);
  }

  update(route) {
    this.params = route.params;
    this.load();
    return true;
  }

  async load() {
    const guid = this.params.get('job');
    const generation = ++this.generation;
    if (!guid) {
      this.side.innerHTML = '<p class="empty">Pick a job in the push list and press <kbd>g</kbd>, or follow its “dependency view” link.</p>';
      this.canvas.innerHTML = '';
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
        return;
      }
      this.render(data.job, data.dependencyGraph, { direction, depthParam });
    } catch (error) {
      if (generation === this.generation) {
        this.side.innerHTML = errorBox(error);
        this.canvas.innerHTML = '';
      }
    } finally {
      if (generation === this.generation) this.root.removeAttribute('aria-busy');
    }
  }

  render(job, graph, { direction, depthParam }) {
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
    });
    // Bring the job itself into view when the picture is wider or taller than the canvas.
    const focus = this.canvas.querySelector('.node.focus rect');
    if (focus) {
      this.canvas.scrollLeft = Number(focus.getAttribute('x')) - (this.canvas.clientWidth - NODE_W) / 2;
      this.canvas.scrollTop = Number(focus.getAttribute('y')) - (this.canvas.clientHeight - NODE_H) / 2;
    }
  }

  unmount() {
    this.generation += 1;
  }
}
