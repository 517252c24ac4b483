//! The Python exceptions of the module and the one mapping from a core [`Error`] to them.
//!
//! ```text
//! ValueError
//!  └── PrefrankError
//!       ├── InputError            .row .column .value (None where unknown)
//!       ├── ParameterError        .param
//!       ├── TooLargeError         .requested .limit .what .hint
//!       ├── NotIdentifiableError
//!       └── InternalError         a bug in prefrank (a caught panic)
//! ```
//!
//! Every exception made here also carries `.kind` (the core variant, snake case), `.row` and
//! `.code` (an item code where the error names one; None otherwise), which the Python layer reads
//! to rephrase a message in terms of labels and to shift rows by a batch offset.

use prefrank_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

create_exception!(
    _core,
    PrefrankError,
    PyValueError,
    "Base class of prefrank's input and model errors."
);
create_exception!(
    _core,
    InputError,
    PrefrankError,
    "The input data are invalid; `.row`, `.column` and `.value` name the offending entry where \
     known (None otherwise)."
);
create_exception!(
    _core,
    ParameterError,
    PrefrankError,
    "A parameter is invalid; `.param` names it."
);
create_exception!(
    _core,
    TooLargeError,
    PrefrankError,
    "The work would exceed a size limit; `.requested` is the size asked, `.limit` what fits, \
     `.hint` the alternative."
);
create_exception!(
    _core,
    NotIdentifiableError,
    PrefrankError,
    "The model cannot be estimated from these data (for example a disconnected comparison graph)."
);
create_exception!(
    _core,
    InternalError,
    PrefrankError,
    "A bug in prefrank (a panic in the compiled core, caught at the boundary); please report it."
);

/// Register the exception classes on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PrefrankError", py.get_type::<PrefrankError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ParameterError", py.get_type::<ParameterError>())?;
    m.add("TooLargeError", py.get_type::<TooLargeError>())?;
    m.add(
        "NotIdentifiableError",
        py.get_type::<NotIdentifiableError>(),
    )?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}

/// A value named by an input error: a float from a numeric column or an item code.
enum Value {
    Float(f64),
    Code(u32),
}

/// Map a core error to its Python exception, with the variant's structured fields as attributes.
/// The message is the core's `Display`, unchanged.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    let (kind, row, code): (&str, Option<usize>, Option<u32>) = match &e {
        Error::Empty { .. } => ("empty", None, None),
        Error::LengthMismatch { .. } => ("length_mismatch", None, None),
        Error::NonFinite { row, .. } => ("non_finite", Some(*row), None),
        Error::Negative { row, .. } => ("negative", Some(*row), None),
        Error::OutOfUnitInterval { row, .. } => ("out_of_unit_interval", Some(*row), None),
        Error::SelfComparison { row, item } => ("self_comparison", Some(*row), Some(*item)),
        Error::CodeOutOfRange { row, code, .. } => ("code_out_of_range", Some(*row), Some(*code)),
        Error::TooManyLabels { .. } => ("too_many_labels", None, None),
        Error::ShapeMismatch { .. } => ("shape_mismatch", None, None),
        Error::Corrupt { .. } => ("corrupt", None, None),
        Error::CorruptStats { .. } => ("corrupt_stats", None, None),
        Error::InvalidParameter { .. } => ("invalid_parameter", None, None),
        Error::NotIdentifiable { .. } => ("not_identifiable", None, None),
        Error::TooLarge { .. } => ("too_large", None, None),
        Error::Cancelled => return crate::cancel::interrupt(),
        Error::Internal { .. } => ("internal", None, None),
    };
    let err = match &e {
        Error::InvalidParameter { .. } => ParameterError::new_err(msg),
        Error::TooLarge { .. } | Error::TooManyLabels { .. } => TooLargeError::new_err(msg),
        Error::NotIdentifiable { .. } => NotIdentifiableError::new_err(msg),
        Error::Internal { .. } => InternalError::new_err(msg),
        _ => InputError::new_err(msg),
    };
    let obj = err.value(py);
    // Converting a field or setting it on a fresh exception cannot fail in practice; if it did,
    // the exception would still carry its message, so a failure leaves the attribute out.
    let set = |name: &str, v: PyResult<Bound<'_, PyAny>>| {
        if let Ok(v) = v {
            let _ = obj.setattr(name, v);
        }
    };
    set("kind", kind.into_bound_py_any(py));
    set("row", row.into_bound_py_any(py));
    set("code", code.into_bound_py_any(py));
    match &e {
        Error::InvalidParameter { name, .. } => {
            set("param", name.into_bound_py_any(py));
        }
        Error::TooLarge {
            what,
            requested,
            limit,
            hint,
        } => {
            set("requested", requested.into_bound_py_any(py));
            set("limit", limit.into_bound_py_any(py));
            set("what", what.into_bound_py_any(py));
            set("hint", hint.into_bound_py_any(py));
        }
        Error::TooManyLabels { count } => {
            set("requested", count.into_bound_py_any(py));
            set("limit", (u32::MAX as u64).into_bound_py_any(py));
            set("what", "distinct labels".into_bound_py_any(py));
            set("hint", Ok(py.None().into_bound(py)));
        }
        Error::NotIdentifiable { .. } | Error::Internal { .. } => {}
        _ => {
            let (column, value): (Option<&str>, Option<Value>) = match &e {
                Error::NonFinite { column, value, .. }
                | Error::Negative { column, value, .. }
                | Error::OutOfUnitInterval { column, value, .. } => {
                    (Some(column.as_str()), Some(Value::Float(*value)))
                }
                Error::SelfComparison { item, .. } => (None, Some(Value::Code(*item))),
                Error::CodeOutOfRange { code, .. } => (None, Some(Value::Code(*code))),
                _ => (None, None),
            };
            set("column", column.into_bound_py_any(py));
            let value = match value {
                Some(Value::Float(x)) => x.into_bound_py_any(py),
                Some(Value::Code(c)) => c.into_bound_py_any(py),
                None => Ok(py.None().into_bound(py)),
            };
            set("value", value);
        }
    }
    err
}
