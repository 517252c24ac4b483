//! Shared numerics, one copy each: small dense linear algebra, L-BFGS, comparison-graph
//! structure, the logistic function.

pub mod graph;
pub mod linalg;
pub mod logistic;
pub mod optim;
pub mod scale;
