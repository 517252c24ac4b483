//! Input conversion helpers shared by the capability files.

use numpy::{Element, PyReadonlyArray1};
use prefrank_core::data::ComparisonsRef;
use prefrank_core::rank::bt::Ties;
use prefrank_core::Error;
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
                $crate::cancel::Guarded::guarded($py, || $body)
            }
            $crate::convert::EitherArray::B(v) => {
                let $x = v.as_slice()?;
                $crate::cancel::Guarded::guarded($py, || $body)
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

/// The comparison columns of a function's arguments as the core's view of them.
pub(crate) fn comparisons<'a>(
    n_items: usize,
    a: &'a PyReadonlyArray1<'_, u32>,
    b: &'a PyReadonlyArray1<'_, u32>,
    p: &'a PyReadonlyArray1<'_, f64>,
    tie: &'a PyReadonlyArray1<'_, u8>,
    weight: &'a Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<ComparisonsRef<'a>> {
    Ok(ComparisonsRef {
        n_items,
        a: a.as_slice()?,
        b: b.as_slice()?,
        p: p.as_slice()?,
        tie: tie.as_slice()?,
        weight: opt_slice(weight)?,
    })
}

/// The `ties` argument: `"half"` or `"drop"`, and where the model has them (`tie_models`) the
/// tie models `"davidson"` and `"rao_kupper"`.
pub(crate) fn parse_ties(s: &str, tie_models: bool) -> Result<Ties, Error> {
    const ALL: [(&str, Ties); 4] = [
        ("half", Ties::Half),
        ("drop", Ties::Drop),
        ("davidson", Ties::Davidson),
        ("rao_kupper", Ties::RaoKupper),
    ];
    let allowed = if tie_models { &ALL[..] } else { &ALL[..2] };
    match allowed.iter().find(|(name, _)| *name == s) {
        Some(&(_, t)) => Ok(t),
        None => {
            let names: Vec<String> = allowed.iter().map(|(n, _)| format!("'{n}'")).collect();
            Err(Error::invalid(
                "ties",
                format!("{s:?} is not one of {}", names.join(", ")),
            ))
        }
    }
}
