//! Bindings for prefrank-core `agreement`: convert, release the GIL, call the core, map errors.

use crate::cancel::Guarded;
use crate::to_py;
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
};
use prefrank_core::agreement::{
    self as ag, alpha::Metric, bootstrap, items, kappa, models, soft, Coincidence as CoreCo,
};
use prefrank_core::Error;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

type AlphaTuple = (f64, f64, f64, f64, Option<&'static str>);
type AgreeTuple = (f64, f64, f64, f64, Option<&'static str>);

fn metric(
    level: &str,
    values: Option<PyReadonlyArray1<'_, f64>>,
    distance: Option<PyReadonlyArray2<'_, f64>>,
) -> Result<Metric, Error> {
    let vals = |v: Option<PyReadonlyArray1<'_, f64>>| -> Result<Vec<f64>, Error> {
        v.map(|a| a.as_array().to_vec()).ok_or_else(|| {
            Error::invalid("values", format!("the {level} metric needs numeric values"))
        })
    };
    Ok(match level {
        "nominal" => Metric::Nominal,
        "ordinal" => Metric::Ordinal,
        "interval" => Metric::Interval(vals(values)?),
        "ratio" => Metric::Ratio(vals(values)?),
        "custom" => Metric::Matrix(
            distance
                .map(|d| d.as_array().iter().copied().collect())
                .ok_or_else(|| Error::invalid("distance", "the custom metric needs a matrix"))?,
        ),
        _ => {
            return Err(Error::invalid(
                "level",
                format!("{level:?} is not one of nominal, ordinal, interval, ratio, custom"),
            ))
        }
    })
}

fn weights(
    kind: Option<&str>,
    matrix: Option<PyReadonlyArray2<'_, f64>>,
) -> Result<kappa::Weights, Error> {
    if let Some(m) = matrix {
        return Ok(kappa::Weights::Matrix(
            m.as_array().iter().copied().collect(),
        ));
    }
    Ok(match kind {
        None | Some("none") | Some("identity") => kappa::Weights::Identity,
        Some("linear") => kappa::Weights::Linear,
        Some("quadratic") => kappa::Weights::Quadratic,
        Some(other) => {
            return Err(Error::invalid(
                "weights",
                format!("{other:?} is not one of None, 'linear', 'quadratic' or a matrix"),
            ))
        }
    })
}

fn codes_2d<'a>(codes: &'a PyReadonlyArray2<'_, u32>) -> PyResult<(&'a [u32], usize)> {
    let rows = codes.as_array().shape()[0];
    Ok((codes.as_slice()?, rows))
}

/// Code a float matrix (NaN = missing): `(codes, sorted distinct values)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn agreement_code_f64<'py>(
    py: Python<'py>,
    values: PyReadonlyArray2<'py, f64>,
) -> PyResult<(Bound<'py, PyArray2<u32>>, Bound<'py, PyArray1<f64>>)> {
    let shape = values.as_array().shape().to_vec();
    let v = values.as_slice()?;
    let (codes, labels) = py
        .guarded(|| ag::code_f64(v, shape[1]))
        .map_err(|e| to_py(py, e))?;
    let arr = numpy::ndarray::Array2::from_shape_vec((shape[0], shape[1]), codes)
        .expect("shape")
        .into_pyarray(py);
    Ok((arr, labels.into_pyarray(py)))
}

/// Per-unit value counts (`units x k`) of a `raters x units` code matrix.
#[pyfunction]
fn agreement_unit_counts<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray2<'py, u32>,
    k: usize,
) -> PyResult<Bound<'py, PyArray2<u32>>> {
    let (c, r) = codes_2d(&codes)?;
    let counts = py
        .guarded(|| ag::unit_counts(c, r, k))
        .map_err(|e| to_py(py, e))?;
    let units = counts.len().checked_div(k).unwrap_or(0);
    Ok(numpy::ndarray::Array2::from_shape_vec((units, k), counts)
        .expect("shape")
        .into_pyarray(py))
}

