//! Bindings for prefrank-core `consistency`.

use crate::cancel::Guarded;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use prefrank_core::consistency::{self as core, Aggregate, CensusInput, Tournament};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::borrow::Cow;

use crate::convert::{opt_slice, ComparisonsArg};
use crate::ranking::arr;
use crate::to_py;

/// A transitivity census (`triad_census`): per unit (group, judge) its counts; with `ntr` the
/// 4- and 5-item counts (`k4`, `bad4`, `k5`, `bad5`, else None); `ex_*` the example triples.
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct TriadCensus {
    group: Py<PyArray1<u32>>,
    judge: Py<PyArray1<u32>>,
    n_items: Py<PyArray1<u32>>,
    n_pairs: Py<PyArray1<u64>>,
    triples: Py<PyArray1<u64>>,
    circular: Py<PyArray1<u64>>,
    equivalence: Py<PyArray1<u64>>,
    other: Py<PyArray1<u64>>,
    k4: Option<Py<PyArray1<u64>>>,
    bad4: Option<Py<PyArray1<u64>>>,
    k5: Option<Py<PyArray1<u64>>>,
    bad5: Option<Py<PyArray1<u64>>>,
    ex_unit: Py<PyArray1<u64>>,
    ex_class: Py<PyArray1<u8>>,
    ex_x: Py<PyArray1<u32>>,
    ex_y: Py<PyArray1<u32>>,
    ex_z: Py<PyArray1<u32>>,
}

/// Whole-tournament statistics (`tournament_stats`); `order`, `exact` and `backward_arcs` are
/// None unless an order was asked for.
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct TournamentSummary {
    n_items: u64,
    n_arcs: u64,
    n_ties: u64,
    complete: bool,
    triples: u64,
    circular: u64,
    equivalence: u64,
    other: u64,
    zeta: f64,
    c3_max: u64,
    /// Per item: its out-degree (arcs won).
    wins: Py<PyArray1<u64>>,
    /// Per item: its strongly connected component.
    component: Py<PyArray1<u32>>,
    /// Short cycles, each as item codes.
    cycles: Vec<Vec<u32>>,
    order: Option<Py<PyArray1<u32>>>,
    exact: Option<bool>,
    backward_arcs: Option<u64>,
}

/// The score-vs-verdict table (`score_table`): `table` is 3 x 3, the rest per judge code.
#[pyclass(module = "prefrank._core", frozen, get_all, skip_from_py_object)]
pub(crate) struct ScoreTable {
    table: Py<PyArray2<f64>>,
    n: Py<PyArray1<f64>>,
    conflicts: Py<PyArray1<f64>>,
    reversals: Py<PyArray1<f64>>,
}

/// Within-group transitivity census: per-unit arrays and example triples.
#[pyfunction]
#[pyo3(signature = (comparisons, group, n_groups, judge=None, aggregate="majority", margin=0.0, ntr=false, examples_per_unit=0))]
#[allow(clippy::too_many_arguments)]
fn triad_census<'py>(
    py: Python<'py>,
    comparisons: ComparisonsArg<'py>,
    group: PyReadonlyArray1<'py, u32>,
    n_groups: usize,
    judge: Option<PyReadonlyArray1<'py, u32>>,
    aggregate: &str,
    margin: f64,
    ntr: bool,
    examples_per_unit: usize,
) -> PyResult<TriadCensus> {
    let agg = Aggregate::parse(aggregate, margin).map_err(|e| to_py(py, e))?;
    let inp = CensusInput {
        comps: comparisons.view()?,
        group: group.as_slice()?,
        n_groups,
        judge: opt_slice(&judge)?,
        aggregate: agg,
        ntr,
        examples_per_unit,
    };
    let c = py
        .guarded(|| core::census(&inp))
        .map_err(|e| to_py(py, e))?;
    let ntr_col = |k: usize| ntr.then(|| arr(py, c.ntr.iter().map(|r| r[k]).collect()));
    let ex = &c.examples;
    let ex_col = |f: fn(&core::Example) -> u32| arr(py, ex.iter().map(f).collect());
    Ok(TriadCensus {
        k4: ntr_col(0),
        bad4: ntr_col(1),
        k5: ntr_col(2),
        bad5: ntr_col(3),
        ex_unit: arr(py, ex.iter().map(|e| e.unit).collect()),
        ex_class: arr(py, ex.iter().map(|e| e.class).collect()),
        ex_x: ex_col(|e| e.x),
        ex_y: ex_col(|e| e.y),
        ex_z: ex_col(|e| e.z),
        group: arr(py, c.group),
        judge: arr(py, c.judge),
        n_items: arr(py, c.n_items),
        n_pairs: arr(py, c.n_pairs),
        triples: arr(py, c.triples),
        circular: arr(py, c.circular),
        equivalence: arr(py, c.equivalence),
        other: arr(py, c.other),
    })
}

