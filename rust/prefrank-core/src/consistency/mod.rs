//! Judge-consistency kernels: triads and cycles, tournaments, position bias, score-vs-pair checks.
