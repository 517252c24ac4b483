//! Bindings for prefrank-core `rank`.

use crate::{to_py, PairCounts};
use numpy::{IntoPyArray, PyArray1, PyArrayMethods, PyReadonlyArray1};
use prefrank_core::data::ComparisonsRef;
use prefrank_core::rank::bootstrap::bootstrap_bt;
use prefrank_core::rank::bt::{self, BtOptions, Cells, Method, Ties};
use prefrank_core::rank::elo::{self, EloOptions};
use prefrank_core::Error;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn parse_ties(s: &str) -> Result<Ties, Error> {
    match s {
        "half" => Ok(Ties::Half),
        "drop" => Ok(Ties::Drop),
        "davidson" => Ok(Ties::Davidson),
        "rao_kupper" => Ok(Ties::RaoKupper),
        other => Err(Error::invalid(
            "ties",
            format!("{other:?} is not one of 'half', 'drop', 'davidson', 'rao_kupper'"),
        )),
    }
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
        ties: parse_ties(ties)?,
        alpha,
        max_iter,
        tol,
        method: parse_method(method)?,
    })
}

/// Fit Bradley-Terry to a pair-count table. Returns a dict with theta, tie_param, loglik,
/// iterations, converged, method.
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
) -> PyResult<Bound<'py, PyDict>> {
    let opts = options(ties, alpha, max_iter, tol, method).map_err(|e| to_py(py, e))?;
    let init_v = match &init {
        Some(a) => Some(a.as_slice()?.to_vec()),
        None => None,
    };
    let inner = &counts.inner;
    let f = py
        .detach(|| bt::fit(inner, &opts, init_v.as_deref()))
        .map_err(|e| to_py(py, e))?;
    let d = PyDict::new(py);
    d.set_item("theta", f.theta.into_pyarray(py))?;
    d.set_item("tie_param", f.tie_param)?;
    d.set_item("loglik", f.loglik)?;
    d.set_item("iterations", f.iterations)?;
    d.set_item("converged", f.converged)?;
    d.set_item("method", method_name(f.method))?;
    Ok(d)
}

/// Strongly connected components of the win graph after tie handling: (component per item, count).
#[pyfunction]
#[pyo3(signature = (counts, ties="half"))]
fn bt_components<'py>(
    py: Python<'py>,
    counts: &PairCounts,
    ties: &str,
) -> PyResult<(Bound<'py, PyArray1<u32>>, usize)> {
    let t = parse_ties(ties).map_err(|e| to_py(py, e))?;
    let inner = &counts.inner;
    let (comp, k) = py.detach(|| bt::components(&Cells::from_counts(inner, t)));
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
) -> PyResult<Bound<'py, PyDict>> {
    let opts = options(ties, alpha, max_iter, tol, method).map_err(|e| to_py(py, e))?;
    let th = theta_hat.as_slice()?;
    let inner = &counts.inner;
    let r = py
        .detach(|| {
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
    let d = PyDict::new(py);
    d.set_item("theta", r.theta.into_pyarray(py).reshape([r.rounds, n])?)?;
    d.set_item("tie_param", r.tie_param.into_pyarray(py))?;
    d.set_item("degenerate", r.degenerate)?;
    d.set_item("not_converged", r.not_converged)?;
    d.set_item("chord_steps", r.chord_steps)?;
    Ok(d)
}

/// Online Elo ratings in row order (shuffles = 0) or averaged over seeded shuffles.
#[pyfunction]
#[pyo3(signature = (n_items, a, b, p, tie, weight=None, k=4.0, initial=1000.0, scale=400.0, base=10.0, shuffles=0, seed=0, start=None))]
#[allow(clippy::too_many_arguments)]
fn elo_ratings<'py>(
    py: Python<'py>,
    n_items: usize,
    a: PyReadonlyArray1<'py, u32>,
    b: PyReadonlyArray1<'py, u32>,
    p: PyReadonlyArray1<'py, f64>,
    tie: PyReadonlyArray1<'py, u8>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    k: f64,
    initial: f64,
    scale: f64,
    base: f64,
    shuffles: usize,
    seed: u64,
    start: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let c = ComparisonsRef {
        n_items,
        a: a.as_slice()?,
        b: b.as_slice()?,
        p: p.as_slice()?,
        tie: tie.as_slice()?,
        weight: match &weight {
            Some(w) => Some(w.as_slice()?),
            None => None,
        },
    };
    let o = EloOptions {
        k,
        initial,
        scale,
        base,
    };
    let opt_start = match &start {
        Some(s) => Some(s.as_slice()?),
        None => None,
    };
    let r = py
        .detach(|| elo::elo(&c, &o, shuffles, seed, opt_start))
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
    let t = parse_ties(ties).map_err(|e| to_py(py, e))?;
    let th = theta.as_slice()?;
    let inner = &counts.inner;
    let a = py
        .detach(|| {
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
    Ok(())
}
