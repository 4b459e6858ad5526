//! The generator: deterministic, shaped as promised, and a valid pushlog (it survives a
//! render/parse round trip).

use std::collections::HashSet;

use treeherd_pushlog::{
    JsonPushes, RenderOptions, generate, parse_json_pushes, render_json_pushes,
};

#[test]
fn same_seed_same_pushes() {
    let a: Vec<_> = generate::pushes(200, 7).collect();
    let b: Vec<_> = generate::pushes(200, 7).collect();
    let c: Vec<_> = generate::pushes(200, 8).collect();
    assert_eq!(a, b);
    assert_ne!(a[0].revision, c[0].revision);
    // A longer run starts with the shorter one.
    let longer: Vec<_> = generate::pushes(300, 7).take(200).collect();
    assert_eq!(longer, a);
}

#[test]
fn pushes_are_shaped_like_a_busy_repository() {
    let pushes = generate::pushes(2_000, 1);
    assert_eq!(pushes.len(), 2_000);
    let pushes: Vec<_> = pushes.collect();

    let mut revisions = HashSet::new();
    let mut sizes = [0usize; 6];
    let mut previous_tip = None;
    let mut previous_time = 0;
    for (i, push) in pushes.iter().enumerate() {
        assert_eq!(push.push_id, Some(i as i64 + 1));
        assert!(push.pushed_at > previous_time);
        assert_eq!(push.pushed_at % 1_000_000, 0);
        previous_time = push.pushed_at;
        assert!(
            (1..=5).contains(&push.commits.len()),
            "{}",
            push.commits.len()
        );
        sizes[push.commits.len()] += 1;
        assert_eq!(push.revision, push.commits.last().unwrap().revision);
        assert!(push.author.contains('@'));
        for commit in &push.commits {
            // One linear history.
            assert_eq!(
                commit.parents,
                previous_tip.iter().cloned().collect::<Vec<_>>()
            );
            previous_tip = Some(commit.revision.clone());
            assert!(
                revisions.insert(commit.revision.clone()),
                "repeated {}",
                commit.revision
            );
            assert!(commit.message.starts_with("Bug "), "{}", commit.message);
            assert!(
                commit.message.contains(" - ") && commit.message.contains(" r="),
                "{}",
                commit.message
            );
            assert!(commit.author.ends_with('>') && commit.author.contains(" <"));
            assert!((1..=4).contains(&commit.files.len()));
            assert!(commit.files.is_sorted());
            assert_eq!(commit.branch.as_deref(), Some("default"));
        }
    }
    assert!(sizes[1..].iter().all(|&n| n > 0), "{sizes:?}");
    // About half the pushes have a single commit.
    assert!((800..1_200).contains(&sizes[1]), "{sizes:?}");
}

#[test]
fn generated_pushes_survive_a_json_pushes_round_trip() {
    let pushes: Vec<_> = generate::pushes(300, 42).collect();
    let text = render_json_pushes(&pushes, 300, RenderOptions::default());
    assert_eq!(
        parse_json_pushes(text.as_bytes()).unwrap(),
        JsonPushes {
            last_push_id: Some(300),
            pushes,
            empty: vec![]
        }
    );
}

#[test]
fn zero_pushes() {
    assert_eq!(generate::pushes(0, 1).count(), 0);
}
