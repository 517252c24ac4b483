//! Whole-tournament statistics on one (possibly incomplete, possibly tied) comparison graph.
//!
//! The verdicts on each pair are aggregated into a relation (see [`Aggregate`]); strict verdicts are
//! arcs `winner -> loser`, ties are undirected tie edges. Stored as three bitset matrices (out-arcs,
//! in-arcs, ties), which makes triangle counting `O(E n / 64)`.
//!
//! * 3-cycles and the triple census: closed form `C(n,3) - sum C(s_i, 2)` for a complete tournament
//!   without ties; otherwise bitset intersections per arc / tie edge.
//! * Kendall and Babington Smith's coefficient of consistence `zeta = 1 - c3 / c3_max`
//!   (complete tournaments without ties only).
//! * Strongly connected components of the arc graph (iterative Tarjan).
//! * Short cycles: every 3-cycle (lexicographic), then for each item the shortest cycle on which it
//!   is the smallest code (BFS), up to a limit.
//! * A most consistent order (minimum feedback arc set): exact dynamic programme for components of
//!   at most `exact_max` items, else Eades-Lin-Smyth followed by insertion local search; components
//!   are laid out in topological order of the condensation.

use rayon::prelude::*;

use super::triads::Aggregate;
use crate::data::ComparisonsRef;
use crate::error::{Error, Result};
use crate::limits;
use crate::par::tree_map_reduce;

const ROW_CHUNK_ITEMS: usize = 64;

/// Bitset relation over `n` items.
#[derive(Debug, Clone, PartialEq)]
pub struct Tournament {
    pub n: usize,
    words: usize,
    /// `out[i]`: items that i beat.
    out: Vec<u64>,
    /// `inn[i]`: items that beat i.
    inn: Vec<u64>,
    /// `tie[i]`: items tied with i.
    tie: Vec<u64>,
}

#[inline]
fn bit(v: &[u64], words: usize, i: usize, j: usize) -> bool {
    (v[i * words + j / 64] >> (j % 64)) & 1 == 1
}

#[inline]
fn set(v: &mut [u64], words: usize, i: usize, j: usize) {
    v[i * words + j / 64] |= 1u64 << (j % 64);
}

#[inline]
fn popand(a: &[u64], b: &[u64]) -> u64 {
    let mut acc = [0u32; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += (x[k] & y[k]).count_ones();
        }
    }
    let mut s = (acc[0] + acc[1] + acc[2] + acc[3]) as u64;
    for (x, y) in ra.iter().zip(rb) {
        s += (x & y).count_ones() as u64;
    }
    s
}

/// Largest tournament accepted (three `n x n` bit matrices).
pub const MAX_ITEMS: usize = 20_000;

/// Triple census of a whole tournament.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TripleCensus {
    pub n_items: u64,
    pub n_arcs: u64,
    pub n_ties: u64,
    pub complete: bool,
    pub triples: u64,
    pub circular: u64,
    pub equivalence: u64,
    pub other: u64,
    /// Kendall-Babington Smith coefficient of consistence (NaN unless complete without ties).
    pub zeta: f64,
    /// Maximum possible number of 3-cycles for `n` items.
    pub c3_max: u64,
}

impl Tournament {
    fn empty(n: usize) -> Result<Self> {
        if n > MAX_ITEMS {
            return Err(Error::invalid(
                "n_items",
                format!("{n} items exceeds the tournament limit of {MAX_ITEMS}"),
            ));
        }
        let words = n.div_ceil(64).max(1);
        limits::check_array::<u64>(
            &format!("the tournament of {n} items"),
            &[n, words, 3],
            "audit fewer items at a time (split by group)",
        )?;
        Ok(Tournament {
            n,
            words,
            out: vec![0; n * words],
            inn: vec![0; n * words],
            tie: vec![0; n * words],
        })
    }

