"""Helpers shared by the robust estimators."""

from __future__ import annotations

import warnings
from statistics import NormalDist

from prefrank._options import check_level
from prefrank.exceptions import ConvergenceWarning


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + check_level(level) / 2.0)


def _warn(converged: bool, what: str, iterations: int) -> None:
    if not converged:
        warnings.warn(
            f"{what} did not converge in {iterations} iterations; the result has converged=False",
            ConvergenceWarning,
            stacklevel=3,
        )
