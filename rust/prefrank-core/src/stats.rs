//! Mergeable statistics and the one framed format they serialise to.
//!
//! Every statistic that streaming and distributed runs ship between batches and workers implements
//! [`Stats`]: build it from a chunk, merge two, write it to bytes and read it back. The bytes are one
//! *frame*, little-endian:
//!
//! ```text
//! magic "PFST" | format version u16 | kind u16 | section count u32
//! section table: count x (tag u32, length u64), tags strictly increasing
//! the sections' bytes, concatenated in table order (their lengths sum to the rest)
//! CRC-32 (IEEE, crc32fast) u32 of every byte before it
//! ```
//!
//! A statistic is a few sections (labels, counts, cells, ...). Reading checks, before it allocates
//! anything whose size the bytes claim, that the checksum matches, that the version and kind are the
//! expected ones, that every length is backed by the buffer (checked arithmetic), and then the
//! content: labels unique, in the order the codes expect and of one supported type; codes in range;
//! counts finite and non-negative. Any failure is [`Error::CorruptStats`].

use std::cmp::Ordering;

use crate::agreement::alpha::Coincidence;
use crate::consistency::cells::{CellRows, Cells};
use crate::data::comparisons::ComparisonsRef;
use crate::data::pairs::PairCounts;
use crate::error::{Error, Result};

/// First bytes of every serialised statistic.
pub const MAGIC: &[u8; 4] = b"PFST";
/// The frame layout version this build writes and reads. A change to any layout bumps it; bytes of
/// another version are refused (regenerate them), never guessed at.
pub const FORMAT_VERSION: u16 = 1;
/// Magic numbers of the formats before the frame (prefrank <= 0.1 main): refused with a message.
const OLD_MAGICS: [&[u8; 4]; 5] = [b"PFPL", b"PFPC", b"PFCS", b"PFRS", b"PFCO"];

const HEADER: usize = 4 + 2 + 2 + 4;
const ENTRY: usize = 4 + 8;
const CRC: usize = 4;

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptStats {
        reason: reason.into(),
    }
}

/// What a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PairCounts = 1,
    Coincidence = 2,
    Cells = 3,
    ComparisonStats = 4,
    RatingsStats = 5,
}

impl Kind {
    fn from_u16(v: u16) -> Option<Kind> {
        Some(match v {
            1 => Kind::PairCounts,
            2 => Kind::Coincidence,
            3 => Kind::Cells,
            4 => Kind::ComparisonStats,
            5 => Kind::RatingsStats,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::PairCounts => "PairCounts",
            Kind::Coincidence => "Coincidence",
            Kind::Cells => "verdict cells",
            Kind::ComparisonStats => "ComparisonStats",
            Kind::RatingsStats => "RatingsStats",
        }
    }
}

/// Section tags (one namespace for all kinds; each kind lists the tags it allows).
pub mod tag {
    pub const ITEMS: u32 = 1;
    pub const GROUPS: u32 = 2;
    pub const JUDGES: u32 = 3;
    pub const META: u32 = 4;
    pub const PAIRS: u32 = 5;
    pub const CELLS: u32 = 6;
    pub const COINCIDENCE: u32 = 7;
    pub const CATEGORIES: u32 = 8;
    pub const UNITS: u32 = 9;
    pub const RATERS: u32 = 10;
    pub const VALUES: u32 = 11;
    pub const RATINGS: u32 = 12;
}

fn tag_name(t: u32) -> &'static str {
    match t {
        tag::ITEMS => "items",
        tag::GROUPS => "groups",
        tag::JUDGES => "judges",
        tag::META => "meta",
        tag::PAIRS => "pairs",
        tag::CELLS => "cells",
        tag::COINCIDENCE => "coincidence",
        tag::CATEGORIES => "categories",
        tag::UNITS => "units",
        tag::RATERS => "raters",
        tag::VALUES => "values",
        tag::RATINGS => "ratings",
        _ => "unknown",
    }
}

// -------------------------------------------------------------------------------------------------
// The frame

/// Builds one frame from sections.
pub struct FrameWriter {
    kind: Kind,
    sections: Vec<(u32, Vec<u8>)>,
}

impl FrameWriter {
    pub fn new(kind: Kind) -> Self {
        FrameWriter {
            kind,
            sections: Vec::new(),
        }
    }