    fn put(&mut self, i: usize, j: usize, rel: u8) {
        let w = self.words;
        match rel {
            1 => {
                set(&mut self.out, w, i, j);
                set(&mut self.inn, w, j, i);
            }
            2 => {
                set(&mut self.out, w, j, i);
                set(&mut self.inn, w, i, j);
            }
            3 => {
                set(&mut self.tie, w, i, j);
                set(&mut self.tie, w, j, i);
            }
            _ => {}
        }
    }

    /// From a comparison table: rows are aggregated per unordered pair.
    pub fn from_comparisons(c: &ComparisonsRef<'_>, agg: Aggregate) -> Result<Self> {
        crate::data::validate_comparisons(c, false)?;
        let mut t = Tournament::empty(c.n_items)?;
        let mut keys: Vec<(u64, u32)> = (0..c.len())
            .map(|r| {
                let (a, b) = (c.a[r] as u64, c.b[r] as u64);
                ((a.min(b) << 32) | a.max(b), r as u32)
            })
            .collect();
        keys.par_sort_unstable();
        let mut s = 0;
        while s < keys.len() {
            let k = keys[s].0;
            let mut e = s;
            let (mut x, mut y, mut tt) = (0.0, 0.0, 0.0);
            while e < keys.len() && keys[e].0 == k {
                let r = keys[e].1 as usize;
                let w = c.w(r);
                let lo_is_a = (c.a[r] as u64) == (k >> 32);
                let p_lo = if lo_is_a { c.p[r] } else { 1.0 - c.p[r] };
                let is_tie = c.tie[r] != 0;
                if w > 0.0 {
                    match agg {
                        Aggregate::Probability { .. } => {
                            let q = if is_tie { 0.5 } else { p_lo };
                            x += w * q;
                            y += w * (1.0 - q);
                        }
                        _ => {
                            if is_tie || p_lo == 0.5 {
                                tt += w;
                            } else if p_lo > 0.5 {
                                x += w;
                            } else {
                                y += w;
                            }
                        }
                    }
                }
                e += 1;
            }
            let rel = super::triads::relation(agg, x, y, tt);
            t.put((k >> 32) as usize, (k & 0xffff_ffff) as usize, rel);
            s = e;
        }
        Ok(t)
    }

