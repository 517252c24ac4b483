//! Batched small problems: one Bradley-Terry fit per group (for example per prompt, ranking the
//! responses to it) for millions of groups in one parallel call.
//!
//! Rows are bucketed by group with a counting sort; groups are then fitted independently in fixed
//! chunks of [`GROUP_CHUNK`] groups (results do not depend on the thread count). A group of up to
//! [`SMALL_MAX_ITEMS`] items is fitted by a specialised dense Newton iteration on stack arrays from
//! its local pair-count table; a larger group falls back to [`bt::fit_cells`].
//!
//! Per group the result reports the items (sorted codes), the log-strengths, a convergence flag and
//! an identifiability flag (the group's win graph is strongly connected, checked with bitmask
//! reachability). With `alpha = 0` a group that is not identifiable gets NaN scores; with
//! `alpha > 0` (a Gaussian prior `alpha/2 * sum theta^2`) every group is fitted.

use super::bt::{self, BtOptions, Cells, Method, Ties};
use super::plackett_luce::{self as pl, PlMethod, PlOptions, Rankings};
use crate::data::{validate_comparisons, ComparisonsRef};
use crate::error::{Error, Result};
use crate::limits;
use crate::numeric::logistic::sigmoid_and_neg_log;
use crate::numeric::scale::{max_abs, times_pow2, unit_shift};

/// Groups of up to this many items use the specialised small solver.
pub const SMALL_MAX_ITEMS: usize = 16;
/// Groups per parallel chunk.
pub const GROUP_CHUNK: usize = 4096;
const S: usize = SMALL_MAX_ITEMS;
const INIT_SCALE: f64 = 2.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupOptions {
    /// `Half` or `Drop` (tie models with a learned parameter are not offered per group).
    pub ties: Ties,
    pub alpha: f64,
    pub max_iter: usize,
    pub tol: f64,
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions {
            ties: Ties::Half,
            alpha: 0.01,
            max_iter: 100,
            tol: 1e-9,
        }
    }
}

/// Fits of all groups: group `g` owns `items[offsets[g]..offsets[g + 1]]` and the same range of
/// `theta`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFits {
    pub offsets: Vec<usize>,
    pub items: Vec<u32>,
    pub theta: Vec<f64>,
    pub converged: Vec<bool>,
    pub identifiable: Vec<bool>,
    pub iterations: Vec<u32>,
}

#[derive(Default)]
struct Part {
    sizes: Vec<usize>,
    items: Vec<u32>,
    theta: Vec<f64>,
    converged: Vec<bool>,
    identifiable: Vec<bool>,
    iterations: Vec<u32>,
}

/// Bucket rows by group: `(start offsets of length n_groups + 1, row order)`.
pub fn bucket(n_groups: usize, group: &[u32]) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; n_groups + 1];
    for &g in group {
        start[g as usize + 1] += 1;
    }
    for g in 0..n_groups {
        start[g + 1] += start[g];
    }
    let mut pos = start.clone();
    let mut order = vec![0u32; group.len()];
    for (r, &g) in group.iter().enumerate() {
        order[pos[g as usize]] = r as u32;
        pos[g as usize] += 1;
    }
    (start, order)
}

