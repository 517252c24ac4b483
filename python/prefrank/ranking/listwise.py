"""Plackett-Luce from full rankings, top-k rankings and choice sets."""

from __future__ import annotations

import warnings
from typing import Any, TypedDict

from prefrank import _core
from prefrank._options import check_choice
from prefrank.data.rankings import ranking_observations
from prefrank.exceptions import ConvergenceWarning
from prefrank.ranking._common import _check_fit, ranking_fit_errors
from prefrank.ranking.results import Ranking

__all__ = ["plackett_luce"]


class RankingColumns(TypedDict, total=False):
    """The data arguments of :func:`plackett_luce` that the other ranking estimators take too
    (``**columns: Unpack[RankingColumns]`` with ``@keywords_of(plackett_luce, RankingColumns)``)."""

    group: Any
    item: Any
    rank: Any
    weight: Any


def plackett_luce(
    data: Any = None,
    *,
    group: Any = "group",
    item: Any = "item",
    rank: Any = "rank",
    weight: Any = None,
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    method: str = "auto",
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
) -> Ranking:
    """Plackett-Luce maximum likelihood for full rankings, top-k rankings and choice sets.

    ``data`` is either

    - a table in long form (DataFrame, dict of columns, file path, ...) with one row per member of an
      observation: ``group`` (observation id), ``item`` (label), ``rank`` (1 = best; smaller is
      better; NaN / None = an unranked member of the choice set). A full ranking ranks every member,
      a top-k ranking ranks k of them, a choice set (one winner chosen from a set) ranks one.
      ``weight`` names a column that is constant within each observation; or
    - a list of rankings, each a list of labels best first (full rankings over the listed items),
      or choices ``(winner, [losers])`` as in choix's top-1 data (a choice set); ``weight`` is then a
      sequence with one weight per observation.

    ``alpha`` is the precision of a Gaussian prior (L2 penalty ``alpha/2 * sum theta^2``); with
    ``alpha=0`` (plain MLE) every item must be ranked above and below others through a chain of
    observations (the "ranked above" graph must be strongly connected), else a
    :class:`NotIdentifiableError` names the offending items. ``method``: ``"auto"`` (Newton with a
    dense Hessian up to 1,500 items, else L-BFGS), ``"newton"``, ``"mm"`` (Hunter 2004; no prior
    only), ``"lbfgs"``; ``max_iter`` and ``tol`` bound it. Identical observations are merged before
    fitting (sufficient statistics). ``scale`` / ``offset`` / ``anchor`` are the score scale, as in
    :func:`prefrank.bradley_terry`. Without a prior the fit does not depend on the weights' overall
    scale; with a prior the weights are counts (as in :func:`prefrank.bradley_terry`).

    Returns a :class:`Ranking` (``method="plackett_luce"``); ``games`` counts the (weighted)
    observations with at least one choice stage an item took part in and ``wins`` the choice stages it won.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches; an observation
    may be split across batches and files (its rows are gathered by ``group``). The rows are kept
    coded (16 bytes per row, + 8 with a weight; the label columns are rebuilt as arrays of label
    references, 8 bytes per row each, for the fit; see :func:`prefrank.stream.ranking_rows`) and the
    result equals that of the concatenated table.
    """
    _check_fit(scale, alpha, offset=offset, anchor=anchor, max_iter=max_iter, tol=tol, batch_rows=batch_rows)
    check_choice("method", method, ("auto", "newton", "mm", "lbfgs"))
    obs = ranking_observations(data, group, item, rank, weight, anchor, batch_rows)
    with ranking_fit_errors(obs):
        fit = _core.pl_fit(
            len(obs.items),
            obs.offsets,
            obs.members,
            obs.n_ranked,
            obs.weight,
            float(alpha),
            int(max_iter),
            float(tol),
            method,
        )
    if not fit.converged:
        warnings.warn(
            f"Plackett-Luce fit did not converge in {fit.iterations} iterations (method {fit.method}); "
            "the result has converged=False",
            ConvergenceWarning,
            stacklevel=2,
        )
    return Ranking.from_fit(
        "plackett_luce",
        obs.items,
        fit,
        scale,
        offset,
        anchor,
        games=fit.games,
        wins=fit.wins,
    )
