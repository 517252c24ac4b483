//! Verdict cells: the per-`(group, judge, unordered pair, presentation order)` aggregation behind the
//! within-group transitivity census and the position-bias swap patterns, as a mergeable statistic.
//!
//! A cell sums, over its rows, the weight of each verdict class seen from the lower item code
//! (`lo_won`, `hi_won`, `tie`, classified as in the census) and the probability masses
//! (`q_lo`, `q_hi`, ties counting one half each). Tables are sorted by key, one entry per key, so
//! `accumulate(x ++ y) == accumulate(x).merge(&accumulate(y))` (exactly when the sums are exact):
//! chunks of a large file, or partitions on a cluster, are accumulated apart and merged.

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Per-cell sums, structure of arrays sorted by `(group, judge, lo, hi, order)` ascending.
/// `order` is 0 when `lo` was shown first, 1 when `hi` was.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cells {
    pub group: Vec<u32>,
    pub judge: Vec<u32>,
    pub lo: Vec<u32>,
    pub hi: Vec<u32>,
    pub order: Vec<u8>,
    pub lo_won: Vec<f64>,
    pub hi_won: Vec<f64>,
    pub tie: Vec<f64>,
    pub q_lo: Vec<f64>,
    pub q_hi: Vec<f64>,
}

/// `(group, judge, lo, hi, order)`.
type Key = (u32, u32, u32, u32, u8);

/// `(group, judge, lo, hi)` packed so that integer order is key order.
#[inline]
fn pack(g: u32, j: u32, lo: u32, hi: u32) -> u128 {
    ((g as u128) << 96) | ((j as u128) << 64) | ((lo as u128) << 32) | hi as u128
}

use crate::data::comparisons::check_len;

/// Input columns of [`Cells::accumulate`], borrowed.
struct Rows<'a> {
    a: &'a [u32],
    b: &'a [u32],
    p: &'a [f64],
    weight: Option<&'a [f64]>,
    group: Option<&'a [u32]>,
    judge: Option<&'a [u32]>,
    first: Option<&'a [u8]>,
}