/// Krippendorff's coincidence statistic (mergeable, serialisable).
#[pyclass(module = "prefrank._core", frozen, skip_from_py_object)]
#[derive(Clone)]
pub struct Coincidence {
    inner: CoreCo,
}

#[pymethods]
impl Coincidence {
    #[staticmethod]
    fn from_codes(py: Python<'_>, codes: PyReadonlyArray2<'_, u32>, k: usize) -> PyResult<Self> {
        let (c, r) = codes_2d(&codes)?;
        let inner = py
            .guarded(|| CoreCo::from_codes(c, r, k))
            .map_err(|e| to_py(py, e))?;
        Ok(Coincidence { inner })
    }

    /// From a `raters x units` float matrix (NaN = missing): `(statistic, sorted values)`.
    #[staticmethod]
    fn from_f64<'py>(
        py: Python<'py>,
        values: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<(Self, Bound<'py, PyArray1<f64>>)> {
        let r = values.as_array().shape()[0];
        let v = values.as_slice()?;
        let (inner, labels) = py
            .guarded(|| CoreCo::from_f64(v, r))
            .map_err(|e| to_py(py, e))?;
        Ok((Coincidence { inner }, labels.into_pyarray(py)))
    }

    #[staticmethod]
    fn from_counts(py: Python<'_>, counts: PyReadonlyArray2<'_, f64>) -> PyResult<Self> {
        let k = counts.as_array().shape()[1];
        let c = counts.as_slice()?;
        let inner = py
            .guarded(|| CoreCo::from_counts(c, k))
            .map_err(|e| to_py(py, e))?;
        Ok(Coincidence { inner })
    }

    /// Framed bytes of the statistic with its category labels (`(kind, values)`, see
    /// `stats.rs`).
    fn to_bytes<'py>(
        &self,
        py: Python<'py>,
        categories: crate::stats::LabelsArg<'py>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let l = prefrank_core::stats::LabelledCoincidence {
            categories: crate::stats::labels_from_py("categories", &categories)?,
            stat: self.inner.clone(),
        };
        let b = l.to_bytes().map_err(|e| to_py(py, e))?;
        Ok(PyBytes::new(py, &b))
    }

    /// Inverse of `to_bytes`: `(statistic, categories)`.
    #[staticmethod]
    fn from_bytes<'py>(
        py: Python<'py>,
        data: &[u8],
    ) -> PyResult<(Self, Bound<'py, pyo3::types::PyTuple>)> {
        let l = py
            .guarded(|| prefrank_core::stats::LabelledCoincidence::from_bytes(data))
            .map_err(|e| to_py(py, e))?;
        let cats = crate::stats::labels_to_py(py, l.categories)?;
        Ok((Coincidence { inner: l.stat }, cats))
    }

    fn merge(&self, py: Python<'_>, other: &Coincidence) -> PyResult<Self> {
        let inner = self
            .inner
            .clone()
            .merge(other.inner.clone())
            .map_err(|e| to_py(py, e))?;
        Ok(Coincidence { inner })
    }

    #[getter]
    fn n_categories(&self) -> usize {
        self.inner.n_categories()
    }

    /// `(units, rated units, pairable units, values, value pairs)`.
    fn counts(&self) -> (u64, u64, u64, u64, f64) {
        let s = &self.inner;
        (
            s.n_units,
            s.n_rated_units,
            s.n_pairable_units,
            s.n_values,
            s.n_pairs,
        )
    }

    fn matrix<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let k = self.inner.n_categories();
        numpy::ndarray::Array2::from_shape_vec((k, k), self.inner.matrix().to_vec())
            .expect("shape")
            .into_pyarray(py)
    }

    /// `(alpha, d_o, d_e, n, reason)`.
    #[pyo3(signature = (level, values=None, distance=None))]
    fn alpha(
        &self,
        py: Python<'_>,
        level: &str,
        values: Option<PyReadonlyArray1<'_, f64>>,
        distance: Option<PyReadonlyArray2<'_, f64>>,
    ) -> PyResult<AlphaTuple> {
        let m = metric(level, values, distance).map_err(|e| to_py(py, e))?;
        let a = py
            .guarded(|| ag::alpha(&self.inner, &m))
            .map_err(|e| to_py(py, e))?;
        Ok((a.alpha, a.d_o, a.d_e, a.n, a.undefined.map(|u| u.as_str())))
    }

    /// Krippendorff's resampling bootstrap of alpha.
    #[pyo3(signature = (level, rounds, seed, values=None, distance=None, draws=None))]
    #[allow(clippy::too_many_arguments)]
    fn bootstrap<'py>(
        &self,
        py: Python<'py>,
        level: &str,
        rounds: usize,
        seed: u64,
        values: Option<PyReadonlyArray1<'py, f64>>,
        distance: Option<PyReadonlyArray2<'py, f64>>,
        draws: Option<u64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let m = metric(level, values, distance).map_err(|e| to_py(py, e))?;
        let out = py
            .guarded(|| bootstrap::krippendorff_bootstrap(&self.inner, &m, rounds, draws, seed))
            .map_err(|e| to_py(py, e))?;
        Ok(out.into_pyarray(py))
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        format!(
            "Coincidence(categories={}, units={}, pairable_units={}, values={})",
            s.n_categories(),
            s.n_units,
            s.n_pairable_units,
            s.n_values
        )
    }
}

