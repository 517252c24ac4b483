//! Bootstrap of Bradley-Terry fits by resampling the pair-outcome cells.
//!
//! Resampling `N` comparisons with replacement is equivalent to drawing the counts of the distinct
//! (pair, outcome) cells from a multinomial with `N` trials and probabilities proportional to the
//! observed counts; prefrank draws that multinomial directly (sequential conditional binomials), so
//! a round costs O(cells), not O(comparisons). Weighted data: the cell weights are treated as counts
//! and `N` is their total rounded to the nearest integer (documented approximation).
//!
//! Rounds run in parallel in fixed chunks of [`ROUND_CHUNK`], each chunk seeded from
//! `(seed, chunk)`, so results are identical for any thread count. A resample whose comparison graph
//! is not strongly connected (an item with no wins or no losses) has no finite MLE: it is fitted with
//! a weak prior ([`DEGENERATE_ALPHA`]) and counted, never producing NaN.

use super::bt::{effective_ties, fit_cells, has_tie_param, BtOptions, Cells, Chord, Method, Ties};
use crate::error::{Error, Result};
use crate::limits;
use crate::par::{chunk_rng, n_chunks, tree_map_reduce};
use rand::{Rng, RngExt};
use rand_distr::{Binomial, Distribution};

pub const ROUND_CHUNK: usize = 8;
/// Prior precision used for resamples without a finite MLE.
pub const DEGENERATE_ALPHA: f64 = 1e-3;

#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapResult {
    /// `rounds x n` log-strengths, row-major.
    pub theta: Vec<f64>,
    /// Tie parameter per round (empty without a tie model).
    pub tie_param: Vec<f64>,
    pub rounds: usize,
    /// Resamples fitted with the fallback prior.
    pub degenerate: usize,
    /// Resamples whose fit did not converge.
    pub not_converged: usize,
    /// Chord steps taken over all resamples solved that way (a cost diagnostic).
    pub chord_steps: usize,
}

/// One binomial(n, p) draw: sequential inversion when the mean is small (the common case for
/// pair-outcome cells: one `exp`, then a short loop), else rand_distr's BTPE.
#[inline]
fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    let flip = p > 0.5;
    let q = if flip { 1.0 - p } else { p };
    let draw = if (n as f64) * q < 12.0 {
        let r = q / (1.0 - q);
        let mut prob = ((n as f64) * (-q).ln_1p()).exp();
        let mut u: f64 = rng.random();
        let mut k = 0u64;
        loop {
            if u < prob || k >= n {
                break k;
            }
            u -= prob;
            prob *= r * (n - k) as f64 / (k + 1) as f64;
            k += 1;
            if prob <= 0.0 {
                break k.min(n);
            }
        }
    } else {
        Binomial::new(n, q).map(|d| d.sample(rng)).unwrap_or(0)
    };
    if flip {
        n - draw
    } else {
        draw
    }
}

/// Walker's alias table for drawing categories with probabilities proportional to weights.
#[derive(Debug, Clone)]
pub struct Alias {
    prob: Vec<f64>,
    alias: Vec<u32>,
}

