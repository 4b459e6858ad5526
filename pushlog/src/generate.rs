//! A deterministic stream of realistic pushes for benchmarks and tests: the same `(count,
//! seed)` gives the same pushes on every machine, without a random-number crate.
//!
//! Shaped like a busy Mercurial repository: 1–5 commits per push (most pushes have one),
//! "Bug NNNNNN - … r=reviewer" messages, a handful of authors and files, one linear history
//! (each commit's parent is the one before it), dates a few minutes apart in whole seconds,
//! so `render_json_pushes` then `parse_json_pushes` gives the same pushes back.

use treeherd_model::Revision;

use crate::{CommitRecord, PushRecord};

/// 2024-01-01T00:00:00Z, the first push's time, in seconds.
const START_SECONDS: i64 = 1_704_067_200;

const AUTHORS: &[(&str, &str)] = &[
    ("Alice Liddell", "alice@example.com"),
    ("Bob Kahn", "bkahn@example.org"),
    ("Chen Wei", "cwei@example.net"),
    ("Dana Scully", "dscully@example.com"),
    ("Émile Zola", "ezola@example.fr"),
    ("Farah Ahmed", "fahmed@example.com"),
    ("Grace Hopper", "ghopper@example.mil"),
];

const REVIEWERS: &[&str] = &["jdm", "smaug", "emilio", "mccr8", "glandium", "jrmuizel"];

const VERBS: &[&str] = &["Fix", "Add", "Remove", "Refactor", "Speed up", "Test"];

const SUBJECTS: &[&str] = &[
    "the refresh driver tick",
    "a race in the cache shutdown",
    "crash on null frame",
    "telemetry probe for tab switches",
    "leak in the image decoder",
    "flaky mochitest on Windows",
    "unused prefs",
];

const FILES: &[&str] = &[
    "dom/base/Document.cpp",
    "layout/base/nsRefreshDriver.cpp",
    "js/src/jit/Ion.cpp",
    "netwerk/cache2/CacheFile.cpp",
    "browser/components/tabbrowser/content/tabbrowser.js",
    "toolkit/components/telemetry/Histograms.json",
    "image/decoders/nsPNGDecoder.cpp",
    "testing/mochitest/browser.toml",
    "modules/libpref/init/StaticPrefList.yaml",
    "gfx/wr/webrender/src/renderer.rs",
];

/// `count` pushes with ids `1..=count`, each a pure function of `(seed, push id)` and the
/// previous push's tip and time.
pub fn pushes(count: usize, seed: u64) -> impl ExactSizeIterator<Item = PushRecord> {
    Pushes {
        seed,
        next: 1,
        count,
        seconds: START_SECONDS,
        parent: None,
    }
}

struct Pushes {
    seed: u64,
    /// The id of the next push.
    next: usize,
    count: usize,
    seconds: i64,
    /// The previous push's tip.
    parent: Option<Revision>,
}

impl Iterator for Pushes {
    type Item = PushRecord;

    fn next(&mut self) -> Option<PushRecord> {
        if self.next > self.count {
            return None;
        }
        let push = self.next as u64;
        self.next += 1;
        let mut random = SplitMix64(hash(&[self.seed, push]));

        // Half the pushes carry one commit, the rest two to five.
        let commits = if random.below(2) == 0 {
            1
        } else {
            2 + random.below(4)
        };
        self.seconds += 30 + random.below(1_800) as i64;
        let pusher = AUTHORS[random.below(AUTHORS.len() as u64) as usize];

        let mut records = Vec::with_capacity(commits as usize);
        for commit in 0..commits {
            let revision = revision(hash(&[self.seed, push, commit]));
            let (name, email) = AUTHORS[random.below(AUTHORS.len() as u64) as usize];
            let bug = 1_000_000 + random.below(900_000);
            let message = format!(
                "Bug {bug} - {} {}. r={}",
                pick(&mut random, VERBS),
                pick(&mut random, SUBJECTS),
                pick(&mut random, REVIEWERS),
            );
            let mut files: Vec<String> = (0..1 + random.below(4))
                .map(|_| pick(&mut random, FILES).to_owned())
                .collect();
            files.sort_unstable();
            files.dedup();
            records.push(CommitRecord {
                parents: self.parent.replace(revision.clone()).into_iter().collect(),
                revision,
                author: format!("{name} <{email}>"),
                message,
                branch: Some("default".to_owned()),
                tags: Vec::new(),
                files,
            });
        }
        let tip = records.last().map(|c| c.revision.clone())?;
        Some(PushRecord {
            push_id: Some(i64::try_from(push).unwrap_or(i64::MAX)),
            revision: tip,
            author: pusher.1.to_owned(),
            pushed_at: self.seconds.saturating_mul(1_000_000),
            commits: records,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.count + 1).saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Pushes {}

/// Sebastiano Vigna's splitmix64: tiny, fast, and good enough to vary test data.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (the slight modulo bias does not matter here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn pick<'a>(random: &mut SplitMix64, items: &[&'a str]) -> &'a str {
    items[random.below(items.len() as u64) as usize]
}

/// One number from several, each mixed in through splitmix64.
fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x5eed, |state, part| {
        SplitMix64(state ^ part.wrapping_mul(0x2545_f491_4f6c_dd1d)).next()
    })
}

/// A revision of 40 hex digits drawn from `key`.
fn revision(key: u64) -> Revision {
    let mut random = SplitMix64(key);
    let hex = format!(
        "{:016x}{:016x}{:08x}",
        random.next(),
        random.next(),
        random.next() >> 32
    );
    match hex.parse() {
        Ok(revision) => revision,
        Err(_) => unreachable!("40 hex digits are a revision"),
    }
}
