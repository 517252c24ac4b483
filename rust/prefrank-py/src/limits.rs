//! The memory limit (prefrank-core `limits`): set, read and explain it from Python.

use crate::error::to_py;
use prefrank_core::limits;
use pyo3::prelude::*;

/// Set the memory limit in bytes for this process; None restores the default (the
/// `PREFRANK_MEMORY_LIMIT` environment variable, else 90% of the available memory).
#[pyfunction]
#[pyo3(signature = (limit))]
fn set_memory_limit(limit: Option<u64>) {
    limits::set_memory_limit(limit);
}

/// The memory limit in force now, in bytes.
#[pyfunction]
fn get_memory_limit(py: Python<'_>) -> PyResult<u64> {
    limits::memory_limit().map_err(|e| to_py(py, e))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_memory_limit, m)?)?;
    m.add_function(wrap_pyfunction!(get_memory_limit, m)?)?;
    Ok(())
}
