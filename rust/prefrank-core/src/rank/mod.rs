//! Ranking models fitted from pair counts: Bradley-Terry (with tie models), Elo, spectral methods,
//! Plackett-Luce, bootstrap intervals.

pub mod batched;
pub mod bootstrap;
pub mod bt;
pub mod contextual;
pub mod elo;
pub mod plackett_luce;
pub mod robust;
pub mod spectral;
pub mod spectral_rankings;
