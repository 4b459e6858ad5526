//! What a generated job is in the demo's picture (a build, a test chunk, a repack...): the
//! dressing, the writing and the logs all ask it, so it sits apart from each of them.

/// What a generated job is in the picture.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    DockerImage,
    Toolchain,
    Build {
        platform: usize,
    },
    Test {
        platform: usize,
        suite: usize,
        chunk: u32,
    },
    Repack {
        platform: usize,
        locale: usize,
    },
    Scheduled {
        name: usize,
    },
    /// The generator's per-push release job: the demo makes nightlies its own way.
    Dropped,
}
