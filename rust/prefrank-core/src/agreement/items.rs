//! Per-item (per-unit) label statistics in bulk from a `units x q` matrix of value counts.

/// Per-unit statistics, one entry per unit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemStats {
    /// Number of ratings.
    pub n: Vec<u32>,
    /// Most frequent category (lowest code on ties); `u32::MAX` for an unrated unit.
    pub majority: Vec<u32>,
    /// Share of the ratings in the majority category.
    pub share: Vec<f64>,
    /// Vote entropy in nats.
    pub entropy: Vec<f64>,
    /// Entropy divided by `ln(q)` (0 when `q < 2`).
    pub entropy_norm: Vec<f64>,
    /// Number of distinct categories used.
    pub distinct: Vec<u32>,
    /// The top count is shared by two or more categories.
    pub split: Vec<bool>,
}

/// Per-unit statistics of a `units x q` count matrix.
pub fn item_stats(counts: &[u32], q: usize) -> ItemStats {
    let units = counts.len().checked_div(q).unwrap_or(0);
    let mut s = ItemStats {
        n: Vec::with_capacity(units),
        majority: Vec::with_capacity(units),
        share: Vec::with_capacity(units),
        entropy: Vec::with_capacity(units),
        entropy_norm: Vec::with_capacity(units),
        distinct: Vec::with_capacity(units),
        split: Vec::with_capacity(units),
    };
    if q == 0 {
        return s;
    }
    let lnq = (q as f64).ln();
    for row in counts.chunks_exact(q) {
        let m: u64 = row.iter().map(|&x| x as u64).sum();
        let (mut best, mut best_c, mut ties, mut distinct) = (0u32, u32::MAX, 0u32, 0u32);
        let mut h = 0.0;
        for (c, &x) in row.iter().enumerate() {
            if x == 0 {
                continue;
            }
            distinct += 1;
            let p = x as f64 / m as f64;
            h -= p * p.ln();
            if x > best {
                best = x;
                best_c = c as u32;
                ties = 1;
            } else if x == best {
                ties += 1;
            }
        }
        s.n.push(m as u32);
        s.majority.push(best_c);
        s.distinct.push(distinct);
        s.split.push(ties > 1);
        if m == 0 {
            s.share.push(f64::NAN);
            s.entropy.push(f64::NAN);
            s.entropy_norm.push(f64::NAN);
        } else {
            let h = h.max(0.0);
            s.share.push(best as f64 / m as f64);
            s.entropy.push(h);
            s.entropy_norm.push(if q > 1 { h / lnq } else { 0.0 });
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_stats_values() {
        let s = item_stats(&[3, 0, 0, 1, 1, 0, 0, 0, 0, 2, 1, 1], 3);
        assert_eq!(s.n, vec![3, 2, 0, 4]);
        assert_eq!(s.majority, vec![0, 0, u32::MAX, 0]);
        assert_eq!(s.split, vec![false, true, false, false]);
        assert_eq!(s.distinct, vec![1, 2, 0, 3]);
        assert_eq!(s.entropy[0], 0.0);
        assert!((s.entropy[1] - 2f64.ln()).abs() < 1e-12);
        assert!(s.share[2].is_nan());
        assert!((s.entropy_norm[1] - 2f64.ln() / 3f64.ln()).abs() < 1e-12);
        assert!(item_stats(&[], 0).n.is_empty());
    }
}
