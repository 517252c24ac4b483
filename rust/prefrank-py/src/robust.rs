//! Bindings for prefrank-core `rank::robust`.

use crate::cancel::Guarded;
use crate::convert::{opt_slice, ComparisonsArg};
use crate::ranking::arr;
use crate::{to_py, PairCounts};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray3,
    PyUntypedArrayMethods,
};
use prefrank_core::rank::bt::{Cells, Ties};
use prefrank_core::rank::robust::curate::{
    curate_pairs, curate_scores, CurateOptions, Curated, PairMode, PairVotes,
};
use prefrank_core::rank::robust::fragility::{fragility, FragilityOptions};
use prefrank_core::rank::robust::matrix::{robust_btl, MatrixOptions};
use prefrank_core::rank::robust::noise::{label_noise, NoiseOptions};
use prefrank_core::rank::robust::refit::{trimmed_refit, RefitOptions};
use prefrank_core::Error;
use pyo3::prelude::*;

/// A label-noise EM fit (`robust_label_noise`); the `judge_*` arrays are per judge code.
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct LabelNoiseFit {
    theta: Py<PyArray1<f64>>,
    epsilon: f64,
    epsilon_lo: f64,
    epsilon_hi: f64,
    judge_epsilon: Py<PyArray1<f64>>,
    judge_lo: Py<PyArray1<f64>>,
    judge_hi: Py<PyArray1<f64>>,
    judge_weight: Py<PyArray1<f64>>,
    /// Per row: the posterior probability that its label is flipped.
    posterior: Py<PyArray1<f64>>,
    loglik: f64,
    iterations: usize,
    converged: bool,
    joint_intervals: bool,
}

/// A robust BTL fit (`robust_btl_fit`): per observed cell (`i < j`) its wins, logit, weight,
/// residual and corrupted flag; `matrix_corrupted` is the matrix stage's flags before any refit.
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct RobustBtlFit {
    matrix_corrupted: Py<PyArray1<bool>>,
    refit_rounds: usize,
    alpha_used: f64,
    theta: Py<PyArray1<f64>>,
    i: Py<PyArray1<u32>>,
    j: Py<PyArray1<u32>>,
    wins_i: Py<PyArray1<f64>>,
    wins_j: Py<PyArray1<f64>>,
    logit: Py<PyArray1<f64>>,
    weight: Py<PyArray1<f64>>,
    residual: Py<PyArray1<f64>>,
    corrupted: Py<PyArray1<bool>>,
    sigma: f64,
    iterations: usize,
    converged: bool,
}

/// Curated preference pairs (`robust_curate`, `robust_curate_pairs`); `theta` is
/// `prompts x responses`, and `items` (pairs only) the item code of each response slot.
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct CuratedPairs {
    prompt: Py<PyArray1<u32>>,
    chosen: Py<PyArray1<u32>>,
    rejected: Py<PyArray1<u32>>,
    weight: Py<PyArray1<f64>>,
    judge_epsilon: Py<PyArray1<f64>>,
    judge_votes: Py<PyArray1<f64>>,
    label_epsilon: f64,
    epsilon: f64,
    theta: Py<PyArray2<f64>>,
    iterations: usize,
    converged: bool,
    items: Option<Py<PyArray2<u32>>>,
}

/// The removals that flip the top item (or `pair`'s order) of a fit (`robust_fragility`).
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct FragilityFit {
    /// Per removed comparison: its cell's items and whether `i` won it.
    i: Py<PyArray1<u32>>,
    j: Py<PyArray1<u32>>,
    i_won: Py<PyArray1<bool>>,
    target: (u32, u32),
    top_before: u32,
    top_after: u32,
    theta_before: Py<PyArray1<f64>>,
    theta_after: Py<PyArray1<f64>>,
    found: bool,
}

/// Label-noise EM on raw comparisons (see prefrank-core `rank::robust::noise`).
#[pyfunction]
#[pyo3(signature = (comparisons, judge=None, n_judges=0, shrink=10.0, alpha=0.0, eps_init=0.1, max_iter=1000, tol=1e-8, z=1.959963984540054))]
#[allow(clippy::too_many_arguments)]
fn robust_label_noise<'py>(
    py: Python<'py>,
    comparisons: ComparisonsArg<'py>,
    judge: Option<PyReadonlyArray1<'py, u32>>,
    n_judges: usize,
    shrink: f64,
    alpha: f64,
    eps_init: f64,
    max_iter: usize,
    tol: f64,
    z: f64,
) -> PyResult<LabelNoiseFit> {
    let c = comparisons.view()?;
    let j = opt_slice(&judge)?;
    let o = NoiseOptions {
        shrink,
        alpha,
        eps_init,
        max_iter,
        tol,
        z,
    };
    let f = py
        .guarded(|| label_noise(&c, j, n_judges, &o))
        .map_err(|e| to_py(py, e))?;
    Ok(LabelNoiseFit {
        theta: arr(py, f.theta),
        epsilon: f.epsilon,
        epsilon_lo: f.epsilon_lo,
        epsilon_hi: f.epsilon_hi,
        judge_epsilon: arr(py, f.judge_epsilon),
        judge_lo: arr(py, f.judge_lo),
        judge_hi: arr(py, f.judge_hi),
        judge_weight: arr(py, f.judge_weight),
        posterior: arr(py, f.posterior),
        loglik: f.loglik,
        iterations: f.iterations,
        converged: f.converged,
        joint_intervals: f.joint_intervals,
    })
}