/// Fit Bradley-Terry separately in every group `0..n_groups`.
pub fn bt_groups(
    n_groups: usize,
    group: &[u32],
    c: &ComparisonsRef<'_>,
    opts: &GroupOptions,
) -> Result<GroupFits> {
    if !matches!(opts.ties, Ties::Half | Ties::Drop) {
        return Err(Error::invalid(
            "ties",
            "per-group fits support ties='half' or 'drop'",
        ));
    }
    if !(opts.alpha >= 0.0 && opts.alpha.is_finite()) {
        return Err(Error::invalid(
            "alpha",
            format!("must be a finite number >= 0, got {}", opts.alpha),
        ));
    }
    if opts.tol.is_nan() || opts.tol <= 0.0 {
        return Err(Error::invalid(
            "tol",
            format!("must be > 0, got {}", opts.tol),
        ));
    }
    if group.len() != c.len() {
        return Err(Error::LengthMismatch {
            left: "comparisons".into(),
            left_len: c.len(),
            right: "group".into(),
            right_len: group.len(),
        });
    }
    if let Some(r) = group.iter().position(|&g| g as usize >= n_groups) {
        return Err(Error::CodeOutOfRange {
            row: r,
            code: group[r],
            n_items: n_groups,
        });
    }
    validate_comparisons(c, false)?;
    if n_groups > u32::MAX as usize || c.len() > u32::MAX as usize {
        return Err(Error::invalid("group", "more than 2^32 rows or groups"));
    }
    let (start, order) = bucket(n_groups, group);
    let n_chunks = n_groups.div_ceil(GROUP_CHUNK);
    // `map_all` offloads the chunks and reports a cancellation; each chunk installs the call's
    // token (for the large groups' fits) and stops between groups once it is cancelled.
    let token = crate::cancel::current();
    let parts: Vec<Part> = crate::par::map_all(n_chunks, |ch| {
        token.scope(|| {
            let mut part = Part::default();
            let mut buf: Vec<u32> = Vec::new();
            let lo = ch * GROUP_CHUNK;
            let hi = (lo + GROUP_CHUNK).min(n_groups);
            for g in lo..hi {
                if crate::cancel::cancelled() {
                    break;
                }
                let rows = &order[start[g]..start[g + 1]];
                fit_group(rows, c, opts, &mut buf, &mut part);
            }
            part
        })
    })?;
    Ok(assemble(n_groups, parts))
}

fn fit_group(
    rows: &[u32],
    c: &ComparisonsRef<'_>,
    opts: &GroupOptions,
    buf: &mut Vec<u32>,
    part: &mut Part,
) {
    buf.clear();
    for &r in rows {
        buf.push(c.a[r as usize]);
        buf.push(c.b[r as usize]);
    }
    buf.sort_unstable();
    buf.dedup();
    let m = buf.len();
    part.sizes.push(m);
    part.items.extend_from_slice(buf);
    if m > S {
        fit_large(rows, c, opts, buf, part);
        return;
    }
    let local = |code: u32| -> usize {
        let mut k = 0;
        while buf[k] != code {
            k += 1;
        }
        k
    };
    let mut w = [0.0f64; S * S];
    let half = opts.ties == Ties::Half;
    for &r in rows {
        let r = r as usize;
        let (i, j) = (local(c.a[r]), local(c.b[r]));
        let wt = c.w(r);
        if c.tie[r] != 0 {
            if half {
                w[i * S + j] += 0.5 * wt;
                w[j * S + i] += 0.5 * wt;
            }
        } else {
            w[i * S + j] += wt * c.p[r];
            w[j * S + i] += wt * (1.0 - c.p[r]);
        }
    }
    if opts.alpha == 0.0 {
        // Without a prior the fit does not depend on the weights' scale: bring them in range (as
        // `bt::fit_cells` does), so that the start, tolerance and sums behave as for counts.
        let max = max_abs(&w);
        if max.is_finite() && max > 0.0 {
            let shift = unit_shift(max, w.iter().map(|v| v / max).sum(), m);
            w.iter_mut().for_each(|v| *v = times_pow2(*v, shift));
        }
    }
    let ident = strongly_connected(&w, m);
    part.identifiable.push(ident);
    let mut theta = [0.0f64; S];
    // Start from the smoothed log-odds of each item's win rate (saves Newton steps on groups with a
    // clear order); the fit does not depend on the start (the objective is strictly convex).
    for i in 0..m {
        let (mut won, mut lost) = (0.0, 0.0);
        for j in 0..m {
            won += w[i * S + j];
            lost += w[j * S + i];
        }
        theta[i] = INIT_SCALE * ((won + 0.5) / (lost + 0.5)).ln();
    }
    if m < 2 || (opts.alpha == 0.0 && !ident) {
        part.theta.extend(std::iter::repeat_n(f64::NAN, m));
        part.converged.push(false);
        part.iterations.push(0);
        return;
    }
    let (it, ok) = small_newton(&w, m, opts.alpha, opts.max_iter, opts.tol, &mut theta);
    part.theta.extend_from_slice(&theta[..m]);
    part.converged.push(ok);
    part.iterations.push(it as u32);
}

