//! Bindings for prefrank-core `shapley`.

use crate::cancel::Guarded;
use crate::convert::{opt_slice, parse_ties, ComparisonsArg};
use crate::to_py;
use numpy::{
    IntoPyArray, PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use prefrank_core::rank::bt::BtOptions;
use prefrank_core::shapley::{
    self as core, games::par_values, Game as CoreGameTrait, SampledValues, SamplingOptions,
    Semivalue,
};
use prefrank_core::Error;
use pyo3::prelude::*;

type TableOut<'py> = (Bound<'py, PyArray1<f64>>, f64, f64, f64);
type SampledOut<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    u64,
    u64,
    bool,
    f64,
    f64,
    f64,
);

fn semivalue_kind(
    kind: &str,
    alpha: f64,
    beta: f64,
    weights: Option<Vec<f64>>,
) -> Result<Semivalue, Error> {
    match kind {
        "shapley" => Ok(Semivalue::Shapley),
        "banzhaf" => Ok(Semivalue::Banzhaf),
        "beta" => Ok(Semivalue::Beta { alpha, beta }),
        "weights" => Ok(Semivalue::Weights(weights.unwrap_or_default())),
        other => Err(Error::invalid(
            "kind",
            format!("unknown semivalue {other:?} (shapley, banzhaf, beta, weights)"),
        )),
    }
}

/// Semivalues from a table of 2^n coalition values (bit k of the index = player k).
#[pyfunction]
#[pyo3(signature = (table, kind="shapley", alpha=1.0, beta=1.0, weights=None))]
fn semivalues_table<'py>(
    py: Python<'py>,
    table: PyReadonlyArray1<'py, f64>,
    kind: &str,
    alpha: f64,
    beta: f64,
    weights: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<TableOut<'py>> {
    let w = match &weights {
        Some(w) => Some(w.as_slice()?.to_vec()),
        None => None,
    };
    let kind = semivalue_kind(kind, alpha, beta, w).map_err(|e| to_py(py, e))?;
    let t = table.as_slice()?;
    let r = py
        .guarded(|| core::semivalues_from_table(t, &kind))
        .map_err(|e| to_py(py, e))?;
    Ok((r.values.into_pyarray(py), r.v_empty, r.v_full, r.residual))
}

/// Refuse a table for n players that is too large (see prefrank-core `check_table_memory`).
#[pyfunction]
#[pyo3(signature = (n_players, max_bytes=None))]
fn check_table_memory(py: Python<'_>, n_players: usize, max_bytes: Option<u64>) -> PyResult<()> {
    core::table::check_table_memory(n_players, max_bytes).map_err(|e| to_py(py, e))
}

fn sampled_out<'py>(py: Python<'py>, s: SampledValues) -> SampledOut<'py> {
    (
        s.values.into_pyarray(py),
        s.stderr.into_pyarray(py),
        s.n_samples,
        s.n_evaluations,
        s.converged,
        s.v_empty,
        s.v_full,
        s.residual,
    )
}

fn options(
    max_stderr: f64,
    max_evaluations: Option<u64>,
    seed: u64,
    chunk: usize,
    chunks_per_round: usize,
) -> SamplingOptions {
    SamplingOptions {
        max_stderr,
        max_evaluations: max_evaluations.unwrap_or(u64::MAX),
        seed,
        chunk,
        chunks_per_round,
    }
}