/// Cluster bootstrap of ratios: `rounds x n_cols` replicate rates (flattened, row-major).
#[pyfunction]
#[pyo3(signature = (num, den, n_cols, rounds, seed))]
fn cluster_ratio_bootstrap<'py>(
    py: Python<'py>,
    num: PyReadonlyArray1<'py, f64>,
    den: PyReadonlyArray1<'py, f64>,
    n_cols: usize,
    rounds: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (num, den) = (num.as_slice()?, den.as_slice()?);
    let r = py
        .guarded(|| core::cluster_ratio_bootstrap(num, den, n_cols, rounds, seed))
        .map_err(|e| to_py(py, e))?;
    Ok(r.into_pyarray(py))
}

/// Whole-tournament statistics from comparisons or from an `n x n` win matrix (flattened).
#[pyfunction]
#[pyo3(signature = (comparisons=None, n_items=0, wins=None, ties=None, aggregate="majority", margin=0.0, cycles=0, order=true, exact_max=20, max_passes=20))]
#[allow(clippy::too_many_arguments)]
fn tournament_stats<'py>(
    py: Python<'py>,
    comparisons: Option<ComparisonsArg<'py>>,
    n_items: usize,
    wins: Option<PyReadonlyArray1<'py, f64>>,
    ties: Option<PyReadonlyArray1<'py, f64>>,
    aggregate: &str,
    margin: f64,
    cycles: usize,
    order: bool,
    exact_max: usize,
    max_passes: usize,
) -> PyResult<TournamentSummary> {
    let agg = Aggregate::parse(aggregate, margin).map_err(|e| to_py(py, e))?;
    let t: Tournament = match (&comparisons, &wins) {
        (Some(comparisons), None) => {
            let c = comparisons.view()?;
            py.guarded(|| Tournament::from_comparisons(&c, agg))
                .map_err(|e| to_py(py, e))?
        }
        (None, Some(w)) => {
            let w = w.as_slice()?;
            let t = opt_slice(&ties)?;
            py.guarded(|| Tournament::from_matrix(n_items, w, t, agg))
                .map_err(|e| to_py(py, e))?
        }
        _ => {
            return Err(crate::PrefrankError::new_err(
                "tournament_stats: pass either comparisons or wins",
            ))
        }
    };
    #[allow(clippy::type_complexity)]
    let (census, comp, cyc, ord): (
        core::TripleCensus,
        Vec<u32>,
        Vec<Vec<u32>>,
        Option<(Vec<u32>, bool, u64)>,
    ) = py
        .guarded(|| -> prefrank_core::Result<_> {
            let census = t.census();
            let comp = t.components();
            let cyc = t.short_cycles(cycles);
            let ord = if order {
                let (o, exact) = t.feedback_order(exact_max, max_passes)?;
                let back = t.backward_arcs(&o);
                Some((o, exact, back))
            } else {
                None
            };
            Ok((census, comp, cyc, ord))
        })
        .map_err(|e| to_py(py, e))?;
    let (order, exact, backward_arcs) = match ord {
        Some((o, exact, back)) => (Some(arr(py, o)), Some(exact), Some(back)),
        None => (None, None, None),
    };
    Ok(TournamentSummary {
        n_items: census.n_items,
        n_arcs: census.n_arcs,
        n_ties: census.n_ties,
        complete: census.complete,
        triples: census.triples,
        circular: census.circular,
        equivalence: census.equivalence,
        other: census.other,
        zeta: census.zeta,
        c3_max: census.c3_max,
        wins: arr(py, t.out_degree()),
        component: arr(py, comp),
        cycles: cyc,
        order,
        exact,
        backward_arcs,
    })
}

