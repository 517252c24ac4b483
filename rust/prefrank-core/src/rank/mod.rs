//! Ranking models fitted from pair counts.
