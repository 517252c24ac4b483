//! Bindings for prefrank-core `data`: validation of coded comparison tables, outcome columns, and
//! the mergeable pair-count table.

use crate::cancel::Guarded;
use crate::convert::{opt_slice, with_either, ComparisonsArg, EitherArray};
use crate::error::{to_py, PrefrankError};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use prefrank_core::data::PairCounts as CorePairCounts;
use pyo3::prelude::*;

/// Validate a coded comparison table; returns a keep-mask when `drop_self` dropped rows, else None.
#[pyfunction]
#[pyo3(signature = (comparisons, drop_self=false))]
pub(crate) fn validate_comparisons<'py>(
    py: Python<'py>,
    comparisons: ComparisonsArg<'py>,
    drop_self: bool,
) -> PyResult<Option<Bound<'py, PyArray1<bool>>>> {
    let c = comparisons.view()?;
    let res = py.guarded(|| prefrank_core::data::validate_comparisons(&c, drop_self));
    match res {
        Ok(keep) => Ok(keep.map(|k| k.into_pyarray(py))),
        Err(e) => Err(to_py(py, e)),
    }
}

/// Tie flags of a numeric outcome column; raises naming the first row not a probability.
#[pyfunction]
pub(crate) fn numeric_outcome_ties<'py>(
    py: Python<'py>,
    p: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<u8>>> {
    let p = p.as_slice()?;
    py.guarded(|| prefrank_core::data::numeric_outcome_ties(p))
        .map(|t| t.into_pyarray(py))
        .map_err(|e| to_py(py, e))
}

/// `(p_of[codes], tie_of[codes])` for a categorical outcome column (`uint8` or `uint32` codes), in
/// parallel.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub(crate) fn outcomes_from_codes<'py>(
    py: Python<'py>,
    codes: &Bound<'py, PyAny>,
    p_of: PyReadonlyArray1<'py, f64>,
    tie_of: PyReadonlyArray1<'py, u8>,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<u8>>)> {
    let (p, t) = (p_of.as_slice()?, tie_of.as_slice()?);
    let codes = EitherArray::<u8, u32>::extract(codes)?;
    let (p, t) = with_either!(py, codes, |c| {
        prefrank_core::data::outcomes_from_codes(c, p, t)
    })
    .map_err(|e| to_py(py, e))?;
    Ok((p.into_pyarray(py), t.into_pyarray(py)))
}

/// The mergeable pair-count table (see prefrank-core `data::pairs`).
#[pyclass(module = "prefrank._core", frozen, skip_from_py_object)]
#[derive(Clone)]
pub(crate) struct PairCounts {
    pub(crate) inner: CorePairCounts,
}

#[pymethods]
impl PairCounts {
    /// Counts straight from integer labels for unweighted win/loss/tie rows (see prefrank-core
    /// `PairCounts::from_i64_hard`); None when the input needs the general path.
    #[staticmethod]
    #[allow(clippy::type_complexity)]
    fn from_i64_hard<'py>(
        py: Python<'py>,
        a: PyReadonlyArray1<'py, i64>,
        b: PyReadonlyArray1<'py, i64>,
        p: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Option<(Self, Bound<'py, PyArray1<i64>>)>> {
        let (a, b, p) = (a.as_slice()?, b.as_slice()?, p.as_slice()?);
        let out = py
            .guarded_ok(|| CorePairCounts::from_i64_hard(a, b, p))
            .map_err(|e| to_py(py, e))?;
        Ok(out.map(|(inner, labels)| (PairCounts { inner }, labels.into_pyarray(py))))
    }

