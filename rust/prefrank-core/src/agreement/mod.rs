//! Agreement and disagreement statistics (Krippendorff, kappas, per-item and model-vs-model).
