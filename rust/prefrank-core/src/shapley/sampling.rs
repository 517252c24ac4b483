//! Sampled semivalues for games too large for a table.
//!
//! * Shapley by antithetic permutation sampling: each sample is a random permutation `pi` and its
//!   reverse; a player's sample is the mean of its two marginal contributions. Both permutations
//!   walk from the empty to the grand coalition, so every sample is exactly efficient.
//! * Banzhaf by maximum sample reuse (MSR, Wang and Jia 2023): uniform random coalitions (each player
//!   a member with probability 1/2); every evaluation updates every player's "with" or "without" mean.
//!
//! Work is cut into fixed chunks (`chunk` samples each) seeded by `par::chunk_rng(seed, chunk_index)`;
//! a round evaluates `chunks_per_round` chunks in one batch call, and the per-chunk statistics are
//! merged over a fixed tree, so results are identical for any thread count. Sampling stops after
//! the first round in which every player's standard error is at most `max_stderr`, or when the next
//! round would exceed `max_evaluations`.

use crate::error::{Error, Result};
use crate::limits;
use crate::par::{chunk_rng, tree_map_reduce};
use rand::RngExt;
use rayon::prelude::*;

/// Options of the samplers.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplingOptions {
    /// Stop once every player's standard error is at most this (0 = no such rule).
    pub max_stderr: f64,
    /// Most coalition evaluations, counting `v(empty)` and `v(N)` (`u64::MAX` = no budget).
    pub max_evaluations: u64,
    /// Seed of the per-chunk random streams.
    pub seed: u64,
    /// Samples per chunk: permutation pairs (Shapley) or coalitions (Banzhaf).
    pub chunk: usize,
    /// Chunks evaluated per round (one batch call per round).
    pub chunks_per_round: usize,
}

impl Default for SamplingOptions {
    fn default() -> Self {
        SamplingOptions {
            max_stderr: 0.0,
            max_evaluations: 100_000,
            seed: 0,
            chunk: 4,
            chunks_per_round: 16,
        }
    }
}

/// Sampled values with their standard errors.
#[derive(Clone, Debug, PartialEq)]
pub struct SampledValues {
    pub values: Vec<f64>,
    pub stderr: Vec<f64>,
    /// Samples per player: permutation pairs (Shapley) or coalitions (Banzhaf, with + without).
    pub n_samples: u64,
    /// Coalition evaluations spent, `v(empty)` and `v(N)` included.
    pub n_evaluations: u64,
    /// Whether the `max_stderr` rule stopped the sampling.
    pub converged: bool,
    pub v_empty: f64,
    pub v_full: f64,
    /// `sum(values) - (v(N) - v(empty))`.
    pub residual: f64,
}

/// A batch evaluator: `members` holds `out.len()` coalitions as rows of `n` bytes (1 = member);
/// it writes one value per row.
pub type BatchEval<'a> = dyn FnMut(&[u8], &mut [f64]) -> Result<()> + 'a;

