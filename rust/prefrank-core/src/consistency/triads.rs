//! Transitivity census within groups.
//!
//! A *unit* is one group (or one `(group, judge)` pair when judges are kept apart). Inside a unit
//! the verdicts on each unordered pair are aggregated into one relation (`i > j`, `j > i` or a tie);
//! every triple whose three pairs were all judged is then classified as
//!
//! * **transitive**: realisable by a weak order (13 of the 27 patterns),
//! * **circular**: `x > y > z > x` (no ties),
//! * **equivalence contradiction**: two ties and one strict verdict (`x = y`, `y = z`, `x != z`),
//! * **other**: one tie that the third item splits (`x = y` but `x > z > y`).
//!
//! The class depends only on the relation, never on item order. With `ntr` the kernel also counts,
//! for k = 4 and 5, the k-subsets whose pairs were all judged and how many of them contain a
//! non-transitive triple (TrustJudge's NTR_k; NTR_3 is the triple rate itself).
//!
//! Rows are sorted by group once (counting sort, skipped when already grouped); fixed chunks of
//! groups are processed in parallel and their outputs concatenated in chunk order, so the result does
//! not depend on the thread count.

use rayon::prelude::*;

use crate::data::ComparisonsRef;
use crate::error::{Error, Result};

/// Groups per parallel chunk (fixed: results never depend on the machine).
pub const GROUP_CHUNK: usize = 2048;
/// NTR_k needs the judged-item set of a unit in one 64-bit mask.
pub const NTR_MAX_ITEMS: usize = 64;
/// Largest unit (distinct items) the dense per-unit kernel accepts.
pub const MAX_UNIT_ITEMS: usize = 4096;

/// How several verdicts on one pair inside a unit become one relation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregate {
    /// Each row is a verdict (a won if p > 0.5, b won if p < 0.5, tie if p = 0.5 or flagged). The
    /// verdict with the largest weight wins; a shared maximum is a tie.
    Majority,
    /// Mean probability that the lower code won (ties count 0.5); above `0.5 + margin` it won,
    /// below `0.5 - margin` it lost, otherwise (and within 1e-9 of those edges) a tie.
    Probability { margin: f64 },
    /// TrustJudge's both-orders merge: a strict verdict only when every verdict agrees, else a tie.
    Unanimous,
}

impl Aggregate {
    pub fn parse(name: &str, margin: f64) -> Result<Self> {
        if !(margin.is_finite() && (0.0..0.5).contains(&margin)) {
            return Err(Error::invalid(
                "margin",
                format!("{margin} is not in [0, 0.5)"),
            ));
        }
        match name {
            "majority" => Ok(Aggregate::Majority),
            "probability" => Ok(Aggregate::Probability { margin }),
            "unanimous" => Ok(Aggregate::Unanimous),
            other => Err(Error::invalid(
                "aggregate",
                format!("{other:?} is not one of 'majority', 'probability', 'unanimous'"),
            )),
        }
    }
}

/// Relation codes: `REL_NONE` unjudged, `REL_LO` the lower local index won, `REL_HI` it lost,
/// `REL_TIE` a tie.
pub const REL_NONE: u8 = 0;
pub const REL_LO: u8 = 1;
pub const REL_HI: u8 = 2;
pub const REL_TIE: u8 = 3;

pub const CLASS_TRANSITIVE: u8 = 0;
pub const CLASS_CIRCULAR: u8 = 1;
pub const CLASS_EQUIVALENCE: u8 = 2;
pub const CLASS_OTHER: u8 = 3;
const CLASS_UNJUDGED: u8 = 255;

