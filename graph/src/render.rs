//! Pictures of a dependency subgraph: Graphviz DOT text, and an SVG a person can look at
//! without Graphviz. Pure: nodes and edges in, text out.
//!
//! The SVG is layered: a job sits one layer below the deepest job it depends on, so work flows
//! top to bottom and every arrow points from a job to a job that waits on it. Each box is
//! coloured by state and result, and says them in words too (colour is never the only signal).

use std::fmt::Write;
use treeherd_model::{DependencyKind, JobResult, JobState};

/// One job to draw.
pub struct DrawNode<'a> {
    /// Unique name (the guid), used as the DOT node id and the SVG element id.
    pub id: &'a str,
    /// What the box says (e.g. the job's name or symbol).
    pub label: &'a str,
    pub state: JobState,
    pub result: JobResult,
}

/// Jobs and the edges between them: `(dependent, dependency, kind)` as indexes into `nodes`.
pub struct Drawing<'a> {
    pub nodes: Vec<DrawNode<'a>>,
    pub edges: Vec<(usize, usize, DependencyKind)>,
}

/// Fill colour and the word shown for a job.
fn look(state: JobState, result: JobResult) -> (&'static str, &'static str) {
    match (state, result) {
        (JobState::Completed, JobResult::Success) => ("#4caf50", "success"),
        (JobState::Completed, JobResult::TestFailed) => ("#ff9800", "testfailed"),
        (JobState::Completed, JobResult::Busted) => ("#e53935", "busted"),
        (JobState::Completed, JobResult::Exception) => ("#8e24aa", "exception"),
        (JobState::Completed, JobResult::Retry) => ("#29b6f6", "retry"),
        (JobState::Completed, JobResult::UserCancel) => ("#f48fb1", "usercancel"),
        (JobState::Completed, JobResult::Superseded) => ("#bdbdbd", "superseded"),
        (JobState::Completed, JobResult::Unknown) => ("#9e9e9e", "completed"),
        (JobState::Running, _) => ("#1e88e5", "running"),
        (JobState::Pending, _) => ("#e0e0e0", "pending"),
        (JobState::Unscheduled, _) => ("#ffffff", "unscheduled"),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Graphviz DOT text: one node per job (filled by result), one edge per dependency, drawn from
/// the dependency to the job that waits on it and labelled with its kind.
pub fn dot(drawing: &Drawing<'_>) -> String {
    let mut out = String::from(
        "digraph dependencies {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\"];\n",
    );
    for node in &drawing.nodes {
        let (fill, word) = look(node.state, node.result);
        let _ = writeln!(
            out,
            "  {} [label={}, fillcolor=\"{fill}\"];",
            dot_string(node.id),
            dot_string(&format!("{}\n{word}", node.label))
        );
    }
    for &(dependent, dependency, kind) in &drawing.edges {
        if let (Some(a), Some(b)) = (drawing.nodes.get(dependency), drawing.nodes.get(dependent)) {
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{}\"];",
                dot_string(a.id),
                dot_string(b.id),
                kind.as_str()
            );
        }
    }
    out.push_str("}\n");
    out
}

const BOX_WIDTH: usize = 180;
const BOX_HEIGHT: usize = 40;
const GAP_X: usize = 24;
const GAP_Y: usize = 56;
const MARGIN: usize = 16;
const MAX_LABEL: usize = 26;

/// The layer of each node: 0 for jobs that depend on nothing drawn, else one more than the
/// deepest of their dependencies (longest path, by Kahn's order; a node on a cycle, which the
/// engine never holds, stays in layer 0).
fn layers(drawing: &Drawing<'_>) -> Vec<usize> {
    let n = drawing.nodes.len();
    let mut waiting = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(dependent, dependency, _) in &drawing.edges {
        if dependent < n && dependency < n {
            waiting[dependent] += 1;
            dependents[dependency].push(dependent);
        }
    }
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    while let Some(job) = ready.pop() {
        for &next in &dependents[job] {
            layer[next] = layer[next].max(layer[job] + 1);
            waiting[next] -= 1;
            if waiting[next] == 0 {
                ready.push(next);
            }
        }
    }
    layer
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_owned()
    } else {
        let mut short: String = label.chars().take(MAX_LABEL - 1).collect();
        short.push('…');
        short
    }
}