/// Per-player running moments (Welford), merged with Chan's formula.
#[derive(Clone, Debug)]
struct Moments {
    count: Vec<f64>,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Moments {
    fn new(n: usize) -> Self {
        Moments {
            count: vec![0.0; n],
            mean: vec![0.0; n],
            m2: vec![0.0; n],
        }
    }
    fn push(&mut self, i: usize, x: f64) {
        self.count[i] += 1.0;
        let d = x - self.mean[i];
        self.mean[i] += d / self.count[i];
        self.m2[i] += d * (x - self.mean[i]);
    }
    fn merge(mut self, o: Moments) -> Moments {
        for i in 0..self.count.len() {
            let (na, nb) = (self.count[i], o.count[i]);
            if nb == 0.0 {
                continue;
            }
            if na == 0.0 {
                self.count[i] = nb;
                self.mean[i] = o.mean[i];
                self.m2[i] = o.m2[i];
                continue;
            }
            let nn = na + nb;
            let d = o.mean[i] - self.mean[i];
            self.mean[i] += d * nb / nn;
            self.m2[i] += o.m2[i] + d * d * na * nb / nn;
            self.count[i] = nn;
        }
        self
    }
    /// Variance of the mean (`inf` with fewer than two samples).
    fn var_of_mean(&self, i: usize) -> f64 {
        let c = self.count[i];
        if c < 2.0 {
            f64::INFINITY
        } else {
            self.m2[i] / (c - 1.0) / c
        }
    }
}

fn check_options(n: usize, opts: &SamplingOptions) -> Result<()> {
    if n == 0 {
        return Err(Error::Empty {
            what: "game (0 players)".into(),
        });
    }
    if opts.max_stderr < 0.0 || opts.max_stderr.is_nan() {
        return Err(Error::invalid(
            "max_stderr",
            format!("must be >= 0, got {}", opts.max_stderr),
        ));
    }
    if opts.chunk == 0 || opts.chunks_per_round == 0 {
        return Err(Error::invalid("chunk", "chunk sizes must be positive"));
    }
    if opts.max_stderr == 0.0 && opts.max_evaluations == u64::MAX {
        return Err(Error::invalid(
            "max_evaluations",
            "give a budget or a max_stderr: sampling would never stop",
        ));
    }
    Ok(())
}

fn eval_checked(
    eval: &mut BatchEval<'_>,
    members: &[u8],
    out: &mut [f64],
    offset: u64,
) -> Result<()> {
    eval(members, out)?;
    if let Some((r, &value)) = out.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            row: (offset as usize) + r,
            column: "coalition value (evaluation)".into(),
            value,
        });
    }
    Ok(())
}

fn ends(n: usize, eval: &mut BatchEval<'_>) -> Result<(f64, f64)> {
    let mut members = vec![0u8; 2 * n];
    members[n..].fill(1);
    let mut out = [0.0; 2];
    eval_checked(eval, &members, &mut out, 0)?;
    Ok((out[0], out[1]))
}

/// How many chunks the next round may take under the budget.
fn round_chunks(opts: &SamplingOptions, spent: u64, per_chunk: u64) -> u64 {
    let left = opts.max_evaluations.saturating_sub(spent);
    (left / per_chunk.max(1)).min(opts.chunks_per_round as u64)
}

/// How many chunks of `per_chunk` bytes (None: an overflowed size) a round may hold under the
/// memory limit, at most `want`. Errors: not even one chunk fits.
fn chunks_that_fit(n: usize, per_chunk: Option<u64>, want: usize) -> Result<usize> {
    let what = format!("one chunk of coalition samples over {n} players");
    let hint = "pass fewer players (or group them) or a smaller chunk";
    limits::check_alloc(&what, per_chunk, hint)?;
    let per = per_chunk.unwrap_or(u64::MAX).max(1);
    Ok(want.min((limits::memory_limit()? / per).max(1) as usize))
}

fn budget_error(need: u64) -> Error {
    Error::invalid(
        "max_evaluations",
        format!("the budget does not cover one chunk of samples ({need} evaluations)"),
    )
}