/// Sample Shapley (permutations) or Banzhaf (MSR) values of a Python batch function.
///
/// `func(members)` gets a `(m, n)` uint8 array (1 = member) and returns `m` values.
#[pyfunction]
#[pyo3(signature = (func, n_players, method, max_stderr=0.0, max_evaluations=None, seed=0, chunk=4, chunks_per_round=16))]
#[allow(clippy::too_many_arguments)]
fn sample_callable<'py>(
    py: Python<'py>,
    func: Py<PyAny>,
    n_players: usize,
    method: &str,
    max_stderr: f64,
    max_evaluations: Option<u64>,
    seed: u64,
    chunk: usize,
    chunks_per_round: usize,
) -> PyResult<SampledOut<'py>> {
    let opts = options(max_stderr, max_evaluations, seed, chunk, chunks_per_round);
    let mut py_err: Option<PyErr> = None;
    let n = n_players;
    let method = method.to_string();
    let res = py.guarded(|| {
        let mut eval = |members: &[u8], out: &mut [f64]| -> Result<(), Error> {
            Python::attach(|py| -> Result<(), Error> {
                let mut call = || -> PyResult<()> {
                    let arr = PyArray1::from_slice(py, members).reshape([out.len(), n])?;
                    let got = func.bind(py).call1((arr,))?;
                    let vals: PyReadonlyArray1<f64> = got.extract()?;
                    let vals = vals.as_slice()?;
                    if vals.len() != out.len() {
                        return Err(pyo3::exceptions::PyValueError::new_err(format!(
                            "the game returned {} values for {} coalitions",
                            vals.len(),
                            out.len()
                        )));
                    }
                    out.copy_from_slice(vals);
                    Ok(())
                };
                call().map_err(|e| {
                    py_err = Some(e);
                    Error::invalid("game", "the game function raised an error")
                })
            })
        };
        match method.as_str() {
            "permutation" => core::permutation_shapley(n, &mut eval, &opts),
            "msr" => core::msr_banzhaf(n, &mut eval, &opts),
            other => Err(Error::invalid(
                "method",
                format!("unknown sampler {other:?} (permutation, msr)"),
            )),
        }
    });
    if let Some(e) = py_err {
        return Err(e);
    }
    let s = res.map_err(|e| to_py(py, e))?;
    Ok(sampled_out(py, s))
}

enum GameKind {
    Shift(core::ShiftGame),
    Majority(core::MajorityGame),
    Slices(core::SliceGame),
}

/// A game built into the core: `Game.shift(...)` or `Game.majority(...)`.
#[pyclass(module = "prefrank._core", name = "Game", frozen)]
struct PyGame {
    inner: GameKind,
}

impl PyGame {
    fn game(&self) -> &dyn CoreGameTrait {
        match &self.inner {
            GameKind::Shift(g) => g,
            GameKind::Majority(g) => g,
            GameKind::Slices(g) => g,
        }
    }
}

