//! The pair-count table: the sufficient statistic of every pairwise model in prefrank.
//!
//! For each unordered pair `i < j` it holds the (weighted) number of times `i` beat `j`, `j` beat
//! `i`, and the two tied. Soft outcomes split their weight: a row with probability `p` that `a` won
//! adds `w p` to "a beat b" and `w (1 - p)` to "b beat a". The table is **mergeable**
//! (`merge(table(x), table(y)) == table(x ++ y)`) and serialises to bytes, so threads, batches of a
//! file and cluster workers all build it the same way.
//!
//! Two stores: dense (`n x n` arrays, for up to [`DENSE_MAX_ITEMS`] items by default) and sparse
//! (sorted pair keys, memory proportional to the number of distinct pairs).

use super::comparisons::ComparisonsRef;
use crate::error::{Error, Result};
use crate::limits;
use crate::par::{n_chunks, tree_map_reduce, ROW_CHUNK};

/// Up to this many items [`PairCounts::from_i64_hard`] counts (its histogram stays in cache).
pub const FUSED_MAX_ITEMS: usize = 256;

/// Up to this many histogram counters ([`PairCounts::hist_dense_hard`]) count directly: the
/// histogram stays in cache.
const HIST_IN_CACHE: usize = 4 << 15;

/// Up to this many items the table is dense by default.
pub const DENSE_MAX_ITEMS: usize = 2048;

/// One observed unordered pair, `i < j`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairCell {
    pub i: u32,
    pub j: u32,
    /// Weight of "i beat j".
    pub wij: f64,
    /// Weight of "j beat i".
    pub wji: f64,
    /// Weight of ties.
    pub ties: f64,
}

