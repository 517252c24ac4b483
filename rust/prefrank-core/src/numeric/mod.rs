//! Shared numerics, one copy each: small dense linear algebra, L-BFGS, comparison-graph
//! structure.

pub mod graph;
pub mod linalg;
pub mod optim;
