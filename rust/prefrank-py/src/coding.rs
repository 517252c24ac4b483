//! Label coding entry points: object arrays of str, numpy `U` arrays (as UCS-4 code points) and
//! integer arrays. Several columns are coded together so they share one label table.

use crate::cancel::Guarded;
use crate::convert::{with_either, EitherArray};
use crate::to_py;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use prefrank_core::data::coding::{self, apply_remap, Coder};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

type CodedColumns<'py> = Vec<Bound<'py, PyArray1<u32>>>;

/// Direct-mapped cache from object pointer to provisional code. Object columns built from a few
/// labels repeat the same `str` objects, so most rows are resolved without hashing the text; a
/// miss falls back to the string dictionary, so the cache only ever saves work.
struct PtrCache {
    keys: Vec<usize>,
    codes: Vec<u32>,
}

impl PtrCache {
    const BITS: u32 = 14;
    fn new() -> Self {
        PtrCache {
            keys: vec![0; 1 << Self::BITS],
            codes: vec![0; 1 << Self::BITS],
        }
    }
    #[inline]
    fn slot(ptr: usize) -> usize {
        (ptr.wrapping_mul(0x9E37_79B9_7F4A_7C15usize) >> (usize::BITS - Self::BITS))
            & ((1 << Self::BITS) - 1)
    }
}

/// Code object arrays whose elements are all `str`. A non-`str` element raises `TypeError` with
/// attributes `column` and `row`, so the caller can report a missing value or take the slow path.
#[pyfunction]
pub fn code_str_objects<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, Py<PyAny>>>,
) -> PyResult<(CodedColumns<'py>, Vec<String>)> {
    let mut coder: Coder<Box<str>> = Coder::new();
    let mut cache = PtrCache::new();
    let mut out: Vec<Vec<u32>> = Vec::with_capacity(columns.len());
    for (ci, col) in columns.iter().enumerate() {
        let view = col.as_slice()?;
        let mut codes = Vec::with_capacity(view.len());
        for (r, obj) in view.iter().enumerate() {
            let ptr = obj.as_ptr() as usize;
            let slot = PtrCache::slot(ptr);
            if cache.keys[slot] == ptr {
                codes.push(cache.codes[slot]);
                continue;
            }
            let bound = obj.bind(py);
            let s = match bound.cast::<PyString>() {
                Ok(s) => s,
                Err(_) => {
                    let err = PyTypeError::new_err(format!(
                        "column {ci}, row {r}: expected str, got {}",
                        bound.get_type().name()?
                    ));
                    let v = err.value(py);
                    v.setattr("column", ci)?;
                    v.setattr("row", r)?;
                    return Err(err);
                }
            };
            let code = coder.code(s.to_str()?).map_err(|e| to_py(py, e))?;
            cache.keys[slot] = ptr;
            cache.codes[slot] = code;
            codes.push(code);
        }
        out.push(codes);
    }
    let coded = py
        .guarded_ok(|| {
            let coded = coder.finish();
            for codes in out.iter_mut() {
                apply_remap(codes, &coded.remap);
            }
            coded
        })
        .map_err(|e| to_py(py, e))?;
    let labels = coded.labels.into_iter().map(String::from).collect();
    Ok((
        out.into_iter().map(|c| c.into_pyarray(py)).collect(),
        labels,
    ))
}

/// Code numpy `U` arrays passed as 2-D `uint32` views (rows x code points, NUL padded).
#[pyfunction]
pub fn code_ucs4<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray2<'py, u32>>,
) -> PyResult<(CodedColumns<'py>, Vec<String>)> {
    let mut views = Vec::with_capacity(columns.len());
    for c in &columns {
        views.push((c.as_slice()?, c.as_array().shape()[1]));
    }
    let (codes, labels) = py
        .guarded(|| coding::code_ucs4(&views))
        .map_err(|e| to_py(py, e))?;
    Ok((
        codes.into_iter().map(|c| c.into_pyarray(py)).collect(),
        labels,
    ))
}

