"""Helpers shared by the robust estimators."""

from __future__ import annotations

import warnings
from statistics import NormalDist

from prefrank.exceptions import ConvergenceWarning, PrefrankError


def _z(level: float) -> float:
    if not (isinstance(level, (int, float)) and 0.0 < level < 1.0):
        raise PrefrankError(f"level must be in (0, 1), got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _warn(converged: bool, what: str, iterations: int) -> None:
    if not converged:
        warnings.warn(
            f"{what} did not converge in {iterations} iterations; the result has converged=False",
            ConvergenceWarning,
            stacklevel=3,
        )
