//! Shapley and other semivalues: from tables, from games, by sampling.