impl Rows<'_> {
    fn check_row(&self, r: usize) -> Result<()> {
        if self.a[r] == self.b[r] {
            return Err(Error::SelfComparison {
                row: r,
                item: self.a[r],
            });
        }
        crate::data::comparisons::check_outcome_weight(self.p, self.weight, r)?;
        if let Some(f) = self.first {
            if f[r] > 1 {
                return Err(Error::invalid(
                    "first",
                    format!(
                        "row {r}: value {} is not 0 (a shown first) or 1 (b shown first)",
                        f[r]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `(packed key, order << 63 | row)`: unique per row, so an unstable sort is deterministic.
    #[inline]
    fn sort_key(&self, r: usize) -> (u128, u64) {
        let (a, b) = (self.a[r], self.b[r]);
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let g = self.group.map_or(0, |x| x[r]);
        let j = self.judge.map_or(0, |x| x[r]);
        let shown_first = match self.first {
            Some(f) if f[r] != 0 => b,
            _ => a,
        };
        let order = (self.first.is_some() && shown_first == hi) as u64;
        (pack(g, j, lo, hi), (order << 63) | r as u64)
    }
}

/// One chunk of comparison rows for [`Cells::accumulate_rows`] (the [`crate::stats::Stats`]
/// chunk): the columns of [`Cells::accumulate`].
#[derive(Debug, Clone, Copy)]
pub struct CellRows<'a> {
    pub a: &'a [u32],
    pub b: &'a [u32],
    pub p: &'a [f64],
    pub tie: &'a [u8],
    pub weight: Option<&'a [f64]>,
    pub group: Option<&'a [u32]>,
    pub judge: Option<&'a [u32]>,
    pub first: Option<&'a [u8]>,
}

impl Cells {
    /// [`Cells::accumulate`] of a [`CellRows`].
    pub fn accumulate_rows(r: CellRows<'_>) -> Result<Cells> {
        Cells::accumulate(r.a, r.b, r.p, r.tie, r.weight, r.group, r.judge, r.first)
    }

    pub fn len(&self) -> usize {
        self.group.len()
    }

    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    fn push_key(&mut self, k: Key) {
        self.group.push(k.0);
        self.judge.push(k.1);
        self.lo.push(k.2);
        self.hi.push(k.3);
        self.order.push(k.4);
        self.lo_won.push(0.0);
        self.hi_won.push(0.0);
        self.tie.push(0.0);
        self.q_lo.push(0.0);
        self.q_hi.push(0.0);
    }

    /// Add the values `[lo_won, hi_won, tie, q_lo, q_hi]` to the last cell.
    #[inline]
    fn add_last(&mut self, v: [f64; 5]) {
        let k = self.len() - 1;
        self.lo_won[k] += v[0];
        self.hi_won[k] += v[1];
        self.tie[k] += v[2];
        self.q_lo[k] += v[3];
        self.q_hi[k] += v[4];
    }

    fn with_capacity(n: usize) -> Self {
        Cells {
            group: Vec::with_capacity(n),
            judge: Vec::with_capacity(n),
            lo: Vec::with_capacity(n),
            hi: Vec::with_capacity(n),
            order: Vec::with_capacity(n),
            lo_won: Vec::with_capacity(n),
            hi_won: Vec::with_capacity(n),
            tie: Vec::with_capacity(n),
            q_lo: Vec::with_capacity(n),
            q_hi: Vec::with_capacity(n),
        }
    }

    /// Cells of one chunk of comparison rows. `first[r]` is 0 when `a[r]` was shown first and 1
    /// when `b[r]` was (no `first`: every order is 0); missing `group` / `judge` are 0. Rows of
    /// zero weight still create their cell (the census counts their items). Empty input gives an
    /// empty table, the identity of [`Cells::merge`].
    #[allow(clippy::too_many_arguments)]
    pub fn accumulate(
        a: &[u32],
        b: &[u32],
        p: &[f64],
        tie: &[u8],
        weight: Option<&[f64]>,
        group: Option<&[u32]>,
        judge: Option<&[u32]>,
        first: Option<&[u8]>,
    ) -> Result<Cells> {
        let n = a.len();
        check_len("b", b.len(), n)?;
        check_len("outcome", p.len(), n)?;
        check_len("tie", tie.len(), n)?;
        for (name, len) in [
            ("weight", weight.map(<[f64]>::len)),
            ("group", group.map(<[u32]>::len)),
            ("judge", judge.map(<[u32]>::len)),
            ("first", first.map(<[u8]>::len)),
        ] {
            if let Some(len) = len {
                check_len(name, len, n)?;
            }
        }
        let rows = Rows {
            a,
            b,
            p,
            weight,
            group,
            judge,
            first,
        };
        // find_first: the reported row is the earliest bad one whatever the thread count.
        if let Some(r) = (0..n)
            .into_par_iter()
            .find_first(|&r| rows.check_row(r).is_err())
        {
            rows.check_row(r)?;
        }
        let mut keys: Vec<(u128, u64)> = (0..n).into_par_iter().map(|r| rows.sort_key(r)).collect();
        // Keys are unique (they carry the row), so the order is total and thread-independent;
        // within a cell rows are summed in row order.
        keys.par_sort_unstable();
        let mut out = Cells::default();
        let mut prev: Option<(u128, u8)> = None;
        for &(k, ord_row) in &keys {
            let order = (ord_row >> 63) as u8;
            if prev != Some((k, order)) {
                let (g, j) = ((k >> 96) as u32, (k >> 64) as u32);
                out.push_key((g, j, (k >> 32) as u32, k as u32, order));
                prev = Some((k, order));
            }
            let r = (ord_row & !(1u64 << 63)) as usize;
            let w = weight.map_or(1.0, |x| x[r]);
            if w <= 0.0 {
                continue;
            }
            let p_lo = if a[r] < b[r] { p[r] } else { 1.0 - p[r] };
            let is_tie = tie[r] != 0;
            // Verdict classes exactly as the census (`triads::census_unit`).
            let mut v = [0.0; 5];
            if is_tie || p_lo == 0.5 {
                v[2] = w;
            } else if p_lo > 0.5 {
                v[0] = w;
            } else {
                v[1] = w;
            }
            let q = if is_tie { 0.5 } else { p_lo };
            v[3] = w * q;
            v[4] = w * (1.0 - q);
            out.add_last(v);
        }
        Ok(out)
    }

    /// Check the invariants of a table built elsewhere (see [`CellsView::validate`]).
    pub fn validate(&self) -> Result<()> {
        self.view().validate()
    }

    /// Merge two sorted tables; cells with equal keys add (`self`'s value first).
    pub fn merge(&self, other: &Cells) -> Cells {
        self.view().merge(&other.view())
    }

    /// The table's columns, borrowed.
    pub fn view(&self) -> CellsView<'_> {
        CellsView {
            group: &self.group,
            judge: &self.judge,
            lo: &self.lo,
            hi: &self.hi,
            order: &self.order,
            lo_won: &self.lo_won,
            hi_won: &self.hi_won,
            tie: &self.tie,
            q_lo: &self.q_lo,
            q_hi: &self.q_hi,
        }
    }

    /// Replace codes by `map[code]` (`None`: unchanged), e.g. to bring chunks coded apart onto one
    /// coding before merging. A pair whose items swap order is re-oriented (`lo_won` <-> `hi_won`,
    /// `q_lo` <-> `q_hi`, order flipped); cells that now share a key are added in their old order.
    pub fn recode(
        &self,
        group_map: Option<&[u32]>,
        judge_map: Option<&[u32]>,
        item_map: Option<&[u32]>,
    ) -> Result<Cells> {
        let n = self.len();
        let map = |m: Option<&[u32]>, name: &str, what: &str, i: usize, c: u32| -> Result<u32> {
            match m {
                None => Ok(c),
                Some(m) => m.get(c as usize).copied().ok_or_else(|| {
                    Error::invalid(
                        name,
                        format!(
                            "cell {i}: {what} code {c} is out of range for a map of {} codes",
                            m.len()
                        ),
                    )
                }),
            }
        };
        // (new key, old index, swapped)
        let mut keyed: Vec<(Key, usize, bool)> = Vec::with_capacity(n);
        for i in 0..n {
            let g = map(group_map, "group_map", "group", i, self.group[i])?;
            let j = map(judge_map, "judge_map", "judge", i, self.judge[i])?;
            let lo = map(item_map, "item_map", "item", i, self.lo[i])?;
            let hi = map(item_map, "item_map", "item", i, self.hi[i])?;
            if lo == hi {
                return Err(Error::invalid(
                    "item_map",
                    format!(
                        "cell {i}: items {} and {} both map to {lo}",
                        self.lo[i], self.hi[i]
                    ),
                ));
            }
            let swap = lo > hi;
            let (lo, hi, order) = if swap {
                (hi, lo, self.order[i] ^ 1)
            } else {
                (lo, hi, self.order[i])
            };
            keyed.push(((g, j, lo, hi, order), i, swap));
        }
        // Stable: equal keys keep their old order, so the sums are deterministic.
        keyed.par_sort_by_key(|x| x.0);
        let (view, mut out) = (self.view(), Cells::with_capacity(n));
        for (t, &(k, i, swap)) in keyed.iter().enumerate() {
            if t == 0 || keyed[t - 1].0 != k {
                out.push_key(k);
            }
            let mut v = view.values(i);
            if swap {
                v.swap(0, 1);
                v.swap(3, 4);
            }
            out.add_last(v);
        }
        Ok(out)
    }
}

/// The columns of a [`Cells`] table, borrowed (for example from numpy arrays): merging two views
/// copies neither input, so a streaming merge holds the inputs and the output, not two more copies.
#[derive(Clone, Copy, Debug)]
pub struct CellsView<'a> {
    pub group: &'a [u32],
    pub judge: &'a [u32],
    pub lo: &'a [u32],
    pub hi: &'a [u32],
    pub order: &'a [u8],
    pub lo_won: &'a [f64],
    pub hi_won: &'a [f64],
    pub tie: &'a [f64],
    pub q_lo: &'a [f64],
    pub q_hi: &'a [f64],
}

impl CellsView<'_> {
    pub fn len(&self) -> usize {
        self.group.len()
    }

    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    #[inline]
    fn key(&self, i: usize) -> Key {
        (
            self.group[i],
            self.judge[i],
            self.lo[i],
            self.hi[i],
            self.order[i],
        )
    }

    #[inline]
    fn values(&self, i: usize) -> [f64; 5] {
        [
            self.lo_won[i],
            self.hi_won[i],
            self.tie[i],
            self.q_lo[i],
            self.q_hi[i],
        ]
    }

    /// Check the invariants of a table built elsewhere (for example from Python arrays): equal
    /// column lengths, `lo < hi`, `order` 0 or 1, keys strictly increasing.
    pub fn validate(&self) -> Result<()> {
        let n = self.len();
        let lens = [
            ("judge", self.judge.len()),
            ("lo", self.lo.len()),
            ("hi", self.hi.len()),
            ("order", self.order.len()),
            ("lo_won", self.lo_won.len()),
            ("hi_won", self.hi_won.len()),
            ("tie", self.tie.len()),
            ("q_lo", self.q_lo.len()),
            ("q_hi", self.q_hi.len()),
        ];
        for (name, len) in lens {
            if len != n {
                return Err(Error::LengthMismatch {
                    left: "group".into(),
                    left_len: n,
                    right: name.into(),
                    right_len: len,
                });
            }
        }
        for i in 0..n {
            let corrupt = |reason: String| Error::Corrupt {
                reason: format!("cell {i}: {reason}"),
            };
            if self.lo[i] >= self.hi[i] {
                return Err(corrupt(format!(
                    "lo {} is not below hi {}",
                    self.lo[i], self.hi[i]
                )));
            }
            if self.order[i] > 1 {
                return Err(corrupt(format!("order {} is not 0 or 1", self.order[i])));
            }
            if i > 0 && self.key(i - 1) >= self.key(i) {
                return Err(corrupt(
                    "keys are not sorted by (group, judge, lo, hi, order) without repeats".into(),
                ));
            }
        }
        Ok(())
    }

    /// Merge two sorted tables; cells with equal keys add (`self`'s value first).
    pub fn merge(&self, other: &CellsView<'_>) -> Cells {
        let mut out = Cells::with_capacity(self.len() + other.len());
        let (mut i, mut j) = (0, 0);
        while i < self.len() || j < other.len() {
            let take_self = j == other.len() || (i < self.len() && self.key(i) <= other.key(j));
            let take_other = i == self.len() || (j < other.len() && other.key(j) <= self.key(i));
            let k = if take_self { self.key(i) } else { other.key(j) };
            out.push_key(k);
            if take_self {
                out.add_last(self.values(i));
                i += 1;
            }
            if take_other {
                out.add_last(other.values(j));
                j += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn acc(
        a: &[u32],
        b: &[u32],
        p: &[f64],
        w: Option<&[f64]>,
        g: Option<&[u32]>,
        first: Option<&[u8]>,
    ) -> Result<Cells> {
        let tie = vec![0u8; a.len()];
        Cells::accumulate(a, b, p, &tie, w, g, None, first)
    }

    #[test]
    fn classes_masses_and_order() {
        // Rows 0, 1: pair (0, 1), 0 shown first, 0 won then tie; row 2: pair (1, 0) with b = 0
        // shown first and b winning -> lo won, order 0; row 3: 1 shown first, p = 0.25 for a = 1.
        let a = [0, 0, 1, 1];
        let b = [1, 1, 0, 0];
        let p = [1.0, 0.5, 0.0, 0.25];
        let first = [0u8, 0, 1, 0];
        let c = acc(&a, &b, &p, None, None, Some(&first)).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!((c.lo.clone(), c.hi.clone()), (vec![0, 0], vec![1, 1]));
        assert_eq!(c.order, vec![0, 1]);
        assert_eq!(c.lo_won, vec![2.0, 1.0]);
        assert_eq!(c.tie, vec![1.0, 0.0]);
        assert_eq!(c.hi_won, vec![0.0, 0.0]);
        assert_eq!(c.q_lo, vec![2.5, 0.75]);
        assert_eq!(c.q_hi, vec![0.5, 0.25]);
    }

    #[test]
    fn tie_flag_and_zero_weight() {
        let tie = [1u8, 0];
        let c = Cells::accumulate(
            &[2, 3],
            &[1, 4],
            &[1.0, 1.0],
            &tie,
            Some(&[2.0, 0.0]),
            Some(&[5, 5]),
            Some(&[7, 7]),
            None,
        )
        .unwrap();
        assert_eq!(c.group, vec![5, 5]);
        assert_eq!(c.judge, vec![7, 7]);
        assert_eq!(c.tie, vec![2.0, 0.0]);
        assert_eq!(c.q_lo, vec![1.0, 0.0]);
        assert_eq!(c.q_hi, vec![1.0, 0.0]);
        assert_eq!(c.lo_won, vec![0.0, 0.0]);
    }

    #[test]
    fn errors_name_row_and_column() {
        let e = acc(&[0, 1], &[1, 1], &[1.0, 1.0], None, None, None).unwrap_err();
        assert_eq!(e, Error::SelfComparison { row: 1, item: 1 });
        let e = acc(&[0, 1], &[1], &[1.0, 1.0], None, None, None).unwrap_err();
        assert!(e.to_string().contains("but b has 1"), "{e}");
        let e = acc(&[0], &[1], &[1.0], None, Some(&[0, 0]), None).unwrap_err();
        assert!(e.to_string().contains("but group has 2"), "{e}");
        let e = acc(&[0], &[1], &[f64::NAN], None, None, None).unwrap_err();
        assert!(e.to_string().contains("row 0: outcome"), "{e}");
        let e = acc(&[0], &[1], &[1.0], Some(&[-1.0]), None, None).unwrap_err();
        assert!(e.to_string().contains("row 0: weight"), "{e}");
        let e = acc(&[0], &[1], &[1.0], None, None, Some(&[2])).unwrap_err();
        assert!(e.to_string().contains("row 0: value 2"), "{e}");
        assert!(acc(&[], &[], &[], None, None, None).unwrap().is_empty());
    }

    #[test]
    fn recode_swaps_and_reduces() {
        // Cells: (0, 1) order 0 lo won; (1, 2) order 1 (a = 2 = hi shown first) hi won.
        let c = acc(&[0, 2], &[1, 1], &[1.0, 1.0], None, None, Some(&[0, 0])).unwrap();
        assert_eq!(
            (c.order.clone(), c.hi_won.clone()),
            (vec![0, 1], vec![0.0, 1.0])
        );
        // Reversing the items swaps both pairs: (0, 1) -> (1, 2) order 1 hi won, and
        // (1, 2) -> (0, 1) order 0 lo won.
        let r = c.recode(None, None, Some(&[2, 1, 0])).unwrap();
        assert_eq!(r.lo, vec![0, 1]);
        assert_eq!(r.hi, vec![1, 2]);
        assert_eq!(r.order, vec![0, 1]);
        assert_eq!(r.lo_won, vec![1.0, 0.0]);
        assert_eq!(r.hi_won, vec![0.0, 1.0]);
        assert_eq!(r.q_lo, vec![1.0, 0.0]);
        assert_eq!(r.q_hi, vec![0.0, 1.0]);
        let e = c.recode(None, None, Some(&[0, 0, 1])).unwrap_err();
        assert!(
            e.to_string()
                .contains("cell 0: items 0 and 1 both map to 0"),
            "{e}"
        );
        let e = c.recode(None, None, Some(&[0, 1])).unwrap_err();
        assert!(
            e.to_string()
                .contains("cell 1: item code 2 is out of range"),
            "{e}"
        );
        let e = c.recode(Some(&[]), None, None).unwrap_err();
        assert!(
            e.to_string().contains("group code 0 is out of range"),
            "{e}"
        );
    }

    #[test]
    fn recode_adds_cells_that_meet() {
        // Pair (0, 1) in groups 0 and 1, both groups mapped to 0.
        let c = acc(&[0, 0], &[1, 1], &[1.0, 0.0], None, Some(&[0, 1]), None).unwrap();
        let r = c.recode(Some(&[0, 0]), None, None).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r.lo_won[0], r.hi_won[0]), (1.0, 1.0));
        r.validate().unwrap();
    }

    #[test]
    fn validate_rejects_unsorted() {
        let mut c = acc(&[0, 1], &[1, 2], &[1.0, 1.0], None, None, None).unwrap();
        c.validate().unwrap();
        c.lo.swap(0, 1);
        c.hi.swap(0, 1);
        assert!(matches!(c.validate(), Err(Error::Corrupt { .. })));
        c.hi.pop();
        assert!(matches!(c.validate(), Err(Error::LengthMismatch { .. })));
    }

    #[derive(Debug, Clone)]
    struct Chunk {
        a: Vec<u32>,
        b: Vec<u32>,
        p: Vec<f64>,
        tie: Vec<u8>,
        w: Vec<f64>,
        g: Vec<u32>,
        j: Vec<u32>,
        f: Vec<u8>,
    }

    impl Chunk {
        fn cells(&self) -> Cells {
            Cells::accumulate(
                &self.a,
                &self.b,
                &self.p,
                &self.tie,
                Some(&self.w),
                Some(&self.g),
                Some(&self.j),
                Some(&self.f),
            )
            .unwrap()
        }

        fn concat(&self, o: &Chunk) -> Chunk {
            let cat = |x: &[u32], y: &[u32]| [x, y].concat();
            Chunk {
                a: cat(&self.a, &o.a),
                b: cat(&self.b, &o.b),
                p: [self.p.as_slice(), &o.p].concat(),
                tie: [self.tie.as_slice(), &o.tie].concat(),
                w: [self.w.as_slice(), &o.w].concat(),
                g: cat(&self.g, &o.g),
                j: cat(&self.j, &o.j),
                f: [self.f.as_slice(), &o.f].concat(),
            }
        }
    }

    // Integer weights and p in {0, 0.5, 1}: every sum is exact, so equality is exact.
    fn chunk() -> impl Strategy<Value = Chunk> {
        prop::collection::vec(
            (
                0u32..6,
                1u32..6,
                0usize..3,
                any::<bool>(),
                0u32..4,
                0u32..3,
                0u32..2,
                0u8..2,
            ),
            0..60,
        )
        .prop_map(|rows| {
            let mut c = Chunk {
                a: vec![],
                b: vec![],
                p: vec![],
                tie: vec![],
                w: vec![],
                g: vec![],
                j: vec![],
                f: vec![],
            };
            for (a, d, pi, t, w, g, j, f) in rows {
                c.a.push(a);
                c.b.push((a + d) % 6);
                c.p.push([0.0, 0.5, 1.0][pi]);
                c.tie.push(t as u8);
                c.w.push(w as f64);
                c.g.push(g);
                c.j.push(j);
                c.f.push(f);
            }
            c
        })
    }

    proptest! {
        #[test]
        fn merge_equals_accumulate_of_concat(x in chunk(), y in chunk()) {
            let whole = x.concat(&y).cells();
            let merged = x.cells().merge(&y.cells());
            whole.validate().unwrap();
            prop_assert_eq!(&whole, &merged);
            prop_assert_eq!(&x.cells().merge(&Cells::default()), &x.cells());
        }

        #[test]
        fn recode_identity_and_inverse(x in chunk(), perm in Just((0u32..6).collect::<Vec<_>>()).prop_shuffle()) {
            let c = x.cells();
            let id: Vec<u32> = (0..6).collect();
            prop_assert_eq!(&c.recode(Some(&id[..3]), Some(&id[..2]), Some(&id)).unwrap(), &c);
            prop_assert_eq!(&c.recode(None, None, None).unwrap(), &c);
            let mut inv = vec![0u32; 6];
            for (i, &v) in perm.iter().enumerate() {
                inv[v as usize] = i as u32;
            }
            let there = c.recode(None, None, Some(&perm)).unwrap();
            there.validate().unwrap();
            prop_assert_eq!(&there.recode(None, None, Some(&inv)).unwrap(), &c);
            // Recoding equals accumulating relabelled rows.
            let mut y = x.clone();
            for v in y.a.iter_mut().chain(y.b.iter_mut()) {
                *v = perm[*v as usize];
            }
            prop_assert_eq!(&there, &y.cells());
        }
    }

    #[test]
    fn thread_count_does_not_change_results() {
        let n = 300_000usize;
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let (mut a, mut b, mut p, mut w, mut g, mut f) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..n {
            let x = (next() % 50) as u32;
            a.push(x);
            b.push((x + 1 + (next() % 49) as u32) % 50);
            p.push((next() % 1000) as f64 / 999.0);
            w.push((next() % 997) as f64 / 7.0);
            g.push((next() % 200) as u32);
            f.push((next() % 2) as u8);
        }
        let tie: Vec<u8> = p.iter().map(|&x| (x > 0.9) as u8).collect();
        let go = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    Cells::accumulate(&a, &b, &p, &tie, Some(&w), Some(&g), None, Some(&f)).unwrap()
                })
        };
        let one = go(1);
        let four = go(4);
        // Bitwise: PartialEq on f64 would also accept -0.0 == 0.0.
        let bits = |c: &Cells| -> Vec<u64> {
            [&c.lo_won, &c.hi_won, &c.tie, &c.q_lo, &c.q_hi]
                .iter()
                .flat_map(|v| v.iter().map(|x| x.to_bits()))
                .collect()
        };
        assert_eq!(one, four);
        assert_eq!(bits(&one), bits(&four));
        assert!(one.len() > 1000);
    }
}