fn fit_large(
    rows: &[u32],
    c: &ComparisonsRef<'_>,
    opts: &GroupOptions,
    items: &[u32],
    part: &mut Part,
) {
    let m = items.len();
    let half = opts.ties == Ties::Half;
    // (i, j, wins of i, wins of j) per row on local codes.
    let row_cell = |r: usize| -> Option<(usize, usize, f64, f64)> {
        let i = items.binary_search(&c.a[r]).expect("item collected");
        let j = items.binary_search(&c.b[r]).expect("item collected");
        let wt = c.w(r);
        if c.tie[r] != 0 {
            half.then_some((i, j, 0.5 * wt, 0.5 * wt))
        } else {
            Some((i, j, wt * c.p[r], wt * (1.0 - c.p[r])))
        }
    };
    let mut cells = Cells {
        n: m,
        ..Default::default()
    };
    // A dense m x m table while it fits the memory limit (beside the m x m Newton Hessian);
    // otherwise the cells are collected sparsely, added up in the same row order.
    if limits::fits::<f64>(&[m, m, 2]) {
        let mut w = vec![0.0f64; m * m];
        for &r in rows {
            if let Some((i, j, x, y)) = row_cell(r as usize) {
                w[i * m + j] += x;
                w[j * m + i] += y;
            }
        }
        for i in 0..m {
            for j in i + 1..m {
                let (x, y) = (w[i * m + j], w[j * m + i]);
                if x + y > 0.0 {
                    cells.i.push(i as u32);
                    cells.j.push(j as u32);
                    cells.x.push(x);
                    cells.y.push(y);
                    cells.t.push(0.0);
                }
            }
        }
    } else {
        let mut entries: Vec<(u32, u32, f64, f64)> = rows
            .iter()
            .filter_map(|&r| row_cell(r as usize))
            .map(|(i, j, x, y)| {
                if i < j {
                    (i as u32, j as u32, x, y)
                } else {
                    (j as u32, i as u32, y, x)
                }
            })
            .collect();
        entries.sort_by_key(|e| (e.0, e.1));
        for run in entries.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (x, y) = run.iter().fold((0.0, 0.0), |(x, y), e| (x + e.2, y + e.3));
            if x + y > 0.0 {
                cells.i.push(run[0].0);
                cells.j.push(run[0].1);
                cells.x.push(x);
                cells.y.push(y);
                cells.t.push(0.0);
            }
        }
    }
    let ident = bt::components(&cells).1 == 1;
    part.identifiable.push(ident);
    let bo = BtOptions {
        ties: Ties::Drop,
        alpha: opts.alpha,
        max_iter: opts.max_iter,
        tol: opts.tol,
        // Newton while its m x m Hessian fits the memory limit; else the solver the size calls for.
        method: if limits::fits::<f64>(&[m + 1, m + 1]) {
            Method::Newton
        } else {
            Method::Auto
        },
    };
    match bt::fit_cells(&cells, &bo, None) {
        Ok(f) => {
            part.theta.extend_from_slice(&f.theta);
            part.converged.push(f.converged);
            part.iterations.push(f.iterations as u32);
        }
        Err(_) => {
            part.theta.extend(std::iter::repeat_n(f64::NAN, m));
            part.converged.push(false);
            part.iterations.push(0);
        }
    }
}

/// Options of the per-group Plackett-Luce fits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlGroupOptions {
    pub alpha: f64,
    pub max_iter: usize,
    pub tol: f64,
}