    /// From a dense `n x n` matrix: `wins[i * n + j]` is the weight of i beating j, `ties` the
    /// (symmetric) tie weight. Aggregated with `agg` like comparison rows.
    pub fn from_matrix(
        n: usize,
        wins: &[f64],
        ties: Option<&[f64]>,
        agg: Aggregate,
    ) -> Result<Self> {
        if wins.len() != n * n {
            return Err(Error::LengthMismatch {
                left: "n x n".into(),
                left_len: n * n,
                right: "wins".into(),
                right_len: wins.len(),
            });
        }
        if let Some(t) = ties {
            if t.len() != n * n {
                return Err(Error::LengthMismatch {
                    left: "n x n".into(),
                    left_len: n * n,
                    right: "ties".into(),
                    right_len: t.len(),
                });
            }
        }
        for (k, &v) in wins.iter().chain(ties.unwrap_or(&[])).enumerate() {
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    row: (k % (n * n)) / n.max(1),
                    column: "matrix".into(),
                    value: v,
                });
            }
            if v < 0.0 {
                return Err(Error::Negative {
                    row: (k % (n * n)) / n.max(1),
                    column: "matrix".into(),
                    value: v,
                });
            }
        }
        let mut t = Tournament::empty(n)?;
        // 64 x 64 tiles keep the transposed reads `wins[j * n + i]` in cache.
        const TILE: usize = 64;
        for bi in (0..n).step_by(TILE) {
            for bj in (bi..n).step_by(TILE) {
                for i in bi..(bi + TILE).min(n) {
                    for j in bj.max(i + 1)..(bj + TILE).min(n) {
                        let (x, y) = (wins[i * n + j], wins[j * n + i]);
                        let tt = ties.map_or(0.0, |v| v[i * n + j]);
                        let (x, y) = match agg {
                            Aggregate::Probability { .. } => (x + 0.5 * tt, y + 0.5 * tt),
                            _ => (x, y),
                        };
                        let rel = super::triads::relation(agg, x, y, tt);
                        t.put(i, j, rel);
                    }
                }
            }
        }
        Ok(t)
    }

    fn row<'a>(&self, v: &'a [u64], i: usize) -> &'a [u64] {
        &v[i * self.words..(i + 1) * self.words]
    }

    /// `+1` if i beat j, `-1` if j beat i, `0` otherwise.
    #[inline]
    pub fn rel(&self, i: usize, j: usize) -> i8 {
        if bit(&self.out, self.words, i, j) {
            1
        } else if bit(&self.inn, self.words, i, j) {
            -1
        } else {
            0
        }
    }

    pub fn out_degree(&self) -> Vec<u64> {
        (0..self.n)
            .map(|i| {
                self.row(&self.out, i)
                    .iter()
                    .map(|w| w.count_ones() as u64)
                    .sum()
            })
            .collect()
    }

    /// Triple census, 3-cycles and the coefficient of consistence.
    pub fn census(&self) -> TripleCensus {
        let n = self.n;
        let deg = self.out_degree();
        let n_arcs: u64 = deg.iter().sum();
        let n_ties: u64 = (0..n)
            .map(|i| {
                self.row(&self.tie, i)
                    .iter()
                    .map(|w| w.count_ones() as u64)
                    .sum::<u64>()
            })
            .sum::<u64>()
            / 2;
        let nn = n as u64;
        let all_pairs = nn * nn.saturating_sub(1) / 2;
        let complete = n_arcs == all_pairs && n_ties == 0;
        let c3_max = if n < 3 {
            0
        } else if n % 2 == 1 {
            (nn * nn * nn - nn) / 24
        } else {
            (nn * nn * nn - 4 * nn) / 24
        };
        let choose3 = |k: u64| {
            if k < 3 {
                0
            } else {
                k * (k - 1) * (k - 2) / 6
            }
        };
        if complete {
            let s2: u64 = deg.iter().map(|&s| s * s.saturating_sub(1) / 2).sum();
            let triples = choose3(nn);
            let c3 = triples - s2;
            let zeta = if c3_max > 0 {
                1.0 - c3 as f64 / c3_max as f64
            } else {
                f64::NAN
            };
            return TripleCensus {
                n_items: nn,
                n_arcs,
                n_ties,
                complete,
                triples,
                circular: c3,
                equivalence: 0,
                other: 0,
                zeta,
                c3_max,
            };
        }
        let w = self.words;
        let chunks = n.div_ceil(ROW_CHUNK_ITEMS);
        let sums = tree_map_reduce(
            chunks,
            &|ch: usize| {
                let mut acc = [0u64; 4]; // triangles*3, cycles*3, equivalence, other
                let mut judged = vec![0u64; w];
                let mut judged_j = vec![0u64; w];
                for i in ch * ROW_CHUNK_ITEMS..((ch + 1) * ROW_CHUNK_ITEMS).min(n) {
                    let (oi, ii, ti) = (
                        self.row(&self.out, i),
                        self.row(&self.inn, i),
                        self.row(&self.tie, i),
                    );
                    for k in 0..w {
                        judged[k] = oi[k] | ii[k] | ti[k];
                    }
                    // Arcs i -> j.
                    for (wk, &word) in oi.iter().enumerate() {
                        let mut bits = word;
                        while bits != 0 {
                            let j = wk * 64 + bits.trailing_zeros() as usize;
                            bits &= bits - 1;
                            let (oj, ij, tj) = (
                                self.row(&self.out, j),
                                self.row(&self.inn, j),
                                self.row(&self.tie, j),
                            );
                            for k in 0..w {
                                judged_j[k] = oj[k] | ij[k] | tj[k];
                            }
                            acc[0] += popand(&judged, &judged_j);
                            acc[1] += popand(oj, ii);
                            acc[2] += popand(ti, tj);
                        }
                    }
                    // Tie edges i = j with i < j.
                    for (wk, &word) in ti.iter().enumerate() {
                        let mut bits = word;
                        while bits != 0 {
                            let j = wk * 64 + bits.trailing_zeros() as usize;
                            bits &= bits - 1;
                            let (oj, ij, tj) = (
                                self.row(&self.out, j),
                                self.row(&self.inn, j),
                                self.row(&self.tie, j),
                            );
                            if j > i {
                                for k in 0..w {
                                    judged_j[k] = oj[k] | ij[k] | tj[k];
                                }
                                acc[0] += popand(&judged, &judged_j);
                                acc[3] += popand(ii, oj) + popand(oi, ij);
                            }
                        }
                    }
                }
                acc
            },
            &|a: [u64; 4], b: [u64; 4]| [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]],
        )
        .unwrap_or([0; 4]);
        TripleCensus {
            n_items: nn,
            n_arcs,
            n_ties,
            complete,
            triples: sums[0] / 3,
            circular: sums[1] / 3,
            equivalence: sums[2],
            other: sums[3],
            zeta: f64::NAN,
            c3_max,
        }
    }

    /// Strongly connected components of the arc graph: a component id per item, ids in reverse
    /// topological order of the condensation (a sink component first), as Tarjan emits them.
    pub fn components(&self) -> Vec<u32> {
        let n = self.n;
        let w = self.words;
        let mut index = vec![u32::MAX; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        let mut comp = vec![u32::MAX; n];
        let mut next_index = 0u32;
        let mut next_comp = 0u32;
        // Call stack frames: (node, next neighbour position to scan).
        let mut frames: Vec<(usize, usize)> = Vec::new();
        for root in 0..n {
            if index[root] != u32::MAX {
                continue;
            }
            frames.push((root, 0));
            index[root] = next_index;
            low[root] = next_index;
            next_index += 1;
            stack.push(root as u32);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut pos)) = frames.last_mut() {
                // Find the next out-neighbour at or after `pos`.
                let row = &self.out[v * w..(v + 1) * w];
                let mut found = None;
                let mut p = *pos;
                while p < n {
                    let word = row[p / 64] >> (p % 64);
                    if word == 0 {
                        p = (p / 64 + 1) * 64;
                        continue;
                    }
                    let j = p + word.trailing_zeros() as usize;
                    if j >= n {
                        break;
                    }
                    found = Some(j);
                    p = j + 1;
                    break;
                }
                *pos = p;
                match found {
                    Some(j) => {
                        if index[j] == u32::MAX {
                            index[j] = next_index;
                            low[j] = next_index;
                            next_index += 1;
                            stack.push(j as u32);
                            on_stack[j] = true;
                            frames.push((j, 0));
                        } else if on_stack[j] {
                            low[v] = low[v].min(index[j]);
                        }
                    }
                    None => {
                        frames.pop();
                        if let Some(&(parent, _)) = frames.last() {
                            low[parent] = low[parent].min(low[v]);
                        }
                        if low[v] == index[v] {
                            loop {
                                let u = stack.pop().unwrap_or(v as u32) as usize;
                                on_stack[u] = false;
                                comp[u] = next_comp;
                                if u == v {
                                    break;
                                }
                            }
                            next_comp += 1;
                        }
                    }
                }
            }
        }
        comp
    }

    /// Up to `limit` short cycles (item codes, starting with the smallest code): all 3-cycles in
    /// lexicographic order, then for each item the shortest cycle on which it is the smallest code.
    pub fn short_cycles(&self, limit: usize) -> Vec<Vec<u32>> {
        let n = self.n;
        let w = self.words;
        let mut out: Vec<Vec<u32>> = Vec::new();
        if limit == 0 {
            return out;
        }
        'outer: for i in 0..n {
            let ii = self.row(&self.inn, i);
            for j in i + 1..n {
                if !bit(&self.out, w, i, j) {
                    continue;
                }
                let oj = self.row(&self.out, j);
                for k in i + 1..n {
                    if k != j && bit(oj, 0, 0, k) && bit(ii, 0, 0, k) {
                        out.push(vec![i as u32, j as u32, k as u32]);
                        if out.len() >= limit {
                            break 'outer;
                        }
                    }
                }
            }
        }
        if out.len() >= limit {
            return out;
        }
        // Longer cycles: BFS from each item over items with larger codes.
        let mut longer: Vec<Vec<u32>> = Vec::new();
        let mut parent = vec![u32::MAX; n];
        let mut queue: Vec<usize> = Vec::new();
        for s in 0..n {
            parent.iter_mut().for_each(|p| *p = u32::MAX);
            queue.clear();
            queue.push(s);
            parent[s] = s as u32;
            let mut head = 0;
            let mut closing = None;
            while head < queue.len() && closing.is_none() {
                let v = queue[head];
                head += 1;
                let row = self.row(&self.out, v);
                for (wk, &word) in row.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        let u = wk * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        if u == s {
                            closing = Some(v);
                            break;
                        }
                        if u > s && parent[u] == u32::MAX {
                            parent[u] = v as u32;
                            queue.push(u);
                        }
                    }
                    if closing.is_some() {
                        break;
                    }
                }
            }
            if let Some(last) = closing {
                let mut cyc = vec![last as u32];
                let mut v = last;
                while v != s {
                    v = parent[v] as usize;
                    cyc.push(v as u32);
                }
                cyc.reverse();
                if cyc.len() > 3 {
                    longer.push(cyc);
                }
            }
        }
        longer.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        for c in longer {
            if out.len() >= limit {
                break;
            }
            out.push(c);
        }
        out
    }

    /// Number of arcs pointing backwards in `order` (loser placed before winner).
    pub fn backward_arcs(&self, order: &[u32]) -> u64 {
        let mut pos = vec![0usize; self.n];
        for (k, &v) in order.iter().enumerate() {
            pos[v as usize] = k;
        }
        let mut back = 0u64;
        for i in 0..self.n {
            let row = self.row(&self.out, i);
            for (wk, &word) in row.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let j = wk * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    back += (pos[j] < pos[i]) as u64;
                }
            }
        }
        back
    }

    /// A most consistent order (best first) and whether it is provably optimal.
    pub fn feedback_order(&self, exact_max: usize, max_passes: usize) -> Result<(Vec<u32>, bool)> {
        if exact_max > 24 {
            return Err(Error::invalid(
                "exact_max",
                format!("{exact_max} exceeds 24"),
            ));
        }
        let comp = self.components();
        let n_comp = comp.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_comp];
        for (v, &c) in comp.iter().enumerate() {
            members[c as usize].push(v as u32);
        }
        // The exact search holds a table of 2^k (u32, u8) per component of k <= exact_max items,
        // one per worker thread.
        if let Some(k) = members
            .iter()
            .map(Vec::len)
            .filter(|&k| k > 1 && k <= exact_max)
            .max()
        {
            limits::check_array::<[u8; 5]>(
                &format!("the exact ordering of a component of {k} items"),
                &[1usize << k, limits::parallel_copies()],
                "pass a smaller exact_max (larger components are ordered by local search)",
            )?;
        }
        // Tarjan ids are reverse topological: the last id is a source component.
        let solved: Vec<(Vec<u32>, bool)> = members
            .par_iter()
            .map(|m| {
                if m.len() <= 1 {
                    (m.clone(), true)
                } else if m.len() <= exact_max {
                    (self.exact_order(m), true)
                } else {
                    let mut o = self.els_order(m);
                    self.local_search(&mut o, max_passes);
                    (o, false)
                }
            })
            .collect();
        let mut order = Vec::with_capacity(self.n);
        let mut exact = true;
        for (o, e) in solved.into_iter().rev() {
            order.extend(o);
            exact &= e;
        }
        Ok((order, exact))
    }

    fn exact_order(&self, m: &[u32]) -> Vec<u32> {
        let k = m.len();
        // beats[a]: bitmask over local indices that a beat.
        let beats: Vec<u32> = (0..k)
            .map(|a| {
                (0..k).fold(0u32, |acc, b| {
                    if self.rel(m[a] as usize, m[b] as usize) == 1 {
                        acc | (1 << b)
                    } else {
                        acc
                    }
                })
            })
            .collect();
        // f[S]: fewest backward arcs with the items of S placed first. Placing v after S makes
        // every arc v -> u (u in S) backward.
        let full = 1usize << k;
        let mut f = vec![u32::MAX; full];
        let mut choice = vec![0u8; full];
        f[0] = 0;
        for s in 0..full {
            let fs = f[s];
            if fs == u32::MAX {
                continue;
            }
            for (v, &bv) in beats.iter().enumerate() {
                if s >> v & 1 == 1 {
                    continue;
                }
                let t = s | 1 << v;
                let cost = fs + (bv & s as u32).count_ones();
                if cost < f[t] {
                    f[t] = cost;
                    choice[t] = v as u8;
                }
            }
        }
        let mut order = Vec::with_capacity(k);
        let mut s = full - 1;
        while s != 0 {
            let v = choice[s] as usize;
            order.push(m[v]);
            s &= !(1 << v);
        }
        order.reverse();
        order
    }

    /// Eades-Lin-Smyth greedy order of the items in `m`.
    fn els_order(&self, m: &[u32]) -> Vec<u32> {
        let k = m.len();
        let mut outd = vec![0i64; k];
        let mut ind = vec![0i64; k];
        for (x, &v) in m.iter().enumerate() {
            for &u in m {
                match self.rel(v as usize, u as usize) {
                    1 => outd[x] += 1,
                    -1 => ind[x] += 1,
                    _ => {}
                }
            }
        }
        let mut alive = vec![true; k];
        let mut left: Vec<u32> = Vec::with_capacity(k);
        let mut right: Vec<u32> = Vec::with_capacity(k);
        let mut remaining = k;
        // Items that are (or became) a sink or a source, processed before any max-delta pick.
        let mut pending: Vec<usize> = (0..k).filter(|&x| outd[x] == 0 || ind[x] == 0).collect();
        pending.reverse();
        let remove = |x: usize,
                      alive: &mut Vec<bool>,
                      outd: &mut Vec<i64>,
                      ind: &mut Vec<i64>,
                      pending: &mut Vec<usize>| {
            alive[x] = false;
            let v = m[x] as usize;
            for (y, &u) in m.iter().enumerate() {
                if !alive[y] {
                    continue;
                }
                match self.rel(v, u as usize) {
                    1 => {
                        ind[y] -= 1;
                        if ind[y] == 0 {
                            pending.push(y);
                        }
                    }
                    -1 => {
                        outd[y] -= 1;
                        if outd[y] == 0 {
                            pending.push(y);
                        }
                    }
                    _ => {}
                }
            }
        };
        while remaining > 0 {
            while let Some(x) = pending.pop() {
                if !alive[x] {
                    continue;
                }
                if outd[x] == 0 {
                    remove(x, &mut alive, &mut outd, &mut ind, &mut pending);
                    right.push(m[x]);
                    remaining -= 1;
                } else if ind[x] == 0 {
                    remove(x, &mut alive, &mut outd, &mut ind, &mut pending);
                    left.push(m[x]);
                    remaining -= 1;
                }
            }
            if remaining == 0 {
                break;
            }
            let mut best = usize::MAX;
            let mut best_d = i64::MIN;
            for x in 0..k {
                if alive[x] && outd[x] - ind[x] > best_d {
                    best_d = outd[x] - ind[x];
                    best = x;
                }
            }
            remove(best, &mut alive, &mut outd, &mut ind, &mut pending);
            left.push(m[best]);
            remaining -= 1;
        }
        right.reverse();
        left.extend(right);
        left
    }

    /// Insertion local search: move single items to the position that removes most backward arcs,
    /// until a pass makes no improvement or `max_passes` passes were made.
    fn local_search(&self, order: &mut Vec<u32>, max_passes: usize) {
        let k = order.len();
        for _ in 0..max_passes {
            let mut improved = false;
            let mut idx = 0;
            while idx < k {
                let v = order[idx] as usize;
                // Gain of moving v to position t: moving left past u gains rel(v,u) (v beat u:
                // the arc was backward, becomes forward). Moving right past u gains -rel(v,u).
                let mut best_gain = 0i64;
                let mut best_pos = idx;
                let mut g = 0i64;
                for t in (0..idx).rev() {
                    g += self.rel(v, order[t] as usize) as i64;
                    if g > best_gain {
                        best_gain = g;
                        best_pos = t;
                    }
                }
                g = 0;
                for (t, &u) in order.iter().enumerate().skip(idx + 1) {
                    g -= self.rel(v, u as usize) as i64;
                    if g > best_gain {
                        best_gain = g;
                        best_pos = t;
                    }
                }
                if best_pos != idx {
                    let item = order.remove(idx);
                    order.insert(best_pos, item);
                    improved = true;
                }
                idx += 1;
            }
            if !improved {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_arcs(n: usize, arcs: &[(usize, usize)], ties: &[(usize, usize)]) -> Tournament {
        let mut t = Tournament::empty(n).unwrap();
        for &(i, j) in arcs {
            t.put(i, j, 1);
        }
        for &(i, j) in ties {
            t.put(i, j, 3);
        }
        t
    }

    #[test]
    fn census_of_small_cases() {
        let t = from_arcs(3, &[(0, 1), (1, 2), (2, 0)], &[]);
        let c = t.census();
        assert!(c.complete);
        assert_eq!((c.triples, c.circular), (1, 1));
        assert_eq!(c.zeta, 0.0);
        let t = from_arcs(4, &[(0, 1), (1, 2), (2, 0)], &[(0, 3), (1, 3)]);
        let c = t.census();
        assert!(!c.complete);
        // Triples: {0,1,2} circular; {0,1,3}: 0>1, 0=3, 1=3 -> equivalence.
        assert_eq!(
            (c.triples, c.circular, c.equivalence, c.other),
            (2, 1, 1, 0)
        );
        let t = from_arcs(3, &[(0, 2), (2, 1)], &[(0, 1)]);
        assert_eq!(t.census().other, 1);
    }

    #[test]
    fn components_and_cycles() {
        let t = from_arcs(5, &[(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3)], &[]);
        let comp = t.components();
        assert_eq!(comp[0], comp[1]);
        assert_eq!(comp[1], comp[2]);
        assert_eq!(comp[3], comp[4]);
        assert_ne!(comp[0], comp[3]);
        let cycles = t.short_cycles(10);
        assert_eq!(cycles[0], vec![0, 1, 2]);
        let (order, exact) = t.feedback_order(20, 5).unwrap();
        assert!(exact);
        assert_eq!(t.backward_arcs(&order), 2);
        assert!(order.iter().position(|&v| v == 2) < order.iter().position(|&v| v == 3));
    }

    #[test]
    fn heuristic_matches_exact_on_small_random() {
        let mut state = 7u64;
        for _ in 0..20 {
            let n = 12;
            let mut arcs = Vec::new();
            for i in 0..n {
                for j in i + 1..n {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    if (state >> 40) % 2 == 0 {
                        arcs.push((i, j));
                    } else {
                        arcs.push((j, i));
                    }
                }
            }
            let t = from_arcs(n, &arcs, &[]);
            let (o_exact, _) = t.feedback_order(20, 10).unwrap();
            let (o_h, exact) = t.feedback_order(0, 50).unwrap();
            assert!(!exact);
            let (be, bh) = (t.backward_arcs(&o_exact), t.backward_arcs(&o_h));
            assert!(be <= bh);
            assert!(bh <= be + 4, "heuristic {bh} vs exact {be}");
        }
    }
}