    #[staticmethod]
    #[pyo3(signature = (comparisons, keep=None, dense=None))]
    fn from_comparisons<'py>(
        py: Python<'py>,
        comparisons: ComparisonsArg<'py>,
        keep: Option<PyReadonlyArray1<'py, bool>>,
        dense: Option<bool>,
    ) -> PyResult<Self> {
        let c = comparisons.view()?;
        let keep = opt_slice(&keep)?;
        // Validation is the caller's first step; re-check here so no bad row reaches the counter.
        py.guarded(|| prefrank_core::data::validate_comparisons(&c, keep.is_some()))
            .map_err(|e| to_py(py, e))?;
        let inner = py
            .guarded(|| CorePairCounts::from_comparisons(&c, keep, dense))
            .map_err(|e| to_py(py, e))?;
        Ok(PairCounts { inner })
    }

    #[staticmethod]
    #[pyo3(signature = (n_items, i, j, wij, wji, ties, dense=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_cells<'py>(
        py: Python<'py>,
        n_items: usize,
        i: PyReadonlyArray1<'py, u32>,
        j: PyReadonlyArray1<'py, u32>,
        wij: PyReadonlyArray1<'py, f64>,
        wji: PyReadonlyArray1<'py, f64>,
        ties: PyReadonlyArray1<'py, f64>,
        dense: Option<bool>,
    ) -> PyResult<Self> {
        let (i, j, x, y, t) = (
            i.as_slice()?,
            j.as_slice()?,
            wij.as_slice()?,
            wji.as_slice()?,
            ties.as_slice()?,
        );
        let m = i.len();
        if [j.len(), x.len(), y.len(), t.len()].iter().any(|&l| l != m) {
            return Err(PrefrankError::new_err(
                "from_cells: all cell arrays must have the same length",
            ));
        }
        let cells: Vec<_> = (0..m)
            .map(|k| prefrank_core::data::pairs::PairCell {
                i: i[k].min(j[k]),
                j: i[k].max(j[k]),
                wij: if i[k] <= j[k] { x[k] } else { y[k] },
                wji: if i[k] <= j[k] { y[k] } else { x[k] },
                ties: t[k],
            })
            .collect();
        let inner = py
            .guarded(|| CorePairCounts::from_cells(n_items, &cells, dense))
            .map_err(|e| to_py(py, e))?;
        Ok(PairCounts { inner })
    }

    fn merge(&self, py: Python<'_>, other: &PairCounts) -> PyResult<Self> {
        let (l, r) = (self.inner.clone(), other.inner.clone());
        let inner = py.guarded(|| l.merge(r)).map_err(|e| to_py(py, e))?;
        Ok(PairCounts { inner })
    }

    #[getter]
    fn n_items(&self) -> usize {
        self.inner.n_items()
    }

    #[getter]
    fn is_dense(&self) -> bool {
        self.inner.is_dense()
    }

    fn total(&self) -> f64 {
        self.inner.total()
    }

    /// Observed cells as arrays `(i, j, wij, wji, ties)` with `i < j`, sorted by `(i, j)`.
    #[allow(clippy::type_complexity)]
    fn cells<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let cells = py
            .guarded_ok(|| self.inner.cells())
            .map_err(|e| to_py(py, e))?;
        let i: Vec<u32> = cells.iter().map(|c| c.i).collect();
        let j: Vec<u32> = cells.iter().map(|c| c.j).collect();
        let x: Vec<f64> = cells.iter().map(|c| c.wij).collect();
        let y: Vec<f64> = cells.iter().map(|c| c.wji).collect();
        let t: Vec<f64> = cells.iter().map(|c| c.ties).collect();
        Ok((
            i.into_pyarray(py),
            j.into_pyarray(py),
            x.into_pyarray(py),
            y.into_pyarray(py),
            t.into_pyarray(py),
        ))
    }

    fn __eq__(&self, other: &PairCounts) -> bool {
        self.inner.n_items() == other.inner.n_items() && self.inner.cells() == other.inner.cells()
    }

    fn __repr__(&self) -> String {
        format!(
            "PairCounts(n_items={}, pairs={}, total={}, store={})",
            self.inner.n_items(),
            self.inner.cells().len(),
            self.inner.total(),
            if self.inner.is_dense() {
                "dense"
            } else {
                "sparse"
            }
        )
    }
}
