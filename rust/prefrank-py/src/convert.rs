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

/// A coded comparison table as it crosses the FFI: the attributes `n_items`, `a`, `b`, `p`, `tie`
/// and `weight` of Python's `prefrank.data.Comparisons` (typed by the `ComparisonTable` protocol in
/// `_core.pyi`). Every `_core` function that takes comparisons takes this one argument.
#[derive(FromPyObject)]
pub(crate) struct ComparisonsArg<'py> {
    #[pyo3(attribute)]
    n_items: usize,
    #[pyo3(attribute)]
    a: PyReadonlyArray1<'py, u32>,
    #[pyo3(attribute)]
    b: PyReadonlyArray1<'py, u32>,
    #[pyo3(attribute)]
    p: PyReadonlyArray1<'py, f64>,
    #[pyo3(attribute)]
    tie: PyReadonlyArray1<'py, u8>,
    #[pyo3(attribute)]
    weight: Option<PyReadonlyArray1<'py, f64>>,
}

impl ComparisonsArg<'_> {
    /// The core's view of the table (borrowed slices; the arrays must be C-contiguous).
    pub(crate) fn view(&self) -> PyResult<ComparisonsRef<'_>> {
        Ok(ComparisonsRef {
            n_items: self.n_items,
            a: self.a.as_slice()?,
            b: self.b.as_slice()?,
            p: self.p.as_slice()?,
            tie: self.tie.as_slice()?,
            weight: opt_slice(&self.weight)?,
        })
    }
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
