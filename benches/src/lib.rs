//! Shared data generators for the criterion benches of prefrank-core.

use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// `m` random comparisons over `n` items with log-strengths `theta` drawn uniformly in [-2, 2].
/// Returns `(a, b, p, tie)` with `p` the 0/1 outcome sampled from the Bradley-Terry model.
pub fn bt_comparisons(n: usize, m: usize, seed: u64) -> (Vec<u32>, Vec<u32>, Vec<f64>, Vec<u8>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let theta: Vec<f64> = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
    let (mut a, mut b, mut p) = (
        Vec::with_capacity(m),
        Vec::with_capacity(m),
        Vec::with_capacity(m),
    );
    while a.len() < m {
        let i = rng.random_range(0..n as u32);
        let j = rng.random_range(0..n as u32);
        if i == j {
            continue;
        }
        let pw = 1.0 / (1.0 + (theta[j as usize] - theta[i as usize]).exp());
        a.push(i);
        b.push(j);
        p.push(if rng.random::<f64>() < pw { 1.0 } else { 0.0 });
    }
    let _ = rng.next_u64();
    let tie = vec![0u8; m];
    (a, b, p, tie)
}
