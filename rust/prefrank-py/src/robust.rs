//! Bindings for prefrank-core `rank::robust`.

use crate::cancel::Guarded;
use crate::convert::{comparisons, opt_slice};
use crate::{to_py, PairCounts};
use numpy::{
    IntoPyArray, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray3, PyUntypedArrayMethods,
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
use pyo3::types::PyDict;

/// Label-noise EM on raw comparisons (see prefrank-core `rank::robust::noise`).
#[pyfunction]
#[pyo3(signature = (n_items, a, b, p, tie, weight=None, judge=None, n_judges=0, shrink=10.0, alpha=0.0, eps_init=0.1, max_iter=1000, tol=1e-8, z=1.959963984540054))]
#[allow(clippy::too_many_arguments)]
fn robust_label_noise<'py>(
    py: Python<'py>,
    n_items: usize,
    a: PyReadonlyArray1<'py, u32>,
    b: PyReadonlyArray1<'py, u32>,
    p: PyReadonlyArray1<'py, f64>,
    tie: PyReadonlyArray1<'py, u8>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    judge: Option<PyReadonlyArray1<'py, u32>>,
    n_judges: usize,
    shrink: f64,
    alpha: f64,
    eps_init: f64,
    max_iter: usize,
    tol: f64,
    z: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let c = comparisons(n_items, &a, &b, &p, &tie, &weight)?;
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
    let d = PyDict::new(py);
    d.set_item("theta", f.theta.into_pyarray(py))?;
    d.set_item("epsilon", f.epsilon)?;
    d.set_item("epsilon_lo", f.epsilon_lo)?;
    d.set_item("epsilon_hi", f.epsilon_hi)?;
    d.set_item("judge_epsilon", f.judge_epsilon.into_pyarray(py))?;
    d.set_item("judge_lo", f.judge_lo.into_pyarray(py))?;
    d.set_item("judge_hi", f.judge_hi.into_pyarray(py))?;
    d.set_item("judge_weight", f.judge_weight.into_pyarray(py))?;
    d.set_item("posterior", f.posterior.into_pyarray(py))?;
    d.set_item("loglik", f.loglik)?;
    d.set_item("iterations", f.iterations)?;
    d.set_item("converged", f.converged)?;
    d.set_item("joint_intervals", f.joint_intervals)?;
    Ok(d)
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
) -> PyResult<Bound<'py, PyDict>> {
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
    let d = PyDict::new(py);
    d.set_item("matrix_corrupted", stage1.into_pyarray(py))?;
    d.set_item("refit_rounds", rounds)?;
    d.set_item("alpha_used", alpha_used)?;
    d.set_item("theta", f.theta.into_pyarray(py))?;
    d.set_item("i", cells.i.into_pyarray(py))?;
    d.set_item("j", cells.j.into_pyarray(py))?;
    d.set_item("wins_i", cells.x.into_pyarray(py))?;
    d.set_item("wins_j", cells.y.into_pyarray(py))?;
    d.set_item("logit", f.logit.into_pyarray(py))?;
    d.set_item("weight", f.weight.into_pyarray(py))?;
    d.set_item("residual", f.residual.into_pyarray(py))?;
    d.set_item("corrupted", f.corrupted.into_pyarray(py))?;
    d.set_item("sigma", f.sigma)?;
    d.set_item("iterations", f.iterations)?;
    d.set_item("converged", f.converged)?;
    Ok(d)
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
) -> PyResult<Bound<'py, PyDict>> {
    let o = options(py, alpha, eps_init, max_iter, tol, pairs, min_weight)?;
    let shape = scores.shape().to_vec();
    let s = scores.as_slice()?;
    let r = py
        .guarded(|| curate_scores(s, shape[0], shape[1], shape[2], &o))
        .map_err(|e| to_py(py, e))?;
    curated_dict(py, r, shape[0], shape[1])
}

/// The fields of a [`Curated`] as a dict (`theta` as `prompts x responses`).
fn curated_dict(
    py: Python<'_>,
    r: Curated,
    n_prompts: usize,
    n_resp: usize,
) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("prompt", r.prompt.into_pyarray(py))?;
    d.set_item("chosen", r.chosen.into_pyarray(py))?;
    d.set_item("rejected", r.rejected.into_pyarray(py))?;
    d.set_item("weight", r.weight.into_pyarray(py))?;
    d.set_item("judge_epsilon", r.judge_epsilon.into_pyarray(py))?;
    d.set_item("judge_votes", r.judge_votes.into_pyarray(py))?;
    d.set_item("label_epsilon", r.label_epsilon)?;
    d.set_item("epsilon", r.epsilon)?;
    d.set_item(
        "theta",
        r.theta.into_pyarray(py).reshape([n_prompts, n_resp])?,
    )?;
    d.set_item("iterations", r.iterations)?;
    d.set_item("converged", r.converged)?;
    Ok(d)
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
) -> PyResult<Bound<'py, PyDict>> {
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
    let d = curated_dict(py, out.curated, n_prompts, out.n_resp)?;
    d.set_item(
        "items",
        out.items
            .into_pyarray(py)
            .reshape([n_prompts, out.n_resp])?,
    )?;
    Ok(d)
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
) -> PyResult<Bound<'py, PyDict>> {
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
    let d = PyDict::new(py);
    d.set_item("i", ri.into_pyarray(py))?;
    d.set_item("j", rj.into_pyarray(py))?;
    d.set_item("i_won", won.into_pyarray(py))?;
    d.set_item("target", f.target)?;
    d.set_item("top_before", f.top_before)?;
    d.set_item("top_after", f.top_after)?;
    d.set_item("theta_before", f.theta_before.into_pyarray(py))?;
    d.set_item("theta_after", f.theta_after.into_pyarray(py))?;
    d.set_item("found", f.found)?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(robust_label_noise, m)?)?;
    m.add_function(wrap_pyfunction!(robust_btl_fit, m)?)?;
    m.add_function(wrap_pyfunction!(robust_curate, m)?)?;
    m.add_function(wrap_pyfunction!(robust_curate_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(robust_fragility, m)?)?;
    Ok(())
}
