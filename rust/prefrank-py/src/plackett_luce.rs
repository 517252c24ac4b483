//! Bindings for the models fitted to rankings: prefrank-core `rank::{plackett_luce,
//! spectral_rankings}` and Plackett-Luce per group (`rank::batched::pl_groups`).

use crate::cancel::Guarded;
use crate::ranking::{arr, GroupFits};
use crate::to_py;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use prefrank_core::rank::batched::{self, PlGroupOptions};
use prefrank_core::rank::plackett_luce::{self as pl, PlMethod, PlOptions, Rankings};
use prefrank_core::rank::spectral::SpectralOptions;
use prefrank_core::rank::spectral_rankings;
use prefrank_core::Error;
use pyo3::prelude::*;

/// A fit to rankings (`pl_fit`, `spectral_rankings_fit`), with the weighted stages each item won
/// (`wins`) and its weighted appearances (`games`).
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct RankingsFit {
    theta: Py<PyArray1<f64>>,
    /// Plackett-Luce log-likelihood at `theta`.
    loglik: f64,
    iterations: usize,
    converged: bool,
    /// The Plackett-Luce method that ran ('auto' resolved); None for a spectral estimate.
    method: Option<String>,
    wins: Py<PyArray1<f64>>,
    games: Py<PyArray1<f64>>,
}

fn pl_method(s: &str) -> Result<PlMethod, Error> {
    match s {
        "auto" => Ok(PlMethod::Auto),
        "newton" => Ok(PlMethod::Newton),
        "mm" => Ok(PlMethod::MM),
        "lbfgs" => Ok(PlMethod::Lbfgs),
        other => Err(Error::invalid(
            "method",
            format!("{other:?} is not one of 'auto', 'newton', 'mm', 'lbfgs'"),
        )),
    }
}

fn pl_method_name(m: PlMethod) -> &'static str {
    match m {
        PlMethod::Auto => "auto",
        PlMethod::Newton => "newton",
        PlMethod::MM => "mm",
        PlMethod::Lbfgs => "lbfgs",
    }
}

/// Owned flat observations: (offsets, items, n_ranked, weight, n_items).
type Flat = (Vec<usize>, Vec<u32>, Vec<u32>, Option<Vec<f64>>, usize);

fn rankings(
    n_items: usize,
    offsets: &PyReadonlyArray1<'_, u64>,
    items: &PyReadonlyArray1<'_, u32>,
    n_ranked: &PyReadonlyArray1<'_, u32>,
    weight: &Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Flat> {
    Ok((
        offsets.as_slice()?.iter().map(|&o| o as usize).collect(),
        items.as_slice()?.to_vec(),
        n_ranked.as_slice()?.to_vec(),
        match weight {
            Some(w) => Some(w.as_slice()?.to_vec()),
            None => None,
        },
        n_items,
    ))
}

/// Fit Plackett-Luce to observations in flat form.
#[pyfunction]
#[pyo3(signature = (n_items, offsets, items, n_ranked, weight=None, alpha=0.0, max_iter=10_000, tol=1e-10, method="auto", dedup=true))]
#[allow(clippy::too_many_arguments)]
fn pl_fit<'py>(
    py: Python<'py>,
    n_items: usize,
    offsets: PyReadonlyArray1<'py, u64>,
    items: PyReadonlyArray1<'py, u32>,
    n_ranked: PyReadonlyArray1<'py, u32>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    alpha: f64,
    max_iter: usize,
    tol: f64,
    method: &str,
    dedup: bool,
) -> PyResult<RankingsFit> {
    let method = pl_method(method).map_err(|e| to_py(py, e))?;
    let (o, it, k, w, n) = rankings(n_items, &offsets, &items, &n_ranked, &weight)?;
    let opts = PlOptions {
        alpha,
        max_iter,
        tol,
        method,
    };
    let (f, wins, games) = py
        .guarded(|| -> Result<_, Error> {
            let rk = Rankings::new(n, o, it, k, w)?;
            let rk = if dedup { rk.dedup() } else { rk };
            let (wins, games) = rk.wins_and_games();
            Ok((pl::fit(&rk, &opts, None)?, wins, games))
        })
        .map_err(|e| to_py(py, e))?;
    Ok(RankingsFit {
        theta: arr(py, f.theta),
        loglik: f.loglik,
        iterations: f.iterations,
        converged: f.converged,
        method: Some(pl_method_name(f.method).to_owned()),
        wins: arr(py, wins),
        games: arr(py, games),
    })
}