/// A layered SVG picture.
pub fn svg(drawing: &Drawing<'_>) -> String {
    let layer = layers(drawing);
    let depth = layer.iter().copied().max().map_or(0, |d| d + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (node, &l) in layer.iter().enumerate() {
        rows[l].push(node);
    }
    // Order each row by where its dependencies sit, which untangles most fan-outs.
    let mut column = vec![0f64; drawing.nodes.len()];
    for row in &mut rows {
        let mut keyed: Vec<(f64, usize)> = row
            .iter()
            .map(|&node| {
                let above: Vec<f64> = drawing
                    .edges
                    .iter()
                    .filter(|(dependent, dependency, _)| {
                        *dependent == node && *dependency < column.len()
                    })
                    .map(|(_, dependency, _)| column[*dependency])
                    .collect();
                let key = if above.is_empty() {
                    node as f64
                } else {
                    above.iter().sum::<f64>() / above.len() as f64
                };
                (key, node)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *row = keyed.into_iter().map(|(_, node)| node).collect();
        for (i, &node) in row.iter().enumerate() {
            column[node] = i as f64;
        }
    }
    let widest = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = MARGIN * 2 + widest.max(1) * (BOX_WIDTH + GAP_X);
    let height = MARGIN * 2 + depth.max(1) * (BOX_HEIGHT + GAP_Y);
    // Each layer is centred under the widest one.
    let position = |node: usize| {
        let indent = (widest - rows[layer[node]].len()) * (BOX_WIDTH + GAP_X) / 2;
        let x = MARGIN + indent + column[node] as usize * (BOX_WIDTH + GAP_X);
        let y = MARGIN + layer[node] * (BOX_HEIGHT + GAP_Y);
        (x, y)
    };

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\
<title>Dependencies: each arrow points from a job to a job that waits on it</title>\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\
<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>"
    );
    for &(dependent, dependency, kind) in &drawing.edges {
        if dependent >= drawing.nodes.len() || dependency >= drawing.nodes.len() {
            continue;
        }
        let (x1, y1) = position(dependency);
        let (x2, y2) = position(dependent);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"><title>{}</title></line>",
            x1 + BOX_WIDTH / 2,
            y1 + BOX_HEIGHT,
            x2 + BOX_WIDTH / 2,
            y2,
            kind.as_str()
        );
    }
    for (node, job) in drawing.nodes.iter().enumerate() {
        let (x, y) = position(node);
        let (fill, word) = look(job.state, job.result);
        let text = if matches!(job.state, JobState::Running | JobState::Completed)
            && fill != "#ffffff"
            && word != "pending"
        {
            "#fff"
        } else {
            "#222"
        };
        let _ = write!(
            out,
            "<g id=\"{id}\"><title>{full} ({word})</title><rect x=\"{x}\" y=\"{y}\" width=\"{BOX_WIDTH}\" height=\"{BOX_HEIGHT}\" rx=\"6\" fill=\"{fill}\" stroke=\"#333\"/>\
<text x=\"{tx}\" y=\"{ty1}\" text-anchor=\"middle\" fill=\"{text}\">{label}</text>\
<text x=\"{tx}\" y=\"{ty2}\" text-anchor=\"middle\" fill=\"{text}\" font-size=\"10\">{word}</text></g>",
            id = escape(job.id),
            full = escape(job.label),
            label = escape(&shorten(job.label)),
            tx = x + BOX_WIDTH / 2,
            ty1 = y + 17,
            ty2 = y + 32,
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawing() -> Drawing<'static> {
        Drawing {
            nodes: vec![
                DrawNode {
                    id: "build",
                    label: "build <linux>",
                    state: JobState::Completed,
                    result: JobResult::Success,
                },
                DrawNode {
                    id: "test",
                    label: "test \"a\"",
                    state: JobState::Completed,
                    result: JobResult::TestFailed,
                },
                DrawNode {
                    id: "release",
                    label: "release",
                    state: JobState::Pending,
                    result: JobResult::Unknown,
                },
            ],
            edges: vec![
                (1, 0, DependencyKind::Test),
                (2, 1, DependencyKind::Release),
                (2, 0, DependencyKind::Release),
            ],
        }
    }

    #[test]
    fn dependencies_sit_above_the_jobs_that_wait_on_them() {
        assert_eq!(layers(&drawing()), vec![0, 1, 2]);
    }

    #[test]
    fn dot_names_every_job_and_edge_with_escaped_labels() {
        let text = dot(&drawing());
        assert!(text.starts_with("digraph dependencies {"));
        assert!(text.contains("\"build\" -> \"test\" [label=\"TEST\"];"));
        assert!(text.contains("\"test\" -> \"release\" [label=\"RELEASE\"];"));
        assert!(text.contains("label=\"test \\\"a\\\"\\ntestfailed\""));
        assert_eq!(text.matches(" -> ").count(), 3);
    }

    #[test]
    fn svg_is_well_formed_and_says_results_in_words() {
        let picture = svg(&drawing());
        assert!(picture.starts_with("<svg") && picture.trim_end().ends_with("</svg>"));
        assert!(picture.contains("build &lt;linux&gt;"));
        assert!(picture.contains(">testfailed<") && picture.contains(">pending<"));
        assert_eq!(picture.matches("<line ").count(), 3);
        assert_eq!(picture.matches("<rect x=").count(), 3);
    }
}
