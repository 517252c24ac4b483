//! spectral (see module docs).