/// `Cells` as a dict of numpy arrays (the form that crosses process boundaries).
pub(crate) fn cells_to_dict<'py>(py: Python<'py>, c: core::Cells) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("group", c.group.into_pyarray(py))?;
    d.set_item("judge", c.judge.into_pyarray(py))?;
    d.set_item("lo", c.lo.into_pyarray(py))?;
    d.set_item("hi", c.hi.into_pyarray(py))?;
    d.set_item("order", c.order.into_pyarray(py))?;
    d.set_item("lo_won", c.lo_won.into_pyarray(py))?;
    d.set_item("hi_won", c.hi_won.into_pyarray(py))?;
    d.set_item("tie", c.tie.into_pyarray(py))?;
    d.set_item("q_lo", c.q_lo.into_pyarray(py))?;
    d.set_item("q_hi", c.q_hi.into_pyarray(py))?;
    Ok(d)
}

/// One column of a cells dict, copied (any stride); a missing key or another dtype is an error.
fn dict_col<T: numpy::Element + Copy>(
    d: &Bound<'_, PyDict>,
    arg: &str,
    key: &str,
    dtype: &str,
) -> PyResult<Vec<T>> {
    let v = d.get_item(key)?.ok_or_else(|| {
        crate::PrefrankError::new_err(format!("{arg}: cells dict has no key '{key}'"))
    })?;
    let a = v.extract::<PyReadonlyArray1<'_, T>>().map_err(|_| {
        crate::PrefrankError::new_err(format!(
            "{arg}: cells dict key '{key}' must be a 1-D {dtype} numpy array"
        ))
    })?;
    Ok(a.as_array().iter().copied().collect())
}

pub(crate) fn dict_to_cells(d: &Bound<'_, PyDict>, arg: &str) -> PyResult<core::Cells> {
    Ok(core::Cells {
        group: dict_col(d, arg, "group", "uint32")?,
        judge: dict_col(d, arg, "judge", "uint32")?,
        lo: dict_col(d, arg, "lo", "uint32")?,
        hi: dict_col(d, arg, "hi", "uint32")?,
        order: dict_col(d, arg, "order", "uint8")?,
        lo_won: dict_col(d, arg, "lo_won", "float64")?,
        hi_won: dict_col(d, arg, "hi_won", "float64")?,
        tie: dict_col(d, arg, "tie", "float64")?,
        q_lo: dict_col(d, arg, "q_lo", "float64")?,
        q_hi: dict_col(d, arg, "q_hi", "float64")?,
    })
}

/// Check a table built in Python; the message says which argument was bad.
fn validated(c: core::CellsView<'_>, arg: &str) -> prefrank_core::Result<()> {
    c.validate()
        .map_err(|e| prefrank_core::Error::invalid(arg, e.to_string()))
}

/// Verdict cells of one chunk of comparisons: per (group, judge, lo, hi, order) sums, sorted.
#[pyfunction]
#[pyo3(signature = (a, b, p, tie, weight=None, group=None, judge=None, first=None))]
#[allow(clippy::too_many_arguments)]
fn cells_accumulate<'py>(
    py: Python<'py>,
    a: PyReadonlyArray1<'py, u32>,
    b: PyReadonlyArray1<'py, u32>,
    p: PyReadonlyArray1<'py, f64>,
    tie: PyReadonlyArray1<'py, u8>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    group: Option<PyReadonlyArray1<'py, u32>>,
    judge: Option<PyReadonlyArray1<'py, u32>>,
    first: Option<PyReadonlyArray1<'py, u8>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (a, b, p, tie) = (a.as_slice()?, b.as_slice()?, p.as_slice()?, tie.as_slice()?);
    let (weight, group) = (opt_slice(&weight)?, opt_slice(&group)?);
    let (judge, first) = (opt_slice(&judge)?, opt_slice(&first)?);
    let c = py
        .guarded(|| core::Cells::accumulate(a, b, p, tie, weight, group, judge, first))
        .map_err(|e| to_py(py, e))?;
    cells_to_dict(py, c)
}