#[pymethods]
impl PyGame {
    /// Distribution-shift game: `ratios` is `(n_samples, n_mechanisms)`.
    #[staticmethod]
    #[pyo3(signature = (metric, ratios, weight=None, normalize=true))]
    fn shift<'py>(
        py: Python<'py>,
        metric: PyReadonlyArray1<'py, f64>,
        ratios: PyReadonlyArray2<'py, f64>,
        weight: Option<PyReadonlyArray1<'py, f64>>,
        normalize: bool,
    ) -> PyResult<Self> {
        let k = ratios.shape()[1];
        let m = metric.as_slice()?;
        let r = ratios.as_slice()?;
        let w = opt_slice(&weight)?;
        let g = py
            .guarded(|| core::ShiftGame::new(m, r, k, w, normalize))
            .map_err(|e| to_py(py, e))?;
        Ok(PyGame {
            inner: GameKind::Shift(g),
        })
    }

    /// Majority-label agreement game over coded ratings; `reference[u]` = 2**32-1 for none.
    #[staticmethod]
    #[pyo3(signature = (unit, rater, label, reference, n_players, n_labels))]
    fn majority<'py>(
        py: Python<'py>,
        unit: PyReadonlyArray1<'py, u32>,
        rater: PyReadonlyArray1<'py, u32>,
        label: PyReadonlyArray1<'py, u32>,
        reference: PyReadonlyArray1<'py, u32>,
        n_players: usize,
        n_labels: usize,
    ) -> PyResult<Self> {
        let (u, r, l, re) = (
            unit.as_slice()?,
            rater.as_slice()?,
            label.as_slice()?,
            reference.as_slice()?,
        );
        let g = py
            .guarded(|| core::MajorityGame::new(u, r, l, re, n_players, n_labels))
            .map_err(|e| to_py(py, e))?;
        Ok(PyGame {
            inner: GameKind::Majority(g),
        })
    }

    /// Leaderboard-slices game: Bradley-Terry on the comparisons of each coalition of slices.
    /// `target` is "score" (item), "rank" (item), "gap" (item - other) or "kendall_tau" (reference).
    #[staticmethod]
    #[pyo3(signature = (comparisons, slice, n_slices, target, item=0, other=0, reference=None, ties="half", alpha=0.0, max_iter=10_000, tol=1e-10))]
    #[allow(clippy::too_many_arguments)]
    fn slices<'py>(
        py: Python<'py>,
        comparisons: ComparisonsArg<'py>,
        slice: PyReadonlyArray1<'py, u32>,
        n_slices: usize,
        target: &str,
        item: u32,
        other: u32,
        reference: Option<PyReadonlyArray1<'py, f64>>,
        ties: &str,
        alpha: f64,
        max_iter: usize,
        tol: f64,
    ) -> PyResult<Self> {
        let target = match target {
            "score" => core::SliceTarget::Score(item),
            "rank" => core::SliceTarget::Rank(item),
            "gap" => core::SliceTarget::Gap(item, other),
            "kendall_tau" => core::SliceTarget::KendallTau(match &reference {
                Some(r) => r.as_slice()?.to_vec(),
                None => Vec::new(),
            }),
            other => {
                return Err(to_py(
                    py,
                    Error::invalid(
                        "target",
                        format!("{other:?} is not one of 'score', 'rank', 'gap', 'kendall_tau'"),
                    ),
                ))
            }
        };
        let opts = BtOptions {
            ties: parse_ties(ties, true).map_err(|e| to_py(py, e))?,
            alpha,
            max_iter,
            tol,
            ..Default::default()
        };
        let c = comparisons.view()?;
        let sl = slice.as_slice()?;
        let g = py
            .guarded(|| -> Result<core::SliceGame, Error> {
                prefrank_core::data::validate_comparisons(&c, false)?;
                core::SliceGame::new(&c, sl, n_slices, target, opts)
            })
            .map_err(|e| to_py(py, e))?;
        Ok(PyGame {
            inner: GameKind::Slices(g),
        })
    }

    /// Coalition fits that stopped before meeting the tolerance (slices game; 0 otherwise).
    #[getter]
    fn n_unconverged(&self) -> usize {
        match &self.inner {
            GameKind::Slices(g) => g.n_unconverged(),
            _ => 0,
        }
    }

    #[getter]
    fn n_players(&self) -> usize {
        self.game().n_players()
    }

    /// Values of the coalitions in the rows of `members` (uint8, 1 = member).
    fn values<'py>(
        &self,
        py: Python<'py>,
        members: PyReadonlyArray2<'py, u8>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let g = self.game();
        if members.shape()[1] != g.n_players() {
            return Err(to_py(
                py,
                Error::LengthMismatch {
                    left: "members columns".into(),
                    left_len: members.shape()[1],
                    right: "players".into(),
                    right_len: g.n_players(),
                },
            ));
        }
        let m = members.as_slice()?;
        let mut out = vec![0.0; members.shape()[0]];
        py.guarded(|| par_values(g, m, &mut out))
            .map_err(|e| to_py(py, e))?;
        Ok(out.into_pyarray(py))
    }

    /// The table of all 2^n coalition values (size checked first).
    #[pyo3(signature = (max_bytes=None))]
    fn table<'py>(
        &self,
        py: Python<'py>,
        max_bytes: Option<u64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let g = self.game();
        let t = py
            .guarded(|| core::game_table(g, max_bytes))
            .map_err(|e| to_py(py, e))?;
        Ok(t.into_pyarray(py))
    }

    /// Sampled Shapley ("permutation") or Banzhaf ("msr") values, evaluated in the core.
    #[pyo3(signature = (method, max_stderr=0.0, max_evaluations=None, seed=0, chunk=4, chunks_per_round=16))]
    #[allow(clippy::too_many_arguments)]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        max_stderr: f64,
        max_evaluations: Option<u64>,
        seed: u64,
        chunk: usize,
        chunks_per_round: usize,
    ) -> PyResult<SampledOut<'py>> {
        let g = self.game();
        let opts = options(max_stderr, max_evaluations, seed, chunk, chunks_per_round);
        let n = g.n_players();
        let res = py.guarded(|| {
            let mut eval = |m: &[u8], out: &mut [f64]| par_values(g, m, out);
            match method {
                "permutation" => core::permutation_shapley(n, &mut eval, &opts),
                "msr" => core::msr_banzhaf(n, &mut eval, &opts),
                other => Err(Error::invalid(
                    "method",
                    format!("unknown sampler {other:?} (permutation, msr)"),
                )),
            }
        });
        let s = res.map_err(|e| to_py(py, e))?;
        Ok(sampled_out(py, s))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(semivalues_table, m)?)?;
    m.add_function(wrap_pyfunction!(check_table_memory, m)?)?;
    m.add_function(wrap_pyfunction!(sample_callable, m)?)?;
    m.add_class::<PyGame>()?;
    Ok(())
}
