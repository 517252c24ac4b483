//! Bindings for prefrank-core `consistency`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use prefrank_core::consistency::{self as core, Aggregate, CensusInput, Tournament};
use prefrank_core::data::ComparisonsRef;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::to_py;

fn opt_slice<'a, T: numpy::Element>(
    x: &'a Option<PyReadonlyArray1<'_, T>>,
) -> PyResult<Option<&'a [T]>> {
    match x {
        Some(v) => Ok(Some(v.as_slice()?)),
        None => Ok(None),
    }
}

/// Within-group transitivity census. Returns a dict of per-unit arrays (and example triples).
#[pyfunction]
#[pyo3(signature = (n_items, a, b, p, tie, weight, group, n_groups, judge=None, aggregate="majority", margin=0.0, ntr=false, examples_per_unit=0))]
#[allow(clippy::too_many_arguments)]
fn triad_census<'py>(
    py: Python<'py>,
    n_items: usize,
    a: PyReadonlyArray1<'py, u32>,
    b: PyReadonlyArray1<'py, u32>,
    p: PyReadonlyArray1<'py, f64>,
    tie: PyReadonlyArray1<'py, u8>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    group: PyReadonlyArray1<'py, u32>,
    n_groups: usize,
    judge: Option<PyReadonlyArray1<'py, u32>>,
    aggregate: &str,
    margin: f64,
    ntr: bool,
    examples_per_unit: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let agg = Aggregate::parse(aggregate, margin).map_err(|e| to_py(py, e))?;
    let inp = CensusInput {
        comps: ComparisonsRef {
            n_items,
            a: a.as_slice()?,
            b: b.as_slice()?,
            p: p.as_slice()?,
            tie: tie.as_slice()?,
            weight: opt_slice(&weight)?,
        },
        group: group.as_slice()?,
        n_groups,
        judge: opt_slice(&judge)?,
        aggregate: agg,
        ntr,
        examples_per_unit,
    };
    let c = py.detach(|| core::census(&inp)).map_err(|e| to_py(py, e))?;
    let d = PyDict::new(py);
    let ntr_col = |k: usize| -> Vec<u64> { c.ntr.iter().map(|r| r[k]).collect() };
    if ntr {
        d.set_item("k4", ntr_col(0).into_pyarray(py))?;
        d.set_item("bad4", ntr_col(1).into_pyarray(py))?;
        d.set_item("k5", ntr_col(2).into_pyarray(py))?;
        d.set_item("bad5", ntr_col(3).into_pyarray(py))?;
    }
    let ex = &c.examples;
    d.set_item(
        "ex_unit",
        ex.iter()
            .map(|e| e.unit)
            .collect::<Vec<_>>()
            .into_pyarray(py),
    )?;
    d.set_item(
        "ex_class",
        ex.iter()
            .map(|e| e.class)
            .collect::<Vec<_>>()
            .into_pyarray(py),
    )?;
    d.set_item(
        "ex_x",
        ex.iter().map(|e| e.x).collect::<Vec<_>>().into_pyarray(py),
    )?;
    d.set_item(
        "ex_y",
        ex.iter().map(|e| e.y).collect::<Vec<_>>().into_pyarray(py),
    )?;
    d.set_item(
        "ex_z",
        ex.iter().map(|e| e.z).collect::<Vec<_>>().into_pyarray(py),
    )?;
    d.set_item("group", c.group.into_pyarray(py))?;
    d.set_item("judge", c.judge.into_pyarray(py))?;
    d.set_item("n_items", c.n_items.into_pyarray(py))?;
    d.set_item("n_pairs", c.n_pairs.into_pyarray(py))?;
    d.set_item("triples", c.triples.into_pyarray(py))?;
    d.set_item("circular", c.circular.into_pyarray(py))?;
    d.set_item("equivalence", c.equivalence.into_pyarray(py))?;
    d.set_item("other", c.other.into_pyarray(py))?;
    Ok(d)
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
        .detach(|| core::cluster_ratio_bootstrap(num, den, n_cols, rounds, seed))
        .map_err(|e| to_py(py, e))?;
    Ok(r.into_pyarray(py))
}

/// Whole-tournament statistics from comparisons or from an `n x n` win matrix (flattened).
#[pyfunction]
#[pyo3(signature = (n_items, a=None, b=None, p=None, tie=None, weight=None, wins=None, ties=None, aggregate="majority", margin=0.0, cycles=0, order=true, exact_max=20, max_passes=20))]
#[allow(clippy::too_many_arguments)]
fn tournament_stats<'py>(
    py: Python<'py>,
    n_items: usize,
    a: Option<PyReadonlyArray1<'py, u32>>,
    b: Option<PyReadonlyArray1<'py, u32>>,
    p: Option<PyReadonlyArray1<'py, f64>>,
    tie: Option<PyReadonlyArray1<'py, u8>>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    wins: Option<PyReadonlyArray1<'py, f64>>,
    ties: Option<PyReadonlyArray1<'py, f64>>,
    aggregate: &str,
    margin: f64,
    cycles: usize,
    order: bool,
    exact_max: usize,
    max_passes: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let agg = Aggregate::parse(aggregate, margin).map_err(|e| to_py(py, e))?;
    let t: Tournament = match (&a, &b, &p, &tie, &wins) {
        (Some(a), Some(b), Some(p), Some(tie), None) => {
            let c = ComparisonsRef {
                n_items,
                a: a.as_slice()?,
                b: b.as_slice()?,
                p: p.as_slice()?,
                tie: tie.as_slice()?,
                weight: opt_slice(&weight)?,
            };
            py.detach(|| Tournament::from_comparisons(&c, agg))
                .map_err(|e| to_py(py, e))?
        }
        (None, None, None, None, Some(w)) => {
            let w = w.as_slice()?;
            let t = opt_slice(&ties)?;
            py.detach(|| Tournament::from_matrix(n_items, w, t, agg))
                .map_err(|e| to_py(py, e))?
        }
        _ => {
            return Err(crate::PrefrankError::new_err(
                "tournament_stats: pass either a, b, p, tie or wins",
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
        .detach(|| -> prefrank_core::Result<_> {
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
    let d = PyDict::new(py);
    d.set_item("n_items", census.n_items)?;
    d.set_item("n_arcs", census.n_arcs)?;
    d.set_item("n_ties", census.n_ties)?;
    d.set_item("complete", census.complete)?;
    d.set_item("triples", census.triples)?;
    d.set_item("circular", census.circular)?;
    d.set_item("equivalence", census.equivalence)?;
    d.set_item("other", census.other)?;
    d.set_item("zeta", census.zeta)?;
    d.set_item("c3_max", census.c3_max)?;
    d.set_item("wins", t.out_degree().into_pyarray(py))?;
    d.set_item("component", comp.into_pyarray(py))?;
    d.set_item("cycles", cyc)?;
    if let Some((o, exact, back)) = ord {
        d.set_item("order", o.into_pyarray(py))?;
        d.set_item("exact", exact)?;
        d.set_item("backward_arcs", back)?;
    }
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(triad_census, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_ratio_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(tournament_stats, m)?)?;
    Ok(())
}
