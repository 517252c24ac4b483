//! PyO3 glue for prefrank-core: convert inputs, release the GIL, call the core, map errors, return
//! numpy arrays. No arithmetic lives here. This file is the module init only: `error` holds the
//! exceptions and the error mapping, `convert` the shared input conversions, and one file per
//! capability the functions and result classes.

use pyo3::prelude::*;

mod agreement;
mod cancel;
mod coding;
mod consistency;
mod convert;
mod data;
mod error;
mod limits;
mod plackett_luce;
mod ranking;
mod robust;
mod shapley;
mod stats;

pub(crate) use data::PairCounts;
pub(crate) use error::{to_py, PrefrankError};

/// Version of the compiled core (equals the package version).
const VERSION: &str = env!("CARGO_PKG_VERSION");

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", VERSION)?;
    error::register(m)?;
    prefrank_core::cancel::set_poll(cancel::poll);
    m.add_function(wrap_pyfunction!(cancel::_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(data::validate_comparisons, m)?)?;
    m.add_function(wrap_pyfunction!(data::numeric_outcome_ties, m)?)?;
    m.add_function(wrap_pyfunction!(data::outcomes_from_codes, m)?)?;
    m.add_function(wrap_pyfunction!(coding::code_str_objects, m)?)?;
    m.add_function(wrap_pyfunction!(coding::code_ucs4, m)?)?;
    m.add_function(wrap_pyfunction!(coding::code_i64, m)?)?;
    m.add_function(wrap_pyfunction!(coding::code_utf8, m)?)?;
    m.add_function(wrap_pyfunction!(coding::code_utf8_32, m)?)?;
    m.add_function(wrap_pyfunction!(coding::code_utf8_few, m)?)?;
    m.add_function(wrap_pyfunction!(coding::outcomes_utf8, m)?)?;
    m.add_class::<PairCounts>()?;
    agreement::register(m)?;
    consistency::register(m)?;
    ranking::register(m)?;
    plackett_luce::register(m)?;
    robust::register(m)?;
    shapley::register(m)?;
    stats::register(m)?;
    limits::register(m)?;
    Ok(())
}

/// mimalloc for every Rust allocation of the module: it keeps freed blocks for reuse, so the
/// large fresh outputs of repeated kernel calls do not fault their pages in again (measured
/// against the system allocator and a huge-page allocator in benches/results/allocator.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
