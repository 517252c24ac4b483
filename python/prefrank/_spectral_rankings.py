"""Luce Spectral Ranking for ranking data: :func:`lsr_rankings` and :func:`ilsr_rankings`.

The spectral estimators of Maystre & Grossglauser (2015, "Fast and accurate inference of
Plackett-Luce models") on the observations :func:`prefrank.plackett_luce` takes: full rankings, top-k
rankings and choice sets (top-1 data). See docs/ranking.md for the mapping to choix.
"""

from __future__ import annotations

import warnings
from typing import Any

from prefrank import _core
from prefrank._ranking_more import _check_common, _observations, _pl_message, _raise_weight_error
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, PrefrankError
from prefrank.ranking import Ranking

__all__ = ["ilsr_rankings", "lsr_rankings"]


def _fit(
    kind: str,
    data: Any,
    group: Any,
    item: Any,
    rank: Any,
    weight: Any,
    alpha: float,
    scale: str,
    offset: float,
    anchor: tuple[Any, float] | None,
    max_iter: int,
    tol: float,
    batch_rows: int | None,
) -> Ranking:
    _check_common(scale, alpha)
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise PrefrankError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    obs = _observations(data, group, item, rank, weight, anchor, batch_rows)
    try:
        fit = _core.spectral_rankings_fit(
            len(obs.items),
            obs.offsets,
            obs.members,
            obs.n_ranked,
            kind,
            obs.weight,
            float(alpha),
            int(max_iter),
            float(tol),
            # Merging identical observations costs more than one pass over them: only ILSR, which
            # makes many passes, gains from it (the estimate is the same either way).
            dedup=kind == "ilsr",
        )
    except NotIdentifiableError as e:
        if "no observation has a choice stage" in str(e):
            raise
        raise NotIdentifiableError(_pl_message(obs).replace("a Gaussian prior", "regularisation")) from None
    except PrefrankError as e:
        _raise_weight_error(obs, e)
        raise
    name = f"{kind}_rankings"
    if not fit["converged"]:
        warnings.warn(
            f"{name} did not converge in {fit['iterations']} iterations; the result has converged=False",
            ConvergenceWarning,
            stacklevel=3,
        )
    return Ranking.from_fit(
        name,
        obs.items,
        fit,
        scale,
        offset,
        anchor,
        games=fit["games"],
        wins=fit["wins"],
    )


def lsr_rankings(
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
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
) -> Ranking:
    """Luce Spectral Ranking (one step, from equal strengths) on rankings and choice sets.

    Same data arguments as :func:`prefrank.plackett_luce`: a long-form table (``group``, ``item``,
    ``rank``; NaN rank = an unranked member, so a choice set ranks one member and a top-k ranking k)
    or a list of rankings (labels best first) or of choices ``(winner, [losers])`` (choix's top-1
    form); ``weight`` per observation. A directory or glob of files (or a file with
    ``batch_rows=``) is read in batches of coded rows, as there.

    Each choice stage (winner chosen from the members still remaining) adds
    ``weight / (number remaining)`` to the Markov-chain rate from every other remaining member to
    the winner; scores are the centred log stationary probabilities. This is choix's
    ``lsr_rankings`` (full rankings) and ``lsr_top1`` (choice sets) with the same ``alpha``, which
    is added to every off-diagonal rate (choix's regularisation, *not* :func:`plackett_luce`'s
    Gaussian prior). With ``alpha=0`` the "ranked above" graph must be strongly connected, else a
    :class:`NotIdentifiableError` names the items. Up to 1,000 items the chain is solved exactly;
    beyond, by power iteration without building the chain (``max_iter``, ``tol``).

    Returns a :class:`Ranking` (``method="lsr_rankings"``; ``loglik`` is the Plackett-Luce
    log-likelihood at the estimate, ``games``/``wins`` as for :func:`plackett_luce`).
    """
    return _fit("lsr", data, group, item, rank, weight, alpha, scale, offset, anchor, max_iter, tol, batch_rows)


def ilsr_rankings(
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
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
) -> Ranking:
    """Iterated LSR on rankings and choice sets: LSR repeated from its own estimate (rates
    ``weight / (sum of the remaining members' strengths)``) until the L1 change of the centred
    log-strengths is at most ``tol``.

    With ``alpha=0`` its fixed point is the Plackett-Luce maximum likelihood, i.e. the same scores as
    :func:`prefrank.plackett_luce`; with ``alpha > 0`` it is choix's regularised ``ilsr_rankings`` /
    ``ilsr_top1`` (choix stops at an L1 change of ``tol * n_items``; pass ``tol`` accordingly).
    Arguments as :func:`lsr_rankings`; ``max_iter`` bounds the outer iterations (a
    :class:`ConvergenceWarning` and ``converged=False`` when reached). Returns a :class:`Ranking`
    (``method="ilsr_rankings"``).
    """
    return _fit("ilsr", data, group, item, rank, weight, alpha, scale, offset, anchor, max_iter, tol, batch_rows)