impl Alias {
    pub fn new(weights: &[f64]) -> Alias {
        let k = weights.len();
        let total: f64 = weights.iter().sum();
        let mut prob: Vec<f64> = weights.iter().map(|w| w * k as f64 / total).collect();
        let mut alias: Vec<u32> = (0..k as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..k).partition(|&i| prob[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            prob[l] -= 1.0 - prob[s];
            if prob[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding.
        for i in small.into_iter().chain(large) {
            prob[i] = 1.0;
        }
        Alias { prob, alias }
    }

    #[inline]
    fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let u = rng.next_u64();
        // High 32 bits pick the column (multiply-shift), low 32 bits decide column or alias.
        let col = (((u >> 32) * self.prob.len() as u64) >> 32) as usize;
        let frac = (u & 0xFFFF_FFFF) as f64 * (1.0 / 4_294_967_296.0);
        if frac < self.prob[col] {
            col
        } else {
            self.alias[col] as usize
        }
    }
}

/// How a round's multinomial counts are drawn: `total` single draws from an alias table when that is
/// cheaper than one binomial per category (few trials per category), else conditional binomials.
#[derive(Debug, Clone)]
pub enum Resampler {
    Alias { table: Alias, total: u64 },
    Binomials { weights: Vec<f64>, total: u64 },
    Poisson(PoissonResampler),
}

/// Inversion table of one Poisson distribution with a guide table (Chen and Asau), exact: draws
/// beyond the table's end continue the inversion term by term.
#[derive(Debug, Clone)]
struct PoissonTable {
    lambda: f64,
    cdf: Vec<f64>,
    guide: Vec<u32>,
    /// Probability of the table's last value, to continue the recursion past it.
    last_pmf: f64,
}

impl PoissonTable {
    fn new(lambda: f64) -> PoissonTable {
        let mut cdf = Vec::new();
        let mut pmf = (-lambda).exp();
        let mut acc = 0.0;
        let mut k = 0u32;
        // Up to where the upper tail is below 1e-17 (or the terms stop adding up).
        let end = lambda + 12.0 * lambda.sqrt() + 12.0;
        loop {
            acc += pmf;
            cdf.push(acc);
            k += 1;
            if f64::from(k) > end || acc >= 1.0 {
                break;
            }
            pmf *= lambda / f64::from(k);
        }
        let g = cdf.len();
        let mut guide = Vec::with_capacity(g);
        let mut j = 0usize;
        for i in 0..g {
            let level = i as f64 / g as f64;
            while j + 1 < g && cdf[j] <= level {
                j += 1;
            }
            guide.push(j as u32);
        }
        PoissonTable {
            lambda,
            cdf,
            guide,
            last_pmf: pmf,
        }
    }

    #[inline]
    fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let u: f64 = rng.random();
        let g = self.cdf.len();
        let mut k = self.guide[((u * g as f64) as usize).min(g - 1)] as usize;
        while k < g && self.cdf[k] <= u {
            k += 1;
        }
        if k < g {
            return k as u64;
        }
        // Past the table (probability below 1e-17): continue the inversion.
        let mut acc = self.cdf[g - 1];
        let mut pmf = self.last_pmf;
        let mut k = g as u64 - 1;
        while acc <= u && pmf > 0.0 {
            k += 1;
            pmf *= self.lambda / k as f64;
            acc += pmf;
        }
        k
    }
}

/// Multinomial(`total`, p ∝ `weights`), drawn as independent Poisson(`total p_k`) counts corrected
/// to the total: when they sum to `S < total`, add
/// `total - S` single draws; when `S > total`, remove `S - total` of the `S` drawn trials chosen
/// uniformly. Given `S`, Poisson counts are multinomial(`S`, p), and adding independent trials or
/// thinning uniformly keeps them multinomial, so the result is exact. Weights repeat a few values,
/// so each distinct value gets one precomputed inversion table: a draw is a lookup, where a
/// conditional binomial costs a BTPE set-up.
#[derive(Debug, Clone)]
pub struct PoissonResampler {
    tables: Vec<PoissonTable>,
    /// Table index per category (`u32::MAX`: weight zero).
    which: Vec<u32>,
    singles: Alias,
    total: u64,
}

/// At most this many distinct weights get tables (beyond: conditional binomials).
const POISSON_MAX_TABLES: usize = 4096;
/// Means above this are drawn with rand_distr's Poisson sampler instead of a table.
const POISSON_MAX_TABLE_MEAN: f64 = 4096.0;

impl PoissonResampler {
    fn new(weights: &[f64], total: u64) -> Option<PoissonResampler> {
        if weights.iter().any(|&w| !(w >= 0.0 && w.is_finite())) {
            return None;
        }
        // Poisson rates proportional to the weights and summing to the number of trials (any
        // proportional rates give the exact multinomial; these keep the correction small).
        let mass: f64 = weights.iter().sum();
        if mass <= 0.0 || total == 0 {
            return None;
        }
        let scale = total as f64 / mass;
        let mut distinct: Vec<f64> = weights.iter().copied().filter(|&w| w > 0.0).collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        if distinct.len() > POISSON_MAX_TABLES {
            return None;
        }
        let tables: Vec<PoissonTable> = distinct
            .iter()
            .map(|&w| {
                let l = w * scale;
                if l <= POISSON_MAX_TABLE_MEAN {
                    PoissonTable::new(l)
                } else {
                    PoissonTable {
                        lambda: l,
                        cdf: Vec::new(),
                        guide: Vec::new(),
                        last_pmf: 0.0,
                    }
                }
            })
            .collect();
        let which = weights
            .iter()
            .map(|&w| {
                if w > 0.0 {
                    distinct.binary_search_by(|x| x.total_cmp(&w)).unwrap_or(0) as u32
                } else {
                    u32::MAX
                }
            })
            .collect();
        Some(PoissonResampler {
            tables,
            which,
            singles: Alias::new(weights),
            total,
        })
    }