impl PairCell {
    pub fn total(&self) -> f64 {
        self.wij + self.wji + self.ties
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Store {
    /// Packed upper triangle: cell `tri(n, i, j)` for `i < j` holds `[i beat j, j beat i, ties]`.
    /// One cache line per comparison when counting.
    Dense { cells: Vec<[f64; 3]> },
    /// Sorted by key `(i << 32) | j`, `i < j`.
    Sparse {
        keys: Vec<u64>,
        wij: Vec<f64>,
        wji: Vec<f64>,
        ties: Vec<f64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PairCounts {
    n: usize,
    store: Store,
}

/// Index of pair `i < j` in the packed upper triangle of an `n x n` matrix.
#[inline]
fn tri(n: usize, i: usize, j: usize) -> usize {
    i * (2 * n - i - 1) / 2 + (j - i - 1)
}

/// Histogram slot of a win/loss/tie row between codes `a != b`: `3 * pair + k`, with k = 0 when
/// the lower code won, 1 when the higher did, 2 for a tie.
#[inline(always)]
fn hard_slot(n: usize, a: usize, b: usize, a_won: bool, tie: bool) -> usize {
    let k = if tie { 2 } else { (a_won != (a < b)) as usize };
    3 * tri(n, a.min(b), a.max(b)) + k
}

/// [`hard_slot`] of a table row (codes, p(a won), tie flag); sets `soft` when the outcome is not
/// 1, 0 or a tie (the slot is then meaningless and the caller discards the histogram).
#[inline(always)]
fn hard_row_slot(n: usize, a: u32, b: u32, p: f64, tie: u8, soft: &mut bool) -> usize {
    let tie = tie != 0;
    *soft |= !(tie | (p == 1.0) | (p == 0.0));
    hard_slot(n, a as usize, b as usize, p == 1.0, tie)
}

fn n_pairs(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

#[inline]
fn key(i: u32, j: u32) -> u64 {
    ((i as u64) << 32) | j as u64
}

const CELL_BYTES: usize = 4 + 4 + 8 * 3;

impl PairCounts {
    /// An empty table over `n` items.
    pub fn zeros(n: usize, dense: bool) -> Self {
        let store = if dense {
            Store::Dense {
                cells: vec![[0.0; 3]; n_pairs(n)],
            }
        } else {
            Store::Sparse {
                keys: Vec::new(),
                wij: Vec::new(),
                wji: Vec::new(),
                ties: Vec::new(),
            }
        };
        PairCounts { n, store }
    }

    /// [`zeros`](Self::zeros) with the dense size checked against the memory limit first (no
    /// wrap-around, no abort when it cannot be allocated).
    pub fn zeros_checked(n: usize, dense: bool) -> Result<Self> {
        if dense {
            // An overflowing pair count is as refused as one beyond the limit.
            let pairs = n
                .checked_mul(n.saturating_sub(1))
                .map_or(usize::MAX, |x| x / 2);
            limits::check_array::<[f64; 3]>(
                &format!("a dense pair table of {n} items"),
                &[pairs],
                "pass dense=False (the sparse table keeps only the pairs compared)",
            )?;
        }
        Ok(Self::zeros(n, dense))
    }

    pub fn default_dense(n: usize) -> bool {
        n <= DENSE_MAX_ITEMS
    }

    /// The store for `n` items: `dense` as asked (`None`: dense up to [`DENSE_MAX_ITEMS`] items
    /// while the dense partials fit the memory limit, sparse otherwise).
    /// Errors: `dense=Some(true)` for a table beyond the memory limit.
    pub fn resolve_dense(n: usize, dense: Option<bool>) -> Result<bool> {
        // One dense partial per worker thread while counting, plus the merged table.
        let dims = [n_pairs(n), 3, limits::parallel_copies()];
        match dense {
            None => Ok(Self::default_dense(n) && limits::fits::<f64>(&dims)),
            Some(true) => {
                limits::check_array::<f64>(
                    &format!("a dense pair table of {n} items"),
                    &dims,
                    "pass dense=False (the sparse table keeps only the pairs compared)",
                )?;
                Ok(true)
            }
            Some(false) => Ok(false),
        }
    }

    pub fn n_items(&self) -> usize {
        self.n
    }

    pub fn is_dense(&self) -> bool {
        matches!(self.store, Store::Dense { .. })
    }

    /// Count a (validated) comparison table in parallel over fixed chunks. Rows with
    /// `keep[r] == false` are skipped. The result does not depend on the number of threads.
    pub fn from_comparisons(
        c: &ComparisonsRef<'_>,
        keep: Option<&[bool]>,
        dense: Option<bool>,
    ) -> Result<Self> {
        let n = c.n_items;
        let dense = Self::resolve_dense(n, dense)?;
        let rows = c.len();
        // A dense partial costs n^2 cells: make chunks long enough to amortise it.
        let chunk = if dense {
            ROW_CHUNK.max(2 * n * n)
        } else {
            ROW_CHUNK
        };
        if dense && keep.is_none() && c.weight.is_none() && rows <= u32::MAX as usize {
            // Unweighted win/loss/tie rows: integer histograms, converted to weights once (None:
            // a soft outcome somewhere, counted by the general path below). Integer counts are the
            // same in any order, so the result does not depend on the number of threads.
            let hist = if 3 * n_pairs(n) <= HIST_IN_CACHE {
                let map =
                    |k: usize| Self::hist_dense_hard(c, k * chunk, ((k + 1) * chunk).min(rows));
                let merge = |x: Option<Vec<u32>>, y: Option<Vec<u32>>| {
                    let (mut x, y) = (x?, y?);
                    x.iter_mut().zip(&y).for_each(|(u, v)| *u += v);
                    Some(x)
                };
                tree_map_reduce(n_chunks(rows, chunk), &map, &merge).flatten()
            } else {
                Self::hist_dense_hard_partitioned(c)
            };
            if let Some(hist) = hist {
                return Ok(Self::dense_from_hist(n, &hist));
            }
        }
        let map = |k: usize| {
            let lo = k * chunk;
            let hi = (lo + chunk).min(rows);
            if dense {
                Self::count_dense(c, keep, lo, hi)
            } else {
                Self::count_sparse(c, keep, lo, hi)
            }
        };
        let merge = |x: PairCounts, y: PairCounts| x.merge(y).expect("chunks share n");
        Ok(tree_map_reduce(n_chunks(rows, chunk), &map, &merge)
            .unwrap_or_else(|| Self::zeros(n, dense)))
    }

    fn count_dense(c: &ComparisonsRef<'_>, keep: Option<&[bool]>, lo: usize, hi: usize) -> Self {
        let n = c.n_items;
        let mut cells = vec![[0.0f64; 3]; n_pairs(n)];
        for r in lo..hi {
            if keep.is_some_and(|k| !k[r]) {
                continue;
            }
            let (a, b) = (c.a[r] as usize, c.b[r] as usize);
            let w = c.w(r);
            let (i, j) = if a < b { (a, b) } else { (b, a) };
            let cell = &mut cells[tri(n, i, j)];
            if c.tie[r] != 0 {
                cell[2] += w;
            } else {
                let (pa, pb) = (w * c.p[r], w * (1.0 - c.p[r]));
                if a < b {
                    cell[0] += pa;
                    cell[1] += pb;
                } else {
                    cell[0] += pb;
                    cell[1] += pa;
                }
            }
        }
        PairCounts {
            n,
            store: Store::Dense { cells },
        }
    }

    /// Unweighted win/loss/tie rows `lo..hi`: a `u32` histogram over (pair, outcome) slots
    /// `3 * pair + k` (k = 0: i beat j, 1: j beat i, 2: tie), or None when a row has a soft
    /// outcome. For histograms that stay in cache ([`HIST_IN_CACHE`] counters at most).
    fn hist_dense_hard(c: &ComparisonsRef<'_>, lo: usize, hi: usize) -> Option<Vec<u32>> {
        let n = c.n_items;
        let mut hist = vec![0u32; 3 * n_pairs(n)];
        let rows = c.a[lo..hi]
            .iter()
            .zip(&c.b[lo..hi])
            .zip(&c.p[lo..hi])
            .zip(&c.tie[lo..hi]);
        // Branch-free: soft outcomes are checked once at the end.
        let mut soft = false;
        for (((&a, &b), &p), &t) in rows {
            hist[hard_row_slot(n, a, b, p, t, &mut soft)] += 1;
        }
        (!soft).then_some(hist)
    }

    /// [`Self::hist_dense_hard`] for histograms too large for the cache (many items), over all
    /// rows at once (None also when one item's slots exceed a window: over 10,922 items). Incrementing a multi-megabyte histogram at random is bound by cache misses,
    /// so rows are first partitioned (a counting sort) into buckets of consecutive lower codes
    /// whose slots span at most `2^WINDOW_BITS` counters, then each bucket is counted into its
    /// cache-sized window. Pass 1 counts rows per (chunk, bucket); pass 2 sorts each chunk's rows
    /// by bucket, writing each row's slot relative to its bucket's first (`u16`); pass 3 counts
    /// each bucket's pieces. Every pass runs in parallel (over row chunks, then over buckets),
    /// and the only buffer is one `u16` per row.
    fn hist_dense_hard_partitioned(c: &ComparisonsRef<'_>) -> Option<Vec<u32>> {
        use rayon::prelude::*;
        const WINDOW_BITS: u32 = 15;
        let (n, rows) = (c.n_items, c.len());
        let slots = 3 * n_pairs(n);
        // Bucket of each lower code i: its slots 3 * tri(n, i, i + 1) .. + 3 * (n - 1 - i) are
        // contiguous; consecutive codes share a bucket while their slots fit one window.
        let first_slot = |i: usize| 3 * (i * (2 * n - i - 1) / 2);
        if 3 * n > 1 << WINDOW_BITS {
            return None;
        }
        let mut bucket_of = vec![0u16; n];
        let mut starts = vec![0usize];
        for (i, b) in bucket_of.iter_mut().enumerate() {
            let last = starts[starts.len() - 1];
            if first_slot(i + 1).min(slots) - last > 1 << WINDOW_BITS {
                starts.push(first_slot(i));
            }
            *b = (starts.len() - 1) as u16;
        }
        starts.push(slots);
        let buckets = starts.len() - 1;
        let chunks = n_chunks(rows, ROW_CHUNK);
        let span = |k: usize| k * ROW_CHUNK..((k + 1) * ROW_CHUNK).min(rows);
        // Pass 1: rows per bucket in each chunk.
        let counts: Vec<Vec<u32>> = (0..chunks)
            .into_par_iter()
            .map(|k| {
                let r = span(k);
                let mut cnt = vec![0u32; buckets];
                for (&x, &y) in c.a[r.clone()].iter().zip(&c.b[r]) {
                    cnt[bucket_of[x.min(y) as usize] as usize] += 1;
                }
                cnt
            })
            .collect();
        // Where each (chunk, bucket) piece starts within its chunk's stretch of the buffer.
        let offsets: Vec<Vec<usize>> = counts
            .iter()
            .map(|cnt| {
                let mut at = 0usize;
                cnt.iter()
                    .map(|&m| {
                        at += m as usize;
                        at - m as usize
                    })
                    .collect()
            })
            .collect();
        // Pass 2: each row's slot, relative to its bucket's first, to its bucket's piece of the
        // chunk's stretch (branch-free; soft outcomes are flagged and send the caller to the
        // general path).
        let mut sorted = vec![0u16; rows];
        let soft = sorted
            .par_chunks_mut(ROW_CHUNK)
            .enumerate()
            .map(|(k, out)| {
                let r = span(k);
                let mut fill = offsets[k].clone();
                let mut soft = false;
                let rows = c.a[r.clone()]
                    .iter()
                    .zip(&c.b[r.clone()])
                    .zip(&c.p[r.clone()])
                    .zip(&c.tie[r]);
                for (((&x, &y), &q), &t) in rows {
                    let bk = bucket_of[x.min(y) as usize] as usize;
                    let slot = hard_row_slot(n, x, y, q, t, &mut soft);
                    out[fill[bk]] = (slot - starts[bk]) as u16;
                    fill[bk] += 1;
                }
                soft
            })
            .reduce(|| false, |x, y| x | y);
        if soft {
            return None;
        }
        // Pass 3: each bucket's pieces (one per chunk) into its window of the histogram.
        let mut hist = vec![0u32; slots];
        let mut windows: Vec<&mut [u32]> = Vec::with_capacity(buckets);
        let mut hist_rest: &mut [u32] = &mut hist;
        for b in 0..buckets {
            let (w, h) = hist_rest.split_at_mut(starts[b + 1] - starts[b]);
            windows.push(w);
            hist_rest = h;
        }
        windows.into_par_iter().enumerate().for_each(|(b, w)| {
            for (k, out) in sorted.chunks(ROW_CHUNK).enumerate() {
                let at = offsets[k][b];
                for &x in &out[at..at + counts[k][b] as usize] {
                    w[x as usize] += 1;
                }
            }
        });
        Some(hist)
    }

    /// The common case in one fused pass, straight from integer labels: unweighted rows with
    /// outcomes 1 (a won), 0 (b won) or 0.5 (tie), labels spanning at most 2^16 consecutive values,
    /// at most [`FUSED_MAX_ITEMS`] distinct labels, no self-comparison. Returns the table and the
    /// sorted labels, or None when any of that does not hold (the caller then codes, validates and
    /// counts step by step, which also names any bad row). The same table as coding the labels
    /// (sorted order) and counting, without materialising the codes.
    pub fn from_i64_hard(a: &[i64], b: &[i64], p: &[f64]) -> Option<(Self, Vec<i64>)> {
        let rows = a.len();
        if rows == 0 || b.len() != rows || p.len() != rows || rows > u32::MAX as usize {
            return None;
        }
        let table = crate::data::coding::DenseIntLabels::new(&[a, b], 1 << 16)?;
        let labels = table.labels.clone();
        let chunks = n_chunks(rows, ROW_CHUNK);
        let bounds = |k: usize| (k * ROW_CHUNK, ((k + 1) * ROW_CHUNK).min(rows));
        let n = labels.len();
        // One label means every row compares it with itself.
        if !(2..=FUSED_MAX_ITEMS).contains(&n) {
            return None;
        }
        let slots = 3 * n_pairs(n);
        let count = |k: usize| -> Option<Vec<u32>> {
            let (s, e) = bounds(k);
            let mut hist = vec![0u32; slots];
            // Branch-free; anything unusual is flagged and checked once per chunk.
            let mut odd = false;
            for ((&x, &y), &q) in a[s..e].iter().zip(&b[s..e]).zip(&p[s..e]) {
                let (ca, cb) = (table.code(x) as usize, table.code(y) as usize);
                let tie = q == 0.5;
                odd |= (ca == cb) | !(tie | (q == 1.0) | (q == 0.0));
                // A self-comparison has no slot: count it in slot 0 (the chunk is discarded).
                hist[if ca == cb {
                    0
                } else {
                    hard_slot(n, ca, cb, q == 1.0, tie)
                }] += 1;
            }
            (!odd).then_some(hist)
        };
        let merge = |x: Option<Vec<u32>>, y: Option<Vec<u32>>| {
            let (mut x, y) = (x?, y?);
            x.iter_mut().zip(&y).for_each(|(u, v)| *u += v);
            Some(x)
        };
        let hist = tree_map_reduce(chunks, &count, &merge)??;
        Some((Self::dense_from_hist(n, &hist), labels))
    }

    fn dense_from_hist(n: usize, hist: &[u32]) -> Self {
        let cells = hist
            .chunks_exact(3)
            .map(|h| [h[0] as f64, h[1] as f64, h[2] as f64])
            .collect();
        PairCounts {
            n,
            store: Store::Dense { cells },
        }
    }

    fn count_sparse(c: &ComparisonsRef<'_>, keep: Option<&[bool]>, lo: usize, hi: usize) -> Self {
        let mut rows: Vec<(u64, f64, f64, f64)> = Vec::with_capacity(hi - lo);
        for r in lo..hi {
            if keep.is_some_and(|k| !k[r]) {
                continue;
            }
            let (a, b) = (c.a[r], c.b[r]);
            let w = c.w(r);
            let (i, j, swap) = if a < b { (a, b, false) } else { (b, a, true) };
            let cell = if c.tie[r] != 0 {
                (key(i, j), 0.0, 0.0, w)
            } else {
                let (pa, pb) = (w * c.p[r], w * (1.0 - c.p[r]));
                if swap {
                    (key(i, j), pb, pa, 0.0)
                } else {
                    (key(i, j), pa, pb, 0.0)
                }
            };
            rows.push(cell);
        }
        // Stable sort: equal keys keep row order, so sums are reproducible.
        rows.sort_by_key(|x| x.0);
        let mut keys = Vec::new();
        let (mut wij, mut wji, mut ties) = (Vec::new(), Vec::new(), Vec::new());
        for (k, x, y, t) in rows {
            if keys.last() == Some(&k) {
                let l = keys.len() - 1;
                wij[l] += x;
                wji[l] += y;
                ties[l] += t;
            } else {
                keys.push(k);
                wij.push(x);
                wji.push(y);
                ties.push(t);
            }
        }
        PairCounts {
            n: c.n_items,
            store: Store::Sparse {
                keys,
                wij,
                wji,
                ties,
            },
        }
    }

    /// Build a table of `n` items from cells (any order; repeated pairs are added up).
    pub fn from_cells(n: usize, cells: &[PairCell], dense: Option<bool>) -> Result<Self> {
        let dense = Self::resolve_dense(n, dense)?;
        let mut sorted: Vec<PairCell> = Vec::with_capacity(cells.len());
        for c in cells {
            if c.i >= c.j || c.j as usize >= n {
                return Err(Error::Corrupt {
                    reason: format!("pair ({}, {}) is not i < j < {n}", c.i, c.j),
                });
            }
            for v in [c.wij, c.wji, c.ties] {
                if !v.is_finite() || v < 0.0 {
                    return Err(Error::Corrupt {
                        reason: format!("pair ({}, {}) has count {v}", c.i, c.j),
                    });
                }
            }
            sorted.push(*c);
        }
        sorted.sort_by_key(|c| key(c.i, c.j));
        let mut out = Self::zeros_checked(n, dense)?;
        match &mut out.store {
            Store::Dense { cells } => {
                for c in &sorted {
                    let cell = &mut cells[tri(n, c.i as usize, c.j as usize)];
                    cell[0] += c.wij;
                    cell[1] += c.wji;
                    cell[2] += c.ties;
                }
            }
            Store::Sparse {
                keys,
                wij,
                wji,
                ties,
            } => {
                for c in &sorted {
                    let k = key(c.i, c.j);
                    if keys.last() == Some(&k) {
                        let l = keys.len() - 1;
                        wij[l] += c.wij;
                        wji[l] += c.wji;
                        ties[l] += c.ties;
                    } else {
                        keys.push(k);
                        wij.push(c.wij);
                        wji.push(c.wji);
                        ties.push(c.ties);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Add two tables over the same items. The result keeps `self`'s store.
    pub fn merge(self, other: PairCounts) -> Result<PairCounts> {
        if self.n != other.n {
            return Err(Error::ShapeMismatch {
                left: self.n,
                right: other.n,
            });
        }
        let n = self.n;
        match (self.store, other.store) {
            (Store::Dense { mut cells }, Store::Dense { cells: c2 }) => {
                crate::simd::add_assign(cells.as_flattened_mut(), c2.as_flattened());
                Ok(PairCounts {
                    n,
                    store: Store::Dense { cells },
                })
            }
            (
                Store::Sparse {
                    keys,
                    wij,
                    wji,
                    ties,
                },
                Store::Sparse {
                    keys: k2,
                    wij: x2,
                    wji: y2,
                    ties: t2,
                },
            ) => {
                let cap = keys.len() + k2.len();
                let (mut k, mut x, mut y, mut t) = (
                    Vec::with_capacity(cap),
                    Vec::with_capacity(cap),
                    Vec::with_capacity(cap),
                    Vec::with_capacity(cap),
                );
                let (mut p, mut q) = (0, 0);
                while p < keys.len() || q < k2.len() {
                    if q == k2.len() || (p < keys.len() && keys[p] < k2[q]) {
                        k.push(keys[p]);
                        x.push(wij[p]);
                        y.push(wji[p]);
                        t.push(ties[p]);
                        p += 1;
                    } else if p == keys.len() || k2[q] < keys[p] {
                        k.push(k2[q]);
                        x.push(x2[q]);
                        y.push(y2[q]);
                        t.push(t2[q]);
                        q += 1;
                    } else {
                        k.push(keys[p]);
                        x.push(wij[p] + x2[q]);
                        y.push(wji[p] + y2[q]);
                        t.push(ties[p] + t2[q]);
                        p += 1;
                        q += 1;
                    }
                }
                Ok(PairCounts {
                    n,
                    store: Store::Sparse {
                        keys: k,
                        wij: x,
                        wji: y,
                        ties: t,
                    },
                })
            }
            (store, other_store) => {
                let dense = matches!(store, Store::Dense { .. });
                let left = PairCounts { n, store };
                let right = PairCounts {
                    n,
                    store: other_store,
                };
                let right = PairCounts::from_cells(n, &right.cells(), Some(dense))?;
                left.merge(right)
            }
        }
    }

    /// Call `f` on every observed pair (a pair with any positive count), in `(i, j)` order.
    pub fn for_each(&self, mut f: impl FnMut(PairCell)) {
        match &self.store {
            Store::Dense { cells } => {
                let n = self.n;
                let mut k = 0;
                for i in 0..n {
                    for j in i + 1..n {
                        let [x, y, t] = cells[k];
                        k += 1;
                        if x > 0.0 || y > 0.0 || t > 0.0 {
                            f(PairCell {
                                i: i as u32,
                                j: j as u32,
                                wij: x,
                                wji: y,
                                ties: t,
                            });
                        }
                    }
                }
            }
            Store::Sparse {
                keys,
                wij,
                wji,
                ties,
            } => {
                for p in 0..keys.len() {
                    if wij[p] > 0.0 || wji[p] > 0.0 || ties[p] > 0.0 {
                        f(PairCell {
                            i: (keys[p] >> 32) as u32,
                            j: keys[p] as u32,
                            wij: wij[p],
                            wji: wji[p],
                            ties: ties[p],
                        });
                    }
                }
            }
        }
    }

    /// The observed pairs as a vector, in `(i, j)` order.
    pub fn cells(&self) -> Vec<PairCell> {
        let mut v = Vec::new();
        self.for_each(|c| v.push(c));
        v
    }

    /// Total weight of all comparisons.
    pub fn total(&self) -> f64 {
        let mut s = 0.0;
        self.for_each(|c| s += c.total());
        s
    }

    /// The `pairs` section of a [`crate::stats`] frame: `n` u64, cell count u64, then per
    /// observed cell `i` u32, `j` u32 and the three weights f64, in `(i, j)` order.
    pub fn write_payload(&self, out: &mut Vec<u8>) {
        use crate::stats::Put;
        let cells = self.cells();
        out.reserve(16 + cells.len() * CELL_BYTES);
        out.put_u64(self.n as u64);
        out.put_u64(cells.len() as u64);
        for c in &cells {
            out.put_u32(c.i);
            out.put_u32(c.j);
            out.put_f64s(&[c.wij, c.wji, c.ties]);
        }
    }

    /// The item count a `pairs` section claims (to check against its labels before allocating).
    pub fn peek_items(r: &mut crate::stats::Reader<'_>) -> Result<u64> {
        r.u64()
    }

    /// Read and validate a `pairs` section (see [`write_payload`](Self::write_payload)): the cell
    /// count must match the bytes, cells are strictly increasing `i < j < n`, weights finite and
    /// non-negative.
    pub fn read_payload(mut r: crate::stats::Reader<'_>, dense: Option<bool>) -> Result<Self> {
        let corrupt = |reason: String| Error::CorruptStats { reason };
        let n = r.u64()?;
        if n > u32::MAX as u64 {
            return Err(corrupt(format!(
                "pairs: {n} items claimed, more than u32 codes can index"
            )));
        }
        let n = n as usize;
        let count = r.count(CELL_BYTES, "cells")?;
        let mut cells: Vec<PairCell> = Vec::with_capacity(count);
        for k in 0..count {
            let (i, j) = (r.u32()?, r.u32()?);
            let (wij, wji, ties) = (r.f64()?, r.f64()?, r.f64()?);
            if i >= j || j as usize >= n {
                return Err(corrupt(format!(
                    "pairs: cell {k} is ({i}, {j}), not i < j < {n}"
                )));
            }
            for v in [wij, wji, ties] {
                if !v.is_finite() || v < 0.0 {
                    return Err(corrupt(format!(
                        "pairs: cell {k} ({i}, {j}) has count {v}, not finite and non-negative"
                    )));
                }
            }
            if k > 0 && key(cells[k - 1].i, cells[k - 1].j) >= key(i, j) {
                return Err(corrupt(format!(
                    "pairs: cell {k} is not after cell {} (cells must be sorted, without repeats)",
                    k - 1
                )));
            }
            cells.push(PairCell {
                i,
                j,
                wij,
                wji,
                ties,
            });
        }
        r.finish()?;
        Self::from_cells(n, &cells, dense)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> (Vec<u32>, Vec<u32>, Vec<f64>, Vec<u8>) {
        (
            vec![0, 1, 2, 0, 1],
            vec![1, 0, 0, 2, 2],
            vec![1.0, 1.0, 0.5, 0.25, 0.5],
            vec![0, 0, 1, 0, 0],
        )
    }

    #[test]
    fn dense_and_sparse_agree() {
        let (a, b, p, t) = example();
        let c = ComparisonsRef {
            n_items: 3,
            a: &a,
            b: &b,
            p: &p,
            tie: &t,
            weight: None,
        };
        let d = PairCounts::from_comparisons(&c, None, Some(true)).unwrap();
        let s = PairCounts::from_comparisons(&c, None, Some(false)).unwrap();
        assert_eq!(d.cells(), s.cells());
        let cells = d.cells();
        assert_eq!(
            cells[0],
            PairCell {
                i: 0,
                j: 1,
                wij: 1.0,
                wji: 1.0,
                ties: 0.0
            }
        );
        assert_eq!(
            cells[1],
            PairCell {
                i: 0,
                j: 2,
                wij: 0.25,
                wji: 0.75,
                ties: 1.0
            }
        );
        assert_eq!(d.total(), 5.0);
    }

    #[test]
    fn hard_outcome_histograms_match_the_general_counter() {
        // Unweighted win/loss/tie rows take the integer histogram (direct for small n, partitioned
        // for large n); unit weights force the general floating-point counter on the same rows.
        // Several chunks, and a soft outcome in the last row (the general path counts it).
        for (n, rows, soft) in [
            (7usize, 50_000, false),
            (60, 50_000, false),
            (700, 2 * ROW_CHUNK + 5, false),
            (2048, 50_000, false),
            (60, 1000, true),
            (700, 1000, true),
        ] {
            let mut s = 12345u64;
            let mut next = || {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 33) as usize
            };
            let mut a = Vec::new();
            let mut b = Vec::new();
            let mut p = Vec::new();
            let mut t = Vec::new();
            for _ in 0..rows {
                let x = next() % n;
                let y = (x + 1 + next() % (n - 1)) % n;
                a.push(x as u32);
                b.push(y as u32);
                let k = next() % 3;
                p.push([1.0, 0.0, 0.5][k]);
                t.push((k == 2) as u8);
            }
            if soft {
                p[rows - 1] = 0.25;
                t[rows - 1] = 0;
            }
            let ones = vec![1.0; rows];
            let hard = ComparisonsRef {
                n_items: n,
                a: &a,
                b: &b,
                p: &p,
                tie: &t,
                weight: None,
            };
            let general = ComparisonsRef {
                weight: Some(&ones),
                ..hard
            };
            // The integer paths take hard rows and decline soft ones.
            let integer = match 3 * n_pairs(n) <= HIST_IN_CACHE {
                true => PairCounts::hist_dense_hard(&hard, 0, rows),
                false => PairCounts::hist_dense_hard_partitioned(&hard),
            };
            assert_eq!(integer.is_some(), !soft, "n = {n}");
            let h = PairCounts::from_comparisons(&hard, None, Some(true)).unwrap();
            let g = PairCounts::from_comparisons(&general, None, Some(true)).unwrap();
            assert_eq!(h, g, "n = {n}");
            assert_eq!(h.total(), rows as f64);
        }
    }

    #[test]
    fn fused_integer_counting_equals_coding_then_counting() {
        let labels = [7i64, -3, 12, 40, 9];
        let mut s = 5u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as usize
        };
        let (mut a, mut b, mut p) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..(2 * ROW_CHUNK + 31) {
            let x = next() % 5;
            let y = (x + 1 + next() % 4) % 5;
            a.push(labels[x]);
            b.push(labels[y]);
            p.push([1.0, 0.0, 0.5][next() % 3]);
        }
        let (fused, got) = PairCounts::from_i64_hard(&a, &b, &p).unwrap();
        let (codes, want) = crate::data::coding::code_i64(&[&a, &b]).unwrap();
        assert_eq!(got, want);
        let tie: Vec<u8> = p.iter().map(|&q| (q == 0.5) as u8).collect();
        let c = ComparisonsRef {
            n_items: want.len(),
            a: &codes[0],
            b: &codes[1],
            p: &p,
            tie: &tie,
            weight: None,
        };
        assert_eq!(
            fused,
            PairCounts::from_comparisons(&c, None, Some(true)).unwrap()
        );
        // Soft outcomes, a self-comparison, a wide span or too many labels: not for this path.
        let mut soft = p.clone();
        soft[ROW_CHUNK + 3] = 0.25;
        assert!(PairCounts::from_i64_hard(&a, &b, &soft).is_none());
        let mut same = b.clone();
        same[17] = a[17];
        assert!(PairCounts::from_i64_hard(&a, &same, &p).is_none());
        let mut nan = p.clone();
        nan[5] = f64::NAN;
        assert!(PairCounts::from_i64_hard(&a, &b, &nan).is_none());
        let wide = [0i64, 1 << 20];
        assert!(PairCounts::from_i64_hard(&wide, &[1, 0], &[1.0, 0.0]).is_none());
        let many: Vec<i64> = (0..300).collect();
        let other: Vec<i64> = (1..301).collect();
        assert!(PairCounts::from_i64_hard(&many, &other, &vec![1.0; 300]).is_none());
        assert!(PairCounts::from_i64_hard(&[], &[], &[]).is_none());
        assert!(PairCounts::from_i64_hard(&[i64::MIN], &[i64::MAX], &[1.0]).is_none());
        assert!(PairCounts::from_i64_hard(&[3, 3], &[3, 3], &[1.0, 0.0]).is_none());
    }

    #[test]
    fn bytes_roundtrip_and_errors() {
        let (a, b, p, t) = example();
        let c = ComparisonsRef {
            n_items: 3,
            a: &a,
            b: &b,
            p: &p,
            tie: &t,
            weight: None,
        };
        let d = PairCounts::from_comparisons(&c, None, None).unwrap();
        use crate::stats::Stats;
        let back = PairCounts::from_bytes(&Stats::to_bytes(&d)).unwrap();
        assert_eq!(back, d);
        assert!(PairCounts::from_bytes(b"nope").is_err());
        let mut bad = Stats::to_bytes(&d);
        bad.pop();
        assert!(PairCounts::from_bytes(&bad).is_err());
        // A dense store whose size does not fit the address space is an error, not an abort.
        for n in [u32::MAX as usize, usize::MAX] {
            let e = PairCounts::zeros_checked(n, true).unwrap_err();
            assert!(matches!(e, Error::TooLarge { .. }), "{e}");
        }
        assert!(PairCounts::zeros_checked(5, true).unwrap().is_dense());
        let other = PairCounts::zeros(4, true);
        assert_eq!(
            d.merge(other).unwrap_err(),
            Error::ShapeMismatch { left: 3, right: 4 }
        );
    }
}