impl Default for PlGroupOptions {
    fn default() -> Self {
        PlGroupOptions {
            alpha: 0.01,
            max_iter: 100,
            tol: 1e-9,
        }
    }
}

/// Fit Plackett-Luce separately in every group: observation `r` of `rk` belongs to group
/// `obs_group[r]`. Each group is fitted by [`pl::fit`] (Newton) on its local item codes; the flags
/// and the NaN convention are those of [`bt_groups`].
pub fn pl_groups(
    n_groups: usize,
    obs_group: &[u32],
    rk: &Rankings,
    opts: &PlGroupOptions,
) -> Result<GroupFits> {
    if !(opts.alpha >= 0.0 && opts.alpha.is_finite()) {
        return Err(Error::invalid(
            "alpha",
            format!("must be a finite number >= 0, got {}", opts.alpha),
        ));
    }
    if opts.tol.is_nan() || opts.tol <= 0.0 {
        return Err(Error::invalid(
            "tol",
            format!("must be > 0, got {}", opts.tol),
        ));
    }
    if obs_group.len() != rk.len() {
        return Err(Error::LengthMismatch {
            left: "observations".into(),
            left_len: rk.len(),
            right: "group".into(),
            right_len: obs_group.len(),
        });
    }
    if let Some(r) = obs_group.iter().position(|&g| g as usize >= n_groups) {
        return Err(Error::CodeOutOfRange {
            row: r,
            code: obs_group[r],
            n_items: n_groups,
        });
    }
    let (start, order) = bucket(n_groups, obs_group);
    let n_chunks = n_groups.div_ceil(GROUP_CHUNK);
    let po = PlOptions {
        alpha: opts.alpha,
        max_iter: opts.max_iter,
        tol: opts.tol,
        method: PlMethod::Newton,
    };
    // As in `bt_groups`: offloaded, the token installed per chunk, checked between groups.
    let token = crate::cancel::current();
    let parts: Vec<Part> = crate::par::map_all(n_chunks, |ch| {
        token.scope(|| {
            let mut part = Part::default();
            let lo = ch * GROUP_CHUNK;
            let hi = (lo + GROUP_CHUNK).min(n_groups);
            for g in lo..hi {
                if crate::cancel::cancelled() {
                    break;
                }
                let obs = &order[start[g]..start[g + 1]];
                let mut items: Vec<u32> = obs
                    .iter()
                    .flat_map(|&r| {
                        let r = r as usize;
                        rk.items[rk.offsets[r]..rk.offsets[r + 1]].iter().copied()
                    })
                    .collect();
                items.sort_unstable();
                items.dedup();
                let m = items.len();
                part.sizes.push(m);
                part.items.extend_from_slice(&items);
                let mut offsets = vec![0usize];
                let mut local = Vec::new();
                let mut k = Vec::new();
                let mut w = Vec::new();
                for &r in obs {
                    let r = r as usize;
                    for &c in &rk.items[rk.offsets[r]..rk.offsets[r + 1]] {
                        local.push(items.binary_search(&c).expect("collected") as u32);
                    }
                    offsets.push(local.len());
                    k.push(rk.n_ranked[r]);
                    w.push(rk.weight[r]);
                }
                let fit = Rankings::new(m, offsets, local, k, Some(w)).map(|lr| {
                    let lr = lr.dedup();
                    let ident = m >= 2 && pl::components(&lr).1 == 1;
                    // Newton while its Hessian fits the memory limit; else L-BFGS.
                    let po = if limits::fits::<f64>(&[m, m, limits::parallel_copies()]) {
                        po
                    } else {
                        PlOptions {
                            method: PlMethod::Lbfgs,
                            ..po
                        }
                    };
                    let f = if m >= 2 && (ident || opts.alpha > 0.0) {
                        pl::fit(&lr, &po, None).ok()
                    } else {
                        None
                    };
                    (ident, f)
                });
                match fit {
                    Ok((ident, Some(f))) => {
                        part.identifiable.push(ident);
                        part.theta.extend_from_slice(&f.theta);
                        part.converged.push(f.converged);
                        part.iterations.push(f.iterations as u32);
                    }
                    Ok((ident, None)) => {
                        part.identifiable.push(ident);
                        part.theta.extend(std::iter::repeat_n(f64::NAN, m));
                        part.converged.push(false);
                        part.iterations.push(0);
                    }
                    Err(_) => {
                        part.identifiable.push(false);
                        part.theta.extend(std::iter::repeat_n(f64::NAN, m));
                        part.converged.push(false);
                        part.iterations.push(0);
                    }
                }
            }
            part
        })
    })?;
    Ok(assemble(n_groups, parts))
}

