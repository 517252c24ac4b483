//! Input conversion helpers shared by the capability files.

use numpy::{Element, PyReadonlyArray1};
use pyo3::prelude::*;

/// A 1-d numpy array of one of two element types (Arrow offsets: `int32` or `int64`; codes:
/// `uint8` or `uint32`), borrowed; kernels generic over the element take either.
pub(crate) enum EitherArray<'py, A: Element, B: Element> {
    A(PyReadonlyArray1<'py, A>),
    B(PyReadonlyArray1<'py, B>),
}

impl<'py, A: Element, B: Element> EitherArray<'py, A, B> {
    pub(crate) fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        match obj.extract::<PyReadonlyArray1<'py, A>>() {
            Ok(x) => Ok(EitherArray::A(x)),
            Err(_) => Ok(EitherArray::B(obj.extract()?)),
        }
    }
}

/// Run `$body` with `$x` bound to the array as a slice of its own element type, the GIL released.
macro_rules! with_either {
    ($py:expr, $array:expr, |$x:ident| $body:expr) => {
        match &$array {
            $crate::convert::EitherArray::A(v) => {
                let $x = v.as_slice()?;
                $py.detach(|| $body)
            }
            $crate::convert::EitherArray::B(v) => {
                let $x = v.as_slice()?;
                $py.detach(|| $body)
            }
        }
    };
}
pub(crate) use with_either;

/// The slice of an optional array argument.
pub(crate) fn opt_slice<'a, T: numpy::Element>(
    x: &'a Option<PyReadonlyArray1<'_, T>>,
) -> PyResult<Option<&'a [T]>> {
    match x {
        Some(v) => Ok(Some(v.as_slice()?)),
        None => Ok(None),
    }
}
