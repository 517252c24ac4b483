//! Input data: label coding, comparison validation and the mergeable pair-count statistic.

pub mod coding;
pub mod comparisons;
pub mod pair_cells;
pub mod pairs;

pub use coding::{Coded, Coder};
pub use comparisons::{
    numeric_outcome_ties, outcomes_from_codes, validate_comparisons, ComparisonsRef,
};
pub use pairs::PairCounts;