    fn draw<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        let mut sum = 0u64;
        for (o, &t) in out.iter_mut().zip(&self.which) {
            let c = if t == u32::MAX {
                0
            } else {
                let tab = &self.tables[t as usize];
                if tab.cdf.is_empty() {
                    rand_distr::Poisson::new(tab.lambda)
                        .map(|d| d.sample(rng) as u64)
                        .unwrap_or(0)
                } else {
                    tab.draw(rng)
                }
            };
            *o = c as f64;
            sum += c;
        }
        if sum < self.total {
            for _ in sum..self.total {
                out[self.singles.draw(rng)] += 1.0;
            }
        } else if sum > self.total {
            thin(rng, out, sum, sum - self.total);
        }
    }
}

/// Remove `remove` of the `sum` trials counted in `counts`, chosen uniformly without replacement
/// (a Fenwick tree finds the category of the r-th remaining trial).
fn thin<R: Rng + ?Sized>(rng: &mut R, counts: &mut [f64], sum: u64, remove: u64) {
    let n = counts.len();
    // Linear-time construction: each node passes its sum to its parent.
    let mut tree = vec![0u64; n + 1];
    for (i, &c) in counts.iter().enumerate() {
        tree[i + 1] += c as u64;
        let parent = (i + 1) + ((i + 1) & (i + 1).wrapping_neg());
        if parent <= n {
            tree[parent] += tree[i + 1];
        }
    }
    let top = if n == 0 {
        0
    } else {
        1usize << (usize::BITS - 1 - n.leading_zeros())
    };
    let mut left = sum;
    for _ in 0..remove {
        // The r-th trial (0-based) among those left.
        let mut r = rng.random_range(0..left);
        let mut pos = 0usize;
        let mut step = top;
        while step > 0 {
            let next = pos + step;
            if next <= n && tree[next] <= r {
                pos = next;
                r -= tree[next];
            }
            step >>= 1;
        }
        // Category `pos` (0-based) holds the trial.
        counts[pos] -= 1.0;
        let mut k = pos + 1;
        while k <= n {
            tree[k] -= 1;
            k += k & k.wrapping_neg();
        }
        left -= 1;
    }
}

impl Resampler {
    pub fn new(weights: Vec<f64>) -> Resampler {
        let total = weights.iter().sum::<f64>().round() as u64;
        let nonzero = weights.iter().filter(|&&w| w > 0.0).count().max(1) as u64;
        // A binomial draw costs roughly twenty alias draws here (measured): alias sampling wins when
        // there are only a few trials per category.
        if total <= 8 * nonzero && total > 0 {
            Resampler::Alias {
                table: Alias::new(&weights),
                total,
            }
        } else if let Some(p) = PoissonResampler::new(&weights, total) {
            Resampler::Poisson(p)
        } else {
            Resampler::Binomials { weights, total }
        }
    }

    /// One multinomial draw of the counts into `out` (one entry per category).
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        match self {
            Resampler::Alias { table, total } => {
                out.iter_mut().for_each(|v| *v = 0.0);
                for _ in 0..*total {
                    out[table.draw(rng)] += 1.0;
                }
            }
            Resampler::Binomials { weights, total } => multinomial(rng, *total, weights, out),
            Resampler::Poisson(p) => p.draw(rng, out),
        }
    }
}