    /// A new section's buffer (tags are sorted on [`finish`](Self::finish)).
    pub fn section(&mut self, tag: u32) -> &mut Vec<u8> {
        debug_assert!(self.sections.iter().all(|(t, _)| *t != tag));
        self.sections.push((tag, Vec::new()));
        &mut self.sections.last_mut().expect("just pushed").1
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.sections.sort_by_key(|s| s.0);
        let body: usize = self.sections.iter().map(|s| s.1.len()).sum();
        let mut out = Vec::with_capacity(HEADER + ENTRY * self.sections.len() + body + CRC);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(self.kind as u16).to_le_bytes());
        out.extend_from_slice(&(self.sections.len() as u32).to_le_bytes());
        for (t, s) in &self.sections {
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        }
        for (_, s) in &self.sections {
            out.extend_from_slice(s);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// A checked frame: its kind and its sections, borrowed from the bytes.
#[derive(Debug)]
pub struct Frame<'a> {
    pub kind: Kind,
    sections: Vec<(u32, &'a [u8])>,
}

fn le_u16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

fn le_u32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"))
}

fn le_u64(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}

impl<'a> Frame<'a> {
    /// Check the envelope of `bytes` (magic, checksum, version, kind, section table) and that it
    /// holds a statistic of `expected` kind with sections among `allowed`.
    pub fn parse(bytes: &'a [u8], expected: Kind, allowed: &[u32]) -> Result<Self> {
        let what = expected.name();
        if bytes.len() >= 4 && OLD_MAGICS.iter().any(|m| &bytes[..4] == *m) {
            return Err(corrupt(format!(
                "these bytes were written by an older prefrank (format {:?}, before the framed \
                 format version {FORMAT_VERSION}); regenerate them with this version",
                String::from_utf8_lossy(&bytes[..4])
            )));
        }
        if bytes.len() < 4 || &bytes[..4] != MAGIC {
            return Err(corrupt(format!(
                "not serialised {what} (the {} bytes do not start with {:?})",
                bytes.len(),
                String::from_utf8_lossy(MAGIC)
            )));
        }
        if bytes.len() < HEADER + CRC {
            return Err(corrupt(format!(
                "truncated: {} bytes, shorter than a frame header",
                bytes.len()
            )));
        }
        let end = bytes.len() - CRC;
        let crc_ok = crc32fast::hash(&bytes[..end]) == le_u32(bytes, end);
        let version = le_u16(bytes, 4);
        if version != FORMAT_VERSION {
            return Err(corrupt(if crc_ok && version > FORMAT_VERSION {
                format!(
                    "written by a newer prefrank (format version {version}; this one reads \
                     {FORMAT_VERSION}); upgrade prefrank to read them"
                )
            } else {
                format!(
                    "format version {version} is not one this prefrank reads \
                     ({FORMAT_VERSION}), or the bytes are damaged"
                )
            }));
        }
        if !crc_ok {
            return Err(corrupt(
                "checksum mismatch (the bytes were changed or truncated)",
            ));
        }
        let kind_code = le_u16(bytes, 6);
        let kind = Kind::from_u16(kind_code)
            .ok_or_else(|| corrupt(format!("unknown statistic kind {kind_code}")))?;
        if kind != expected {
            return Err(corrupt(format!(
                "these bytes hold {}, not {what}",
                kind.name()
            )));
        }
        let count = le_u32(bytes, 8) as usize;
        let table_end = count
            .checked_mul(ENTRY)
            .and_then(|t| t.checked_add(HEADER))
            .filter(|&t| t <= end)
            .ok_or_else(|| {
                corrupt(format!(
                    "{count} sections claimed, more than {} bytes can hold",
                    bytes.len()
                ))
            })?;
        let mut sections = Vec::with_capacity(count);
        let mut at = table_end;
        for s in 0..count {
            let o = HEADER + s * ENTRY;
            let t = le_u32(bytes, o);
            let len = le_u64(bytes, o + 4);
            if !allowed.contains(&t) {
                return Err(corrupt(format!("{what} has no section with tag {t}")));
            }
            if let Some(&(prev, _)) = sections.last() {
                if prev >= t {
                    return Err(corrupt("section tags are not strictly increasing"));
                }
            }
            let stop = usize::try_from(len)
                .ok()
                .and_then(|l| at.checked_add(l))
                .filter(|&e| e <= end)
                .ok_or_else(|| {
                    corrupt(format!(
                        "section {} claims {len} bytes, more than the frame holds",
                        tag_name(t)
                    ))
                })?;
            sections.push((t, &bytes[at..stop]));
            at = stop;
        }
        if at != end {
            return Err(corrupt(format!(
                "{} bytes after the last section",
                end - at
            )));
        }
        Ok(Frame { kind, sections })
    }

    /// The section `tag`, if present.
    pub fn optional(&self, tag: u32) -> Option<Reader<'a>> {
        self.sections
            .iter()
            .find(|s| s.0 == tag)
            .map(|&(t, b)| Reader::new(b, tag_name(t)))
    }

    /// The section `tag`; an error if missing.
    pub fn section(&self, tag: u32) -> Result<Reader<'a>> {
        self.optional(tag).ok_or_else(|| {
            corrupt(format!(
                "{} has no {} section",
                self.kind.name(),
                tag_name(tag)
            ))
        })
    }
}

/// A bounds-checked little-endian cursor over one section.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, pos: 0, what }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(corrupt(format!(
                "section {} is truncated ({n} bytes wanted, {} left)",
                self.what,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16> {
        Ok(le_u16(self.take(2)?, 0))
    }

    pub fn u32(&mut self) -> Result<u32> {
        Ok(le_u32(self.take(4)?, 0))
    }

    pub fn u64(&mut self) -> Result<u64> {
        Ok(le_u64(self.take(8)?, 0))
    }

    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// A count of elements of at least `min_bytes` each that must still fit in the section: checked
    /// before anything of that size is allocated.
    pub fn count(&mut self, min_bytes: usize, name: &str) -> Result<usize> {
        let n = self.u64()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| {
                n.checked_mul(min_bytes)
                    .is_some_and(|b| b <= self.remaining())
            })
            .ok_or_else(|| {
                corrupt(format!(
                    "section {}: {n} {name} claimed, more than its {} remaining bytes hold",
                    self.what,
                    self.remaining()
                ))
            })
    }

    /// `n` little-endian values of `W` bytes each, decoded by `f`.
    fn array<T, const W: usize>(&mut self, n: usize, f: fn([u8; W]) -> T) -> Result<Vec<T>> {
        let bytes = self.take(n.checked_mul(W).ok_or_else(|| corrupt("size overflow"))?)?;
        Ok(bytes
            .chunks_exact(W)
            .map(|c| f(c.try_into().expect("W bytes")))
            .collect())
    }

    pub fn u32s(&mut self, n: usize) -> Result<Vec<u32>> {
        self.array(n, u32::from_le_bytes)
    }

    pub fn u64s(&mut self, n: usize) -> Result<Vec<u64>> {
        self.array(n, u64::from_le_bytes)
    }

    pub fn i64s(&mut self, n: usize) -> Result<Vec<i64>> {
        self.array(n, i64::from_le_bytes)
    }

    pub fn f64s(&mut self, n: usize) -> Result<Vec<f64>> {
        self.array(n, f64::from_le_bytes)
    }

    pub fn bytes(&mut self, n: usize) -> Result<Vec<u8>> {
        Ok(self.take(n)?.to_vec())
    }

    /// Counts: finite and non-negative.
    pub fn counts(&mut self, n: usize, name: &str) -> Result<Vec<f64>> {
        let v = self.f64s(n)?;
        check_counts(&v, self.what, name)?;
        Ok(v)
    }

    /// The section must be used up.
    pub fn finish(self) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            r => Err(corrupt(format!(
                "section {} has {r} extra bytes",
                self.what
            ))),
        }
    }
}

