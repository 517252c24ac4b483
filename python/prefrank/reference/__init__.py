"""Pure-Python reference twins of prefrank's kernels.

Written for clarity, not speed: they are the test oracle for the Rust core and the "pure Python"
baseline in the benchmarks. Each function states the kernel it mirrors.
"""

from prefrank.reference.data import code_labels, pair_counts
from prefrank.reference.robust import curate_scores, label_noise, robust_btl

__all__ = ["code_labels", "curate_scores", "label_noise", "pair_counts", "robust_btl"]