/// Shapley values by antithetic permutation sampling.
pub fn permutation_shapley(
    n: usize,
    eval: &mut BatchEval<'_>,
    opts: &SamplingOptions,
) -> Result<SampledValues> {
    check_options(n, opts)?;
    let (v0, vn) = ends(n, eval)?;
    if n == 1 {
        return Ok(SampledValues {
            values: vec![vn - v0],
            stderr: vec![0.0],
            n_samples: 0,
            n_evaluations: 2,
            converged: true,
            v_empty: v0,
            v_full: vn,
            residual: 0.0,
        });
    }
    let rows_per_perm = n - 1;
    let rows_per_chunk = opts.chunk * 2 * rows_per_perm;
    let mut spent = 2u64;
    if round_chunks(opts, spent, rows_per_chunk as u64) == 0 {
        return Err(budget_error(2 + rows_per_chunk as u64));
    }
    let mut stats = Moments::new(n);
    let mut next_chunk = 0u64;
    let mut converged = false;
    // A chunk's coalition rows (u8), permutations (u32) and values (f64).
    let per_chunk = limits::bytes_of::<u8>(&[rows_per_chunk, n])
        .zip(limits::bytes_of::<u32>(&[opts.chunk, n]))
        .zip(limits::bytes_of::<f64>(&[rows_per_chunk]))
        .and_then(|((a, b), c)| a.checked_add(b)?.checked_add(c));
    loop {
        crate::cancel::checkpoint()?;
        let k = round_chunks(opts, spent, rows_per_chunk as u64) as usize;
        if k == 0 {
            break;
        }
        let k = chunks_that_fit(n, per_chunk, k)?;
        let mut members = vec![0u8; k * rows_per_chunk * n];
        let mut perms = vec![0u32; k * opts.chunk * n];
        members
            .par_chunks_mut(rows_per_chunk * n)
            .zip(perms.par_chunks_mut(opts.chunk * n))
            .enumerate()
            .for_each(|(c, (mem, pm))| {
                let mut rng = chunk_rng(opts.seed, next_chunk + c as u64);
                for q in 0..opts.chunk {
                    let perm = &mut pm[q * n..(q + 1) * n];
                    for (i, p) in perm.iter_mut().enumerate() {
                        *p = i as u32;
                    }
                    for i in (1..n).rev() {
                        let j = rng.random_range(0..=i);
                        perm.swap(i, j);
                    }
                    let fwd = 2 * q * rows_per_perm;
                    let rev = (2 * q + 1) * rows_per_perm;
                    for s in 1..n {
                        let (r_f, r_r) = ((fwd + s - 1) * n, (rev + s - 1) * n);
                        if s > 1 {
                            mem.copy_within(r_f - n..r_f, r_f);
                            mem.copy_within(r_r - n..r_r, r_r);
                        }
                        mem[r_f + perm[s - 1] as usize] = 1;
                        mem[r_r + perm[n - s] as usize] = 1;
                    }
                }
            });
        let mut vals = vec![0.0; k * rows_per_chunk];
        eval_checked(eval, &members, &mut vals, spent)?;
        let part = tree_map_reduce(
            k,
            &|c| {
                let mut st = Moments::new(n);
                let mut marg = vec![0.0; n];
                for q in 0..opts.chunk {
                    let perm = &perms[(c * opts.chunk + q) * n..(c * opts.chunk + q + 1) * n];
                    let fwd = &vals[c * rows_per_chunk + 2 * q * rows_per_perm..][..rows_per_perm];
                    let rev =
                        &vals[c * rows_per_chunk + (2 * q + 1) * rows_per_perm..][..rows_per_perm];
                    let at = |w: &[f64], s: usize| {
                        if s == 0 {
                            v0
                        } else if s == n {
                            vn
                        } else {
                            w[s - 1]
                        }
                    };
                    for s in 1..=n {
                        marg[perm[s - 1] as usize] = 0.5 * (at(fwd, s) - at(fwd, s - 1));
                    }
                    for s in 1..=n {
                        marg[perm[n - s] as usize] += 0.5 * (at(rev, s) - at(rev, s - 1));
                    }
                    for (i, &x) in marg.iter().enumerate() {
                        st.push(i, x);
                    }
                }
                st
            },
            &|a: Moments, b| a.merge(b),
        )
        .expect("k > 0");
        stats = stats.merge(part);
        next_chunk += k as u64;
        spent += (k * rows_per_chunk) as u64;
        if opts.max_stderr > 0.0 && (0..n).all(|i| stats.var_of_mean(i).sqrt() <= opts.max_stderr) {
            converged = true;
            break;
        }
    }
    let stderr: Vec<f64> = (0..n).map(|i| stats.var_of_mean(i).sqrt()).collect();
    let residual = stats.mean.iter().sum::<f64>() - (vn - v0);
    Ok(SampledValues {
        values: stats.mean,
        stderr,
        n_samples: stats.count[0] as u64,
        n_evaluations: spent,
        converged,
        v_empty: v0,
        v_full: vn,
        residual,
    })
}