/// The columns of a cells dict, borrowed from its numpy arrays (read-only).
struct DictCols<'py> {
    keys: [PyReadonlyArray1<'py, u32>; 4],
    order: PyReadonlyArray1<'py, u8>,
    values: [PyReadonlyArray1<'py, f64>; 5],
}

/// One column of a cells dict; a missing key or another dtype is an error.
fn dict_array<'py, T: numpy::Element>(
    d: &Bound<'py, PyDict>,
    arg: &str,
    key: &str,
    dtype: &str,
) -> PyResult<PyReadonlyArray1<'py, T>> {
    let v = d.get_item(key)?.ok_or_else(|| {
        crate::PrefrankError::new_err(format!("{arg}: cells dict has no key '{key}'"))
    })?;
    v.extract::<PyReadonlyArray1<'py, T>>().map_err(|_| {
        crate::PrefrankError::new_err(format!(
            "{arg}: cells dict key '{key}' must be a 1-D {dtype} numpy array"
        ))
    })
}

/// A column as a slice: borrowed when contiguous, else copied.
fn cow<'a, T: numpy::Element + Copy>(a: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match a.as_slice() {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(a.as_array().iter().copied().collect()),
    }
}

impl<'py> DictCols<'py> {
    fn new(d: &Bound<'py, PyDict>, arg: &str) -> PyResult<Self> {
        let u = |k| dict_array::<u32>(d, arg, k, "uint32");
        let f = |k| dict_array::<f64>(d, arg, k, "float64");
        Ok(DictCols {
            keys: [u("group")?, u("judge")?, u("lo")?, u("hi")?],
            order: dict_array(d, arg, "order", "uint8")?,
            values: [
                f("lo_won")?,
                f("hi_won")?,
                f("tie")?,
                f("q_lo")?,
                f("q_hi")?,
            ],
        })
    }

    /// Run `work` on the columns as a [`core::CellsView`] (no copy of contiguous columns).
    fn with_view<T>(&self, work: impl FnOnce(core::CellsView<'_>) -> T) -> T {
        let [g, j, lo, hi] = self.keys.each_ref().map(cow);
        let order = cow(&self.order);
        let [lw, hw, t, ql, qh] = self.values.each_ref().map(cow);
        work(core::CellsView {
            group: &g,
            judge: &j,
            lo: &lo,
            hi: &hi,
            order: &order,
            lo_won: &lw,
            hi_won: &hw,
            tie: &t,
            q_lo: &ql,
            q_hi: &qh,
        })
    }
}

/// Merge two cells dicts (equal keys add, x's value first). The inputs are read in place from
/// their numpy arrays, so the merge holds the inputs and the output only.
#[pyfunction]
fn cells_merge<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyDict>,
    y: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyDict>> {
    let (dx, dy) = (DictCols::new(x, "x")?, DictCols::new(y, "y")?);
    let c = dx
        .with_view(|cx| {
            dy.with_view(|cy| {
                py.guarded(|| -> prefrank_core::Result<core::Cells> {
                    validated(cx, "x")?;
                    validated(cy, "y")?;
                    Ok(cx.merge(&cy))
                })
            })
        })
        .map_err(|e| to_py(py, e))?;
    cells_to_dict(py, c)
}

/// Recode a cells dict's group, judge and item codes through `map[code]` (None: unchanged).
#[pyfunction]
#[pyo3(signature = (x, group_map=None, judge_map=None, item_map=None))]
fn cells_recode<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyDict>,
    group_map: Option<PyReadonlyArray1<'py, u32>>,
    judge_map: Option<PyReadonlyArray1<'py, u32>>,
    item_map: Option<PyReadonlyArray1<'py, u32>>,
) -> PyResult<Bound<'py, PyDict>> {
    let cx = dict_to_cells(x, "x")?;
    let (gm, jm, im) = (
        opt_slice(&group_map)?,
        opt_slice(&judge_map)?,
        opt_slice(&item_map)?,
    );
    let c = py
        .guarded(|| -> prefrank_core::Result<core::Cells> {
            validated(cx.view(), "x")?;
            cx.recode(gm, jm, im)
        })
        .map_err(|e| to_py(py, e))?;
    cells_to_dict(py, c)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(triad_census, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_ratio_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(tournament_stats, m)?)?;
    m.add_function(wrap_pyfunction!(cells_accumulate, m)?)?;
    m.add_function(wrap_pyfunction!(cells_merge, m)?)?;
    m.add_function(wrap_pyfunction!(cells_recode, m)?)?;
    m.add_function(wrap_pyfunction!(binomial_test, m)?)?;
    m.add_function(wrap_pyfunction!(wilson_interval, m)?)?;
    m.add_function(wrap_pyfunction!(position_bias, m)?)?;
    m.add_function(wrap_pyfunction!(score_table, m)?)?;
    m.add_function(wrap_pyfunction!(pair_cells_combine, m)?)?;
    m.add_class::<TriadCensus>()?;
    m.add_class::<TournamentSummary>()?;
    m.add_class::<ScoreTable>()?;
    Ok(())
}

