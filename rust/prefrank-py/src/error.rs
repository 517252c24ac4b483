//! The Python exceptions of the module and the one mapping from a core [`Error`] to them.

use prefrank_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(
    _core,
    PrefrankError,
    PyValueError,
    "Base class of prefrank's input and model errors."
);
create_exception!(
    _core,
    NotIdentifiableError,
    PrefrankError,
    "The model cannot be estimated from these data (for example a disconnected comparison graph)."
);

/// Map a core error to a Python exception. Structured fields (`kind`, `row`, `value`) are attached
/// so the Python layer can rephrase a message in terms of labels.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    let err = match &e {
        Error::NotIdentifiable { .. } => NotIdentifiableError::new_err(msg),
        _ => PrefrankError::new_err(msg),
    };
    let value = err.value(py);
    let (kind, row, code): (&str, Option<usize>, Option<u32>) = match &e {
        Error::SelfComparison { row, item } => ("self_comparison", Some(*row), Some(*item)),
        Error::NonFinite { row, .. } => ("non_finite", Some(*row), None),
        Error::Negative { row, .. } => ("negative", Some(*row), None),
        Error::OutOfUnitInterval { row, .. } => ("out_of_unit_interval", Some(*row), None),
        Error::CodeOutOfRange { row, code, .. } => ("code_out_of_range", Some(*row), Some(*code)),
        Error::LengthMismatch { .. } => ("length_mismatch", None, None),
        Error::Empty { .. } => ("empty", None, None),
        _ => ("other", None, None),
    };
    let _ = value.setattr("kind", kind);
    let _ = value.setattr("row", row);
    let _ = value.setattr("code", code);
    err
}