/// Classify the triple `x < y < z` from `r_xy, r_xz, r_yz` (relation codes, `REL_LO` meaning the
/// first of the two won).
pub const fn classify(xy: u8, xz: u8, yz: u8) -> u8 {
    if xy == REL_NONE || xz == REL_NONE || yz == REL_NONE {
        return CLASS_UNJUDGED;
    }
    let ties = (xy == REL_TIE) as u8 + (xz == REL_TIE) as u8 + (yz == REL_TIE) as u8;
    match ties {
        0 => {
            let wx = (xy == REL_LO) as u8 + (xz == REL_LO) as u8;
            let wy = (xy == REL_HI) as u8 + (yz == REL_LO) as u8;
            let wz = (xz == REL_HI) as u8 + (yz == REL_HI) as u8;
            if wx == 1 && wy == 1 && wz == 1 {
                CLASS_CIRCULAR
            } else {
                CLASS_TRANSITIVE
            }
        }
        1 => {
            // The tied pair must stand in the same relation to the third item.
            let consistent = if xy == REL_TIE {
                xz == yz
            } else if xz == REL_TIE {
                // x vs y and z vs y: z vs y is the reverse of yz.
                (xy == REL_LO && yz == REL_HI) || (xy == REL_HI && yz == REL_LO)
            } else {
                // y vs x (reverse of xy) and z vs x (reverse of xz).
                xy == xz
            };
            if consistent {
                CLASS_TRANSITIVE
            } else {
                CLASS_OTHER
            }
        }
        2 => CLASS_EQUIVALENCE,
        _ => CLASS_TRANSITIVE,
    }
}

const fn build_lut() -> [u8; 64] {
    let mut lut = [CLASS_UNJUDGED; 64];
    let mut k = 0;
    while k < 64 {
        lut[k] = classify((k >> 4) as u8 & 3, (k >> 2) as u8 & 3, k as u8 & 3);
        k += 1;
    }
    lut
}

/// `LUT[(xy << 4) | (xz << 2) | yz]` is the class of a triple.
pub const LUT: [u8; 64] = build_lut();

/// The census input: a comparison table with a group code per row and optional judges.
#[derive(Debug, Clone, Copy)]
pub struct CensusInput<'a> {
    pub comps: ComparisonsRef<'a>,
    pub group: &'a [u32],
    pub n_groups: usize,
    /// When given, each `(group, judge)` is its own unit.
    pub judge: Option<&'a [u32]>,
    pub aggregate: Aggregate,
    /// Count 4- and 5-subsets for NTR_4 / NTR_5 (units must have at most 64 items).
    pub ntr: bool,
    /// Keep up to this many non-transitive triples per unit (0: none).
    pub examples_per_unit: usize,
}

/// One non-transitive triple, spelled in a canonical orientation (global item codes):
/// circular `x > y > z > x` (x the smallest code); equivalence `x > y` with `z` tied to both;
/// other `x = z` and `x > y > z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    pub unit: u64,
    pub class: u8,
    pub x: u32,
    pub y: u32,
    pub z: u32,
}

/// Per-unit census, structure of arrays (one entry per unit, in group then judge order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Census {
    pub group: Vec<u32>,
    pub judge: Vec<u32>,
    pub n_items: Vec<u32>,
    pub n_pairs: Vec<u64>,
    pub triples: Vec<u64>,
    pub circular: Vec<u64>,
    pub equivalence: Vec<u64>,
    pub other: Vec<u64>,
    /// `[k4, bad4, k5, bad5]` per unit when `ntr` was asked, else empty.
    pub ntr: Vec<[u64; 4]>,
    pub examples: Vec<Example>,
}

impl Census {
    fn append(&mut self, mut o: Census) {
        let base = self.group.len() as u64;
        self.group.append(&mut o.group);
        self.judge.append(&mut o.judge);
        self.n_items.append(&mut o.n_items);
        self.n_pairs.append(&mut o.n_pairs);
        self.triples.append(&mut o.triples);
        self.circular.append(&mut o.circular);
        self.equivalence.append(&mut o.equivalence);
        self.other.append(&mut o.other);
        self.ntr.append(&mut o.ntr);
        self.examples.extend(o.examples.into_iter().map(|mut e| {
            e.unit += base;
            e
        }));
    }