/// Two-sided binomial tests of `k[i]` successes in `n[i]` trials against 1/2 (exact for whole
/// counts; see prefrank-core `consistency::binomial`).
#[pyfunction]
fn binomial_test<'py>(
    py: Python<'py>,
    k: PyReadonlyArray1<'py, f64>,
    n: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (k, n) = (k.as_slice()?, n.as_slice()?);
    let p = py
        .guarded(|| core::binomial::binomial_tests(k, n))
        .map_err(|e| to_py(py, e))?;
    Ok(p.into_pyarray(py))
}

/// Wilson score intervals `(lo, hi)` of `k[i]` in `n[i]` at `level`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn wilson_interval<'py>(
    py: Python<'py>,
    k: PyReadonlyArray1<'py, f64>,
    n: PyReadonlyArray1<'py, f64>,
    level: f64,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
    let (k, n) = (k.as_slice()?, n.as_slice()?);
    let (lo, hi) = py
        .guarded(|| -> prefrank_core::Result<(Vec<f64>, Vec<f64>)> {
            let z = core::binomial::level_z(level)?;
            if k.len() != n.len() {
                return Err(prefrank_core::Error::LengthMismatch {
                    left: "k".into(),
                    left_len: k.len(),
                    right: "n".into(),
                    right_len: n.len(),
                });
            }
            Ok(k.iter()
                .zip(n)
                .map(|(&k, &n)| core::binomial::wilson(k, n, z))
                .unzip())
        })
        .map_err(|e| to_py(py, e))?;
    Ok((lo.into_pyarray(py), hi.into_pyarray(py)))
}

/// Position bias of a cells dict: pooled sums, Wilson interval, p-value and swap patterns, and with
/// `n_judges` the same per judge code.
#[pyfunction]
#[pyo3(signature = (cells, level, n_judges=None))]
fn position_bias<'py>(
    py: Python<'py>,
    cells: &Bound<'py, PyDict>,
    level: f64,
    n_judges: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let c = dict_to_cells(cells, "cells")?;
    let s = py
        .guarded(|| core::position::position_bias(&c, n_judges, level))
        .map_err(|e| to_py(py, e))?;
    let d = PyDict::new(py);
    d.set_item("first_wins", s.first_wins)?;
    d.set_item("n_decisive", s.decisive)?;
    d.set_item("n_ties", s.ties)?;
    d.set_item("lo", s.lo)?;
    d.set_item("hi", s.hi)?;
    d.set_item("p_value", s.p_value)?;
    let pats = PyDict::new(py);
    for (name, v) in core::position::PATTERNS.iter().zip(s.patterns) {
        pats.set_item(*name, v)?;
    }
    d.set_item("patterns", pats)?;
    if let Some(p) = s.by_judge {
        let j = PyDict::new(py);
        j.set_item("first_wins", p.first_wins.into_pyarray(py))?;
        j.set_item("n_decisive", p.decisive.into_pyarray(py))?;
        j.set_item("n_ties", p.ties.into_pyarray(py))?;
        j.set_item("lo", p.lo.into_pyarray(py))?;
        j.set_item("hi", p.hi.into_pyarray(py))?;
        j.set_item("p_value", p.p_value.into_pyarray(py))?;
        for (name, v) in core::position::PATTERNS.iter().zip(p.patterns) {
            j.set_item(*name, v.into_pyarray(py))?;
        }
        j.set_item("swapped_pairs", p.swapped_pairs.into_pyarray(py))?;
        d.set_item("by_judge", j)?;
    }
    Ok(d)
}

