//! Bindings for prefrank-core `stats`: the framed bytes of the labelled statistics, and label
//! tables between numpy / Python objects and the core's [`Labels`].
//!
//! A label table crosses as `(kind, values)`: kind `"int64"`, `"float64"` or `"bool"` with a numpy
//! array, or `"unicode"` / `"object"` with a list (`prefrank.data.coding.labels_to_frame` builds it).

use crate::cancel::Guarded;
use crate::consistency::{cells_to_dict, dict_to_cells};
use crate::data::PairCounts;
use crate::error::{to_py, InputError};
use numpy::{IntoPyArray, PyReadonlyArray1};
use prefrank_core::stats::{self as core, minimal_le, Label, Labels};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// A label table from Python: `(kind, values)`.
pub(crate) type LabelsArg<'py> = (String, Bound<'py, PyAny>);

fn unsupported(what: &str, i: usize, v: &Bound<'_, PyAny>) -> PyErr {
    let ty = v
        .get_type()
        .fully_qualified_name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    InputError::new_err(format!(
        "{what}: label {i} ({ty}) cannot be serialised; labels must be str, int, float, bool or bytes"
    ))
}

fn label(what: &str, i: usize, v: &Bound<'_, PyAny>) -> PyResult<Label> {
    if v.is_instance_of::<PyBool>() {
        return Ok(Label::Bool(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return int_signed(v).map(Label::Int);
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(Label::Float(v.extract()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s
            .to_str()
            .map(|s| Label::Str(s.to_owned()))
            .map_err(|_| {
                InputError::new_err(format!("{what}: label {i} is a str that is not valid Unicode (a lone surrogate) and cannot be serialised"))
            });
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Label::Bytes(b.as_bytes().to_vec()));
    }
    Err(unsupported(what, i, v))
}

/// [`int_bytes`] with the sign handled by `to_bytes(..., signed=True)`.
fn int_signed(v: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(x) = v.extract::<i64>() {
        return Ok(minimal_le(&x.to_le_bytes()));
    }
    let neg = v.lt(0)?;
    let mag = if neg {
        v.call_method0("__invert__")?
    } else {
        v.clone()
    };
    let bits: usize = mag.call_method0("bit_length")?.extract()?;
    let kw = PyDict::new(v.py());
    kw.set_item("signed", true)?;
    let b: Vec<u8> = v
        .call_method("to_bytes", (bits / 8 + 1, "little"), Some(&kw))?
        .extract()?;
    Ok(minimal_le(&b))
}

pub(crate) fn labels_from_py(what: &str, arg: &LabelsArg<'_>) -> PyResult<Labels> {
    let (kind, values) = (arg.0.as_str(), &arg.1);
    Ok(match kind {
        "int64" => Labels::Int64(
            values
                .extract::<PyReadonlyArray1<'_, i64>>()?
                .as_array()
                .to_vec(),
        ),
        "float64" => Labels::Float64(
            values
                .extract::<PyReadonlyArray1<'_, f64>>()?
                .as_array()
                .to_vec(),
        ),
        "bool" => Labels::Bool(
            values
                .extract::<PyReadonlyArray1<'_, bool>>()?
                .as_array()
                .to_vec(),
        ),
        "unicode" | "object" => {
            let list = values.cast::<PyList>()?;
            let mut out = Vec::with_capacity(list.len());
            for (i, v) in list.iter().enumerate() {
                out.push(label(what, i, &v)?);
            }
            if kind == "object" {
                Labels::Object(out)
            } else {
                Labels::Unicode(
                    out.into_iter()
                        .enumerate()
                        .map(|(i, l)| match l {
                            Label::Str(s) => Ok(s),
                            _ => Err(InputError::new_err(format!(
                                "{what}: label {i} of a str array is not a str"
                            ))),
                        })
                        .collect::<PyResult<_>>()?,
                )
            }
        }
        _ => {
            return Err(InputError::new_err(format!(
                "{what}: unknown label array kind {kind:?}"
            )))
        }
    })
}

fn label_to_py<'py>(py: Python<'py>, l: Label) -> PyResult<Bound<'py, PyAny>> {
    Ok(match l {
        Label::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        Label::Float(f) => PyFloat::new(py, f).into_any(),
        Label::Str(s) => PyString::new(py, &s).into_any(),
        Label::Bytes(b) => PyBytes::new(py, &b).into_any(),
        Label::Int(b) if b.len() <= 8 => {
            // Sign-extend to eight bytes.
            let fill = if b[b.len() - 1] & 0x80 != 0 { 0xff } else { 0 };
            let mut w = [fill; 8];
            w[..b.len()].copy_from_slice(&b);
            i64::from_le_bytes(w).into_pyobject(py)?.into_any()
        }
        Label::Int(b) => {
            let kw = PyDict::new(py);
            kw.set_item("signed", true)?;
            py.get_type::<PyInt>().call_method(
                "from_bytes",
                (PyBytes::new(py, &b), "little"),
                Some(&kw),
            )?
        }
    })
}

pub(crate) fn labels_to_py<'py>(py: Python<'py>, l: Labels) -> PyResult<Bound<'py, PyTuple>> {
    let (kind, values): (&str, Bound<'py, PyAny>) = match l {
        Labels::Int64(v) => ("int64", v.into_pyarray(py).into_any()),
        Labels::Float64(v) => ("float64", v.into_pyarray(py).into_any()),
        Labels::Bool(v) => ("bool", v.into_pyarray(py).into_any()),
        Labels::Unicode(v) => ("unicode", PyList::new(py, v)?.into_any()),
        Labels::Object(v) => {
            let items = v
                .into_iter()
                .map(|x| label_to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            ("object", PyList::new(py, items)?.into_any())
        }
    };
    PyTuple::new(py, [kind.into_pyobject(py)?.into_any(), values])
}