    pub fn len(&self) -> usize {
        self.group.len()
    }

    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }
}

/// Row order grouped by group code: `(order, offsets)` with the rows of group `g` at
/// `order[offsets[g]..offsets[g + 1]]`. `order` is `None` when the rows are already grouped.
fn group_rows(group: &[u32], n_groups: usize) -> Result<(Option<Vec<u32>>, Vec<usize>)> {
    let mut counts = vec![0usize; n_groups + 1];
    let mut sorted = true;
    let mut prev = 0u32;
    for (r, &g) in group.iter().enumerate() {
        if g as usize >= n_groups {
            return Err(Error::CodeOutOfRange {
                row: r,
                code: g,
                n_items: n_groups,
            });
        }
        counts[g as usize + 1] += 1;
        sorted &= g >= prev;
        prev = g;
    }
    for g in 0..n_groups {
        counts[g + 1] += counts[g];
    }
    if sorted {
        return Ok((None, counts));
    }
    let mut next = counts.clone();
    let mut order = vec![0u32; group.len()];
    for (r, &g) in group.iter().enumerate() {
        let slot = &mut next[g as usize];
        order[*slot] = r as u32;
        *slot += 1;
    }
    Ok((Some(order), counts))
}

/// Reusable per-chunk buffers.
struct Scratch {
    items: Vec<u32>,
    loc: Vec<(u16, u16)>,
    x: Vec<f64>,
    y: Vec<f64>,
    t: Vec<f64>,
    rel: Vec<u8>,
    rows: Vec<u32>,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            items: Vec::new(),
            loc: Vec::new(),
            x: Vec::new(),
            y: Vec::new(),
            t: Vec::new(),
            rel: Vec::new(),
            rows: Vec::new(),
        }
    }
}

#[inline]
fn find_or_push(items: &mut Vec<u32>, code: u32) -> usize {
    match items.iter().position(|&v| v == code) {
        Some(k) => k,
        None => {
            items.push(code);
            items.len() - 1
        }
    }
}

/// Aggregate the verdicts of one pair into a relation code.
#[inline]
pub(crate) fn relation(agg: Aggregate, x: f64, y: f64, t: f64) -> u8 {
    match agg {
        Aggregate::Majority => {
            if x + y + t <= 0.0 {
                REL_NONE
            } else if x > y && x > t {
                REL_LO
            } else if y > x && y > t {
                REL_HI
            } else {
                REL_TIE
            }
        }
        Aggregate::Probability { margin } => {
            let tot = x + y;
            if tot <= 0.0 {
                REL_NONE
            } else {
                let p = x / tot;
                // Shares within rounding of the band's edge are ties, so the verdict does not depend on
                // the summation order.
                const ROUNDING: f64 = 1e-9;
                if p > 0.5 + margin + ROUNDING {
                    REL_LO
                } else if p < 0.5 - margin - ROUNDING {
                    REL_HI
                } else {
                    REL_TIE
                }
            }
        }
        Aggregate::Unanimous => {
            if x + y + t <= 0.0 {
                REL_NONE
            } else if y == 0.0 && t == 0.0 {
                REL_LO
            } else if x == 0.0 && t == 0.0 {
                REL_HI
            } else {
                REL_TIE
            }
        }
    }
}

