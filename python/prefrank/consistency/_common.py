"""Position bias: first-position win rates, swap patterns, Wilson intervals and the exact binomial test."""

from __future__ import annotations

from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_real
from prefrank.data.comparisons import Comparisons, as_comparisons
from prefrank.exceptions import parameter_error
from prefrank.stats import ComparisonStats, accumulate_comparisons
from prefrank.stream import wants_stream

# --------------------------------------------------------------------------------------------------
# Position bias


def _wilson(k: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score intervals at ``level`` (NaN where ``n <= 0``), computed in the core."""
    k = np.ascontiguousarray(k, np.float64)
    n = np.ascontiguousarray(n, np.float64)
    shape = np.broadcast_shapes(k.shape, n.shape)
    k, n = np.broadcast_to(k, shape).ravel(), np.broadcast_to(n, shape).ravel()
    lo, hi = _core.wilson_interval(np.ascontiguousarray(k), np.ascontiguousarray(n), float(level))
    return lo.reshape(shape), hi.reshape(shape)


_AGGREGATES = ("majority", "probability", "unanimous")


CLASS_NAMES = ("transitive", "circular", "equivalence", "other")


_RATE_COLUMNS = ("circular", "equivalence", "other", "non_transitive")


def _check_aggregate(aggregate: str, margin: float) -> None:
    if aggregate not in _AGGREGATES:
        raise parameter_error("aggregate", f"aggregate={aggregate!r} is not one of {', '.join(map(repr, _AGGREGATES))}")
    check_real("margin", margin, min=0.0, max=0.5, max_open=True)


def _stats(data: Any, batch_rows: int | None, cols: dict[str, Any]) -> Any:
    """The :class:`~prefrank.ComparisonStats` of ``data`` when it is one already, or a directory /
    glob (or a file with ``batch_rows=``) to stream; None for in-memory data."""

    if isinstance(data, ComparisonStats):
        extra = [k for k, v in cols.items() if v is not None and k not in {"drop_self", "outcomes"}]
        if extra:
            raise parameter_error(
                extra[0], f"data is already a ComparisonStats; do not pass column options ({', '.join(extra)})"
            )
        return data
    if wants_stream(data, batch_rows):
        return accumulate_comparisons(data, batch_rows=batch_rows, **cols)
    return None


def _table(data: Any, aggregate: str = "majority", batch_rows: int | None = None, **cols: Any) -> Comparisons:
    """The comparison rows of ``data``; merged statistics give their verdict cells as weighted rows."""
    st = _stats(data, batch_rows, cols)
    if st is not None:
        return st.table(aggregate)
    return as_comparisons(data, **cols)


def _rate(num: np.ndarray | float, den: np.ndarray | float) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(den) > 0, np.asarray(num, float) / np.maximum(den, 1), np.nan)


def _runs(sorted_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a non-decreasing array and the run index of each entry (like np.unique)."""
    if len(sorted_codes) == 0:
        return sorted_codes[:0], np.zeros(0, np.int64)
    new = np.empty(len(sorted_codes), bool)
    new[0] = True
    np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=new[1:])
    return sorted_codes[new], np.cumsum(new) - 1


def _percentile_ci(reps: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(reps, lo_q, axis=0), np.nanquantile(reps, hi_q, axis=0)


def _cluster_ci(
    num: np.ndarray, den: np.ndarray, *, rounds: int, seed: int, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of ratio columns from a bootstrap over clusters (rows of num/den)."""
    n_cols = num.shape[1]
    if rounds <= 0 or num.shape[0] == 0:
        nan = np.full(n_cols, np.nan)
        return nan, nan.copy()
    reps = _core.cluster_ratio_bootstrap(
        np.ascontiguousarray(num, np.float64).ravel(),
        np.ascontiguousarray(den, np.float64).ravel(),
        n_cols,
        int(rounds),
        int(seed),
    ).reshape(rounds, n_cols)
    return _percentile_ci(reps, level)


_REL = ("a", "tie", "b")