fn opt_labels_to_py<'py>(py: Python<'py>, l: Option<Labels>) -> PyResult<Bound<'py, PyAny>> {
    match l {
        Some(l) => Ok(labels_to_py(py, l)?.into_any()),
        None => Ok(py.None().into_bound(py)),
    }
}

/// Framed bytes of pair counts and their item labels.
#[pyfunction]
fn pair_counts_to_bytes<'py>(
    py: Python<'py>,
    pairs: &PairCounts,
    items: LabelsArg<'py>,
) -> PyResult<Bound<'py, PyBytes>> {
    let l = core::LabelledPairs {
        items: labels_from_py("items", &items)?,
        pairs: pairs.inner.clone(),
    };
    let b = py.guarded(|| l.to_bytes()).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &b))
}

/// Inverse of [`pair_counts_to_bytes`]: `(pairs, items)`.
#[pyfunction]
#[pyo3(signature = (data, dense=None))]
fn pair_counts_from_bytes<'py>(
    py: Python<'py>,
    data: &[u8],
    dense: Option<bool>,
) -> PyResult<(PairCounts, Bound<'py, PyTuple>)> {
    let l = py
        .guarded(|| core::LabelledPairs::from_bytes(data, dense))
        .map_err(|e| to_py(py, e))?;
    Ok((PairCounts { inner: l.pairs }, labels_to_py(py, l.items)?))
}

/// Framed bytes of verdict cells, pair counts and labels (Python `ComparisonStats`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn comparison_stats_to_bytes<'py>(
    py: Python<'py>,
    items: LabelsArg<'py>,
    groups: Option<LabelsArg<'py>>,
    judges: Option<LabelsArg<'py>>,
    pairs: &PairCounts,
    cells: &Bound<'py, PyDict>,
    has_position: bool,
    n_rows: u64,
    dropped_self: u64,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = core::ComparisonStatsParts {
        items: labels_from_py("items", &items)?,
        groups: groups.map(|g| labels_from_py("groups", &g)).transpose()?,
        judges: judges.map(|j| labels_from_py("judges", &j)).transpose()?,
        pairs: pairs.inner.clone(),
        cells: dict_to_cells(cells, "cells")?,
        has_position,
        n_rows,
        dropped_self,
    };
    let b = py.guarded(|| s.to_bytes()).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &b))
}

/// Inverse of [`comparison_stats_to_bytes`]: `(items, groups, judges, pairs, cells,
/// has_position, n_rows, dropped_self)`.
#[pyfunction]
fn comparison_stats_from_bytes<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
    let s = py
        .guarded(|| core::ComparisonStatsParts::from_bytes(data))
        .map_err(|e| to_py(py, e))?;
    let parts: Vec<Bound<'py, PyAny>> = vec![
        labels_to_py(py, s.items)?.into_any(),
        opt_labels_to_py(py, s.groups)?,
        opt_labels_to_py(py, s.judges)?,
        Bound::new(py, PairCounts { inner: s.pairs })?.into_any(),
        cells_to_dict(py, s.cells)?.into_any(),
        PyBool::new(py, s.has_position).to_owned().into_any(),
        s.n_rows.into_pyobject(py)?.into_any(),
        s.dropped_self.into_pyobject(py)?.into_any(),
    ];
    PyTuple::new(py, parts)
}

/// Framed bytes of coded ratings and their labels (Python `RatingsStats`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn ratings_stats_to_bytes<'py>(
    py: Python<'py>,
    units: LabelsArg<'py>,
    raters: LabelsArg<'py>,
    values: LabelsArg<'py>,
    unit: PyReadonlyArray1<'py, u32>,
    rater: PyReadonlyArray1<'py, u32>,
    value: PyReadonlyArray1<'py, u32>,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = core::RatingsParts {
        units: labels_from_py("units", &units)?,
        raters: labels_from_py("raters", &raters)?,
        values: labels_from_py("values", &values)?,
        unit: unit.as_array().to_vec(),
        rater: rater.as_array().to_vec(),
        value: value.as_array().to_vec(),
    };
    let b = py.guarded(|| s.to_bytes()).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &b))
}

/// Inverse of [`ratings_stats_to_bytes`]: `(units, raters, values, unit, rater, value)`.
#[pyfunction]
fn ratings_stats_from_bytes<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
    let s = py
        .guarded(|| core::RatingsParts::from_bytes(data))
        .map_err(|e| to_py(py, e))?;
    let parts: Vec<Bound<'py, PyAny>> = vec![
        labels_to_py(py, s.units)?.into_any(),
        labels_to_py(py, s.raters)?.into_any(),
        labels_to_py(py, s.values)?.into_any(),
        s.unit.into_pyarray(py).into_any(),
        s.rater.into_pyarray(py).into_any(),
        s.value.into_pyarray(py).into_any(),
    ];
    PyTuple::new(py, parts)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pair_counts_to_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(pair_counts_from_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(comparison_stats_to_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(comparison_stats_from_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(ratings_stats_to_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(ratings_stats_from_bytes, m)?)?;
    Ok(())
}