/// Census of one unit whose rows are `rows`. Appends one entry to `out`.
fn census_unit(
    inp: &CensusInput<'_>,
    rows: &[u32],
    group: u32,
    judge: u32,
    s: &mut Scratch,
    out: &mut Census,
) -> Result<()> {
    let c = &inp.comps;
    // Local item coding. Small units: first-appearance order with a linear scan (the census does
    // not depend on the local order); large units: sorted codes and binary search.
    s.items.clear();
    s.loc.clear();
    let mut small = true;
    for &r in rows {
        let r = r as usize;
        let la = find_or_push(&mut s.items, c.a[r]);
        let lb = find_or_push(&mut s.items, c.b[r]);
        if s.items.len() > 16 {
            small = false;
            break;
        }
        s.loc.push((la as u16, lb as u16));
    }
    if !small {
        s.items.clear();
        for &r in rows {
            let r = r as usize;
            s.items.push(c.a[r]);
            s.items.push(c.b[r]);
        }
        s.items.sort_unstable();
        s.items.dedup();
    }
    let m = s.items.len();
    if m > MAX_UNIT_ITEMS {
        return Err(Error::invalid(
            "group",
            format!(
                "group code {group} has {m} distinct items; the within-group census takes at most \
                 {MAX_UNIT_ITEMS} (use tournament() for one large comparison graph)"
            ),
        ));
    }
    if inp.ntr && m > NTR_MAX_ITEMS {
        return Err(Error::invalid(
            "ntr",
            format!(
                "group code {group} has {m} distinct items; NTR_k is computed for groups of at most \
                 {NTR_MAX_ITEMS} items"
            ),
        ));
    }
    if !small {
        s.loc.clear();
        for &r in rows {
            let r = r as usize;
            let la = s.items.binary_search(&c.a[r]).unwrap_or(0);
            let lb = s.items.binary_search(&c.b[r]).unwrap_or(0);
            s.loc.push((la as u16, lb as u16));
        }
    }
    let mm = m * m;
    for buf in [&mut s.x, &mut s.y, &mut s.t] {
        buf.clear();
        buf.resize(mm, 0.0);
    }
    for (k_row, &r) in rows.iter().enumerate() {
        let r = r as usize;
        let w = c.w(r);
        if w <= 0.0 {
            continue;
        }
        let (la, lb) = s.loc[k_row];
        let (la, lb) = (la as usize, lb as usize);
        let (lo, hi, p_lo) = if la < lb {
            (la, lb, c.p[r])
        } else {
            (lb, la, 1.0 - c.p[r])
        };
        let k = lo * m + hi;
        let is_tie = c.tie[r] != 0;
        match inp.aggregate {
            Aggregate::Probability { .. } => {
                let q = if is_tie { 0.5 } else { p_lo };
                s.x[k] += w * q;
                s.y[k] += w * (1.0 - q);
            }
            _ => {
                if is_tie || p_lo == 0.5 {
                    s.t[k] += w;
                } else if p_lo > 0.5 {
                    s.x[k] += w;
                } else {
                    s.y[k] += w;
                }
            }
        }
    }
    s.rel.clear();
    s.rel.resize(mm, REL_NONE);
    let mut n_pairs = 0u64;
    for i in 0..m {
        for j in i + 1..m {
            let k = i * m + j;
            let r = relation(inp.aggregate, s.x[k], s.y[k], s.t[k]);
            s.rel[k] = r;
            n_pairs += (r != REL_NONE) as u64;
        }
    }
    let mut counts = [0u64; 4];
    let mut kept = 0usize;
    let unit = out.len() as u64;
    let rel = &s.rel;
    for x in 0..m {
        for y in x + 1..m {
            let xy = rel[x * m + y];
            if xy == REL_NONE {
                continue;
            }
            let row_x = &rel[x * m..x * m + m];
            let row_y = &rel[y * m..y * m + m];
            let base = (xy as usize) << 4;
            for z in y + 1..m {
                let cls = LUT[base | ((row_x[z] as usize) << 2) | row_y[z] as usize];
                if cls == CLASS_UNJUDGED {
                    continue;
                }
                counts[cls as usize] += 1;
                if cls != CLASS_TRANSITIVE && kept < inp.examples_per_unit {
                    kept += 1;
                    out.examples.push(orient(
                        unit,
                        cls,
                        [s.items[x], s.items[y], s.items[z]],
                        [xy, row_x[z], row_y[z]],
                    ));
                }
            }
        }
    }
    let triples = counts.iter().sum::<u64>();
    out.group.push(group);
    out.judge.push(judge);
    out.n_items.push(m as u32);
    out.n_pairs.push(n_pairs);
    out.triples.push(triples);
    out.circular.push(counts[CLASS_CIRCULAR as usize]);
    out.equivalence.push(counts[CLASS_EQUIVALENCE as usize]);
    out.other.push(counts[CLASS_OTHER as usize]);
    if inp.ntr {
        out.ntr.push(ntr_counts(rel, m));
    }
    Ok(())
}