fn assemble(n_groups: usize, parts: Vec<Part>) -> GroupFits {
    let mut out = GroupFits {
        offsets: Vec::with_capacity(n_groups + 1),
        items: Vec::new(),
        theta: Vec::new(),
        converged: Vec::with_capacity(n_groups),
        identifiable: Vec::with_capacity(n_groups),
        iterations: Vec::with_capacity(n_groups),
    };
    let total: usize = parts.iter().map(|p| p.items.len()).sum();
    out.items.reserve(total);
    out.theta.reserve(total);
    out.offsets.push(0);
    for p in parts {
        let mut at = out.items.len();
        for s in &p.sizes {
            at += s;
            out.offsets.push(at);
        }
        out.items.extend_from_slice(&p.items);
        out.theta.extend_from_slice(&p.theta);
        out.converged.extend_from_slice(&p.converged);
        out.identifiable.extend_from_slice(&p.identifiable);
        out.iterations.extend_from_slice(&p.iterations);
    }
    out
}

/// Strong connectivity of the win graph (`i -> j` when `w[i][j] > 0`) by bitmask closure.
fn strongly_connected(w: &[f64; S * S], m: usize) -> bool {
    if m < 2 {
        return m == 1;
    }
    let mut reach = [0u32; S];
    for i in 0..m {
        for j in 0..m {
            if w[i * S + j] > 0.0 {
                reach[i] |= 1 << j;
            }
        }
    }
    // Closure: at most m rounds of "reach[i] |= reach of everything i reaches".
    for _ in 0..m {
        let mut changed = false;
        for i in 0..m {
            let mut acc = reach[i];
            let mut bits = reach[i];
            while bits != 0 {
                let j = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                acc |= reach[j];
            }
            if acc != reach[i] {
                reach[i] = acc;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let all = if m == 32 { u32::MAX } else { (1u32 << m) - 1 };
    (0..m).all(|i| reach[i] | (1 << i) == all)
}

/// Objective, gradient and Hessian at `th` in one pass: one `exp` and one `ln_1p` per observed pair.
/// Objective = `sum_{i<j} x softplus(-d) + y softplus(d)` + prior + gauge, with `d = th_i - th_j`.
#[inline]
#[allow(clippy::too_many_arguments)]
fn small_eval(
    w: &[f64; S * S],
    m: usize,
    alpha: f64,
    gauge: f64,
    th: &[f64; S],
    g: &mut [f64; S],
    h: &mut [f64; S * S],
) -> f64 {
    let mut sum = 0.0;
    let mut sq = 0.0;
    for &t in &th[..m] {
        sum += t;
        sq += t * t;
    }
    for i in 0..m {
        g[i] = alpha * th[i] + gauge * sum;
        for j in 0..m {
            h[i * S + j] = gauge;
        }
        h[i * S + i] += alpha;
    }
    let mut f = 0.5 * alpha * sq + 0.5 * gauge * sum * sum;
    for i in 0..m {
        for j in i + 1..m {
            let (x, y) = (w[i * S + j], w[j * S + i]);
            let nn = x + y;
            if nn > 0.0 {
                let d = th[i] - th[j];
                let (s, sp) = sigmoid_and_neg_log(d);
                f += nn * sp + y * d;
                let gi = nn * s - x;
                g[i] += gi;
                g[j] -= gi;
                let hh = nn * s * (1.0 - s);
                h[i * S + i] += hh;
                h[j * S + j] += hh;
                h[i * S + j] -= hh;
                h[j * S + i] -= hh;
            }
        }
    }
    f
}

/// Damped Newton on `m <= 16` items with stack arrays. Returns (iterations, converged).
fn small_newton(
    w: &[f64; S * S],
    m: usize,
    alpha: f64,
    max_iter: usize,
    tol: f64,
    theta: &mut [f64; S],
) -> (usize, bool) {
    let mut total = 0.0;
    for i in 0..m {
        for j in 0..m {
            total += w[i * S + j];
        }
    }
    let scale = (total / m as f64).max(1.0);
    let gtol = tol * scale;
    let gauge = if alpha == 0.0 { scale / m as f64 } else { 0.0 };
    // Two buffers each for the gradient and Hessian; an accepted candidate's buffers become the
    // current ones by swapping references (no copies).
    let (mut ga, mut ha) = ([0.0f64; S], [0.0f64; S * S]);
    let (mut gb, mut hb) = ([0.0f64; S], [0.0f64; S * S]);
    let (mut g, mut h) = (&mut ga, &mut ha);
    let (mut g2, mut h2) = (&mut gb, &mut hb);
    let mut value = small_eval(w, m, alpha, gauge, theta, g, h);
    for it in 0..max_iter {
        let gmax = max_abs(&g[..m]);
        if gmax <= gtol && value.is_finite() {
            finish(theta, m, alpha);
            return (it, true);
        }
        let mut step = *g;
        if !small_cholesky_solve(h, m, &mut step) {
            // Not positive definite (should not happen with the gauge or a prior): gradient step.
            step = *g;
        }
        let mut t = 1.0;
        let mut moved = false;
        let mut cand = [0.0f64; S];
        for _ in 0..40 {
            for i in 0..m {
                cand[i] = theta[i] - t * step[i];
            }
            let v = small_eval(w, m, alpha, gauge, &cand, g2, h2);
            if v.is_finite() && v <= value + 1e-12 * value.abs().max(1.0) {
                theta[..m].copy_from_slice(&cand[..m]);
                value = v;
                std::mem::swap(&mut g, &mut g2);
                std::mem::swap(&mut h, &mut h2);
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved {
            finish(theta, m, alpha);
            return (it + 1, gmax <= 1e3 * gtol && value.is_finite());
        }
    }
    finish(theta, m, alpha);
    (max_iter, false)
}

fn finish(theta: &mut [f64; S], m: usize, alpha: f64) {
    if alpha == 0.0 {
        let mean = theta[..m].iter().sum::<f64>() / m as f64;
        theta[..m].iter_mut().for_each(|t| *t -= mean);
    }
}

/// In-place Cholesky of the leading `m x m` block (stride `S`) and solve; false if not SPD.
fn small_cholesky_solve(a: &mut [f64; S * S], m: usize, b: &mut [f64; S]) -> bool {
    for j in 0..m {
        let mut d = a[j * S + j];
        for k in 0..j {
            d -= a[j * S + k] * a[j * S + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * S + j] = d;
        for i in j + 1..m {
            let mut s = a[i * S + j];
            for k in 0..j {
                s -= a[i * S + k] * a[j * S + k];
            }
            a[i * S + j] = s / d;
        }
    }
    for i in 0..m {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * S + k] * b[k];
        }
        b[i] = s / a[i * S + i];
    }
    for i in (0..m).rev() {
        let mut s = b[i];
        for k in i + 1..m {
            s -= a[k * S + i] * b[k];
        }
        b[i] = s / a[i * S + i];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmask_connectivity() {
        let mut w = [0.0; S * S];
        w[1] = 1.0; // 0 -> 1
        w[S + 2] = 1.0; // 1 -> 2
        assert!(!strongly_connected(&w, 3));
        w[2 * S] = 1.0; // 2 -> 0
        assert!(strongly_connected(&w, 3));
    }
}
