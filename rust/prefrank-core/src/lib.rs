//! prefrank-core: pure-Rust kernels behind the prefrank Python package.
//!
//! Every kernel follows `accumulate(chunk) -> Stats`, `merge(Stats, Stats) -> Stats`,
//! `finalize(Stats) -> Estimate` wherever the mathematics allows, so that threads,
//! out-of-core streaming and clusters are the same code path with another driver.
//! Nothing here depends on Python.
//!
//! No `unsafe` outside `simd`: the crate denies `unsafe_code` and only `simd` (the runtime CPU
//! dispatch) allows it. `forbid` would say it more strongly but cannot be overridden for one
//! module, so `deny` plus one `allow` is the closest the lint levels offer.
#![deny(unsafe_code)]

pub mod agreement;
pub mod cancel;
pub mod consistency;
pub mod data;
pub mod error;
pub mod limits;
pub mod numeric;
pub mod par;
pub mod rank;
pub mod shapley;
#[allow(unsafe_code)]
pub mod simd;
pub mod stats;

pub use error::{Error, Result};