/// Units bootstrap of alpha from a `units x k` count matrix.
#[pyfunction]
#[pyo3(signature = (counts, level, rounds, seed, values=None, distance=None))]
fn alpha_units_bootstrap<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray2<'py, u32>,
    level: &str,
    rounds: usize,
    seed: u64,
    values: Option<PyReadonlyArray1<'py, f64>>,
    distance: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let k = counts.as_array().shape()[1];
    let c = counts.as_slice()?;
    let m = metric(level, values, distance).map_err(|e| to_py(py, e))?;
    let out = py
        .guarded(|| bootstrap::units_bootstrap(c, k, &m, rounds, seed))
        .map_err(|e| to_py(py, e))?;
    Ok(out.into_pyarray(py))
}

/// Multi-rater coefficient from a `raters x units` code matrix (or, with `counts`, a
/// `units x k` count matrix): `(value, p_o, p_e, n, reason)`.
#[pyfunction]
#[pyo3(signature = (statistic, k, codes=None, counts=None, weights=None, weight_matrix=None))]
fn agreement_multi(
    py: Python<'_>,
    statistic: &str,
    k: usize,
    codes: Option<PyReadonlyArray2<'_, u32>>,
    counts: Option<PyReadonlyArray2<'_, f64>>,
    weights: Option<&str>,
    weight_matrix: Option<PyReadonlyArray2<'_, f64>>,
) -> PyResult<AgreeTuple> {
    let coef = kappa::Coefficient::parse(statistic).map_err(|e| to_py(py, e))?;
    let w = self::weights(weights, weight_matrix).map_err(|e| to_py(py, e))?;
    let table = match (&codes, &counts) {
        (Some(c), None) => {
            let (c, r) = codes_2d(c)?;
            py.guarded(|| kappa::UnitTable::from_codes(c, r, k))
        }
        (None, Some(n)) => {
            let s = n.as_slice()?;
            py.guarded(|| kappa::UnitTable::from_counts(s, k))
        }
        _ => Err(Error::invalid(
            "codes",
            "pass exactly one of codes and counts",
        )),
    }
    .map_err(|e| to_py(py, e))?;
    let a = py
        .guarded(|| table.coefficient(coef, &w))
        .map_err(|e| to_py(py, e))?;
    Ok((a.value, a.p_o, a.p_e, a.n, a.undefined.map(|u| u.as_str())))
}

