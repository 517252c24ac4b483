//! Bindings for the models fitted to pairwise comparisons: prefrank-core `rank::{bt, bootstrap,
//! elo, spectral, batched::bt_groups, contextual}`.

use crate::cancel::Guarded;
use crate::convert::{opt_slice, parse_ties, ComparisonsArg};
use crate::{to_py, PairCounts};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use prefrank_core::rank::batched::{self, GroupOptions};
use prefrank_core::rank::bootstrap::bootstrap_bt;
use prefrank_core::rank::bt::{self, BtOptions, Cells, Method};
use prefrank_core::rank::contextual::{self, ContextualOptions};
use prefrank_core::rank::elo::{self, EloOptions};
use prefrank_core::rank::spectral::{self, SpectralOptions};
use prefrank_core::Error;
use pyo3::prelude::*;

/// A Bradley-Terry fit (`bt_fit`).
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct BtFit {
    theta: Py<PyArray1<f64>>,
    /// The tie model's parameter (Davidson's nu, Rao-Kupper's theta); None without a tie model.
    tie_param: Option<f64>,
    loglik: f64,
    iterations: usize,
    converged: bool,
    /// The method that ran ('newton', 'mm' or 'lbfgs'; 'auto' resolved).
    method: String,
}

/// Bootstrap rounds of a Bradley-Terry fit (`bt_bootstrap`).
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct BootstrapDraws {
    /// `rounds x n_items`.
    theta: Py<PyArray2<f64>>,
    tie_param: Py<PyArray1<f64>>,
    degenerate: usize,
    not_converged: usize,
    chord_steps: usize,
}

/// An estimate with its iteration count (`spectral_fit`).
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct SpectralFit {
    theta: Py<PyArray1<f64>>,
    iterations: usize,
    converged: bool,
}

/// One fit per group (`bt_groups`, `pl_groups`): group g's items are
/// `items[offsets[g]:offsets[g + 1]]` with their `theta` at the same positions.
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct GroupFits {
    offsets: Py<PyArray1<u64>>,
    items: Py<PyArray1<u32>>,
    theta: Py<PyArray1<f64>>,
    converged: Py<PyArray1<bool>>,
    identifiable: Py<PyArray1<bool>>,
    iterations: Py<PyArray1<u32>>,
}

/// A contextual Bradley-Terry fit (`contextual_bt_fit`).
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct ContextualFit {
    theta: Py<PyArray1<f64>>,
    beta: Py<PyArray1<f64>>,
    loglik: f64,
    iterations: usize,
    converged: bool,
}

/// An owned vector as a numpy array held by a result.
pub(crate) fn arr<T: numpy::Element>(py: Python<'_>, v: Vec<T>) -> Py<PyArray1<T>> {
    v.into_pyarray(py).unbind()
}

fn parse_method(s: &str) -> Result<Method, Error> {
    match s {
        "auto" => Ok(Method::Auto),
        "newton" => Ok(Method::Newton),
        "mm" => Ok(Method::MM),
        "lbfgs" => Ok(Method::Lbfgs),
        other => Err(Error::invalid(
            "method",
            format!("{other:?} is not one of 'auto', 'newton', 'mm', 'lbfgs'"),
        )),
    }
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Auto => "auto",
        Method::Newton => "newton",
        Method::MM => "mm",
        Method::Lbfgs => "lbfgs",
    }
}

fn options(
    ties: &str,
    alpha: f64,
    max_iter: usize,
    tol: f64,
    method: &str,
) -> Result<BtOptions, Error> {
    Ok(BtOptions {
        ties: parse_ties(ties, true)?,
        alpha,
        max_iter,
        tol,
        method: parse_method(method)?,
    })
}

/// Fit Bradley-Terry to a pair-count table.
#[pyfunction]
#[pyo3(signature = (counts, ties="half", alpha=0.0, max_iter=10_000, tol=1e-10, method="auto", init=None))]
#[allow(clippy::too_many_arguments)]
fn bt_fit<'py>(
    py: Python<'py>,
    counts: &PairCounts,
    ties: &str,
    alpha: f64,
    max_iter: usize,
    tol: f64,
    method: &str,
    init: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<BtFit> {
    let opts = options(ties, alpha, max_iter, tol, method).map_err(|e| to_py(py, e))?;
    let init_v = match &init {
        Some(a) => Some(a.as_slice()?.to_vec()),
        None => None,
    };
    let inner = &counts.inner;
    let f = py
        .guarded(|| bt::fit(inner, &opts, init_v.as_deref()))
        .map_err(|e| to_py(py, e))?;
    Ok(BtFit {
        theta: arr(py, f.theta),
        tie_param: f.tie_param,
        loglik: f.loglik,
        iterations: f.iterations,
        converged: f.converged,
        method: method_name(f.method).to_owned(),
    })
}

