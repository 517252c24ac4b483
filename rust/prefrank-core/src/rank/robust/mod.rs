//! Robust ranking recovery and preference-data curation.
//!
//! - [`noise`]: Bradley-Terry with a per-judge label-flip probability fitted by EM on the
//!   pair-outcome cells of each judge (posterior probability that each comparison is correct,
//!   flip rate `epsilon` with an interval, per-judge reliability).
//! - [`matrix`]: robust recovery of the skew-symmetric rank-2 BTL logit matrix from an empirical
//!   matrix with corrupted and missing entries (alternating projection and hard thresholding).
//! - [`refit`]: trimmed Bradley-Terry refit after the matrix step (flag pairs by their deviance
//!   residual, refit BT by maximum likelihood on the rest, repeat until the flags are stable).
//! - [`curate`]: batched per-prompt EM over millions of small problems (scores from several judges),
//!   returning cleaned `(chosen, rejected, weight)` pairs and a flip rate.
//! - [`fragility`]: the smallest set of comparisons whose removal changes the top item (greedy by
//!   influence, confirmed by refitting).

pub mod curate;
pub mod fragility;
pub mod matrix;
pub mod noise;
pub mod refit;

/// Largest flip rate allowed: above 1/2 the labels of the model swap meaning.
pub const EPS_MAX: f64 = 0.49;
/// Smallest flip rate kept (keeps every log finite).
pub const EPS_MIN: f64 = 1e-9;
