"""Helpers shared by the robust estimators."""

from __future__ import annotations

import warnings
from statistics import NormalDist
from typing import Any

from prefrank import _core
from prefrank._options import check_level
from prefrank.data.comparisons import PairCounts, games_and_wins
from prefrank.exceptions import ConvergenceWarning
from prefrank.ranking.results import Ranking


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + check_level(level) / 2.0)


def _warn(converged: bool, what: str, iterations: int) -> None:
    if not converged:
        warnings.warn(
            f"{what} did not converge in {iterations} iterations; the result has converged=False",
            ConvergenceWarning,
            stacklevel=3,
        )


def _ranking(
    method: str,
    counts: PairCounts,
    out: _core.RobustBtlFit | _core.LabelNoiseFit,
    scale: str,
    offset: float,
    **extra: Any,
) -> Ranking:
    """The :class:`Ranking` of a robust fit's strengths ``out.theta`` (ties counted half), with the
    games and wins of the pair counts it was fitted on."""
    games, wins = games_and_wins(counts, counts.n_items)
    return Ranking(
        method=method,
        items=counts.items,
        theta=out.theta,
        scale=scale,
        offset=float(offset),
        converged=bool(out.converged),
        iterations=int(out.iterations),
        ties="half",
        games=games,
        wins=wins,
        counts=counts,
        **extra,
    )