/// Strongly connected components of the win graph after tie handling: (component per item, count).
#[pyfunction]
#[pyo3(signature = (counts, ties="half"))]
fn bt_components<'py>(
    py: Python<'py>,
    counts: &PairCounts,
    ties: &str,
) -> PyResult<(Bound<'py, PyArray1<u32>>, usize)> {
    let t = parse_ties(ties, true).map_err(|e| to_py(py, e))?;
    let inner = &counts.inner;
    let (comp, k) = py
        .guarded_ok(|| bt::components(&Cells::from_counts(inner, t)))
        .map_err(|e| to_py(py, e))?;
    Ok((comp.into_pyarray(py), k))
}

/// Bootstrap rounds of a Bradley-Terry fit (see prefrank-core `rank::bootstrap`).
#[pyfunction]
#[pyo3(signature = (counts, theta_hat, rounds, seed, first_chunk=0, ties="half", alpha=0.0, max_iter=10_000, tol=1e-10, method="auto", tie_hat=None))]
#[allow(clippy::too_many_arguments)]
fn bt_bootstrap<'py>(
    py: Python<'py>,
    counts: &PairCounts,
    theta_hat: PyReadonlyArray1<'py, f64>,
    rounds: usize,
    seed: u64,
    first_chunk: u64,
    ties: &str,
    alpha: f64,
    max_iter: usize,
    tol: f64,
    method: &str,
    tie_hat: Option<f64>,
) -> PyResult<BootstrapDraws> {
    let opts = options(ties, alpha, max_iter, tol, method).map_err(|e| to_py(py, e))?;
    let th = theta_hat.as_slice()?;
    let inner = &counts.inner;
    let r = py
        .guarded(|| {
            bootstrap_bt(
                &Cells::from_counts(inner, opts.ties),
                &opts,
                th,
                tie_hat,
                rounds,
                seed,
                first_chunk,
            )
        })
        .map_err(|e| to_py(py, e))?;
    let n = inner.n_items();
    Ok(BootstrapDraws {
        theta: r.theta.into_pyarray(py).reshape([r.rounds, n])?.unbind(),
        tie_param: arr(py, r.tie_param),
        degenerate: r.degenerate,
        not_converged: r.not_converged,
        chord_steps: r.chord_steps,
    })
}

/// Online Elo ratings in row order (shuffles = 0) or averaged over seeded shuffles.
#[pyfunction]
#[pyo3(signature = (comparisons, k=4.0, initial=1000.0, scale=400.0, base=10.0, shuffles=0, seed=0, start=None))]
#[allow(clippy::too_many_arguments)]
fn elo_ratings<'py>(
    py: Python<'py>,
    comparisons: ComparisonsArg<'py>,
    k: f64,
    initial: f64,
    scale: f64,
    base: f64,
    shuffles: usize,
    seed: u64,
    start: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let c = comparisons.view()?;
    let o = EloOptions {
        k,
        initial,
        scale,
        base,
    };
    let opt_start = opt_slice(&start)?;
    let r = py
        .guarded(|| elo::elo(&c, &o, shuffles, seed, opt_start))
        .map_err(|e| to_py(py, e))?;
    Ok(r.into_pyarray(py))
}

/// BCa acceleration constants per item (see prefrank-core `rank::bt::bca_acceleration`).
#[pyfunction]
#[pyo3(signature = (counts, theta, ties="half", alpha=0.0, tie_param=None, anchor=None))]
fn bt_acceleration<'py>(
    py: Python<'py>,
    counts: &PairCounts,
    theta: PyReadonlyArray1<'py, f64>,
    ties: &str,
    alpha: f64,
    tie_param: Option<f64>,
    anchor: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let t = parse_ties(ties, true).map_err(|e| to_py(py, e))?;
    let th = theta.as_slice()?;
    let inner = &counts.inner;
    let a = py
        .guarded(|| {
            bt::bca_acceleration(
                &Cells::from_counts(inner, t),
                t,
                alpha,
                th,
                tie_param,
                anchor,
            )
        })
        .map_err(|e| to_py(py, e))?;
    Ok(a.into_pyarray(py))
}