/// Multi-rater coefficient straight from a `raters x units` float matrix (NaN = missing):
/// `(value, p_o, p_e, n, reason, sorted values)`.
#[pyfunction]
#[pyo3(signature = (statistic, values, weights=None, weight_matrix=None))]
#[allow(clippy::type_complexity)]
fn agreement_multi_f64<'py>(
    py: Python<'py>,
    statistic: &str,
    values: PyReadonlyArray2<'py, f64>,
    weights: Option<&str>,
    weight_matrix: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<(
    f64,
    f64,
    f64,
    f64,
    Option<&'static str>,
    Bound<'py, PyArray1<f64>>,
)> {
    let coef = kappa::Coefficient::parse(statistic).map_err(|e| to_py(py, e))?;
    let w = self::weights(weights, weight_matrix).map_err(|e| to_py(py, e))?;
    let r = values.as_array().shape()[0];
    let v = values.as_slice()?;
    let (table, labels) = py
        .guarded(|| kappa::UnitTable::from_f64(v, r))
        .map_err(|e| to_py(py, e))?;
    let a = py
        .guarded(|| table.coefficient(coef, &w))
        .map_err(|e| to_py(py, e))?;
    Ok((
        a.value,
        a.p_o,
        a.p_e,
        a.n,
        a.undefined.map(|u| u.as_str()),
        labels.into_pyarray(py),
    ))
}

/// Two-rater coefficient from two code rows: `(value, p_o, p_e, n, reason)`.
#[pyfunction]
#[pyo3(signature = (statistic, k, a, b, weights=None, weight_matrix=None))]
fn agreement_pair(
    py: Python<'_>,
    statistic: &str,
    k: usize,
    a: PyReadonlyArray1<'_, u32>,
    b: PyReadonlyArray1<'_, u32>,
    weights: Option<&str>,
    weight_matrix: Option<PyReadonlyArray2<'_, f64>>,
) -> PyResult<AgreeTuple> {
    let coef = kappa::Coefficient::parse(statistic).map_err(|e| to_py(py, e))?;
    let w = self::weights(weights, weight_matrix).map_err(|e| to_py(py, e))?;
    let (a, b) = (a.as_slice()?, b.as_slice()?);
    let r = py
        .guarded(|| kappa::Confusion::from_codes(a, b, k)?.coefficient(coef, &w))
        .map_err(|e| to_py(py, e))?;
    Ok((r.value, r.p_o, r.p_e, r.n, r.undefined.map(|u| u.as_str())))
}

/// Rater-by-rater matrix of a two-rater coefficient: `(values, n)`.
#[pyfunction]
#[pyo3(signature = (statistic, k, codes, weights=None, weight_matrix=None))]
#[allow(clippy::type_complexity)]
fn agreement_rater_matrix<'py>(
    py: Python<'py>,
    statistic: &str,
    k: usize,
    codes: PyReadonlyArray2<'py, u32>,
    weights: Option<&str>,
    weight_matrix: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>)> {
    let coef = kappa::Coefficient::parse(statistic).map_err(|e| to_py(py, e))?;
    let w = self::weights(weights, weight_matrix).map_err(|e| to_py(py, e))?;
    let (c, r) = codes_2d(&codes)?;
    let (v, n) = py
        .guarded(|| kappa::rater_matrix(c, r, k, coef, &w))
        .map_err(|e| to_py(py, e))?;
    let sq = |x: Vec<f64>| {
        numpy::ndarray::Array2::from_shape_vec((r, r), x)
            .expect("shape")
            .into_pyarray(py)
    };
    Ok((sq(v), sq(n)))
}

type ItemArrays<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<bool>>,
);

/// Per-unit statistics of a `units x k` count matrix:
/// `(n, majority, share, entropy, entropy_norm, distinct, split)`.
#[pyfunction]
fn agreement_item_stats<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray2<'py, u32>,
) -> PyResult<ItemArrays<'py>> {
    let k = counts.as_array().shape()[1];
    let c = counts.as_slice()?;
    let s = py
        .guarded_ok(|| items::item_stats(c, k))
        .map_err(|e| to_py(py, e))?;
    Ok((
        s.n.into_pyarray(py),
        s.majority.into_pyarray(py),
        s.share.into_pyarray(py),
        s.entropy.into_pyarray(py),
        s.entropy_norm.into_pyarray(py),
        s.distinct.into_pyarray(py),
        s.split.into_pyarray(py),
    ))
}