fn check_counts(v: &[f64], section: &str, name: &str) -> Result<()> {
    match v.iter().position(|x| !x.is_finite() || *x < 0.0) {
        None => Ok(()),
        Some(i) => Err(corrupt(format!(
            "section {section}: {name} {i} is {}, not a finite non-negative count",
            v[i]
        ))),
    }
}

/// Appends little-endian values.
pub trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_f64(&mut self, v: f64);
    fn put_u32s(&mut self, v: &[u32]);
    fn put_f64s(&mut self, v: &[f64]);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_f64(&mut self, v: f64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32s(&mut self, v: &[u32]) {
        self.reserve(4 * v.len());
        v.iter().for_each(|x| self.put_u32(*x));
    }
    fn put_f64s(&mut self, v: &[f64]) {
        self.reserve(8 * v.len());
        v.iter().for_each(|x| self.put_f64(*x));
    }
}

// -------------------------------------------------------------------------------------------------
// The trait

/// A mergeable statistic: built per chunk, merged in any tree, shipped as one frame.
///
/// `merge(accumulate(x), accumulate(y)) == accumulate(x ++ y)` (exactly when sums are exact), and
/// `from_bytes(to_bytes(s)) == s`.
pub trait Stats: Sized {
    /// The frame kind written and expected.
    const KIND: Kind;
    /// Section tags a frame of this kind may hold.
    const SECTIONS: &'static [u32];
    /// One chunk of input rows.
    type Chunk<'a>;

    /// The statistic of one chunk.
    fn accumulate(chunk: Self::Chunk<'_>) -> Result<Self>;
    /// Two statistics over the same coding, added.
    fn merge(self, other: Self) -> Result<Self>;
    /// Write the sections.
    fn write(&self, frame: &mut FrameWriter);
    /// Read and validate the sections of a checked frame.
    fn read(frame: &Frame<'_>) -> Result<Self>;

    fn to_bytes(&self) -> Vec<u8> {
        let mut f = FrameWriter::new(Self::KIND);
        self.write(&mut f);
        f.finish()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::read(&Frame::parse(bytes, Self::KIND, Self::SECTIONS)?)
    }
}

impl Stats for PairCounts {
    const KIND: Kind = Kind::PairCounts;
    const SECTIONS: &'static [u32] = &[tag::PAIRS];
    type Chunk<'a> = &'a ComparisonsRef<'a>;

    fn accumulate(chunk: Self::Chunk<'_>) -> Result<Self> {
        PairCounts::from_comparisons(chunk, None, None)
    }
    fn merge(self, other: Self) -> Result<Self> {
        PairCounts::merge(self, other)
    }
    fn write(&self, frame: &mut FrameWriter) {
        self.write_payload(frame.section(tag::PAIRS));
    }
    fn read(frame: &Frame<'_>) -> Result<Self> {
        PairCounts::read_payload(frame.section(tag::PAIRS)?, None)
    }
}

/// Chunk of [`Coincidence`]: `raters x units` codes (`k` = missing), raters, categories.
pub type CoincidenceChunk<'a> = (&'a [u32], usize, usize);

impl Stats for Coincidence {
    const KIND: Kind = Kind::Coincidence;
    const SECTIONS: &'static [u32] = &[tag::COINCIDENCE];
    type Chunk<'a> = CoincidenceChunk<'a>;

    fn accumulate((codes, raters, k): Self::Chunk<'_>) -> Result<Self> {
        Coincidence::from_codes(codes, raters, k)
    }
    fn merge(self, other: Self) -> Result<Self> {
        Coincidence::merge(self, other)
    }
    fn write(&self, frame: &mut FrameWriter) {
        self.write_payload(frame.section(tag::COINCIDENCE));
    }
    fn read(frame: &Frame<'_>) -> Result<Self> {
        Coincidence::read_payload(frame.section(tag::COINCIDENCE)?)
    }
}

impl Stats for Cells {
    const KIND: Kind = Kind::Cells;
    const SECTIONS: &'static [u32] = &[tag::CELLS];
    type Chunk<'a> = CellRows<'a>;

