"""Pure-Python reference twins of prefrank's kernels.

Written for clarity, not speed: they are the test oracle for the Rust core and the "pure Python"
baseline in the benchmarks. Each function states the kernel it mirrors.
"""

from prefrank.reference import agreement, attribution, consistency, ranking, robust
from prefrank.reference.data import code_labels, pair_counts

__all__ = ["agreement", "attribution", "code_labels", "consistency", "pair_counts", "ranking", "robust"]