/// Robust BTL recovery from a pair-count table (ties count half); with `refit`, followed by the
/// trimmed Bradley-Terry refit (`rank::robust::refit`).
#[pyfunction]
#[pyo3(signature = (counts, threshold=3.0, max_corrupt_fraction=0.25, pseudo=0.5, decay=0.5, max_iter=100, min_degree=3, refit=true, refit_fraction=0.49, alpha=0.0, refit_max_iter=50))]
#[allow(clippy::too_many_arguments)]
fn robust_btl_fit<'py>(
    py: Python<'py>,
    counts: &PairCounts,
    threshold: f64,
    max_corrupt_fraction: f64,
    pseudo: f64,
    decay: f64,
    max_iter: usize,
    min_degree: usize,
    refit: bool,
    refit_fraction: f64,
    alpha: f64,
    refit_max_iter: usize,
) -> PyResult<RobustBtlFit> {
    let o = MatrixOptions {
        threshold,
        max_corrupt_fraction,
        pseudo,
        decay,
        max_iter,
        min_degree,
    };
    let ro = RefitOptions {
        threshold,
        max_corrupt_fraction: refit_fraction,
        alpha,
        max_iter: refit_max_iter,
        ..Default::default()
    };
    let inner = &counts.inner;
    let (cells, f, stage1, rounds, alpha_used) = py
        .guarded(|| {
            let cells = Cells::from_counts(inner, Ties::Half);
            let start = robust_btl(&cells, &o)?;
            if refit {
                let r = trimmed_refit(&cells, &start, &ro)?;
                Ok((cells, r.fit, start.corrupted, r.rounds, r.alpha_used))
            } else {
                let stage1 = start.corrupted.clone();
                Ok::<_, Error>((cells, start, stage1, 0, 0.0))
            }
        })
        .map_err(|e| to_py(py, e))?;
    Ok(RobustBtlFit {
        matrix_corrupted: arr(py, stage1),
        refit_rounds: rounds,
        alpha_used,
        theta: arr(py, f.theta),
        i: arr(py, cells.i),
        j: arr(py, cells.j),
        wins_i: arr(py, cells.x),
        wins_j: arr(py, cells.y),
        logit: arr(py, f.logit),
        weight: arr(py, f.weight),
        residual: arr(py, f.residual),
        corrupted: arr(py, f.corrupted),
        sigma: f.sigma,
        iterations: f.iterations,
        converged: f.converged,
    })
}

/// Batched per-prompt curation of a `prompts x responses x judges` score tensor (NaN = missing).
#[pyfunction]
#[pyo3(signature = (scores, alpha=1.0, eps_init=0.1, max_iter=100, tol=1e-4, pairs="all", min_weight=0.5))]
#[allow(clippy::too_many_arguments)]
fn robust_curate<'py>(
    py: Python<'py>,
    scores: PyReadonlyArray3<'py, f64>,
    alpha: f64,
    eps_init: f64,
    max_iter: usize,
    tol: f64,
    pairs: &str,
    min_weight: f64,
) -> PyResult<CuratedPairs> {
    let o = options(py, alpha, eps_init, max_iter, tol, pairs, min_weight)?;
    let shape = scores.shape().to_vec();
    let s = scores.as_slice()?;
    let r = py
        .guarded(|| curate_scores(s, shape[0], shape[1], shape[2], &o))
        .map_err(|e| to_py(py, e))?;
    CuratedPairs::new(py, r, shape[0], shape[1], None)
}

impl CuratedPairs {
    /// A [`Curated`] with `theta` as `prompts x responses`.
    fn new(
        py: Python<'_>,
        r: Curated,
        n_prompts: usize,
        n_resp: usize,
        items: Option<Py<PyArray2<u32>>>,
    ) -> PyResult<Self> {
        Ok(CuratedPairs {
            prompt: arr(py, r.prompt),
            chosen: arr(py, r.chosen),
            rejected: arr(py, r.rejected),
            weight: arr(py, r.weight),
            judge_epsilon: arr(py, r.judge_epsilon),
            judge_votes: arr(py, r.judge_votes),
            label_epsilon: r.label_epsilon,
            epsilon: r.epsilon,
            theta: r
                .theta
                .into_pyarray(py)
                .reshape([n_prompts, n_resp])?
                .unbind(),
            iterations: r.iterations,
            converged: r.converged,
            items,
        })
    }
}