/// `beats(u, v)` for positions 0..3 of a triple with relations `[xy, xz, yz]`: 1 u won, -1 v won,
/// 0 tie.
fn rel_between(r: [u8; 3], u: usize, v: usize) -> i8 {
    let (idx, flip) = match (u, v) {
        (0, 1) => (0, false),
        (1, 0) => (0, true),
        (0, 2) => (1, false),
        (2, 0) => (1, true),
        (1, 2) => (2, false),
        _ => (2, true),
    };
    let s = match r[idx] {
        REL_LO => 1,
        REL_HI => -1,
        _ => 0,
    };
    if flip {
        -s
    } else {
        s
    }
}

/// Canonical spelling of a non-transitive triple (see [`Example`]).
fn orient(unit: u64, class: u8, codes: [u32; 3], r: [u8; 3]) -> Example {
    let perms = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let ok = |p: &[usize; 3]| -> bool {
        let (a, b, c) = (p[0], p[1], p[2]);
        match class {
            CLASS_CIRCULAR => {
                rel_between(r, a, b) == 1 && rel_between(r, b, c) == 1 && rel_between(r, c, a) == 1
            }
            CLASS_EQUIVALENCE => {
                rel_between(r, a, b) == 1 && rel_between(r, a, c) == 0 && rel_between(r, b, c) == 0
            }
            _ => {
                rel_between(r, a, c) == 0 && rel_between(r, a, b) == 1 && rel_between(r, b, c) == 1
            }
        }
    };
    // Among the valid orientations pick the one that starts with the smallest code (then the
    // smallest second code), so the spelling does not depend on input order.
    let mut best: Option<[u32; 3]> = None;
    for p in perms.iter() {
        if ok(p) {
            let cand = [codes[p[0]], codes[p[1]], codes[p[2]]];
            if best.is_none_or(|b| cand < b) {
                best = Some(cand);
            }
        }
    }
    let b = best.unwrap_or(codes);
    Example {
        unit,
        class,
        x: b[0],
        y: b[1],
        z: b[2],
    }
}