fn square<'py>(py: Python<'py>, n: usize, v: Vec<f64>) -> Bound<'py, PyArray2<f64>> {
    numpy::ndarray::Array2::from_shape_vec((n, n), v)
        .expect("shape")
        .into_pyarray(py)
}

/// Disagreement-rate matrix of `models x items` `u8` labels (no missing values).
#[pyfunction]
fn model_disagreement_u8<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray2<'py, u8>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let n = labels.as_array().shape()[0];
    let l = labels.as_slice()?;
    let r = py
        .guarded(|| models::disagreement_u8(l, n))
        .map_err(|e| to_py(py, e))?;
    Ok(square(py, n, r))
}

/// Disagreement-rate matrix of coded labels with missing values: `(rates, joint counts)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn model_disagreement_codes<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray2<'py, u32>,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>)> {
    let (c, n) = codes_2d(&codes)?;
    let (r, j) = py
        .guarded(|| models::disagreement_codes(c, n))
        .map_err(|e| to_py(py, e))?;
    Ok((square(py, n, r), square(py, n, j)))
}

/// Probabilistic disagreement of `models x items x classes` probabilities:
/// `(expected disagreement, total variation, Jensen-Shannon distance)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn model_disagreement_probs<'py>(
    py: Python<'py>,
    probs: PyReadonlyArray3<'py, f64>,
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
)> {
    let shape = probs.as_array().shape().to_vec();
    let p = probs.as_slice()?;
    let (e, t, j) = py
        .guarded(|| models::disagreement_probs(p, shape[0], shape[2]))
        .map_err(|e| to_py(py, e))?;
    let n = shape[0];
    Ok((square(py, n, e), square(py, n, t), square(py, n, j)))
}

/// Soft-label scores per item: `(cross_entropy, jensen_shannon, manhattan, wasserstein)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn soft_label_scores<'py>(
    py: Python<'py>,
    pred: PyReadonlyArray2<'py, f64>,
    human: PyReadonlyArray2<'py, f64>,
) -> PyResult<(
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
)> {
    let k = pred.as_array().shape()[1];
    if human.as_array().shape()[1] != k {
        return Err(to_py(
            py,
            Error::invalid(
                "human",
                format!(
                    "predictions have {} classes but human distributions have {}",
                    k,
                    human.as_array().shape()[1]
                ),
            ),
        ));
    }
    let (p, h) = (pred.as_slice()?, human.as_slice()?);
    let s = py
        .guarded(|| soft::soft_scores(p, h, k))
        .map_err(|e| to_py(py, e))?;
    Ok((
        s.cross_entropy.into_pyarray(py),
        s.jensen_shannon.into_pyarray(py),
        s.manhattan.into_pyarray(py),
        s.wasserstein.into_pyarray(py),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Coincidence>()?;
    m.add_function(wrap_pyfunction!(agreement_code_f64, m)?)?;
    m.add_function(wrap_pyfunction!(agreement_unit_counts, m)?)?;
    m.add_function(wrap_pyfunction!(alpha_units_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(agreement_multi, m)?)?;
    m.add_function(wrap_pyfunction!(agreement_multi_f64, m)?)?;
    m.add_function(wrap_pyfunction!(agreement_pair, m)?)?;
    m.add_function(wrap_pyfunction!(agreement_rater_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(agreement_item_stats, m)?)?;
    m.add_function(wrap_pyfunction!(model_disagreement_u8, m)?)?;
    m.add_function(wrap_pyfunction!(model_disagreement_codes, m)?)?;
    m.add_function(wrap_pyfunction!(model_disagreement_probs, m)?)?;
    m.add_function(wrap_pyfunction!(soft_label_scores, m)?)?;
    Ok(())
}