/// Batched per-prompt curation of pairwise judgments (vote 1: `a` preferred, -1: `b`, 0: tie).
#[pyfunction]
#[pyo3(signature = (prompt, a, b, judge, vote, n_prompts, n_items, n_judges, alpha=1.0, eps_init=0.1, max_iter=100, tol=1e-4, pairs="all", min_weight=0.5))]
#[allow(clippy::too_many_arguments)]
fn robust_curate_pairs<'py>(
    py: Python<'py>,
    prompt: PyReadonlyArray1<'py, u32>,
    a: PyReadonlyArray1<'py, u32>,
    b: PyReadonlyArray1<'py, u32>,
    judge: PyReadonlyArray1<'py, u32>,
    vote: PyReadonlyArray1<'py, i8>,
    n_prompts: usize,
    n_items: usize,
    n_judges: usize,
    alpha: f64,
    eps_init: f64,
    max_iter: usize,
    tol: f64,
    pairs: &str,
    min_weight: f64,
) -> PyResult<CuratedPairs> {
    let o = options(py, alpha, eps_init, max_iter, tol, pairs, min_weight)?;
    let v = PairVotes {
        prompt: prompt.as_slice()?,
        a: a.as_slice()?,
        b: b.as_slice()?,
        judge: judge.as_slice()?,
        vote: vote.as_slice()?,
        n_prompts,
        n_items,
        n_judges,
    };
    let out = py
        .guarded(|| curate_pairs(&v, &o))
        .map_err(|e| to_py(py, e))?;
    let items = out
        .items
        .into_pyarray(py)
        .reshape([n_prompts, out.n_resp])?
        .unbind();
    CuratedPairs::new(py, out.curated, n_prompts, out.n_resp, Some(items))
}

fn options(
    py: Python<'_>,
    alpha: f64,
    eps_init: f64,
    max_iter: usize,
    tol: f64,
    pairs: &str,
    min_weight: f64,
) -> PyResult<CurateOptions> {
    let pairs = match pairs {
        "all" => PairMode::All,
        "best_worst" => PairMode::BestWorst,
        other => {
            return Err(to_py(
                py,
                Error::invalid(
                    "pairs",
                    format!("{other:?} is not one of 'all', 'best_worst'"),
                ),
            ))
        }
    };
    Ok(CurateOptions {
        alpha,
        eps_init,
        max_iter,
        tol,
        pairs,
        min_weight,
    })
}

/// Fragility of the top item (or of the order of `pair`) of a Bradley-Terry fit (ties count half).
#[pyfunction]
#[pyo3(signature = (counts, pair=None, max_remove=1000, alpha=0.0))]
fn robust_fragility<'py>(
    py: Python<'py>,
    counts: &PairCounts,
    pair: Option<(u32, u32)>,
    max_remove: usize,
    alpha: f64,
) -> PyResult<FragilityFit> {
    let o = FragilityOptions { max_remove, alpha };
    let inner = &counts.inner;
    let (cells, f) = py
        .guarded(|| {
            // Same cell order: both keep the cells with any weight.
            let cells = Cells::from_counts(inner, Ties::Half);
            let raw = Cells::from_counts(inner, Ties::Davidson);
            fragility(&cells, Some((&raw.x, &raw.y)), pair, &o).map(|f| (cells, f))
        })
        .map_err(|e| to_py(py, e))?;
    let cell: Vec<u32> = f.removed.iter().map(|r| r.cell).collect();
    let ri: Vec<u32> = cell.iter().map(|&k| cells.i[k as usize]).collect();
    let rj: Vec<u32> = cell.iter().map(|&k| cells.j[k as usize]).collect();
    let won: Vec<bool> = f.removed.iter().map(|r| r.i_won).collect();
    Ok(FragilityFit {
        i: arr(py, ri),
        j: arr(py, rj),
        i_won: arr(py, won),
        target: f.target,
        top_before: f.top_before,
        top_after: f.top_after,
        theta_before: arr(py, f.theta_before),
        theta_after: arr(py, f.theta_after),
        found: f.found,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(robust_label_noise, m)?)?;
    m.add_function(wrap_pyfunction!(robust_btl_fit, m)?)?;
    m.add_function(wrap_pyfunction!(robust_curate, m)?)?;
    m.add_function(wrap_pyfunction!(robust_curate_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(robust_fragility, m)?)?;
    m.add_class::<LabelNoiseFit>()?;
    m.add_class::<RobustBtlFit>()?;
    m.add_class::<CuratedPairs>()?;
    m.add_class::<FragilityFit>()?;
    Ok(())
}
