//! Label coding: arbitrary labels to dense `u32` codes.
//!
//! Codes follow the **sorted order of the labels** (strings by Unicode code point, integers
//! numerically), not the order of first appearance, so that the coding of a data set does not depend
//! on its row order. Coding is a two-pass affair: `Coder::code` hands out provisional codes in order
//! of first appearance, and `Coder::finish` sorts the distinct labels and returns the remapping that
//! turns provisional codes into final ones.

use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use std::borrow::Borrow;
use std::hash::Hash;

/// The result of coding: sorted labels and `remap[provisional] = final`.
#[derive(Debug, Clone, PartialEq)]
pub struct Coded<K> {
    pub labels: Vec<K>,
    pub remap: Vec<u32>,
}

/// A growing dictionary from labels to provisional codes.
#[derive(Debug, Clone)]
pub struct Coder<K: Hash + Eq> {
    map: FxHashMap<K, u32>,
    seen: Vec<K>,
}

impl<K: Hash + Eq + Clone + Ord> Default for Coder<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq + Clone + Ord> Coder<K> {
    pub fn new() -> Self {
        Coder {
            map: FxHashMap::default(),
            seen: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Provisional code of `key`, inserting it when new.
    #[inline]
    pub fn code<Q>(&mut self, key: &Q) -> Result<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized + ToOwnedKey<K>,
    {
        if let Some(&c) = self.map.get(key) {
            return Ok(c);
        }
        let c = u32::try_from(self.seen.len()).map_err(|_| Error::TooManyLabels {
            count: self.seen.len() + 1,
        })?;
        let owned = key.to_owned_key();
        self.map.insert(owned.clone(), c);
        self.seen.push(owned);
        Ok(c)
    }

    /// Sort the distinct labels and return them with the provisional-to-final remapping.
    pub fn finish(self) -> Coded<K> {
        let mut order: Vec<u32> = (0..self.seen.len() as u32).collect();
        order.sort_unstable_by(|&x, &y| self.seen[x as usize].cmp(&self.seen[y as usize]));
        let mut remap = vec![0u32; order.len()];
        for (fin, &prov) in order.iter().enumerate() {
            remap[prov as usize] = fin as u32;
        }
        let mut seen: Vec<Option<K>> = self.seen.into_iter().map(Some).collect();
        let labels = order
            .iter()
            .map(|&p| seen[p as usize].take().expect("each label is taken once"))
            .collect();
        Coded { labels, remap }
    }
}

/// Conversion from a borrowed lookup key to the owned key stored in a `Coder`.
pub trait ToOwnedKey<K> {
    fn to_owned_key(&self) -> K;
}
impl ToOwnedKey<Box<str>> for str {
    fn to_owned_key(&self) -> Box<str> {
        self.into()
    }
}
impl ToOwnedKey<Box<[u32]>> for [u32] {
    fn to_owned_key(&self) -> Box<[u32]> {
        self.into()
    }
}
impl ToOwnedKey<Box<[u8]>> for [u8] {
    fn to_owned_key(&self) -> Box<[u8]> {
        self.into()
    }
}
impl ToOwnedKey<i64> for i64 {
    fn to_owned_key(&self) -> i64 {
        *self
    }
}

/// Apply a remapping in place (provisional codes to final codes).
pub fn apply_remap(codes: &mut [u32], remap: &[u32]) {
    for c in codes.iter_mut() {
        *c = remap[*c as usize];
    }
}

/// Code fixed-width UCS-4 strings (numpy's `U` dtype viewed as `u32`, `width` code points per row,
/// NUL-padded on the right). Several columns share one coding.
pub fn code_ucs4(columns: &[(&[u32], usize)]) -> Result<(Vec<Vec<u32>>, Vec<String>)> {
    let mut coder: Coder<Box<[u32]>> = Coder::new();
    let mut out = Vec::with_capacity(columns.len());
    for &(data, width) in columns {
        let rows = data.len().checked_div(width).unwrap_or(0);
        let mut codes = Vec::with_capacity(rows);
        if width == 0 {
            // numpy's `<U0`: every value is the empty string.
            out.push(codes);
            continue;
        }
        // Consecutive rows often repeat a label: remember the last one to skip a hash lookup.
        let mut last: Option<(&[u32], u32)> = None;
        for row in data.chunks_exact(width) {
            let end = row.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
            let key = &row[..end];
            let code = match last {
                Some((k, c)) if k == key => c,
                _ => coder.code(key)?,
            };
            last = Some((key, code));
            codes.push(code);
        }
        out.push(codes);
    }
    let coded = coder.finish();
    for codes in out.iter_mut() {
        apply_remap(codes, &coded.remap);
    }
    let labels = coded
        .labels
        .iter()
        .map(|k| {
            k.iter()
                .map(|&u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        })
        .collect();
    Ok((out, labels))
}

/// Integer labels spanning a small range, coded by lookup: `code_of[x - lo]` is the code of label
/// `x` (codes follow sorted labels).
pub(crate) struct DenseIntLabels {
    pub lo: i64,
    pub code_of: Vec<u32>,
    pub labels: Vec<i64>,
}

impl DenseIntLabels {
    /// The table of the labels in `columns`, or None when they are empty or span more than
    /// `max_span` values. Two parallel passes over fixed chunks: the range, then which values occur.
    pub(crate) fn new(columns: &[&[i64]], max_span: usize) -> Option<Self> {
        use crate::par::{tree_map_reduce, ROW_CHUNK};
        let chunks: Vec<&[i64]> = columns
            .iter()
            .flat_map(|col| col.chunks(ROW_CHUNK))
            .collect();
        let (lo, hi) = tree_map_reduce(
            chunks.len(),
            &|k| {
                chunks[k]
                    .iter()
                    .fold((i64::MAX, i64::MIN), |(l, h), &x| (l.min(x), h.max(x)))
            },
            &|x: (i64, i64), y: (i64, i64)| (x.0.min(y.0), x.1.max(y.1)),
        )?;
        let span = usize::try_from(hi.checked_sub(lo)?).ok()?.checked_add(1)?;
        if span > max_span {
            return None;
        }
        // Per-chunk flags OR-ed together when the table is small, one sequential pass otherwise
        // (a chunk's flags would cost more than its rows).
        let present: Vec<bool> = if span <= 1 << 16 {
            tree_map_reduce(
                chunks.len(),
                &|k| {
                    let mut seen = vec![false; span];
                    for &x in chunks[k] {
                        seen[(x - lo) as usize] = true;
                    }
                    seen
                },
                &|mut x: Vec<bool>, y: Vec<bool>| {
                    x.iter_mut().zip(&y).for_each(|(u, v)| *u |= *v);
                    x
                },
            )?
        } else {
            let mut seen = vec![false; span];
            for &x in columns.iter().flat_map(|c| c.iter()) {
                seen[(x - lo) as usize] = true;
            }
            seen
        };
        let mut code_of = vec![u32::MAX; span];
        let mut labels = Vec::new();
        for (k, _) in present.iter().enumerate().filter(|(_, p)| **p) {
            code_of[k] = labels.len() as u32;
            labels.push(lo + k as i64);
        }
        Some(DenseIntLabels {
            lo,
            code_of,
            labels,
        })
    }

    /// The code of a label from the columns the table was built on.
    #[inline(always)]
    pub(crate) fn code(&self, x: i64) -> u32 {
        self.code_of[(x - self.lo) as usize]
    }
}

/// Code integer labels. Several columns share one coding; labels come back sorted.
pub fn code_i64(columns: &[&[i64]]) -> Result<(Vec<Vec<u32>>, Vec<i64>)> {
    use crate::par::ROW_CHUNK;
    use rayon::prelude::*;
    let total: usize = columns.iter().map(|c| c.len()).sum();
    // A dense lookup table beats hashing when the labels span a small range.
    if let Some(t) = DenseIntLabels::new(columns, (1usize << 24).max(total)) {
        if t.labels.len() > u32::MAX as usize {
            return Err(Error::TooManyLabels {
                count: t.labels.len(),
            });
        }
        let out = columns
            .iter()
            .map(|col| {
                let mut codes = vec![0u32; col.len()];
                codes
                    .par_chunks_mut(ROW_CHUNK)
                    .zip(col.par_chunks(ROW_CHUNK))
                    .for_each(|(out, xs)| {
                        for (o, &x) in out.iter_mut().zip(xs) {
                            *o = t.code(x);
                        }
                    });
                codes
            })
            .collect();
        return Ok((out, t.labels));
    }
    let mut coder: Coder<i64> = Coder::new();
    let mut out = Vec::with_capacity(columns.len());
    for col in columns {
        let mut codes = Vec::with_capacity(col.len());
        for x in col.iter() {
            codes.push(coder.code(x)?);
        }
        out.push(codes);
    }
    let coded = coder.finish();
    for codes in out.iter_mut() {
        apply_remap(codes, &coded.remap);
    }
    Ok((out, coded.labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ucs4(s: &[&str], width: usize) -> Vec<u32> {
        let mut v = Vec::new();
        for x in s {
            let mut row: Vec<u32> = x.chars().map(|c| c as u32).collect();
            row.resize(width, 0);
            v.extend(row);
        }
        v
    }

    #[test]
    fn codes_follow_sorted_labels() {
        let a = ucs4(&["zeta", "alpha", "mu"], 5);
        let b = ucs4(&["alpha", "beta", "zeta"], 5);
        let (codes, labels) = code_ucs4(&[(&a, 5), (&b, 5)]).unwrap();
        assert_eq!(labels, vec!["alpha", "beta", "mu", "zeta"]);
        assert_eq!(codes[0], vec![3, 0, 2]);
        assert_eq!(codes[1], vec![0, 1, 3]);
    }

    #[test]
    fn integer_coding_dense_and_sparse_agree() {
        let a = [5i64, -3, 7, 5];
        let (codes, labels) = code_i64(&[&a]).unwrap();
        assert_eq!(labels, vec![-3, 5, 7]);
        assert_eq!(codes[0], vec![1, 0, 2, 1]);
        let big = [i64::MAX, i64::MIN, 0];
        let (codes, labels) = code_i64(&[&big]).unwrap();
        assert_eq!(labels, vec![i64::MIN, 0, i64::MAX]);
        assert_eq!(codes[0], vec![2, 0, 1]);
    }

    #[test]
    fn str_coder_roundtrip() {
        let mut c: Coder<Box<str>> = Coder::new();
        let p: Vec<u32> = ["b", "a", "b", "c"]
            .iter()
            .map(|s| c.code(*s).unwrap())
            .collect();
        let coded = c.finish();
        let fin: Vec<u32> = p.iter().map(|&x| coded.remap[x as usize]).collect();
        assert_eq!(fin, vec![1, 0, 1, 2]);
        assert_eq!(&*coded.labels[0], "a");
    }
}

/// Code the rows of several columns in parallel, each row's label given by `get(column, row)`.
/// Fixed row chunks build local dictionaries; they are merged in chunk order, and the final codes
/// follow the sorted labels, so the result does not depend on the number of threads.
pub fn code_parallel<'a, Q, K, G>(rows: &[usize], get: G) -> Result<(Vec<Vec<u32>>, Vec<K>)>
where
    Q: ?Sized + Hash + Eq + Ord + ToOwnedKey<K> + 'a + Sync,
    K: Hash + Eq + Clone + Ord + Borrow<Q> + Send,
    G: Fn(usize, usize) -> &'a Q + Sync,
{
    use crate::par::{n_chunks, tree_map_reduce, ROW_CHUNK};
    // One task per (column, chunk).
    let mut tasks = Vec::new();
    for (col, &len) in rows.iter().enumerate() {
        for k in 0..n_chunks(len, ROW_CHUNK) {
            tasks.push((col, k * ROW_CHUNK, ((k + 1) * ROW_CHUNK).min(len)));
        }
    }
    let map = |t: usize| -> Vec<(Vec<u32>, Vec<&'a Q>)> {
        let (col, lo, hi) = tasks[t];
        let mut local: FxHashMap<&'a Q, u32> = FxHashMap::default();
        let mut seen: Vec<&'a Q> = Vec::new();
        let mut codes = Vec::with_capacity(hi - lo);
        let mut last: Option<(&'a Q, u32)> = None;
        for r in lo..hi {
            let key = get(col, r);
            let code = match last {
                Some((k, c)) if k == key => c,
                _ => *local.entry(key).or_insert_with(|| {
                    seen.push(key);
                    (seen.len() - 1) as u32
                }),
            };
            last = Some((key, code));
            codes.push(code);
        }
        vec![(codes, seen)]
    };
    let merge = |mut x: Vec<(Vec<u32>, Vec<&'a Q>)>, y: Vec<(Vec<u32>, Vec<&'a Q>)>| {
        x.extend(y);
        x
    };
    let parts = tree_map_reduce(tasks.len(), &map, &merge).unwrap_or_default();
    // Global provisional codes, chunk by chunk.
    let mut coder: Coder<K> = Coder::new();
    let mut local_to_global: Vec<Vec<u32>> = Vec::with_capacity(parts.len());
    for (_, seen) in &parts {
        let mut m = Vec::with_capacity(seen.len());
        for key in seen {
            m.push(coder.code(*key)?);
        }
        local_to_global.push(m);
    }
    let coded = coder.finish();
    let mut out: Vec<Vec<u32>> = rows.iter().map(|&len| Vec::with_capacity(len)).collect();
    // Tasks are in column-major order, so appending keeps row order.
    let finals: Vec<Vec<u32>> = {
        use rayon::prelude::*;
        parts
            .par_iter()
            .zip(local_to_global.par_iter())
            .map(|((codes, _), l2g)| {
                codes
                    .iter()
                    .map(|&c| coded.remap[l2g[c as usize] as usize])
                    .collect()
            })
            .collect()
    };
    for (t, f) in finals.into_iter().enumerate() {
        out[tasks[t].0].extend(f);
    }
    Ok((out, coded.labels))
}

/// An Arrow offset type (`int32` for `string`, `int64` for `large_string`).
pub trait Offset: Copy + Sync {
    fn index(self) -> Option<usize>;
    fn to_i64(self) -> i64;
}
impl Offset for i32 {
    #[inline]
    fn index(self) -> Option<usize> {
        usize::try_from(self).ok()
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
}
impl Offset for i64 {
    #[inline]
    fn index(self) -> Option<usize> {
        usize::try_from(self).ok()
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self
    }
}

/// Check Arrow-style offsets against their data buffer (monotone, in range) and return the
/// longest label's length. Steps between neighbours are checked in parallel over fixed chunks.
fn check_utf8_offsets<O: Offset>(columns: &[(&[O], &[u8])]) -> Result<usize> {
    check_offset_ends(columns)?;
    let mut longest = 0usize;
    for (ci, &(offsets, _)) in columns.iter().enumerate() {
        // All steps >= 0 (with the ends in range, every offset then is) and the longest label.
        use crate::par::{n_chunks, tree_map_reduce, ROW_CHUNK};
        let steps = offsets.len() - 1;
        let span = |k: usize| {
            let (lo, hi) = (k * ROW_CHUNK, ((k + 1) * ROW_CHUNK).min(steps));
            let w = &offsets[lo..=hi];
            w[..w.len() - 1]
                .iter()
                .zip(&w[1..])
                .fold((true, 0i64), |(ok, m), (a, b)| {
                    let (a, b) = (a.to_i64(), b.to_i64());
                    (ok & (b >= a), m.max(b.wrapping_sub(a)))
                })
        };
        let (ok, m) = tree_map_reduce(n_chunks(steps, ROW_CHUNK), &span, &|x, y| {
            (x.0 & y.0, x.1.max(y.1))
        })
        .unwrap_or((true, 0));
        if !ok {
            return Err(corrupt_offsets(ci));
        }
        longest = longest.max(m as usize);
    }
    Ok(longest)
}

/// Row `r` of column `col` packed into a `u128` with its length, or None when the row's offsets
/// are not `0 <= lo <= hi <= data.len()` or the label is over 15 bytes. Checking each row here
/// replaces a separate validation pass over the offsets: every neighbouring pair is some row's,
/// so a column whose rows all pack is valid, and any failure sends the caller to
/// [`check_utf8_offsets`] (which names the problem) and the general coder. Hashing and comparing
/// an integer beats a byte-slice memcmp per row.
#[inline(always)]
fn packed_utf8<O: Offset>(columns: &[(&[O], &[u8])], col: usize, r: usize) -> Option<u128> {
    let (o, d) = columns[col];
    let (lo, hi) = (o[r].to_i64(), o[r + 1].to_i64());
    // Negative lengths wrap to huge ones.
    let len = hi.wrapping_sub(lo) as u64 as usize;
    if (lo < 0) | (len > 15) | (hi > d.len() as i64) {
        return None;
    }
    let lo = lo as usize;
    Some(if lo + 16 <= d.len() {
        // One unaligned 16-byte load, bytes past the label masked off.
        let word = u128::from_be_bytes(d[lo..lo + 16].try_into().expect("16 bytes"));
        (word & PREFIX_MASK[len]) | len as u128
    } else {
        pack16(&d[lo..lo + len])
    })
}

/// The ends of each column's offsets are in the data (cheap; the rest is checked row by row).
fn check_offset_ends<O: Offset>(columns: &[(&[O], &[u8])]) -> Result<()> {
    for (ci, &(offsets, data)) in columns.iter().enumerate() {
        let ends = offsets.first().zip(offsets.last());
        let ok = ends.is_some_and(|(f, l)| {
            f.index().is_some() && l.index().is_some_and(|e| e <= data.len())
        });
        if !ok {
            return Err(corrupt_offsets(ci));
        }
    }
    Ok(())
}

fn corrupt_offsets(column: usize) -> Error {
    Error::Corrupt {
        reason: format!("column {column}: string offsets are not monotone within the data buffer"),
    }
}

fn utf8_labels(labels: Vec<Vec<u8>>) -> Result<Vec<String>> {
    labels
        .into_iter()
        .map(|b| {
            String::from_utf8(b).map_err(|e| Error::Corrupt {
                reason: format!("invalid UTF-8 label: {e}"),
            })
        })
        .collect()
}

/// Code UTF-8 strings stored Arrow-style: row `r` of a column is `data[offsets[r]..offsets[r + 1]]`.
pub fn code_utf8_offsets<O: Offset>(
    columns: &[(&[O], &[u8])],
) -> Result<(Vec<Vec<u32>>, Vec<String>)> {
    check_offset_ends(columns)?;
    let rows: Vec<usize> = columns.iter().map(|(o, _)| o.len() - 1).collect();
    // Short labels first; None: a long label, bad offsets, or more labels than u32 codes.
    let packed_at = |col: usize, r: usize| packed_utf8(columns, col, r);
    let coded = code_packed::<u32, 14, _>(&rows, packed_at, u32::MAX as usize + 1)?;
    let (codes, labels) = if let Some((codes, packed)) = coded {
        (codes, packed.into_iter().map(unpack16).collect::<Vec<_>>())
    } else if check_utf8_offsets(columns)? <= 15 {
        return Err(Error::TooManyLabels {
            count: u32::MAX as usize + 1,
        });
    } else {
        let slice = |col: usize, r: usize| -> &[u8] {
            let (o, d) = columns[col];
            // Offsets were validated above.
            &d[o[r].index().unwrap_or(0)..o[r + 1].index().unwrap_or(0)]
        };
        let (codes, labels) = code_parallel::<[u8], Box<[u8]>, _>(&rows, slice)?;
        (codes, labels.into_iter().map(|b| b.into_vec()).collect())
    };
    Ok((codes, utf8_labels(labels)?))
}

/// Code one Arrow-style UTF-8 column that holds few distinct short values (an outcome or a
/// position column) into `u8` codes, in the sorted order of the labels like
/// [`code_utf8_offsets`]. Returns None when a value is longer than 15 bytes or there are more than
/// 256 distinct values (use [`code_utf8_offsets`] then). A quarter of the output of the general
/// coder, and a cache of a few KiB.
pub fn code_utf8_few<O: Offset>(
    offsets: &[O],
    data: &[u8],
) -> Result<Option<(Vec<u8>, Vec<String>)>> {
    let columns = [(offsets, data)];
    check_offset_ends(&columns)?;
    let packed_at = |col: usize, r: usize| packed_utf8(&columns, col, r);
    let Some((mut codes, packed)) = code_packed::<u8, 10, _>(&[offsets.len() - 1], packed_at, 256)?
    else {
        // Bad offsets are an error; a long value or many values are the general coder's.
        check_utf8_offsets(&columns)?;
        return Ok(None);
    };
    let labels = utf8_labels(packed.into_iter().map(unpack16).collect())?;
    Ok(Some((codes.pop().unwrap_or_default(), labels)))
}

/// Outcomes `(p, tie)` of an Arrow-style UTF-8 outcome column straight from a vocabulary of exact
/// values (`(value, p, tie)`), in one parallel pass with no intermediate codes. Returns None when
/// a row holds anything else (another spelling, a position, a long value): the caller then codes
/// the distinct values and maps them, which also names bad rows. Values over 15 bytes in the
/// vocabulary never match.
pub fn outcomes_utf8<O: Offset>(
    offsets: &[O],
    data: &[u8],
    vocab: &[(&[u8], f64, u8)],
) -> Result<Option<(Vec<f64>, Vec<u8>)>> {
    use crate::par::ROW_CHUNK;
    use rayon::prelude::*;
    let columns = [(offsets, data)];
    check_offset_ends(&columns)?;
    let known: Vec<(u128, f64, u8)> = vocab
        .iter()
        .filter(|(v, _, _)| v.len() <= 15)
        .map(|&(v, p, t)| (pack16(v), p, t))
        .collect();
    let rows = offsets.len() - 1;
    let mut p = vec![0.0; rows];
    let mut tie = vec![0u8; rows];
    let matched = p
        .par_chunks_mut(ROW_CHUNK)
        .zip(tie.par_chunks_mut(ROW_CHUNK))
        .enumerate()
        .all(|(k, (p, tie))| {
            // A direct-mapped cache of vocabulary entries; a miss searches the vocabulary.
            const BITS: u32 = 10;
            let mut cache = vec![(EMPTY, 0.0f64, 0u8); 1 << BITS];
            for (r, (p, t)) in (k * ROW_CHUNK..).zip(p.iter_mut().zip(tie.iter_mut())) {
                let Some(key) = packed_utf8(&columns, 0, r) else {
                    return false;
                };
                let cs = (PackedTable::cache_hash(key) >> (64 - BITS)) as usize;
                if cache[cs].0 != key {
                    match known.iter().find(|e| e.0 == key) {
                        Some(&e) => cache[cs] = e,
                        None => return false,
                    }
                }
                (*p, *t) = (cache[cs].1, cache[cs].2);
            }
            true
        });
    if !matched {
        // Bad offsets are an error; anything else is the general path's.
        check_utf8_offsets(&columns)?;
        return Ok(None);
    }
    Ok(Some((p, tie)))
}

/// `PREFIX_MASK[len]` keeps the first `len` bytes of a big-endian 16-byte word (never the last,
/// which holds the length).
const PREFIX_MASK: [u128; 16] = {
    let mut m = [0u128; 16];
    let mut len = 1;
    while len < 16 {
        m[len] = (!0u128 << (128 - 8 * len)) & !0xFF;
        len += 1;
    }
    m
};

/// Pack up to 15 bytes and their length into an integer whose order equals the byte-string order.
#[inline]
fn pack16(b: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    buf[..b.len()].copy_from_slice(b);
    buf[15] = b.len() as u8;
    u128::from_be_bytes(buf)
}

fn unpack16(x: u128) -> Vec<u8> {
    let buf = x.to_be_bytes();
    buf[..buf[15] as usize].to_vec()
}

/// A packed label never equals this: its low byte holds the length, at most 15.
const EMPTY: u128 = u128::MAX;

#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Open-addressing table of packed labels: linear probing, power-of-two capacity, at most half
/// full. Labels share long prefixes ("model-0..."), so the folded words go through a SplitMix64
/// mix (FxHash would keep them in the same buckets).
struct PackedTable {
    keys: Vec<u128>,
    vals: Vec<u32>,
    len: usize,
}

impl PackedTable {
    fn with_capacity(n: usize) -> Self {
        let cap = (2 * n).next_power_of_two().max(64);
        PackedTable {
            keys: vec![EMPTY; cap],
            vals: vec![0; cap],
            len: 0,
        }
    }

    #[inline(always)]
    fn hash(key: u128) -> u64 {
        mix64((key as u64) ^ ((key >> 64) as u64).rotate_left(29))
    }

    /// A cheaper hash for the direct-mapped caches in front of the tables (one multiply, every
    /// row): the fold moves the varying bytes (the label's last characters, wherever they fall)
    /// into the low half, which the multiply spreads over the high bits the cache uses.
    #[inline(always)]
    fn cache_hash(key: u128) -> u64 {
        let (lo, hi) = (key as u64, (key >> 64) as u64);
        let x = hi.wrapping_add(lo.rotate_left(23));
        (x ^ (x >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// The slot holding `key` (whose [`Self::hash`] is `h`), or the empty slot where it would go.
    #[inline(always)]
    fn find(&self, key: u128, h: u64) -> usize {
        let mask = self.keys.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let k = self.keys[i];
            if k == key || k == EMPTY {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Store `key` with `val` in the empty slot `i` found by [`Self::find`].
    #[inline(always)]
    fn insert_at(&mut self, i: usize, key: u128, val: u32) {
        self.keys[i] = key;
        self.vals[i] = val;
        self.len += 1;
        if 2 * self.len > self.keys.len() {
            let old = std::mem::replace(self, PackedTable::with_capacity(self.keys.len()));
            for (&k, &v) in old.keys.iter().zip(&old.vals).filter(|(k, _)| **k != EMPTY) {
                let j = self.find(k, Self::hash(k));
                self.insert_at(j, k, v);
            }
        }
    }
}

/// A code width for [`code_packed`]: `u32` for labels, `u8` for columns with few values.
pub(crate) trait CodeWidth: Copy + Default + Send + Sync {
    fn from_index(i: usize) -> Self;
    fn index(self) -> usize;
}
impl CodeWidth for u32 {
    #[inline(always)]
    fn from_index(i: usize) -> Self {
        i as u32
    }
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
}
impl CodeWidth for u8 {
    #[inline(always)]
    fn from_index(i: usize) -> Self {
        i as u8
    }
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
}

/// Codes per column and the sorted packed labels.
type PackedCodes<C> = (Vec<Vec<C>>, Vec<u128>);

/// Code labels packed into `u128` (see [`code_utf8_offsets`]) in parallel over fixed row chunks:
/// each chunk codes its rows against a local open-addressing table (provisional codes in order of
/// first appearance, written straight into the output); the sorted union of the chunks' labels
/// gives the final codes, and each chunk's provisional codes are remapped in place. The result does
/// not depend on the number of threads. None when `get` declines a row (None) or there are more
/// than `max_labels` distinct labels (at most `2^(8 * size_of::<C>())`). `BITS` sizes the direct-mapped cache in front of each
/// chunk's table: `2^BITS` entries, several times the number of labels expected, so that few of
/// them share an entry (each sharing costs a table probe and a mispredicted branch per row).
fn code_packed<C: CodeWidth, const BITS: u32, G>(
    rows: &[usize],
    get: G,
    max_labels: usize,
) -> Result<Option<PackedCodes<C>>>
where
    G: Fn(usize, usize) -> Option<u128> + Sync,
{
    use crate::par::{n_chunks, ROW_CHUNK};
    use rayon::prelude::*;
    let mut tasks = Vec::new();
    for (col, &len) in rows.iter().enumerate() {
        for k in 0..n_chunks(len, ROW_CHUNK) {
            tasks.push((col, k * ROW_CHUNK, ((k + 1) * ROW_CHUNK).min(len)));
        }
    }
    let mut out: Vec<Vec<C>> = rows.iter().map(|&len| vec![C::default(); len]).collect();
    // Each task's slice of its column's output, in task order: provisional codes are written
    // there and remapped in place (no per-chunk buffers).
    let mut slots: Vec<&mut [C]> = Vec::with_capacity(tasks.len());
    for v in out.iter_mut() {
        slots.extend(v.chunks_mut(ROW_CHUNK));
    }
    let seen: Vec<Option<Vec<u128>>> = slots
        .par_iter_mut()
        .zip(tasks.par_iter())
        .map(|(slot, &(col, lo, _))| {
            let mut table = PackedTable::with_capacity(64);
            let mut seen: Vec<u128> = Vec::new();
            // A direct-mapped cache (high hash bits) in front of the table (low bits): most
            // rows hit it with one comparison and no probing loop.
            let mut cache = vec![(EMPTY, C::default()); 1 << BITS];
            for (r, o) in (lo..).zip(slot.iter_mut()) {
                let key = get(col, r)?;
                let cs = (PackedTable::cache_hash(key) >> (64 - BITS)) as usize;
                let (k, c) = cache[cs];
                *o = if k == key {
                    c
                } else {
                    let i = table.find(key, PackedTable::hash(key));
                    let c = if table.keys[i] == key {
                        table.vals[i]
                    } else {
                        if seen.len() == max_labels {
                            return None;
                        }
                        seen.push(key);
                        let c = (seen.len() - 1) as u32;
                        table.insert_at(i, key, c);
                        c
                    };
                    let c = C::from_index(c as usize);
                    cache[cs] = (key, c);
                    c
                };
            }
            Some(seen)
        })
        .collect();
    let Some(seen) = seen.into_iter().collect::<Option<Vec<_>>>() else {
        return Ok(None);
    };
    let mut labels: Vec<u128> = seen.iter().flatten().copied().collect();
    labels.sort_unstable();
    labels.dedup();
    if labels.len() > max_labels {
        return Ok(None);
    }
    slots
        .into_par_iter()
        .zip(seen.par_iter())
        .for_each(|(slot, seen)| {
            let fin: Vec<C> = seen
                .iter()
                .map(|k| C::from_index(labels.binary_search(k).unwrap_or(0)))
                .collect();
            for o in slot.iter_mut() {
                *o = fin[o.index()];
            }
        });
    Ok(Some((out, labels)))
}

#[cfg(test)]
mod parallel_tests {
    use super::*;

    #[test]
    fn utf8_offsets_code_like_the_sequential_coder() {
        let words = ["b", "a", "c", "a", "", "b"];
        let mut data = Vec::new();
        let mut offsets = vec![0i64];
        for w in words {
            data.extend_from_slice(w.as_bytes());
            offsets.push(data.len() as i64);
        }
        let (codes, labels) =
            code_utf8_offsets(&[(&offsets, &data), (&offsets[..3], &data)]).unwrap();
        assert_eq!(labels, vec!["", "a", "b", "c"]);
        assert_eq!(codes[0], vec![2, 1, 3, 1, 0, 2]);
        assert_eq!(codes[1], vec![2, 1]);
        assert!(code_utf8_offsets(&[(&[0, 5], b"ab")]).is_err());
        // Decreasing offsets anywhere, even where a difference would overflow, are corrupt.
        assert!(code_utf8_offsets(&[(&[0i64, 2, 1, 2], b"ab")]).is_err());
        let huge = [
            0i64,
            5_000_000_000_000_000_000,
            -5_000_000_000_000_000_000,
            2,
        ];
        assert!(code_utf8_offsets(&[(&huge, b"ab")]).is_err());
        assert!(code_utf8_offsets(&[(&[-1i32, 1], b"ab")]).is_err());
        assert!(code_utf8_offsets::<i32>(&[(&[], b"ab")]).is_err());
    }

    /// An Arrow-style column (offsets, data) of `words`.
    fn utf8_column<O: TryFrom<usize>, S: AsRef<str>>(words: &[S]) -> (Vec<O>, Vec<u8>)
    where
        O::Error: std::fmt::Debug,
    {
        let mut data = Vec::new();
        let mut offsets = vec![O::try_from(0).unwrap()];
        for w in words {
            data.extend_from_slice(w.as_ref().as_bytes());
            offsets.push(O::try_from(data.len()).unwrap());
        }
        (offsets, data)
    }

    #[test]
    fn few_valued_columns_code_to_u8_like_the_general_coder() {
        let column = |words: &[String]| utf8_column::<i64, _>(words);
        // Several chunks, values seen first in different chunks, empty and non-ASCII values.
        let rows = 2 * crate::par::ROW_CHUNK + 5;
        let words: Vec<String> = (0..rows)
            .map(|r| match (r * 7919) % 11 {
                0 => String::new(),
                1 if r > crate::par::ROW_CHUNK => "late".into(),
                k => "é".repeat(k % 4) + "tie",
            })
            .collect();
        let (o, d) = column(&words);
        let (few, few_labels) = code_utf8_few(&o, &d).unwrap().unwrap();
        let (general, labels) = code_utf8_offsets(&[(&o, &d)]).unwrap();
        assert_eq!(few_labels, labels);
        assert!(few.iter().zip(&general[0]).all(|(&x, &y)| x as u32 == y));
        // 256 distinct values fit, 257 do not; a value over 15 bytes does not either.
        let many: Vec<String> = (0..257).map(|k| format!("v{k}")).collect();
        let (o, d) = column(&many[..256]);
        let (codes, labels) = code_utf8_few(&o, &d).unwrap().unwrap();
        assert_eq!(labels.len(), 256);
        assert!(codes
            .iter()
            .enumerate()
            .all(|(r, &c)| labels[c as usize] == many[r]));
        let (o, d) = column(&many);
        assert_eq!(code_utf8_few(&o, &d), Ok(None));
        let (o, d) = column(&["a".into(), "sixteen bytes!!!".into()]);
        assert_eq!(code_utf8_few(&o, &d), Ok(None));
        // Offsets past the data are corrupt here too.
        assert!(code_utf8_few(&[0i32, 5], b"ab").is_err());
    }

    #[test]
    fn outcomes_come_straight_from_the_vocabulary_or_not_at_all() {
        let vocab: [(&[u8], f64, u8); 4] = [
            (b"a", 1.0, 0),
            (b"b", 0.0, 0),
            (b"tie (bothbad)", 0.5, 1),
            (b"a value over 15 bytes", 1.0, 0),
        ];
        let column = |words: &[&str]| utf8_column::<i32, _>(words);
        // Several chunks; the last row ends the buffer (no 16-byte load past it).
        let rows = 2 * crate::par::ROW_CHUNK + 3;
        let words: Vec<&str> = (0..rows)
            .map(|r| ["a", "b", "tie (bothbad)"][(r * 7) % 3])
            .collect();
        let (o, d) = column(&words);
        let (p, t) = outcomes_utf8(&o, &d, &vocab).unwrap().unwrap();
        for (r, w) in words.iter().enumerate() {
            let want = vocab.iter().find(|v| v.0 == w.as_bytes()).unwrap();
            assert_eq!((p[r], t[r]), (want.1, want.2));
        }
        // Another spelling, a long value (even one in the vocabulary), or no vocabulary: None.
        for odd in ["A", "a value over 15 bytes", "tie"] {
            let mut w = words.clone();
            w[crate::par::ROW_CHUNK + 1] = odd;
            let (o, d) = column(&w);
            assert_eq!(outcomes_utf8(&o, &d, &vocab), Ok(None), "{odd}");
        }
        assert_eq!(outcomes_utf8(&o, &d, &[]), Ok(None));
        assert!(outcomes_utf8(&[0i32, 5], b"ab", &vocab).is_err());
    }

    #[test]
    fn offsets_checked_row_by_row_fail_like_a_separate_pass() {
        // Short labels over several chunks; then a long label, a decreasing offset and an offset
        // past the data, each in a later chunk than the first.
        let rows = 2 * crate::par::ROW_CHUNK + 9;
        let words: Vec<String> = (0..rows).map(|r| format!("m{}", r % 37)).collect();
        let at = crate::par::ROW_CHUNK + 5;
        let mut long = words.clone();
        long[at] = "a label of twenty b".into();
        for ws in [&words, &long] {
            let (o, d) = utf8_column::<i64, _>(ws);
            let (codes, labels) = code_utf8_offsets(&[(&o, &d)]).unwrap();
            assert!(codes[0]
                .iter()
                .zip(ws)
                .all(|(&c, w)| &labels[c as usize] == w));
        }
        let (o, d) = utf8_column::<i64, _>(&words);
        let (lo, ld) = utf8_column::<i64, _>(&long);
        assert_eq!(code_utf8_few(&lo, &ld), Ok(None));
        let vocab: Vec<(&[u8], f64, u8)> = vec![(b"m1", 1.0, 0)];
        assert_eq!(outcomes_utf8(&lo, &ld, &vocab), Ok(None));
        let mut back = o.clone();
        back[at] = back[at + 1] + 1;
        let mut past = o.clone();
        past[at] = d.len() as i64 + 3;
        for bad in [back, past] {
            assert!(matches!(
                code_utf8_offsets(&[(&bad, &d)]),
                Err(Error::Corrupt { .. })
            ));
            assert!(code_utf8_few(&bad, &d).is_err());
            assert!(outcomes_utf8(&bad, &d, &vocab).is_err());
        }
    }

    #[test]
    fn packed_labels_code_like_the_sequential_coder_across_chunks() {
        // Several chunks per column, thousands of labels (the tables grow), shared prefixes,
        // empty strings and labels of every length up to 15 bytes; the last column is empty.
        let rows = 2 * crate::par::ROW_CHUNK + 77;
        let mut s = 99u64;
        let mut columns: Vec<(Vec<i32>, Vec<u8>)> = Vec::new();
        let mut words: Vec<Vec<String>> = Vec::new();
        for col in 0..3 {
            let n = if col == 2 { 0 } else { rows - col * 1000 };
            let (mut offsets, mut data, mut ws) = (vec![0i32], Vec::new(), Vec::new());
            for _ in 0..n {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let k = (s >> 40) % 7000;
                let w = match k % 4 {
                    0 => format!("model-{k:04}"),
                    1 => format!("{k}"),
                    2 => "é".repeat((k % 7) as usize),
                    _ => format!("x{:014}", k),
                };
                data.extend_from_slice(w.as_bytes());
                offsets.push(data.len() as i32);
                ws.push(w);
            }
            columns.push((offsets, data));
            words.push(ws);
        }
        let views: Vec<(&[i32], &[u8])> = columns
            .iter()
            .map(|(o, d)| (o.as_slice(), d.as_slice()))
            .collect();
        let (codes, labels) = code_utf8_offsets(&views).unwrap();
        let mut want: Vec<&String> = words.iter().flatten().collect();
        want.sort();
        want.dedup();
        assert_eq!(labels.iter().collect::<Vec<_>>(), want);
        for (c, ws) in codes.iter().zip(&words) {
            assert_eq!(c.len(), ws.len());
            assert!(c.iter().zip(ws).all(|(&k, w)| &labels[k as usize] == w));
        }
    }
}
