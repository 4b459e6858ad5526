//! Timings and memory of the graph on a generated Firefox-shaped graph of a million jobs and
//! three million edges, each question beside the same question answered by a plain petgraph
//! search over a plain `petgraph::Graph` of the same data (the limit we aim to stay within 3x
//! of). A binary that prints a table rather than a criterion suite: the figures are for the
//! issue and the README, and a run must stay under two minutes on two cores.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-graph cargo bench -p treeherd-graph`
//! (`-- --jobs N` for another size).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, DfsPostOrder, NodeFiltered, Reversed, VisitMap, Visitable, Walker};
use treeherd_graph::generate::{Generated, Params, generate};
use treeherd_graph::{DependencyKind, JobGraph, JobId, JobState, JobStatus, KindFilter};

/// Plain petgraph: node index = job id - first id, so the baseline does not even pay the id
/// lookup.
type Plain = DiGraph<JobStatus, DependencyKind>;

const SAMPLES: usize = 1000;

fn main() {
    let jobs = std::env::args()
        .skip_while(|a| a != "--jobs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let params = Params::for_jobs(jobs);
    let first = params.first_id;
    let now = params.now;

    let t = Instant::now();
    let data = generate(&params);
    let generate_time = t.elapsed();
    let rss_data = rss_mb();

    let t = Instant::now();
    let graph = data.to_graph().unwrap();
    let build_time = t.elapsed();
    let rss_graph = rss_mb();

    let t = Instant::now();
    let mut checked = JobGraph::with_capacity(data.jobs.len(), data.edges.len());
    let mut edges = data.edges.iter().peekable();
    for job in &data.jobs {
        checked.upsert_job(job.id, job.status);
        while let Some(e) = edges.next_if(|e| e.dependent == job.id) {
            checked.add_edge(e.dependent, e.dependency, e.kind).unwrap();
        }
    }
    let checked_time = t.elapsed();
    drop(checked);

    let t = Instant::now();
    let mut plain = plain_graph(&data);
    let plain_time = t.elapsed();

    println!(
        "graph: {} jobs, {} edges ({:.2} per job), {} pushes x {} builds; generated in {}",
        graph.len(),
        graph.edge_count(),
        graph.edge_count() as f64 / graph.len() as f64,
        params.pushes,
        params.builds_per_push,
        secs(generate_time),
    );
    println!();
    println!("| load | time | resident memory |");
    println!("|---|---|---|");
    println!(
        "| JobGraphBuilder (bulk, one acyclicity check) | {} | {:.0} MB for the graph ({:.0} MB process) |",
        secs(build_time),
        rss_graph - rss_data,
        rss_graph
    );
    println!(
        "| JobGraph::add_edge one by one (checked) | {} | |",
        secs(checked_time)
    );
    println!(
        "| plain petgraph::Graph (no checks, baseline) | {} | |",
        secs(plain_time)
    );
    println!();

    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let pushes = &data.pushes;
    let n = |id: JobId| NodeIndex::new((id.0 - first) as usize);
    let pick_build = |rng: &mut XorShift, recent: usize| {
        let push = &pushes[pushes.len() - 1 - rng.below(recent.min(pushes.len()))];
        push.builds[rng.below(push.builds.len())]
    };
    let builds: Vec<JobId> = (0..SAMPLES)
        .map(|_| pick_build(&mut rng, pushes.len()))
        .collect();
    let recent_builds: Vec<JobId> = (0..SAMPLES).map(|_| pick_build(&mut rng, 20)).collect();
    let releases: Vec<JobId> = (0..SAMPLES)
        .map(|_| pushes[rng.below(pushes.len())].release)
        .collect();
    let all = KindFilter::ALL;

    let mut table = Table::default();
    table.row(
        "descendants(build)",
        measure(&builds, |id| {
            graph.descendants(id, all, None).unwrap().len()
        }),
        measure(&builds, |id| bfs_count(Reversed(&plain), n(id))),
    );
    table.row(
        "ancestors(release)",
        measure(&releases, |id| {
            graph.ancestors(id, all, None).unwrap().len()
        }),
        measure(&releases, |id| bfs_count(&plain, n(id))),
    );
    table.row(
        "blockers(release)",
        measure(&releases, |id| graph.blockers(id, all, None).unwrap().len()),
        measure(&releases, |id| plain_blockers(&plain, n(id))),
    );
    table.row(
        "impact(build, last 20 pushes)",
        measure(&recent_builds, |id| {
            graph.impact(id, all, None).unwrap().len()
        }),
        measure(&recent_builds, |id| plain_impact(&plain, n(id))),
    );
    table.row_walk(
        "critical_path(release) [plain: ancestors BFS]",
        measure(&releases, |id| {
            graph.critical_path(id, all, now).unwrap().jobs.len()
        }),
        measure(&releases, |id| bfs_count(&plain, n(id))),
    );
    table.row(
        "critical_path(release) [plain: DfsPostOrder + DP]",
        measure(&releases, |id| {
            graph.critical_path(id, all, now).unwrap().jobs.len()
        }),
        measure(&releases, |id| plain_critical_path(&plain, n(id), now)),
    );
    let toolchains: Vec<(JobId, JobId)> = (0..SAMPLES)
        .map(|_| {
            let push = &pushes[rng.below(pushes.len())];
            (push.release, push.toolchain)
        })
        .collect();
    table.row(
        "shortest_path(release, toolchain)",
        measure(&toolchains, |(a, b)| {
            graph
                .shortest_path(a, b, all)
                .unwrap()
                .map_or(0, |p| p.len())
        }),
        measure(&toolchains, |(a, b)| plain_path_len(&plain, n(a), n(b))),
    );

    // Inserts. New jobs arriving (a test of a recent build and its docker image): the common
    // case, where the edge agrees with the order.
    let mut next_id = first + data.jobs.len() as i64;
    let arrivals: Vec<(JobId, JobId, DependencyKind)> = (0..SAMPLES)
        .flat_map(|i| {
            let push = &pushes[pushes.len() - 1 - i % 20];
            let job = JobId(next_id + i as i64);
            let build = push.builds[i % push.builds.len()];
            [
                (job, build, DependencyKind::Test),
                (job, push.docker_image, DependencyKind::Generic),
            ]
        })
        .collect();
    next_id += SAMPLES as i64;
    let mut graph = graph;
    for &(job, _, _) in arrivals.iter().step_by(2) {
        graph.upsert_job(job, JobStatus::waiting(JobState::Pending));
        plain.add_node(JobStatus::waiting(JobState::Pending));
    }
    let ours = measure_mut(&arrivals, |(a, b, k)| {
        usize::from(graph.add_edge(a, b, k).unwrap())
    });
    let base = measure(&arrivals, |(a, b, _)| {
        usize::from(!petgraph::algo::has_path_connecting(
            &plain,
            n(b),
            n(a),
            None,
        ))
    });
    table.row("add_edge: new job -> older job (cycle check)", ours, base);

    // Edges against the order: an older push's test made to wait on a newer push's build, so
    // ranks must move. Removed again after, untimed.
    let against: Vec<(JobId, JobId, DependencyKind)> = (0..SAMPLES)
        .map(|_| {
            let p = rng.below(pushes.len() - 1);
            let q = p + 1 + rng.below(pushes.len() - 1 - p);
            let test = JobId(pushes[p].builds[0].0 + 1 + rng.below(40) as i64);
            (
                test,
                pushes[q].builds[rng.below(pushes[q].builds.len())],
                DependencyKind::Generic,
            )
        })
        .collect();
    let ours = measure_mut(&against, |(a, b, k)| {
        usize::from(graph.add_edge(a, b, k).unwrap())
    });
    let base = measure(&against, |(a, b, _)| {
        usize::from(!petgraph::algo::has_path_connecting(
            &plain,
            n(b),
            n(a),
            None,
        ))
    });
    for &(a, b, _) in &against {
        graph.remove_edge(a, b);
    }
    table.row("add_edge: older job -> newer job (reorders)", ours, base);

    // Refusals: a build made to wait on its own push's release.
    let closing: Vec<(JobId, JobId)> = (0..SAMPLES)
        .map(|_| {
            let push = &pushes[rng.below(pushes.len())];
            (push.builds[rng.below(push.builds.len())], push.release)
        })
        .collect();
    let ours = measure_mut(&closing, |(a, b)| {
        graph.add_edge(a, b, DependencyKind::Generic).unwrap_err();
        1
    });
    let base = measure(&closing, |(a, b)| {
        usize::from(petgraph::algo::has_path_connecting(
            &plain,
            n(b),
            n(a),
            None,
        ))
    });
    table.row("add_edge: refused, closes a cycle", ours, base);
    table.print();

    // Questions without a plain counterpart worth timing.
    println!();
    println!("| other question | answer size | p50 | p99 |");
    println!("|---|---|---|---|");
    let push_jobs: Vec<Vec<JobId>> = (0..20)
        .map(|_| {
            let push = &pushes[rng.below(pushes.len())];
            graph
                .ancestors(push.release, all, None)
                .unwrap()
                .into_iter()
                .map(|r| r.job)
                .chain([push.release])
                .collect()
        })
        .collect();
    let s = measure(&push_jobs, |ids| {
        graph.topological_order(ids).unwrap().len()
    });
    println!(
        "| topological_order(one push's jobs) | {:.0} | {} | {} |",
        s.size,
        us(s.p50),
        us(s.p99)
    );
    let s = measure(&push_jobs, |ids| graph.ready_among(ids, all).count());
    println!(
        "| ready_among(one push's jobs) | {:.0} | {} | {} |",
        s.size,
        us(s.p50),
        us(s.p99)
    );
    let s = measure(&releases[..100], |id| {
        graph.dependencies(id, all).unwrap().len()
    });
    println!(
        "| dependencies(release), one hop | {:.0} | {} | {} |",
        s.size,
        us(s.p50),
        us(s.p99)
    );
    let s = measure(&[(); 3], |()| graph.ready(all).count());
    println!(
        "| ready(), full scan | {:.0} | {} | {} |",
        s.size,
        us(s.p50),
        us(s.p99)
    );
    let _ = next_id;
}

/// Per-sample latencies and the mean answer size.
struct Stats {
    p50: Duration,
    p99: Duration,
    size: f64,
    max_size: usize,
}

fn measure<T: Clone>(inputs: &[T], mut f: impl FnMut(T) -> usize) -> Stats {
    measure_mut(inputs, &mut f)
}

fn measure_mut<T: Clone>(inputs: &[T], mut f: impl FnMut(T) -> usize) -> Stats {
    let mut times = Vec::with_capacity(inputs.len());
    let (mut total, mut max_size) = (0usize, 0usize);
    for input in inputs {
        let input = input.clone();
        let t = Instant::now();
        let size = black_box(f(black_box(input)));
        times.push(t.elapsed());
        total += size;
        max_size = max_size.max(size);
    }
    times.sort_unstable();
    Stats {
        p50: times[times.len() / 2],
        p99: times[(times.len() * 99 / 100).min(times.len() - 1)],
        size: total as f64 / inputs.len().max(1) as f64,
        max_size,
    }
}

#[derive(Default)]
struct Table(Vec<String>);

impl Table {
    /// A question answered both ways; the answers must have the same sizes.
    fn row(&mut self, name: &str, ours: Stats, base: Stats) {
        assert_eq!(
            ours.size, base.size,
            "{name}: the baseline found another answer size"
        );
        let size = format!("{:.0} (max {})", ours.size, ours.max_size);
        self.push(name, size, ours, base);
    }

    /// A question whose baseline only walks the subgraph the answer needs.
    fn row_walk(&mut self, name: &str, ours: Stats, base: Stats) {
        let size = format!(
            "{:.1} (max {}) of {:.0} walked",
            ours.size, ours.max_size, base.size
        );
        self.push(name, size, ours, base);
    }

    fn push(&mut self, name: &str, size: String, ours: Stats, base: Stats) {
        self.0.push(format!(
            "| {name} | {size} | {} | {} | {} | {} | {:.2}x |",
            us(ours.p50),
            us(ours.p99),
            us(base.p50),
            us(base.p99),
            ours.p50.as_secs_f64() / base.p50.as_secs_f64(),
        ));
    }

    fn print(&self) {
        println!(
            "| question | answer size, mean (max) | treeherd p50 | treeherd p99 | plain p50 | plain p99 | p50 ratio |"
        );
        println!("|---|---|---|---|---|---|---|");
        for row in &self.0 {
            println!("{row}");
        }
    }
}

fn plain_graph(data: &Generated) -> Plain {
    let mut g = Plain::with_capacity(data.jobs.len() + SAMPLES, data.edges.len());
    let first = data.jobs.first().map_or(0, |j| j.id.0);
    for job in &data.jobs {
        g.add_node(job.status);
    }
    for e in &data.edges {
        let (a, b) = (
            (e.dependent.0 - first) as usize,
            (e.dependency.0 - first) as usize,
        );
        g.add_edge(NodeIndex::new(a), NodeIndex::new(b), e.kind);
    }
    g
}

/// Jobs reached from `start` (excluded) by petgraph's own `Bfs`.
fn bfs_count<G>(g: G, start: NodeIndex) -> usize
where
    G: petgraph::visit::IntoNeighbors<NodeId = NodeIndex> + petgraph::visit::Visitable,
{
    Bfs::new(g, start).iter(g).count() - 1
}

fn plain_blockers(g: &Plain, start: NodeIndex) -> usize {
    let open = NodeFiltered::from_fn(g, |x| x == start || !g[x].is_satisfied());
    Bfs::new(&open, start)
        .iter(&open)
        .filter(|&x| {
            x != start
                && g.neighbors_directed(x, Outgoing)
                    .all(|d| g[d].is_satisfied())
        })
        .count()
}

fn plain_impact(g: &Plain, start: NodeIndex) -> usize {
    let open = NodeFiltered::from_fn(g, |x| x == start || g[x].state != JobState::Completed);
    bfs_count(Reversed(&open), start)
}

/// The critical path's length (jobs) the plain way: petgraph's post-order walk, a std
/// `HashMap` of chain totals, the same tie-break (smaller job).
fn plain_critical_path(g: &Plain, start: NodeIndex, now: i64) -> usize {
    let mut chains: std::collections::HashMap<NodeIndex, (i64, Option<NodeIndex>)> =
        std::collections::HashMap::new();
    let mut dfs = DfsPostOrder::new(g, start);
    while let Some(n) = dfs.next(g) {
        let mut best: (i64, Option<NodeIndex>) = (0, None);
        for d in g.neighbors(n) {
            let t = chains[&d].0;
            if best.1.is_none_or(|b| t > best.0 || (t == best.0 && d < b)) {
                best = (t, Some(d));
            }
        }
        let s = &g[n];
        let own = match (s.started_at, s.finished_at) {
            (Some(a), Some(b)) => (b - a).max(0),
            (Some(a), None) => (now - a).max(0),
            _ => 0,
        };
        chains.insert(n, (best.0 + own, best.1));
    }
    let mut len = 0;
    let mut at = Some(start);
    while let Some(n) = at {
        len += 1;
        at = chains[&n].1;
    }
    len
}

/// Path length (jobs) by two plain searches with parent links: up, then down.
fn plain_path_len(g: &Plain, from: NodeIndex, to: NodeIndex) -> usize {
    for dir in [Outgoing, Incoming] {
        let mut parent = std::collections::HashMap::new();
        let mut queue = std::collections::VecDeque::from([from]);
        let mut seen = g.visit_map();
        seen.visit(from);
        while let Some(x) = queue.pop_front() {
            if x == to {
                let mut len = 1;
                let mut at = to;
                while let Some(&p) = parent.get(&at) {
                    len += 1;
                    at = p;
                }
                return len;
            }
            for w in g.neighbors_directed(x, dir) {
                if seen.visit(w) {
                    parent.insert(w, x);
                    queue.push_back(w);
                }
            }
        }
    }
    0
}

/// Resident set size in MB, from /proc (Linux; 0 elsewhere).
fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1_000_000.0
}

fn us(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 10.0 {
        format!("{micros:.2} µs")
    } else if micros < 10_000.0 {
        format!("{micros:.0} µs")
    } else {
        format!("{:.1} ms", micros / 1000.0)
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}
