//! Judge-consistency kernels: triads and cycles, tournaments, position bias, score-vs-pair checks.

pub mod binomial;
pub mod bootstrap;
pub mod cells;
pub mod position;
pub mod scores;
pub mod tournament;
pub mod triads;

pub use bootstrap::cluster_ratio_bootstrap;
pub use cells::{Cells, CellsView};
pub use tournament::{Tournament, TripleCensus};
pub use triads::{census, Aggregate, Census, CensusInput, Example};