/// `[k4, bad4, k5, bad5]`: 4- and 5-subsets with all pairs judged, and those containing a
/// non-transitive triple. `m <= 64`.
fn ntr_counts(rel: &[u8], m: usize) -> [u64; 4] {
    let mut adj = [0u64; NTR_MAX_ITEMS];
    // bad[x * m + y]: bit z set when (x, y, z), x < y < z, is non-transitive.
    let mut bad = vec![0u64; m * m];
    for x in 0..m {
        for y in x + 1..m {
            if rel[x * m + y] != REL_NONE {
                adj[x] |= 1u64 << y;
                adj[y] |= 1u64 << x;
            }
        }
    }
    for x in 0..m {
        for y in x + 1..m {
            let xy = rel[x * m + y];
            if xy == REL_NONE {
                continue;
            }
            for z in y + 1..m {
                let cls = LUT[((xy as usize) << 4)
                    | ((rel[x * m + z] as usize) << 2)
                    | rel[y * m + z] as usize];
                if cls != CLASS_UNJUDGED && cls != CLASS_TRANSITIVE {
                    bad[x * m + y] |= 1u64 << z;
                }
            }
        }
    }
    let mut out = [0u64; 4];
    let mut stack = [0usize; 5];
    // Depth-first clique enumeration in increasing order; `forbid` holds the items that would close
    // a non-transitive triple with two members already chosen.
    #[allow(clippy::too_many_arguments)]
    fn go(
        depth: usize,
        cand: u64,
        is_bad: bool,
        forbid: u64,
        stack: &mut [usize; 5],
        adj: &[u64],
        bad: &[u64],
        m: usize,
        out: &mut [u64; 4],
    ) {
        let mut c = cand;
        while c != 0 {
            let v = c.trailing_zeros() as usize;
            c &= c - 1;
            let nb = is_bad || (forbid >> v) & 1 == 1;
            match depth + 1 {
                4 => {
                    out[0] += 1;
                    out[1] += nb as u64;
                }
                5 => {
                    out[2] += 1;
                    out[3] += nb as u64;
                }
                _ => {}
            }
            if depth + 1 < 5 {
                let mut nf = forbid;
                for &u in &stack[..depth] {
                    nf |= bad[u * m + v];
                }
                stack[depth] = v;
                let above = if v + 1 >= 64 { 0 } else { !0u64 << (v + 1) };
                go(
                    depth + 1,
                    cand & adj[v] & above,
                    nb,
                    nf,
                    stack,
                    adj,
                    bad,
                    m,
                    out,
                );
            }
        }
    }
    let all = if m == 64 { !0u64 } else { (1u64 << m) - 1 };
    go(0, all, false, 0, &mut stack, &adj, &bad, m, &mut out);
    out
}