/// Strongly connected components of the "ranked above" graph: (component per item, count).
#[pyfunction]
#[pyo3(signature = (n_items, offsets, items, n_ranked, weight=None))]
fn pl_components<'py>(
    py: Python<'py>,
    n_items: usize,
    offsets: PyReadonlyArray1<'py, u64>,
    items: PyReadonlyArray1<'py, u32>,
    n_ranked: PyReadonlyArray1<'py, u32>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<(Bound<'py, PyArray1<u32>>, usize)> {
    let (o, it, k, w, n) = rankings(n_items, &offsets, &items, &n_ranked, &weight)?;
    let (comp, c) = py
        .guarded(|| Rankings::new(n, o, it, k, w).map(|r| pl::components(&r)))
        .map_err(|e| to_py(py, e))?;
    Ok((comp.into_pyarray(py), c))
}

/// Spectral estimate from observations in flat form (as `pl_fit`): kind is 'lsr' or 'ilsr'.
#[pyfunction]
#[pyo3(signature = (n_items, offsets, items, n_ranked, kind, weight=None, alpha=0.0, max_iter=10_000, tol=1e-10, dense=None, dedup=true))]
#[allow(clippy::too_many_arguments)]
fn spectral_rankings_fit<'py>(
    py: Python<'py>,
    n_items: usize,
    offsets: PyReadonlyArray1<'py, u64>,
    items: PyReadonlyArray1<'py, u32>,
    n_ranked: PyReadonlyArray1<'py, u32>,
    kind: &str,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    alpha: f64,
    max_iter: usize,
    tol: f64,
    dense: Option<bool>,
    dedup: bool,
) -> PyResult<RankingsFit> {
    let (o, it, k, w, n) = rankings(n_items, &offsets, &items, &n_ranked, &weight)?;
    let opts = SpectralOptions {
        alpha,
        max_iter,
        tol,
        dense,
    };
    let (f, ll, wins, games) = py
        .guarded(|| -> Result<_, Error> {
            let rk = Rankings::new(n, o, it, k, w)?;
            let rk = if dedup { rk.dedup() } else { rk };
            let (wins, games) = rk.wins_and_games();
            let f = match kind {
                "lsr" => spectral_rankings::lsr_rankings(&rk, &opts, None)?,
                "ilsr" => spectral_rankings::ilsr_rankings(&rk, &opts)?,
                other => {
                    return Err(Error::invalid(
                        "kind",
                        format!("{other:?} is not one of 'lsr', 'ilsr'"),
                    ))
                }
            };
            let ll = pl::loglik(&rk, &f.theta);
            Ok((f, ll, wins, games))
        })
        .map_err(|e| to_py(py, e))?;
    Ok(RankingsFit {
        theta: arr(py, f.theta),
        loglik: ll,
        iterations: f.iterations,
        converged: f.converged,
        method: None,
        wins: arr(py, wins),
        games: arr(py, games),
    })
}

/// One Plackett-Luce fit per group of observations (flat form plus a group code per observation).
#[pyfunction]
#[pyo3(signature = (n_items, n_groups, obs_group, offsets, items, n_ranked, weight=None, alpha=0.01, max_iter=100, tol=1e-9))]
#[allow(clippy::too_many_arguments)]
fn pl_groups<'py>(
    py: Python<'py>,
    n_items: usize,
    n_groups: usize,
    obs_group: PyReadonlyArray1<'py, u32>,
    offsets: PyReadonlyArray1<'py, u64>,
    items: PyReadonlyArray1<'py, u32>,
    n_ranked: PyReadonlyArray1<'py, u32>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    alpha: f64,
    max_iter: usize,
    tol: f64,
) -> PyResult<GroupFits> {
    let (o, it, k, w, n) = rankings(n_items, &offsets, &items, &n_ranked, &weight)?;
    let g = obs_group.as_slice()?;
    let opts = PlGroupOptions {
        alpha,
        max_iter,
        tol,
    };
    let r = py
        .guarded(|| {
            let rk = Rankings::new(n, o, it, k, w)?;
            batched::pl_groups(n_groups, g, &rk, &opts)
        })
        .map_err(|e| to_py(py, e))?;
    Ok(GroupFits::new(py, r))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pl_fit, m)?)?;
    m.add_function(wrap_pyfunction!(pl_components, m)?)?;
    m.add_function(wrap_pyfunction!(pl_groups, m)?)?;
    m.add_function(wrap_pyfunction!(spectral_rankings_fit, m)?)?;
    m.add_class::<RankingsFit>()?;
    Ok(())
}