    fn accumulate(chunk: Self::Chunk<'_>) -> Result<Self> {
        Cells::accumulate_rows(chunk)
    }
    fn merge(self, other: Self) -> Result<Self> {
        Ok(Cells::merge(&self, &other))
    }
    fn write(&self, frame: &mut FrameWriter) {
        write_cells(self, frame.section(tag::CELLS));
    }
    fn read(frame: &Frame<'_>) -> Result<Self> {
        read_cells(frame.section(tag::CELLS)?)
    }
}

fn write_cells(c: &Cells, out: &mut Vec<u8>) {
    out.put_u64(c.len() as u64);
    for col in [&c.group, &c.judge, &c.lo, &c.hi] {
        out.put_u32s(col);
    }
    out.extend_from_slice(&c.order);
    for col in [&c.lo_won, &c.hi_won, &c.tie, &c.q_lo, &c.q_hi] {
        out.put_f64s(col);
    }
}

/// Bytes per cell in the cells section.
const CELL_BYTES: usize = 4 * 4 + 1 + 5 * 8;

fn read_cells(mut r: Reader<'_>) -> Result<Cells> {
    let n = r.count(CELL_BYTES, "cells")?;
    let c = Cells {
        group: r.u32s(n)?,
        judge: r.u32s(n)?,
        lo: r.u32s(n)?,
        hi: r.u32s(n)?,
        order: r.bytes(n)?,
        lo_won: r.counts(n, "lo_won")?,
        hi_won: r.counts(n, "hi_won")?,
        tie: r.counts(n, "tie")?,
        q_lo: r.counts(n, "q_lo")?,
        q_hi: r.counts(n, "q_hi")?,
    };
    r.finish()?;
    c.validate().map_err(|e| corrupt(e.to_string()))?;
    Ok(c)
}

// -------------------------------------------------------------------------------------------------
// Labels

/// One label of a mixed (Python object) label table. Variants are in the order of their Python
/// type names, the order prefrank sorts mixed labels by (`(type name, value)`).
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    Bool(bool),
    Bytes(Vec<u8>),
    Float(f64),
    /// Any integer, as minimal two's-complement little-endian bytes.
    Int(Vec<u8>),
    Str(String),
}

impl Label {
    fn rank(&self) -> u8 {
        match self {
            Label::Bool(_) => 1,
            Label::Bytes(_) => 2,
            Label::Float(_) => 3,
            Label::Int(_) => 4,
            Label::Str(_) => 5,
        }
    }

