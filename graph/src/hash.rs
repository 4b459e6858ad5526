//! A fast hasher for the job-id index (per-question scratch keyed by node uses `node_map`).
//!
//! std's SipHash guards against hash flooding, which costs ~20 ns a lookup; our keys come from
//! the store's sequence, not from a client, and every traversal step hashes one, so a single
//! 128-bit multiply-fold (foldhash's mixer) is the better trade. Written here rather than
//! pulling a crate, as the graph keeps its dependency list short.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-fold hasher for small integer keys.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IntHasher(u64);

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
const SEED: u64 = 0x243F_6A88_85A3_08D3;

impl Hasher for IntHasher {
    #[inline]
    fn write_u64(&mut self, n: u64) {
        // Fold both halves of the full product so the low bits (bucket choice) and the high
        // bits (hashbrown's tag) both depend on every input bit.
        let full = u128::from((self.0 ^ n ^ SEED).rotate_left(23)) * u128::from(MULTIPLIER);
        self.0 = (full as u64) ^ ((full >> 64) as u64);
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

pub(crate) fn map_with_capacity<K, V>(capacity: usize) -> FastMap<K, V> {
    FastMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}