/// Code integer arrays. Labels come back sorted as an `int64` array.
#[pyfunction]
pub fn code_i64<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, i64>>,
) -> PyResult<(CodedColumns<'py>, Bound<'py, PyArray1<i64>>)> {
    let mut views = Vec::with_capacity(columns.len());
    for c in &columns {
        views.push(c.as_slice()?);
    }
    let (codes, labels) = py
        .guarded(|| coding::code_i64(&views))
        .map_err(|e| to_py(py, e))?;
    Ok((
        codes.into_iter().map(|c| c.into_pyarray(py)).collect(),
        labels.into_pyarray(py),
    ))
}

/// Code Arrow-style UTF-8 columns given as `(offsets: int32, data: uint8)` pairs (Arrow `string`).
#[pyfunction]
pub fn code_utf8_32<'py>(
    py: Python<'py>,
    columns: Vec<(PyReadonlyArray1<'py, i32>, PyReadonlyArray1<'py, u8>)>,
) -> PyResult<(CodedColumns<'py>, Vec<String>)> {
    let mut views = Vec::with_capacity(columns.len());
    for (o, d) in &columns {
        views.push((o.as_slice()?, d.as_slice()?));
    }
    let (codes, labels) = py
        .guarded(|| coding::code_utf8_offsets(&views))
        .map_err(|e| to_py(py, e))?;
    Ok((
        codes.into_iter().map(|c| c.into_pyarray(py)).collect(),
        labels,
    ))
}

/// Code Arrow-style UTF-8 columns given as `(offsets: int64, data: uint8)` pairs, in parallel.
#[pyfunction]
pub fn code_utf8<'py>(
    py: Python<'py>,
    columns: Vec<(PyReadonlyArray1<'py, i64>, PyReadonlyArray1<'py, u8>)>,
) -> PyResult<(CodedColumns<'py>, Vec<String>)> {
    let mut views = Vec::with_capacity(columns.len());
    for (o, d) in &columns {
        views.push((o.as_slice()?, d.as_slice()?));
    }
    let (codes, labels) = py
        .guarded(|| coding::code_utf8_offsets(&views))
        .map_err(|e| to_py(py, e))?;
    Ok((
        codes.into_iter().map(|c| c.into_pyarray(py)).collect(),
        labels,
    ))
}

/// Arrow offsets of either width (`string` or `large_string`).
type Offsets<'py> = EitherArray<'py, i32, i64>;

/// Code one Arrow-style UTF-8 column of few distinct short values (outcomes, positions) into
/// `uint8` codes; `offsets` is `int32` or `int64`. None when the general coder is needed.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn code_utf8_few<'py>(
    py: Python<'py>,
    offsets: &Bound<'py, PyAny>,
    data: PyReadonlyArray1<'py, u8>,
) -> PyResult<Option<(Bound<'py, PyArray1<u8>>, Vec<String>)>> {
    let (offsets, d) = (Offsets::extract(offsets)?, data.as_slice()?);
    let coded =
        with_either!(py, offsets, |o| coding::code_utf8_few(o, d)).map_err(|e| to_py(py, e))?;
    Ok(coded.map(|(codes, labels)| (codes.into_pyarray(py), labels)))
}

/// `(p, tie)` of an Arrow-style UTF-8 outcome column whose values all appear verbatim in
/// `values` (with `p_of`, `tie_of`); `offsets` is `int32` or `int64`. None otherwise.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn outcomes_utf8<'py>(
    py: Python<'py>,
    offsets: &Bound<'py, PyAny>,
    data: PyReadonlyArray1<'py, u8>,
    values: Vec<String>,
    p_of: Vec<f64>,
    tie_of: Vec<u8>,
) -> PyResult<Option<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<u8>>)>> {
    if values.len() != p_of.len() || values.len() != tie_of.len() {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "values, p_of and tie_of must have the same length",
        ));
    }
    let vocab: Vec<(&[u8], f64, u8)> = values
        .iter()
        .zip(p_of.iter().zip(&tie_of))
        .map(|(v, (&p, &t))| (v.as_bytes(), p, t))
        .collect();
    let (offsets, d) = (Offsets::extract(offsets)?, data.as_slice()?);
    let out = with_either!(py, offsets, |o| coding::outcomes_utf8(o, d, &vocab))
        .map_err(|e| to_py(py, e))?;
    Ok(out.map(|(p, t)| (p.into_pyarray(py), t.into_pyarray(py))))
}