/// Score-vs-verdict table: `table` (3 x 3, flattened) and per judge `n`, `conflicts`, `reversals`.
/// `aggregate=None` counts rows; a rule counts (group, judge, pair) cells (the census's rules).
#[pyfunction]
#[pyo3(signature = (comparisons, score_a, score_b, group=None, judge=None, n_judges=None, aggregate=None, margin=0.0, tolerance=0.0))]
#[allow(clippy::too_many_arguments)]
fn score_table<'py>(
    py: Python<'py>,
    comparisons: ComparisonsArg<'py>,
    score_a: PyReadonlyArray1<'py, f64>,
    score_b: PyReadonlyArray1<'py, f64>,
    group: Option<PyReadonlyArray1<'py, u32>>,
    judge: Option<PyReadonlyArray1<'py, u32>>,
    n_judges: Option<usize>,
    aggregate: Option<&str>,
    margin: f64,
    tolerance: f64,
) -> PyResult<ScoreTable> {
    let agg = aggregate
        .map(|name| Aggregate::parse(name, margin))
        .transpose()
        .map_err(|e| to_py(py, e))?;
    let inp = core::scores::ScoreInput {
        comps: comparisons.view()?,
        group: opt_slice(&group)?,
        judge: opt_slice(&judge)?,
        score_a: score_a.as_slice()?,
        score_b: score_b.as_slice()?,
    };
    let t = py
        .guarded(|| core::scores::score_table(&inp, agg, tolerance, n_judges))
        .map_err(|e| to_py(py, e))?;
    let flat: Vec<f64> = t.table.iter().flatten().copied().collect();
    Ok(ScoreTable {
        table: flat.into_pyarray(py).reshape([3, 3])?.unbind(),
        n: arr(py, t.n),
        conflicts: arr(py, t.conflicts),
        reversals: arr(py, t.reversals),
    })
}

/// Combine (key, lo, hi) pair cells: equal keys summed in input order, smallest `first` kept,
/// sorted by key. `mass` is `(n, 3)`. Returns `(key, lo, hi, first, mass)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn pair_cells_combine<'py>(
    py: Python<'py>,
    key: PyReadonlyArray1<'py, u32>,
    lo: PyReadonlyArray1<'py, u32>,
    hi: PyReadonlyArray1<'py, u32>,
    first: PyReadonlyArray1<'py, i64>,
    mass: numpy::PyReadonlyArray2<'py, f64>,
) -> PyResult<(
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, numpy::PyArray2<f64>>,
)> {
    let m = mass.as_array();
    if m.ncols() != 3 {
        return Err(crate::PrefrankError::new_err(format!(
            "mass must have 3 columns (lo won, hi won, tie), got {}",
            m.ncols()
        )));
    }
    let rows: Vec<[f64; 3]> = m.rows().into_iter().map(|r| [r[0], r[1], r[2]]).collect();
    let (key, lo, hi, first) = (
        key.as_slice()?,
        lo.as_slice()?,
        hi.as_slice()?,
        first.as_slice()?,
    );
    let c = py
        .guarded(|| prefrank_core::data::pair_cells::combine(key, lo, hi, first, &rows))
        .map_err(|e| to_py(py, e))?;
    let n = c.mass.len();
    let flat: Vec<f64> = c.mass.into_iter().flatten().collect();
    let mass = numpy::ndarray::Array2::from_shape_vec((n, 3), flat)
        .map_err(|e| crate::PrefrankError::new_err(e.to_string()))?;
    Ok((
        c.key.into_pyarray(py),
        c.lo.into_pyarray(py),
        c.hi.into_pyarray(py),
        c.first.into_pyarray(py),
        mass.into_pyarray(py),
    ))
}