/// Draw multinomial(`total`, `probs` ∝ `weights`) into `out` by conditional binomials.
pub fn multinomial<R: Rng + ?Sized>(rng: &mut R, total: u64, weights: &[f64], out: &mut [f64]) {
    let mut left = total;
    let mut mass: f64 = weights.iter().sum();
    for (k, &w) in weights.iter().enumerate() {
        if left == 0 || mass <= 0.0 {
            out[k] = 0.0;
            continue;
        }
        let p = (w / mass).clamp(0.0, 1.0);
        let draw = if p >= 1.0 {
            left
        } else if p <= 0.0 {
            0
        } else {
            binomial(rng, left, p)
        };
        out[k] = draw as f64;
        left -= draw;
        mass -= w;
    }
}

/// The largest total weight the bootstrap resamples as a count (integers are exact up to 2^53).
pub const MAX_BOOTSTRAP_TOTAL: f64 = 9_007_199_254_740_992.0;

/// Run `rounds` bootstrap fits of `cells` with options `opts`, warm-started at `theta_hat`.
/// Round `r` belongs to chunk `first_chunk + r / ROUND_CHUNK`, so a long run split into batches of
/// whole chunks (for progress reporting) gives exactly the rounds of one call.
///
/// Resamples are solved by chord iterations with the Hessian of the full data at the estimate
/// (`theta_hat`, `tie_hat`), factorised once; a resample where that does not converge gets a full fit.
#[allow(clippy::too_many_arguments)]
pub fn bootstrap_bt(
    cells: &Cells,
    opts: &BtOptions,
    theta_hat: &[f64],
    tie_hat: Option<f64>,
    rounds: usize,
    seed: u64,
    first_chunk: u64,
) -> Result<BootstrapResult> {
    let n = cells.n;
    let m = cells.len();
    limits::check_array::<f64>(
        &format!("{rounds} bootstrap rounds of {n} strengths"),
        &[rounds, n],
        "ask for fewer bootstrap rounds",
    )?;
    // The weights are resampled as counts (`round(total)` comparisons): a total below one would
    // resample nothing (every round degenerate) and one past 2^53 is no count (and would not end).
    let total = cells.total();
    if !(0.5..=MAX_BOOTSTRAP_TOTAL).contains(&total) {
        return Err(Error::invalid(
            "weight",
            format!(
                "the bootstrap resamples the weights as counts (their total is the number of \
                 comparisons drawn), but they sum to {total:e}: give weights on the scale of counts \
                 (at least 1 and at most 2^53 in total), or bootstrap=0"
            ),
        ));
    }
    let eff = effective_ties(cells, opts.ties);
    let chord = if n <= super::bt::NEWTON_MAX_ITEMS {
        Chord::new(cells, eff, opts.alpha, theta_hat, tie_hat)
    } else {
        None
    };
    let mut p0 = theta_hat.to_vec();
    if has_tie_param(eff) {
        p0.push(tie_hat.map_or(0.0, f64::ln));
    }
    let gtol = opts.tol * (cells.total() / n as f64).max(1.0);
    // Flatten the three outcome categories of every cell into one weight vector.
    let mut weights = Vec::with_capacity(3 * m);
    weights.extend_from_slice(&cells.x);
    weights.extend_from_slice(&cells.y);
    weights.extend_from_slice(&cells.t);
    let resampler = Resampler::new(weights.clone());
    let chunks = n_chunks(rounds, ROUND_CHUNK);
    let map = |c: usize| -> Result<BootstrapResult> {
        let mut rng = chunk_rng(seed, first_chunk + c as u64);
        let lo = c * ROUND_CHUNK;
        let hi = (lo + ROUND_CHUNK).min(rounds);
        let mut out = BootstrapResult {
            theta: Vec::with_capacity((hi - lo) * n),
            tie_param: Vec::new(),
            rounds: hi - lo,
            degenerate: 0,
            not_converged: 0,
            chord_steps: 0,
        };
        let mut draw = vec![0.0; 3 * m];
        let mut resample = Cells {
            n,
            i: cells.i.clone(),
            j: cells.j.clone(),
            x: vec![0.0; m],
            y: vec![0.0; m],
            t: vec![0.0; m],
        };
        for _ in lo..hi {
            resampler.draw(&mut rng, &mut draw);
            resample.x.copy_from_slice(&draw[..m]);
            resample.y.copy_from_slice(&draw[m..2 * m]);
            resample.t.copy_from_slice(&draw[2 * m..]);
            let mut o = BtOptions {
                method: if opts.method == Method::MM {
                    Method::Auto
                } else {
                    opts.method
                },
                ..*opts
            };
            // The full data passed the identifiability check, so a resample can only lose strong
            // connectivity if some observed (pair, outcome) cell drew zero: test the graph only then.
            let lost_edge = draw
                .iter()
                .zip(&weights)
                .any(|(&d, &w)| d == 0.0 && w > 0.0);
            if o.alpha == 0.0 && lost_edge && super::bt::components(&resample).1 > 1 {
                o.alpha = DEGENERATE_ALPHA;
                out.degenerate += 1;
            }
            let quick = match (
                &chord,
                o.alpha == opts.alpha && effective_ties(&resample, opts.ties) == eff,
            ) {
                (Some(ch), true) => ch.solve(&resample, &p0, gtol, 200),
                _ => None,
            };
            if let Some((mut p, steps)) = quick {
                out.chord_steps += steps;
                let tp = if has_tie_param(eff) { p.pop() } else { None };
                if opts.alpha == 0.0 {
                    let mean = p.iter().sum::<f64>() / n as f64;
                    p.iter_mut().for_each(|t| *t -= mean);
                }
                out.theta.extend_from_slice(&p);
                match (opts.ties, tp) {
                    (Ties::Davidson | Ties::RaoKupper, Some(e)) => out.tie_param.push(e.exp()),
                    (Ties::Davidson, None) => out.tie_param.push(0.0),
                    (Ties::RaoKupper, None) => out.tie_param.push(1.0),
                    _ => {}
                }
                continue;
            }
            let f = fit_cells(&resample, &o, Some(theta_hat))?;
            if !f.converged {
                out.not_converged += 1;
            }
            out.theta.extend_from_slice(&f.theta);
            if let Some(tp) = f.tie_param {
                out.tie_param.push(tp);
            }
        }
        Ok(out)
    };
    let merge =
        |a: Result<BootstrapResult>, b: Result<BootstrapResult>| -> Result<BootstrapResult> {
            let (mut a, b) = (a?, b?);
            a.theta.extend(b.theta);
            a.tie_param.extend(b.tie_param);
            a.rounds += b.rounds;
            a.degenerate += b.degenerate;
            a.not_converged += b.not_converged;
            a.chord_steps += b.chord_steps;
            Ok(a)
        };
    tree_map_reduce(chunks, &map, &merge).unwrap_or_else(|| {
        Ok(BootstrapResult {
            theta: Vec::new(),
            tie_param: Vec::new(),
            rounds: 0,
            degenerate: 0,
            not_converged: 0,
            chord_steps: 0,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pairs::PairCell;
    use crate::data::PairCounts;
    use crate::rank::bt::{fit, Ties};

    #[test]
    fn chord_rounds_match_full_fits() {
        let cells: Vec<PairCell> = vec![
            PairCell {
                i: 0,
                j: 1,
                wij: 30.0,
                wji: 10.0,
                ties: 5.0,
            },
            PairCell {
                i: 1,
                j: 2,
                wij: 20.0,
                wji: 20.0,
                ties: 2.0,
            },
            PairCell {
                i: 0,
                j: 2,
                wij: 25.0,
                wji: 5.0,
                ties: 3.0,
            },
        ];
        let counts = PairCounts::from_cells(3, &cells, None).unwrap();
        for ties in [Ties::Half, Ties::Davidson, Ties::RaoKupper] {
            let opts = BtOptions {
                ties,
                ..Default::default()
            };
            let f = fit(&counts, &opts, None).unwrap();
            let c = Cells::from_counts(&counts, ties);
            let r = bootstrap_bt(&c, &opts, &f.theta, f.tie_param, 16, 3, 0).unwrap();
            // Refit the same resamples with the full solver: redraw them with the same RNG stream.
            let mut weights = c.x.clone();
            weights.extend_from_slice(&c.y);
            weights.extend_from_slice(&c.t);
            let resampler = Resampler::new(weights.clone());
            let mut rng = chunk_rng(3, 0);
            let mut draw = vec![0.0; 9];
            for round in 0..ROUND_CHUNK {
                resampler.draw(&mut rng, &mut draw);
                let rc = Cells {
                    n: 3,
                    i: c.i.clone(),
                    j: c.j.clone(),
                    x: draw[..3].to_vec(),
                    y: draw[3..6].to_vec(),
                    t: draw[6..].to_vec(),
                };
                let full = fit_cells(&rc, &opts, None).unwrap();
                for k in 0..3 {
                    assert!(
                        (full.theta[k] - r.theta[round * 3 + k]).abs() < 1e-7,
                        "{ties:?}"
                    );
                }
                if let Some(tp) = full.tie_param {
                    assert!((tp - r.tie_param[round]).abs() < 1e-6, "{ties:?}");
                }
            }
        }
    }

    #[test]
    fn binomial_moments() {
        let mut rng = chunk_rng(9, 0);
        for &(n, p) in &[(10u64, 0.3), (1000, 0.002), (40, 0.9), (500, 0.5)] {
            let k = 20_000;
            let xs: Vec<f64> = (0..k).map(|_| binomial(&mut rng, n, p) as f64).collect();
            let mean = xs.iter().sum::<f64>() / k as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / k as f64;
            let (m, v) = (n as f64 * p, n as f64 * p * (1.0 - p));
            assert!(
                (mean - m).abs() < 5.0 * (v / k as f64).sqrt(),
                "{n} {p} mean {mean}"
            );
            assert!((var / v - 1.0).abs() < 0.06, "{n} {p} var {var}");
            assert!(xs.iter().all(|&x| x <= n as f64));
        }
    }

    #[test]
    fn alias_frequencies_match_weights() {
        let w = [1.0, 0.0, 3.0, 6.0, 0.5];
        let r = Resampler::new(w.to_vec());
        assert!(matches!(r, Resampler::Alias { .. }));
        let mut rng = chunk_rng(4, 0);
        let mut out = vec![0.0; 5];
        let mut acc = [0.0; 5];
        for _ in 0..2000 {
            r.draw(&mut rng, &mut out);
            assert_eq!(out.iter().sum::<f64>(), 10.5f64.round());
            for k in 0..5 {
                acc[k] += out[k];
            }
        }
        let total: f64 = acc.iter().sum();
        for k in 0..5 {
            let p = w[k] / 10.5;
            let sd = (p * (1.0 - p) / total).sqrt();
            assert!((acc[k] / total - p).abs() <= 5.0 * sd + 1e-12, "{k}");
        }
        assert_eq!(acc[1], 0.0);
    }

    #[test]
    fn poisson_tables_have_poisson_moments() {
        use rand::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for lambda in [0.5, 3.0, 25.0, 300.0] {
            let t = PoissonTable::new(lambda);
            let n = 200_000;
            let (mut s1, mut s2) = (0.0, 0.0);
            for _ in 0..n {
                let x = t.draw(&mut rng) as f64;
                s1 += x;
                s2 += x * x;
            }
            let mean = s1 / n as f64;
            let var = s2 / n as f64 - mean * mean;
            let se = (lambda / n as f64).sqrt();
            assert!(
                (mean - lambda).abs() < 5.0 * se,
                "lambda {lambda}: mean {mean}"
            );
            assert!(
                (var / lambda - 1.0).abs() < 0.03,
                "lambda {lambda}: var {var}"
            );
        }
    }

    #[test]
    fn poisson_table_tail_continues_the_inversion() {
        // A table cut short: draws past its end must follow the recursion, not stop at the end.
        let mut t = PoissonTable::new(4.0);
        t.cdf.truncate(3);
        t.last_pmf = 4.0f64.powi(2) / 2.0 * (-4.0f64).exp();
        t.guide = vec![0, 0, 1];
        struct Fixed(u64);
        impl rand::TryRng for Fixed {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
                Ok(self.0 as u32)
            }
            fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
                Ok(self.0)
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
                dst.fill(0);
                Ok(())
            }
        }
        // u just below 1: the answer is far in the tail (cdf(16) < 1 - 2^-24 for Poisson(4)).
        let k = t.draw(&mut Fixed(u64::MAX));
        assert!(k >= 16, "{k}");
    }

    #[test]
    fn poisson_resampler_is_multinomial() {
        use rand::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        // Weights summing to 100 while 200 trials are drawn: rates are rescaled to the total.
        let weights = vec![15.0, 15.0, 2.5, 0.0, 60.0, 7.5];
        let total = 200u64;
        let r = PoissonResampler::new(&weights, total).expect("few distinct weights");
        let rounds = 40_000;
        let mut out = vec![0.0; weights.len()];
        let mut s1 = vec![0.0; weights.len()];
        let mut s2 = vec![0.0; weights.len()];
        for _ in 0..rounds {
            r.draw(&mut rng, &mut out);
            assert_eq!(out.iter().sum::<f64>(), total as f64);
            assert!(out.iter().all(|&x| x >= 0.0));
            assert_eq!(out[3], 0.0);
            for k in 0..out.len() {
                s1[k] += out[k];
                s2[k] += out[k] * out[k];
            }
        }
        for k in 0..weights.len() {
            let p = weights[k] / 100.0;
            let mean = s1[k] / rounds as f64;
            let var = s2[k] / rounds as f64 - mean * mean;
            let want_var = total as f64 * p * (1.0 - p);
            assert!(
                (mean - total as f64 * p).abs() < 0.05 * want_var.sqrt() + 1e-9,
                "{k}: mean {mean}"
            );
            if want_var > 0.0 {
                // Multinomial variance n p (1 - p), not Poisson's n p.
                assert!(
                    (var / want_var - 1.0).abs() < 0.04,
                    "{k}: var {var} want {want_var}"
                );
            }
        }
    }

    #[test]
    fn resampler_picks_poisson_when_weights_repeat() {
        // Half-integer weights (ties split in half) repeat a few values: Poisson tables.
        let halves: Vec<f64> = (0..300).map(|k| 20.5 + (k % 5) as f64).collect();
        assert!(matches!(Resampler::new(halves), Resampler::Poisson(_)));
        // Soft outcomes give (nearly) all-distinct weights: conditional binomials.
        let soft: Vec<f64> = (0..5000).map(|k| 20.0 + k as f64 * 1e-3).collect();
        assert!(matches!(Resampler::new(soft), Resampler::Binomials { .. }));
    }

    #[test]
    fn multinomial_preserves_total() {
        let mut rng = chunk_rng(1, 0);
        let mut out = vec![0.0; 4];
        multinomial(&mut rng, 1000, &[1.0, 0.0, 3.0, 6.0], &mut out);
        assert_eq!(out.iter().sum::<f64>(), 1000.0);
        assert_eq!(out[1], 0.0);
    }

    #[test]
    fn deterministic_across_thread_counts() {
        let cells: Vec<PairCell> = vec![
            PairCell {
                i: 0,
                j: 1,
                wij: 30.0,
                wji: 10.0,
                ties: 5.0,
            },
            PairCell {
                i: 1,
                j: 2,
                wij: 20.0,
                wji: 20.0,
                ties: 2.0,
            },
            PairCell {
                i: 0,
                j: 2,
                wij: 25.0,
                wji: 5.0,
                ties: 0.0,
            },
        ];
        let counts = PairCounts::from_cells(3, &cells, None).unwrap();
        let opts = BtOptions {
            ties: Ties::Half,
            ..Default::default()
        };
        let f = fit(&counts, &opts, None).unwrap();
        let c = Cells::from_counts(&counts, Ties::Half);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| bootstrap_bt(&c, &opts, &f.theta, None, 50, 7, 0).unwrap())
        };
        let r1 = run(1);
        assert_eq!(r1, run(3));
        assert_eq!(r1.rounds, 50);
        assert_eq!(r1.theta.len(), 150);
        // The bootstrap mean is near the estimate.
        let mean0: f64 = (0..50).map(|r| r1.theta[r * 3]).sum::<f64>() / 50.0;
        assert!((mean0 - f.theta[0]).abs() < 0.2);
        // Two batches of whole chunks reproduce one call.
        let first = bootstrap_bt(&c, &opts, &f.theta, None, 16, 7, 0).unwrap();
        let second = bootstrap_bt(&c, &opts, &f.theta, None, 34, 7, 2).unwrap();
        assert_eq!([first.theta, second.theta].concat(), r1.theta);
    }
}
