//! Stable seeds from names: a repository's data, a job's log, the same on every run.

/// FNV-1a: a stable per-repository seed from its name.
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