/// Spectral estimate from a pair-count table: kind is 'rank_centrality', 'lsr' or 'ilsr'.
#[pyfunction]
#[pyo3(signature = (counts, kind, ties="half", alpha=0.0, max_iter=10_000, tol=1e-10, dense=None))]
#[allow(clippy::too_many_arguments)]
fn spectral_fit<'py>(
    py: Python<'py>,
    counts: &PairCounts,
    kind: &str,
    ties: &str,
    alpha: f64,
    max_iter: usize,
    tol: f64,
    dense: Option<bool>,
) -> PyResult<SpectralFit> {
    let t = parse_ties(ties, false).map_err(|e| to_py(py, e))?;
    let opts = SpectralOptions {
        alpha,
        max_iter,
        tol,
        dense,
    };
    let inner = &counts.inner;
    let f = py
        .guarded(|| {
            let cells = Cells::from_counts(inner, t);
            match kind {
                "rank_centrality" => spectral::rank_centrality(&cells, &opts),
                "lsr" => spectral::lsr(&cells, &opts, None),
                "ilsr" => spectral::ilsr(&cells, &opts),
                other => Err(Error::invalid(
                    "kind",
                    format!("{other:?} is not one of 'rank_centrality', 'lsr', 'ilsr'"),
                )),
            }
        })
        .map_err(|e| to_py(py, e))?;
    Ok(SpectralFit {
        theta: arr(py, f.theta),
        iterations: f.iterations,
        converged: f.converged,
    })
}

/// One Bradley-Terry fit per group.
#[pyfunction]
#[pyo3(signature = (comparisons, n_groups, group, ties="half", alpha=0.01, max_iter=100, tol=1e-9))]
#[allow(clippy::too_many_arguments)]
fn bt_groups<'py>(
    py: Python<'py>,
    comparisons: ComparisonsArg<'py>,
    n_groups: usize,
    group: PyReadonlyArray1<'py, u32>,
    ties: &str,
    alpha: f64,
    max_iter: usize,
    tol: f64,
) -> PyResult<GroupFits> {
    let opts = GroupOptions {
        ties: parse_ties(ties, false).map_err(|e| to_py(py, e))?,
        alpha,
        max_iter,
        tol,
    };
    let c = comparisons.view()?;
    let g = group.as_slice()?;
    let r = py
        .guarded(|| batched::bt_groups(n_groups, g, &c, &opts))
        .map_err(|e| to_py(py, e))?;
    Ok(GroupFits::new(py, r))
}

impl GroupFits {
    pub(crate) fn new(py: Python<'_>, r: batched::GroupFits) -> Self {
        let offsets: Vec<u64> = r.offsets.iter().map(|&o| o as u64).collect();
        GroupFits {
            offsets: arr(py, offsets),
            items: arr(py, r.items),
            theta: arr(py, r.theta),
            converged: arr(py, r.converged),
            identifiable: arr(py, r.identifiable),
            iterations: arr(py, r.iterations),
        }
    }
}

/// Contextual Bradley-Terry with per-row covariate differences `x` (rows x d, C order).
#[pyfunction]
#[pyo3(signature = (comparisons, x, ties="half", alpha=0.0, alpha_beta=0.0, max_iter=200, tol=1e-9))]
#[allow(clippy::too_many_arguments)]
fn contextual_bt_fit<'py>(
    py: Python<'py>,
    comparisons: ComparisonsArg<'py>,
    x: PyReadonlyArray2<'py, f64>,
    ties: &str,
    alpha: f64,
    alpha_beta: f64,
    max_iter: usize,
    tol: f64,
) -> PyResult<ContextualFit> {
    let opts = ContextualOptions {
        ties: parse_ties(ties, false).map_err(|e| to_py(py, e))?,
        alpha,
        alpha_beta,
        max_iter,
        tol,
    };
    let c = comparisons.view()?;
    let d_cols = x.as_array().ncols();
    let xs = x.as_slice()?;
    let f = py
        .guarded(|| contextual::fit(&c, xs, d_cols, &opts))
        .map_err(|e| to_py(py, e))?;
    Ok(ContextualFit {
        theta: arr(py, f.theta),
        beta: arr(py, f.beta),
        loglik: f.loglik,
        iterations: f.iterations,
        converged: f.converged,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bt_acceleration, m)?)?;
    m.add(
        "BOOTSTRAP_ROUND_CHUNK",
        prefrank_core::rank::bootstrap::ROUND_CHUNK,
    )?;
    m.add_function(wrap_pyfunction!(bt_fit, m)?)?;
    m.add_function(wrap_pyfunction!(bt_components, m)?)?;
    m.add_function(wrap_pyfunction!(bt_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(elo_ratings, m)?)?;
    m.add_function(wrap_pyfunction!(spectral_fit, m)?)?;
    m.add_function(wrap_pyfunction!(bt_groups, m)?)?;
    m.add_function(wrap_pyfunction!(contextual_bt_fit, m)?)?;
    m.add_class::<BtFit>()?;
    m.add_class::<BootstrapDraws>()?;
    m.add_class::<SpectralFit>()?;
    m.add_class::<GroupFits>()?;
    m.add_class::<ContextualFit>()?;
    Ok(())
}