/// The transitivity census of every unit.
pub fn census(inp: &CensusInput<'_>) -> Result<Census> {
    let c = &inp.comps;
    let n = c.len();
    if inp.group.len() != n {
        return Err(Error::LengthMismatch {
            left: "a".into(),
            left_len: n,
            right: "group".into(),
            right_len: inp.group.len(),
        });
    }
    if let Some(j) = inp.judge {
        if j.len() != n {
            return Err(Error::LengthMismatch {
                left: "a".into(),
                left_len: n,
                right: "judge".into(),
                right_len: j.len(),
            });
        }
    }
    if n > u32::MAX as usize {
        return Err(Error::invalid("data", "more than 2^32 - 1 rows"));
    }
    crate::data::validate_comparisons(c, false)?;
    let (order, offsets) = group_rows(inp.group, inp.n_groups)?;
    let n_chunks = inp.n_groups.div_ceil(GROUP_CHUNK);
    let parts: Vec<Result<Census>> = (0..n_chunks)
        .into_par_iter()
        .map(|ch| {
            let mut s = Scratch::new();
            let mut out = Census::default();
            let g_hi = ((ch + 1) * GROUP_CHUNK).min(inp.n_groups);
            for g in ch * GROUP_CHUNK..g_hi {
                let (lo, hi) = (offsets[g], offsets[g + 1]);
                if lo == hi {
                    continue;
                }
                s.rows.clear();
                match &order {
                    Some(o) => s.rows.extend_from_slice(&o[lo..hi]),
                    None => s.rows.extend(lo as u32..hi as u32),
                }
                let mut rows = std::mem::take(&mut s.rows);
                match inp.judge {
                    None => census_unit(inp, &rows, g as u32, u32::MAX, &mut s, &mut out)?,
                    Some(jc) => {
                        rows.sort_by_key(|&r| jc[r as usize]);
                        let mut start = 0;
                        while start < rows.len() {
                            let jv = jc[rows[start] as usize];
                            let mut end = start + 1;
                            while end < rows.len() && jc[rows[end] as usize] == jv {
                                end += 1;
                            }
                            census_unit(inp, &rows[start..end], g as u32, jv, &mut s, &mut out)?;
                            start = end;
                        }
                    }
                }
                s.rows = rows;
            }
            Ok(out)
        })
        .collect();
    let mut total = Census::default();
    for p in parts {
        total.append(p?);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lut_has_thirteen_weak_orders() {
        let mut per_class = [0usize; 4];
        for xy in 1..4u8 {
            for xz in 1..4u8 {
                for yz in 1..4u8 {
                    per_class[classify(xy, xz, yz) as usize] += 1;
                }
            }
        }
        assert_eq!(per_class, [13, 2, 6, 6]);
        assert_eq!(classify(REL_NONE, REL_LO, REL_LO), CLASS_UNJUDGED);
    }

    fn run(a: &[u32], b: &[u32], p: &[f64], group: &[u32], agg: Aggregate) -> Census {
        let tie: Vec<u8> = p.iter().map(|&x| (x == 0.5) as u8).collect();
        let n_items = a.iter().chain(b).max().map_or(0, |&m| m as usize + 1);
        let n_groups = group.iter().max().map_or(0, |&m| m as usize + 1);
        census(&CensusInput {
            comps: ComparisonsRef {
                n_items,
                a,
                b,
                p,
                tie: &tie,
                weight: None,
            },
            group,
            n_groups,
            judge: None,
            aggregate: agg,
            ntr: true,
            examples_per_unit: 10,
        })
        .unwrap()
    }

    #[test]
    fn cycle_and_equivalence() {
        // group 0: 0 > 1 > 2 > 0 ; group 1: 0 = 1, 1 = 2, 0 > 2
        let c = run(
            &[0, 1, 2, 0, 1, 0],
            &[1, 2, 0, 1, 2, 2],
            &[1.0, 1.0, 1.0, 0.5, 0.5, 1.0],
            &[0, 0, 0, 1, 1, 1],
            Aggregate::Majority,
        );
        assert_eq!(c.triples, vec![1, 1]);
        assert_eq!(c.circular, vec![1, 0]);
        assert_eq!(c.equivalence, vec![0, 1]);
        assert_eq!(
            c.examples[0],
            Example {
                unit: 0,
                class: CLASS_CIRCULAR,
                x: 0,
                y: 1,
                z: 2
            }
        );
        assert_eq!(
            c.examples[1],
            Example {
                unit: 1,
                class: CLASS_EQUIVALENCE,
                x: 0,
                y: 2,
                z: 1
            }
        );
    }

    #[test]
    fn unanimous_merge_turns_disagreement_into_tie() {
        // Pair (0, 1) judged both ways -> tie under unanimity, 0 wins under probability? no: 0.5.
        let a = [0, 1, 1, 0];
        let b = [1, 0, 2, 2];
        let p = [1.0, 1.0, 1.0, 0.0];
        let c = run(&a, &b, &p, &[0, 0, 0, 0], Aggregate::Unanimous);
        // 0 = 1, 1 > 2, 2 > 0: one tie split by item 2 -> "other".
        assert_eq!(c.other, vec![1]);
        let c = run(
            &a,
            &b,
            &p,
            &[0, 0, 0, 0],
            Aggregate::Probability { margin: 0.0 },
        );
        assert_eq!(c.other, vec![1]);
    }

    #[test]
    fn thread_count_does_not_change_results() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut p = Vec::new();
        let mut g = Vec::new();
        let mut state = 12345u64;
        for grp in 0..5000u32 {
            for i in 0..5u32 {
                for j in i + 1..5 {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    a.push(grp * 5 + i);
                    b.push(grp * 5 + j);
                    p.push([0.0, 0.5, 1.0][(state >> 33) as usize % 3]);
                    g.push(grp);
                }
            }
        }
        let go = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| run(&a, &b, &p, &g, Aggregate::Majority))
        };
        let one = go(1);
        assert_eq!(one, go(3));
        assert_eq!(one.len(), 5000);
        assert!(one.ntr.iter().all(|r| r[0] == 5 && r[2] == 1));
    }
}