/// Banzhaf values by maximum sample reuse over uniform random coalitions.
pub fn msr_banzhaf(
    n: usize,
    eval: &mut BatchEval<'_>,
    opts: &SamplingOptions,
) -> Result<SampledValues> {
    check_options(n, opts)?;
    let (v0, vn) = ends(n, eval)?;
    let rows_per_chunk = opts.chunk;
    let mut spent = 2u64;
    if round_chunks(opts, spent, rows_per_chunk as u64) == 0 {
        return Err(budget_error(2 + rows_per_chunk as u64));
    }
    let mut with = Moments::new(n);
    let mut without = Moments::new(n);
    let mut next_chunk = 0u64;
    let mut converged = false;
    let se = |w: &Moments, wo: &Moments, i: usize| (w.var_of_mean(i) + wo.var_of_mean(i)).sqrt();
    // A chunk's coalition rows (u8) and values (f64).
    let per_chunk = limits::bytes_of::<u8>(&[rows_per_chunk, n])
        .zip(limits::bytes_of::<f64>(&[rows_per_chunk]))
        .and_then(|(a, b)| a.checked_add(b));
    loop {
        crate::cancel::checkpoint()?;
        let k = round_chunks(opts, spent, rows_per_chunk as u64) as usize;
        if k == 0 {
            break;
        }
        let k = chunks_that_fit(n, per_chunk, k)?;
        let mut members = vec![0u8; k * rows_per_chunk * n];
        members
            .par_chunks_mut(rows_per_chunk * n)
            .enumerate()
            .for_each(|(c, mem)| {
                let mut rng = chunk_rng(opts.seed, next_chunk + c as u64);
                for row in mem.chunks_exact_mut(n) {
                    for block in row.chunks_mut(64) {
                        let bits: u64 = rng.random();
                        for (j, m) in block.iter_mut().enumerate() {
                            *m = ((bits >> j) & 1) as u8;
                        }
                    }
                }
            });
        let mut vals = vec![0.0; k * rows_per_chunk];
        eval_checked(eval, &members, &mut vals, spent)?;
        let (pw, pwo) = tree_map_reduce(
            k,
            &|c| {
                let mut w = Moments::new(n);
                let mut wo = Moments::new(n);
                for r in c * rows_per_chunk..(c + 1) * rows_per_chunk {
                    let row = &members[r * n..(r + 1) * n];
                    for (i, &m) in row.iter().enumerate() {
                        if m == 1 {
                            w.push(i, vals[r]);
                        } else {
                            wo.push(i, vals[r]);
                        }
                    }
                }
                (w, wo)
            },
            &|a: (Moments, Moments), b| (a.0.merge(b.0), a.1.merge(b.1)),
        )
        .expect("k > 0");
        with = with.merge(pw);
        without = without.merge(pwo);
        next_chunk += k as u64;
        spent += (k * rows_per_chunk) as u64;
        if opts.max_stderr > 0.0 && (0..n).all(|i| se(&with, &without, i) <= opts.max_stderr) {
            converged = true;
            break;
        }
    }
    let values: Vec<f64> = (0..n).map(|i| with.mean[i] - without.mean[i]).collect();
    let stderr: Vec<f64> = (0..n).map(|i| se(&with, &without, i)).collect();
    let residual = values.iter().sum::<f64>() - (vn - v0);
    Ok(SampledValues {
        values,
        stderr,
        n_samples: spent - 2,
        n_evaluations: spent,
        converged,
        v_empty: v0,
        v_full: vn,
        residual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapley::{semivalues_from_table, Semivalue};

    fn table_eval(table: &[f64], n: usize) -> impl FnMut(&[u8], &mut [f64]) -> Result<()> + '_ {
        move |members: &[u8], out: &mut [f64]| {
            for (row, o) in members.chunks_exact(n).zip(out.iter_mut()) {
                let mask = row
                    .iter()
                    .enumerate()
                    .fold(0usize, |m, (i, &b)| m | ((b as usize) << i));
                *o = table[mask];
            }
            Ok(())
        }
    }

    fn table(n: usize) -> Vec<f64> {
        (0..1usize << n)
            .map(|s| (s.count_ones() as f64).powf(1.5) + ((s * 2654435761) % 97) as f64 / 50.0)
            .collect()
    }

    #[test]
    fn sampled_within_four_standard_errors() {
        let n = 9;
        let t = table(n);
        let exact = semivalues_from_table(&t, &Semivalue::Shapley).unwrap();
        let exact_b = semivalues_from_table(&t, &Semivalue::Banzhaf).unwrap();
        let opts = SamplingOptions {
            max_evaluations: 40_000,
            seed: 3,
            ..Default::default()
        };
        let s = permutation_shapley(n, &mut table_eval(&t, n), &opts).unwrap();
        assert!(s.residual.abs() < 1e-9);
        assert!(s.n_evaluations <= 40_000);
        for i in 0..n {
            assert!(s.stderr[i] > 0.0);
            assert!((s.values[i] - exact.values[i]).abs() <= 4.0 * s.stderr[i]);
        }
        let b = msr_banzhaf(n, &mut table_eval(&t, n), &opts).unwrap();
        for i in 0..n {
            assert!((b.values[i] - exact_b.values[i]).abs() <= 4.0 * b.stderr[i]);
        }
    }

    #[test]
    fn stops_on_stderr_and_is_thread_independent() {
        let n = 7;
        let t = table(n);
        let opts = SamplingOptions {
            max_stderr: 0.05,
            max_evaluations: 10_000_000,
            seed: 11,
            ..Default::default()
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| permutation_shapley(n, &mut table_eval(&t, n), &opts).unwrap())
        };
        let a = run(1);
        let b = run(4);
        assert!(a.converged);
        assert!(a.stderr.iter().all(|&s| s <= 0.05));
        assert_eq!(a, b);
        let c = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| msr_banzhaf(n, &mut table_eval(&t, n), &opts).unwrap());
        let d = msr_banzhaf(n, &mut table_eval(&t, n), &opts).unwrap();
        assert_eq!(c, d);
    }

    #[test]
    fn errors() {
        let t = table(3);
        let mut ev = table_eval(&t, 3);
        let tiny = SamplingOptions {
            max_evaluations: 5,
            ..Default::default()
        };
        assert!(matches!(
            permutation_shapley(3, &mut ev, &tiny),
            Err(Error::InvalidParameter { .. })
        ));
        let never = SamplingOptions {
            max_evaluations: u64::MAX,
            ..Default::default()
        };
        assert!(permutation_shapley(3, &mut ev, &never).is_err());
        let neg = SamplingOptions {
            max_stderr: -1.0,
            ..Default::default()
        };
        assert!(msr_banzhaf(3, &mut ev, &neg).is_err());
        assert!(matches!(
            msr_banzhaf(0, &mut ev, &SamplingOptions::default()),
            Err(Error::Empty { .. })
        ));
        let mut nan = |_: &[u8], out: &mut [f64]| {
            out.fill(f64::NAN);
            Ok(())
        };
        assert!(matches!(
            permutation_shapley(3, &mut nan, &SamplingOptions::default()),
            Err(Error::NonFinite { .. })
        ));
        let one = permutation_shapley(1, &mut table_eval(&[1.0, 4.0], 1), &tiny).unwrap();
        assert_eq!(one.values, vec![3.0]);
    }
}
