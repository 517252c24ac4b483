//! Deterministic parallel helpers.
//!
//! Work is cut into fixed-size chunks (the size never depends on the thread count), each chunk is
//! mapped independently, and partial results are combined by a binary tree whose shape depends only
//! on the number of chunks. Floating-point results are therefore identical for any thread count.
//! Random streams are seeded per chunk from `(seed, chunk_index)`.
//! The caller's cancellation token is made current in every chunk, so that
//! [`crate::cancel::checkpoint`] polls it on whichever worker maps the chunk.

use crate::cancel::{self, Token};
use crate::{Error, Result};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Rows per chunk for row-streaming kernels. Fixed: results must not depend on the machine.
pub const ROW_CHUNK: usize = 1 << 18;

/// Number of fixed-size chunks covering `len` items.
pub fn n_chunks(len: usize, chunk: usize) -> usize {
    len.div_ceil(chunk)
}

/// Map every chunk index in `0..n` and reduce the results with `merge` over a fixed binary tree.
/// Returns `None` when `n == 0`.
pub fn tree_map_reduce<T, M, R>(n: usize, map: &M, merge: &R) -> Option<T>
where
    T: Send,
    M: Fn(usize) -> T + Sync,
    R: Fn(T, T) -> T + Sync,
{
    fn go<T, M, R>(lo: usize, hi: usize, map: &M, merge: &R, token: &Token) -> T
    where
        T: Send,
        M: Fn(usize) -> T + Sync,
        R: Fn(T, T) -> T + Sync,
    {
        if hi - lo == 1 {
            return token.scope(|| map(lo));
        }
        let mid = lo + (hi - lo) / 2;
        let (l, r) = rayon::join(
            || go(lo, mid, map, merge, token),
            || go(mid, hi, map, merge, token),
        );
        merge(l, r)
    }
    if n == 0 {
        None
    } else {
        let token = cancel::current();
        // One chunk is short; more go through `offload` so that the owner keeps polling.
        if n == 1 {
            Some(token.scope(|| map(0)))
        } else {
            Some(cancel::offload(|| go(0, n, map, merge, &token)))
        }
    }
}

/// `f(0), ..., f(n - 1)` computed in parallel (bootstrap rounds, replicates), stopping early
/// with `Error::Cancelled` when the call is cancelled: each item checks the caller's token first,
/// and the section is offloaded so that the owner thread keeps polling meanwhile.
pub fn map_all<T, F>(n: usize, f: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(usize) -> T + Sync + Send,
{
    let token = cancel::current();
    let out: Option<Vec<T>> = cancel::offload(|| {
        (0..n)
            .into_par_iter()
            .map(|i| (!token.is_cancelled()).then(|| f(i)))
            .collect()
    });
    cancel::checkpoint()?;
    out.ok_or(Error::Cancelled)
}

/// The RNG of one chunk: a SplitMix64-style mix of `(seed, chunk)` so that neighbouring chunks get
/// unrelated streams.
pub fn chunk_rng(seed: u64, chunk: u64) -> Xoshiro256PlusPlus {
    let mut z = seed
        ^ chunk
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Xoshiro256PlusPlus::seed_from_u64(z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn tree_reduce_is_thread_count_independent() {
        let xs: Vec<f64> = (0..10_000).map(|i| 1.0 / (1.0 + i as f64)).collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                tree_map_reduce(
                    n_chunks(xs.len(), 97),
                    &|c| xs[c * 97..((c + 1) * 97).min(xs.len())].iter().sum::<f64>(),
                    &|a, b| a + b,
                )
                .unwrap()
            })
        };
        let one = run(1);
        assert_eq!(one.to_bits(), run(2).to_bits());
        assert_eq!(one.to_bits(), run(5).to_bits());
        assert!(tree_map_reduce(0, &|_| 1, &|a: i32, b| a + b).is_none());
    }

    #[test]
    fn chunk_rngs_differ() {
        let a: u64 = chunk_rng(7, 0).random();
        let b: u64 = chunk_rng(7, 1).random();
        let c: u64 = chunk_rng(7, 0).random();
        assert_ne!(a, b);
        assert_eq!(a, c);
    }
}