    /// Prefrank's label order; floats are never NaN here (checked first).
    fn cmp(&self, other: &Label) -> Ordering {
        match (self, other) {
            (Label::Bool(a), Label::Bool(b)) => a.cmp(b),
            (Label::Bytes(a), Label::Bytes(b)) => a.cmp(b),
            (Label::Float(a), Label::Float(b)) => a.total_cmp(b),
            (Label::Int(a), Label::Int(b)) => cmp_int(a, b),
            // UTF-8 byte order is code point order, as Python compares str.
            (Label::Str(a), Label::Str(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// Is `b` the minimal two's-complement encoding (no redundant sign byte)?
pub fn minimal_int(b: &[u8]) -> bool {
    match b {
        [] => false,
        [_] => true,
        [.., prev, last] => {
            !((*last == 0 && prev & 0x80 == 0) || (*last == 0xff && prev & 0x80 != 0))
        }
    }
}

/// `b` (two's-complement little-endian) with redundant sign bytes dropped.
pub fn minimal_le(b: &[u8]) -> Vec<u8> {
    let mut n = b.len().max(1);
    while n > 1 && !minimal_int(&b[..n]) {
        n -= 1;
    }
    b[..n].to_vec()
}

/// Compare minimal two's-complement little-endian integers.
fn cmp_int(a: &[u8], b: &[u8]) -> Ordering {
    let neg = |x: &[u8]| x[x.len() - 1] & 0x80 != 0;
    match (neg(a), neg(b)) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (n, _) => {
            // Same sign: a longer minimal encoding has the larger magnitude.
            let by_len = a.len().cmp(&b.len());
            let by_len = if n { by_len.reverse() } else { by_len };
            by_len.then_with(|| a.iter().rev().cmp(b.iter().rev()))
        }
    }
}

/// A label table: the labels by code, with the array type it came from (restored on load).
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    Int64(Vec<i64>),
    Float64(Vec<f64>),
    Bool(Vec<bool>),
    /// A numpy `U` array.
    Unicode(Vec<String>),
    /// A numpy object array.
    Object(Vec<Label>),
}

/// What order the codes expect of a label table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Strictly increasing (codes are the sorted order: items, groups, judges, units, ...).
    Sorted,
    /// Any order without repeats (categories keep the order the user gave).
    Unique,
}

const MAX_BYTES_LABEL: usize = u32::MAX as usize;

impl Labels {
    pub fn len(&self) -> usize {
        match self {
            Labels::Int64(v) => v.len(),
            Labels::Float64(v) => v.len(),
            Labels::Bool(v) => v.len(),
            Labels::Unicode(v) => v.len(),
            Labels::Object(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn cmp_at(&self, i: usize, j: usize) -> Ordering {
        match self {
            Labels::Int64(v) => v[i].cmp(&v[j]),
            Labels::Float64(v) => v[i].total_cmp(&v[j]),
            Labels::Bool(v) => v[i].cmp(&v[j]),
            Labels::Unicode(v) => v[i].cmp(&v[j]),
            Labels::Object(v) => v[i].cmp(&v[j]),
        }
    }

    /// Check the labels: supported values (no NaN, minimal integers) and unique, in `order`.
    pub fn validate(&self, order: Order, name: &str) -> Result<()> {
        let bad = |reason: String| corrupt(format!("{name}: {reason}"));
        let nan = match self {
            Labels::Float64(v) => v.iter().position(|x| x.is_nan()),
            Labels::Object(v) => v
                .iter()
                .position(|x| matches!(x, Label::Float(f) if f.is_nan())),
            _ => None,
        };
        if let Some(i) = nan {
            return Err(bad(format!(
                "label {i} is NaN (a missing value is not a label)"
            )));
        }
        if let Labels::Object(v) = self {
            if let Some(i) = v
                .iter()
                .position(|x| matches!(x, Label::Int(b) if !minimal_int(b)))
            {
                return Err(bad(format!("integer label {i} is not minimally encoded")));
            }
        }
        let n = self.len();
        match order {
            Order::Sorted => {
                if let Some(i) = (1..n).find(|&i| self.cmp_at(i - 1, i) != Ordering::Less) {
                    return Err(bad(format!(
                        "labels {} and {i} are {} (labels must be unique and sorted)",
                        i - 1,
                        if self.cmp_at(i - 1, i) == Ordering::Equal {
                            "equal"
                        } else {
                            "out of order"
                        }
                    )));
                }
            }
            Order::Unique => {
                let mut idx: Vec<usize> = (0..n).collect();
                idx.sort_by(|&i, &j| self.cmp_at(i, j));
                if let Some(w) = idx
                    .windows(2)
                    .find(|w| self.cmp_at(w[0], w[1]) == Ordering::Equal)
                {
                    return Err(bad(format!(
                        "labels {} and {} are equal",
                        w[0].min(w[1]),
                        w[0].max(w[1])
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        let n = self.len() as u64;
        match self {
            Labels::Int64(v) => {
                out.put_u8(0);
                out.put_u64(n);
                v.iter()
                    .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
            }
            Labels::Float64(v) => {
                out.put_u8(1);
                out.put_u64(n);
                out.put_f64s(v);
            }
            Labels::Bool(v) => {
                out.put_u8(2);
                out.put_u64(n);
                v.iter().for_each(|&x| out.put_u8(x as u8));
            }
            Labels::Unicode(v) => {
                out.put_u8(3);
                out.put_u64(n);
                for s in v {
                    out.put_u32(s.len() as u32);
                    out.extend_from_slice(s.as_bytes());
                }
            }
            Labels::Object(v) => {
                out.put_u8(4);
                out.put_u64(n);
                for x in v {
                    out.put_u8(x.rank());
                    match x {
                        Label::Bool(b) => out.put_u8(*b as u8),
                        Label::Float(f) => out.put_f64(*f),
                        Label::Bytes(b) | Label::Int(b) => {
                            out.put_u32(b.len() as u32);
                            out.extend_from_slice(b);
                        }
                        Label::Str(s) => {
                            out.put_u32(s.len() as u32);
                            out.extend_from_slice(s.as_bytes());
                        }
                    }
                }
            }
        }
    }

    /// Read one label table (the whole section) and validate it.
    pub fn read(mut r: Reader<'_>, order: Order) -> Result<Labels> {
        let what = r.what;
        let container = r.u8()?;
        let utf8 = |b: &[u8], i: usize| {
            String::from_utf8(b.to_vec())
                .map_err(|_| corrupt(format!("{what}: label {i} is not valid UTF-8")))
        };
        let labels = match container {
            0 => {
                let n = r.count(8, "labels")?;
                Labels::Int64(r.i64s(n)?)
            }
            1 => {
                let n = r.count(8, "labels")?;
                Labels::Float64(r.f64s(n)?)
            }
            2 => {
                let n = r.count(1, "labels")?;
                let v = r.bytes(n)?;
                if let Some(i) = v.iter().position(|&b| b > 1) {
                    return Err(corrupt(format!("{what}: bool label {i} is {}", v[i])));
                }
                Labels::Bool(v.into_iter().map(|b| b == 1).collect())
            }
            3 => {
                let n = r.count(4, "labels")?;
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    let len = r.u32()? as usize;
                    v.push(utf8(r.take(len)?, i)?);
                }
                Labels::Unicode(v)
            }
            4 => {
                let n = r.count(2, "labels")?;
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    let t = r.u8()?;
                    v.push(match t {
                        1 => match r.u8()? {
                            b @ (0 | 1) => Label::Bool(b == 1),
                            b => return Err(corrupt(format!("{what}: bool label {i} is {b}"))),
                        },
                        3 => Label::Float(r.f64()?),
                        2 | 4 | 5 => {
                            let len = r.u32()? as usize;
                            let b = r.take(len)?;
                            match t {
                                2 => Label::Bytes(b.to_vec()),
                                4 => Label::Int(b.to_vec()),
                                _ => Label::Str(utf8(b, i)?),
                            }
                        }
                        _ => {
                            return Err(corrupt(format!(
                                "{what}: label {i} has an unsupported type tag {t}"
                            )))
                        }
                    });
                }
                Labels::Object(v)
            }
            c => return Err(corrupt(format!("{what}: unsupported label array type {c}"))),
        };
        r.finish()?;
        labels.validate(order, what)?;
        Ok(labels)
    }

    /// Check before writing that the table will read back (so `to_bytes` never writes what
    /// `from_bytes` refuses): the same validation, plus lengths that fit the format.
    fn check_writable(&self, order: Order, name: &'static str) -> Result<()> {
        let too_long = match self {
            Labels::Unicode(v) => v.iter().position(|s| s.len() > MAX_BYTES_LABEL),
            Labels::Object(v) => v.iter().position(|x| match x {
                Label::Bytes(b) | Label::Int(b) => b.len() > MAX_BYTES_LABEL,
                Label::Str(s) => s.len() > MAX_BYTES_LABEL,
                _ => false,
            }),
            _ => None,
        };
        if let Some(i) = too_long {
            return Err(Error::invalid(
                name,
                format!("label {i} is longer than 4 GiB"),
            ));
        }
        self.validate(order, name).map_err(|e| match e {
            Error::CorruptStats { reason } => {
                Error::invalid(name, format!("the labels cannot be serialised: {reason}"))
            }
            e => e,
        })
    }
}

fn write_labels(f: &mut FrameWriter, t: u32, labels: &Labels, order: Order) -> Result<()> {
    labels.check_writable(order, tag_name(t))?;
    labels.write(f.section(t));
    Ok(())
}

fn check_codes(codes: &[u32], n: usize, what: &str, of: &str, missing: Option<u32>) -> Result<()> {
    match codes
        .iter()
        .position(|&c| c as usize >= n && Some(c) != missing)
    {
        None => Ok(()),
        Some(i) => Err(corrupt(format!(
            "{what} {i}: code {} is out of range for {n} {of}",
            codes[i]
        ))),
    }
}

// -------------------------------------------------------------------------------------------------
// Labelled statistics: what the Python classes serialise

/// Pair counts with their item labels (Python `PairCounts`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledPairs {
    pub items: Labels,
    pub pairs: PairCounts,
}

impl LabelledPairs {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        check_same(
            self.items.len(),
            self.pairs.n_items(),
            "items",
            "pair-count items",
        )?;
        let mut f = FrameWriter::new(Kind::PairCounts);
        write_labels(&mut f, tag::ITEMS, &self.items, Order::Sorted)?;
        self.pairs.write_payload(f.section(tag::PAIRS));
        Ok(f.finish())
    }

    /// `dense`: the store to load into (None: the default for the number of items).
    pub fn from_bytes(bytes: &[u8], dense: Option<bool>) -> Result<Self> {
        let f = Frame::parse(bytes, Kind::PairCounts, &[tag::ITEMS, tag::PAIRS])?;
        let items = Labels::read(f.section(tag::ITEMS)?, Order::Sorted)?;
        let mut r = f.section(tag::PAIRS)?;
        // The label table backs the item count, so a claimed size is checked against real bytes
        // before the (possibly dense, n^2) store is allocated.
        let n = PairCounts::peek_items(&mut r)?;
        if n != items.len() as u64 {
            return Err(corrupt(format!(
                "the pair counts are over {n} items but {} labels are stored",
                items.len()
            )));
        }
        let pairs = PairCounts::read_payload(f.section(tag::PAIRS)?, dense)?;
        Ok(LabelledPairs { items, pairs })
    }
}

/// A statistic whose parts do not fit together cannot be written (it would not read back).
fn unwritable(e: Error) -> Error {
    match e {
        Error::CorruptStats { reason } => {
            Error::invalid("stats", format!("cannot be serialised: {reason}"))
        }
        e => e,
    }
}

fn check_same(a: usize, b: usize, what_a: &str, what_b: &str) -> Result<()> {
    if a != b {
        return Err(Error::invalid(
            what_a,
            format!("{a} {what_a} labels for {b} {what_b}"),
        ));
    }
    Ok(())
}

/// A coincidence matrix with its category labels (Python `CoincidenceMatrix`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledCoincidence {
    pub categories: Labels,
    pub stat: Coincidence,
}

impl LabelledCoincidence {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        check_same(
            self.categories.len(),
            self.stat.n_categories(),
            "categories",
            "matrix categories",
        )?;
        let mut f = FrameWriter::new(Kind::Coincidence);
        write_labels(&mut f, tag::CATEGORIES, &self.categories, Order::Unique)?;
        self.stat.write_payload(f.section(tag::COINCIDENCE));
        Ok(f.finish())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let f = Frame::parse(
            bytes,
            Kind::Coincidence,
            &[tag::COINCIDENCE, tag::CATEGORIES],
        )?;
        let categories = Labels::read(f.section(tag::CATEGORIES)?, Order::Unique)?;
        let stat = Coincidence::read_payload(f.section(tag::COINCIDENCE)?)?;
        if stat.n_categories() != categories.len() {
            return Err(corrupt(format!(
                "the matrix has {} categories but {} labels are stored",
                stat.n_categories(),
                categories.len()
            )));
        }
        Ok(LabelledCoincidence { categories, stat })
    }
}

/// The parts of a Python `ComparisonStats`.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonStatsParts {
    pub items: Labels,
    pub groups: Option<Labels>,
    pub judges: Option<Labels>,
    pub pairs: PairCounts,
    pub cells: Cells,
    pub has_position: bool,
    pub n_rows: u64,
    pub dropped_self: u64,
}

impl ComparisonStatsParts {
    /// The invariants that tie the parts together.
    fn check(&self) -> Result<()> {
        let n = self.items.len();
        if self.pairs.n_items() != n {
            return Err(corrupt(format!(
                "the pair counts are over {} items but {n} labels are stored",
                self.pairs.n_items()
            )));
        }
        let c = &self.cells;
        check_codes(&c.lo, n, "cell", "items", None)?;
        check_codes(&c.hi, n, "cell", "items", None)?;
        for (codes, labels, name) in [
            (&c.group, &self.groups, "groups"),
            (&c.judge, &self.judges, "judges"),
        ] {
            check_codes(
                codes,
                labels.as_ref().map_or(1, Labels::len),
                "cell",
                name,
                None,
            )?;
        }
        if !self.has_position {
            if let Some(i) = c.order.iter().position(|&o| o != 0) {
                return Err(corrupt(format!(
                    "cell {i}: order {} without a position column",
                    c.order[i]
                )));
            }
        }
        Ok(())
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.cells.validate()?;
        self.check().map_err(unwritable)?;
        let mut f = FrameWriter::new(Kind::ComparisonStats);
        write_labels(&mut f, tag::ITEMS, &self.items, Order::Sorted)?;
        for (t, l) in [(tag::GROUPS, &self.groups), (tag::JUDGES, &self.judges)] {
            if let Some(l) = l {
                write_labels(&mut f, t, l, Order::Sorted)?;
            }
        }
        let meta = f.section(tag::META);
        meta.put_u8(self.has_position as u8);
        meta.put_u64(self.n_rows);
        meta.put_u64(self.dropped_self);
        self.pairs.write_payload(f.section(tag::PAIRS));
        write_cells(&self.cells, f.section(tag::CELLS));
        Ok(f.finish())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        use tag::*;
        let f = Frame::parse(
            bytes,
            Kind::ComparisonStats,
            &[ITEMS, GROUPS, JUDGES, META, PAIRS, CELLS],
        )?;
        let items = Labels::read(f.section(ITEMS)?, Order::Sorted)?;
        let groups = f
            .optional(GROUPS)
            .map(|r| Labels::read(r, Order::Sorted))
            .transpose()?;
        let judges = f
            .optional(JUDGES)
            .map(|r| Labels::read(r, Order::Sorted))
            .transpose()?;
        let mut m = f.section(META)?;
        let has_position = match m.u8()? {
            b @ (0 | 1) => b == 1,
            b => return Err(corrupt(format!("meta: has_position is {b}, not 0 or 1"))),
        };
        let (n_rows, dropped_self) = (m.u64()?, m.u64()?);
        m.finish()?;
        let mut r = f.section(PAIRS)?;
        if PairCounts::peek_items(&mut r)? != items.len() as u64 {
            return Err(corrupt("the pair counts are not over the stored items"));
        }
        let pairs = PairCounts::read_payload(f.section(PAIRS)?, None)?;
        let cells = read_cells(f.section(CELLS)?)?;
        let out = ComparisonStatsParts {
            items,
            groups,
            judges,
            pairs,
            cells,
            has_position,
            n_rows,
            dropped_self,
        };
        out.check()?;
        Ok(out)
    }
}

/// Code of a missing rating in [`RatingsParts::value`].
pub const MISSING: u32 = u32::MAX;

/// The parts of a Python `RatingsStats`: label tables and coded (unit, rater, value) triples.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingsParts {
    pub units: Labels,
    pub raters: Labels,
    pub values: Labels,
    pub unit: Vec<u32>,
    pub rater: Vec<u32>,
    pub value: Vec<u32>,
}

impl RatingsParts {
    fn check(&self) -> Result<()> {
        let n = self.unit.len();
        if self.rater.len() != n || self.value.len() != n {
            return Err(corrupt(
                "the unit, rater and value columns differ in length",
            ));
        }
        check_codes(&self.unit, self.units.len(), "rating", "units", None)?;
        check_codes(&self.rater, self.raters.len(), "rating", "raters", None)?;
        check_codes(
            &self.value,
            self.values.len(),
            "rating",
            "values",
            Some(MISSING),
        )
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.check().map_err(unwritable)?;
        let mut f = FrameWriter::new(Kind::RatingsStats);
        write_labels(&mut f, tag::UNITS, &self.units, Order::Sorted)?;
        write_labels(&mut f, tag::RATERS, &self.raters, Order::Sorted)?;
        write_labels(&mut f, tag::VALUES, &self.values, Order::Sorted)?;
        let s = f.section(tag::RATINGS);
        s.put_u64(self.unit.len() as u64);
        for col in [&self.unit, &self.rater, &self.value] {
            s.put_u32s(col);
        }
        Ok(f.finish())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        use tag::*;
        let f = Frame::parse(bytes, Kind::RatingsStats, &[UNITS, RATERS, VALUES, RATINGS])?;
        let units = Labels::read(f.section(UNITS)?, Order::Sorted)?;
        let raters = Labels::read(f.section(RATERS)?, Order::Sorted)?;
        let values = Labels::read(f.section(VALUES)?, Order::Sorted)?;
        let mut r = f.section(RATINGS)?;
        let n = r.count(12, "ratings")?;
        let (unit, rater, value) = (r.u32s(n)?, r.u32s(n)?, r.u32s(n)?);
        r.finish()?;
        let out = RatingsParts {
            units,
            raters,
            values,
            unit,
            rater,
            value,
        };
        out.check()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs() -> PairCounts {
        let cells = [
            crate::data::pairs::PairCell {
                i: 0,
                j: 2,
                wij: 1.5,
                wji: 0.0,
                ties: 2.0,
            },
            crate::data::pairs::PairCell {
                i: 1,
                j: 2,
                wij: 3.0,
                wji: 1.0,
                ties: 0.0,
            },
        ];
        PairCounts::from_cells(3, &cells, None).unwrap()
    }

    fn labelled() -> LabelledPairs {
        LabelledPairs {
            items: Labels::Object(vec![
                Label::Int(vec![0x7f, 0xff]),
                Label::Int(vec![5]),
                Label::Str("b".into()),
            ]),
            pairs: pairs(),
        }
    }

    #[test]
    fn round_trips() {
        let p = pairs();
        assert_eq!(PairCounts::from_bytes(&Stats::to_bytes(&p)).unwrap(), p);
        let l = labelled();
        assert_eq!(
            LabelledPairs::from_bytes(&l.to_bytes().unwrap(), None).unwrap(),
            l
        );
        let dense = LabelledPairs::from_bytes(&l.to_bytes().unwrap(), Some(true)).unwrap();
        assert!(dense.pairs.is_dense());
        assert_eq!(dense.pairs.cells(), p.cells());
    }

    #[test]
    fn every_single_bit_flip_and_truncation_is_an_error() {
        let bytes = labelled().to_bytes().unwrap();
        for k in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[k / 8] ^= 1 << (k % 8);
            assert!(LabelledPairs::from_bytes(&b, None).is_err(), "bit {k}");
        }
        for len in 0..bytes.len() {
            assert!(
                LabelledPairs::from_bytes(&bytes[..len], None).is_err(),
                "length {len}"
            );
        }
    }

    /// A frame with a valid checksum around a hand-made payload.
    fn framed(kind: Kind, sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut f = FrameWriter::new(kind);
        for (t, s) in sections {
            f.section(*t).extend_from_slice(s);
        }
        f.finish()
    }

    #[test]
    fn claimed_sizes_are_checked_before_allocating() {
        // 100,000 items claimed with no labels to back them (a dense store would be 120 GB).
        for n in [100_000u64, 3_000_000_000, u64::MAX - 1] {
            let mut p = Vec::new();
            p.put_u64(n);
            p.put_u64(0);
            let mut items = Vec::new();
            Labels::Int64(vec![]).write(&mut items);
            let b = framed(
                Kind::PairCounts,
                &[(tag::ITEMS, items), (tag::PAIRS, p.clone())],
            );
            let e = LabelledPairs::from_bytes(&b, Some(true)).unwrap_err();
            assert!(matches!(e, Error::CorruptStats { .. }), "{e}");
            // Without labels, the bare statistic refuses item counts past the code space.
            let b = framed(Kind::PairCounts, &[(tag::PAIRS, p)]);
            if n > u32::MAX as u64 {
                assert!(PairCounts::from_bytes(&b).is_err());
            }
        }
        // A label count the section cannot hold.
        let mut items = Vec::new();
        items.put_u8(4);
        items.put_u64(u64::MAX / 2);
        let b = framed(Kind::PairCounts, &[(tag::ITEMS, items)]);
        assert!(LabelledPairs::from_bytes(&b, None).is_err());
    }

    #[test]
    fn labels_are_validated() {
        let bad = [
            Labels::Int64(vec![2, 1]),
            Labels::Int64(vec![1, 1]),
            Labels::Float64(vec![0.5, f64::NAN]),
            Labels::Object(vec![Label::Str("b".into()), Label::Str("a".into())]),
            Labels::Object(vec![Label::Str("a".into()), Label::Int(vec![1])]),
            Labels::Object(vec![Label::Int(vec![1, 0])]),
        ];
        for l in bad {
            assert!(l.validate(Order::Sorted, "t").is_err(), "{l:?}");
            let mut out = Vec::new();
            l.write(&mut out);
            assert!(Labels::read(Reader::new(&out, "t"), Order::Sorted).is_err());
        }
        let unordered = Labels::Unicode(vec!["b".into(), "a".into()]);
        assert!(unordered.validate(Order::Unique, "t").is_ok());
        assert!(Labels::Unicode(vec!["b".into(), "b".into()])
            .validate(Order::Unique, "t")
            .is_err());
    }

    #[test]
    fn old_and_foreign_bytes_say_what_they_are() {
        let msg = |b: &[u8]| LabelledPairs::from_bytes(b, None).unwrap_err().to_string();
        assert!(msg(b"PFPL\0\0\0\0").contains("older prefrank"));
        assert!(msg(b"junk").contains("not serialised PairCounts"));
        let co = LabelledCoincidence {
            categories: Labels::Int64(vec![1, 2]),
            stat: Coincidence::zeros(2),
        };
        assert!(msg(&co.to_bytes().unwrap()).contains("hold Coincidence, not PairCounts"));
        let mut newer = labelled().to_bytes().unwrap();
        newer[4] = 2;
        let end = newer.len() - 4;
        let crc = crc32fast::hash(&newer[..end]).to_le_bytes();
        newer[end..].copy_from_slice(&crc);
        assert!(msg(&newer).contains("newer prefrank"));
    }

    #[test]
    fn big_integers_order_by_value() {
        let enc = |x: i128| minimal_le(&x.to_le_bytes());
        let xs = [
            i128::MIN,
            -(1 << 70),
            -129,
            -128,
            -1,
            0,
            1,
            127,
            128,
            255,
            1 << 64,
            i128::MAX,
        ];
        for w in xs.windows(2) {
            let (a, b) = (enc(w[0]), enc(w[1]));
            assert!(minimal_int(&a) && minimal_int(&b));
            assert_eq!(cmp_int(&a, &b), Ordering::Less, "{} < {}", w[0], w[1]);
        }
    }

    proptest! {
        #[test]
        fn any_bytes_are_an_error_or_a_statistic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = LabelledPairs::from_bytes(&bytes, None);
            let _ = ComparisonStatsParts::from_bytes(&bytes);
            let _ = RatingsParts::from_bytes(&bytes);
            let _ = LabelledCoincidence::from_bytes(&bytes);
        }

        #[test]
        fn truncation_at_every_length_is_an_error(
            units in proptest::collection::vec(0u32..3, 0..20),
            cut in any::<prop::sample::Index>(),
        ) {
            let n = units.len();
            let r = RatingsParts {
                units: Labels::Unicode(vec!["a".into(), "b".into(), "c".into()]),
                raters: Labels::Int64(vec![-4, 7]),
                values: Labels::Float64(vec![0.5, 1.0]),
                rater: vec![1; n],
                value: units.iter().map(|&u| if u == 2 { MISSING } else { u % 2 }).collect(),
                unit: units,
            };
            let b = r.to_bytes().unwrap();
            prop_assert_eq!(&RatingsParts::from_bytes(&b).unwrap(), &r);
            let len = cut.index(b.len());
            prop_assert!(RatingsParts::from_bytes(&b[..len]).is_err());
        }
    }
}
