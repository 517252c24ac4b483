//! plackett_luce (see module docs).
