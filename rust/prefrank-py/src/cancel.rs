//! The one way the binding runs core work: without the GIL, interruptible, and with panics caught.
//!
//! [`Guarded::guarded`] runs the work on the calling thread, without the GIL, as the owner of a
//! fresh [`Token`]. The core's checkpoints on that thread (and `cancel::offload`, while parallel
//! sections run on the pool) call [`poll`] every 20 ms: it takes the GIL and runs
//! `check_signals()`, so Ctrl-C runs Python's SIGINT handler. When the handler raises
//! (KeyboardInterrupt by default), the token is cancelled, the work stops at its next checkpoint
//! and the call returns `Error::Cancelled`, which [`crate::to_py`] turns back into the handler's
//! exception. Short work never polls and pays only for the token (well under a microsecond).
//! A panic in the work becomes `Error::Internal` (an `InternalError` saying it is a bug), never
//! an abort or a `PanicException`.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use prefrank_core::cancel::Token;
use prefrank_core::Error;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;

thread_local! {
    /// The exception the SIGINT handler raised, kept until `to_py` maps the `Cancelled` it caused.
    static RAISED: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// The core's poll (registered at module init): run Python's signal handlers; true when one
/// raised, whose exception is kept for [`interrupt`].
pub(crate) fn poll() -> bool {
    Python::attach(|py| match py.check_signals() {
        Ok(()) => false,
        Err(e) => {
            RAISED.with(|r| *r.borrow_mut() = Some(e));
            true
        }
    })
}

/// The exception of a cancelled call: what the signal handler raised, else a KeyboardInterrupt.
pub(crate) fn interrupt() -> PyErr {
    RAISED
        .with(|r| r.borrow_mut().take())
        .unwrap_or_else(|| PyKeyboardInterrupt::new_err("interrupted"))
}

/// Running core work from the binding (in place of `Python::detach`).
pub(crate) trait Guarded {
    /// Run `work` without the GIL; `Err(Error::Cancelled)` shortly after Ctrl-C and
    /// `Err(Error::Internal)` if it panics.
    fn guarded<T, F>(self, work: F) -> Result<T, Error>
    where
        T: Send,
        F: FnOnce() -> Result<T, Error> + Send;

    /// [`Guarded::guarded`] for work that cannot fail otherwise.
    fn guarded_ok<T, F>(self, work: F) -> Result<T, Error>
    where
        Self: Sized,
        T: Send,
        F: FnOnce() -> T + Send,
    {
        self.guarded(|| Ok(work()))
    }
}

impl Guarded for Python<'_> {
    fn guarded<T, F>(self, work: F) -> Result<T, Error>
    where
        T: Send,
        F: FnOnce() -> Result<T, Error> + Send,
    {
        let token = Token::new();
        let outcome = self.detach(|| catch_unwind(AssertUnwindSafe(|| token.own(work))));
        match outcome {
            // A handler raised: its exception is the call's outcome even if the work finished.
            _ if token.is_cancelled() => Err(Error::Cancelled),
            Ok(result) => result,
            Err(payload) => Err(Error::Internal {
                message: payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_string()),
            }),
        }
    }
}

/// Panic inside [`Guarded::guarded`], to test the guard from Python.
#[doc(hidden)]
#[pyfunction]
pub(crate) fn _panic_for_test(py: Python<'_>) -> PyResult<()> {
    py.guarded(|| -> Result<(), Error> { panic!("deliberate panic to test the guard") })
        .map_err(|e| crate::to_py(py, e))
}
