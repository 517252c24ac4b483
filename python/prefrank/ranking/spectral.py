"""Spectral estimators: rank centrality, LSR and I-LSR for pairwise data and for rankings."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from prefrank import _core
from prefrank._options import check_choice, keywords_of, variant
from prefrank.data.comparisons import ComparisonColumns, comparisons, games_and_wins
from prefrank.data.rankings import ranking_observations
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, rephrased
from prefrank.ranking._common import _check_fit, _not_identifiable_message, ranking_fit_errors
from prefrank.ranking.listwise import RankingColumns, plackett_luce
from prefrank.ranking.results import Ranking
from prefrank.stats import pair_counts_of

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ilsr_pairwise", "ilsr_rankings", "lsr_pairwise", "lsr_rankings", "rank_centrality"]


# --------------------------------------------------------------------------------------------------
# Spectral estimates


@keywords_of(comparisons, ComparisonColumns)
def _spectral(
    kind: str,
    data: Any = None,
    *,
    ties: str = "half",
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
    **columns: Unpack[ComparisonColumns],
) -> Ranking:
    # The pairwise spectral estimators: rank_centrality, lsr_pairwise and ilsr_pairwise are its
    # variants (one signature), with kind "rank_centrality", "lsr" and "ilsr".
    _check_fit(scale, alpha, offset=offset, anchor=anchor, max_iter=max_iter, tol=tol, batch_rows=batch_rows)
    check_choice("ties", ties, ("half", "drop"))
    counts, items = pair_counts_of(data, anchor, batch_rows, **columns)
    try:
        fit = _core.spectral_fit(counts._core, kind, ties, float(alpha), int(max_iter), float(tol))
    except NotIdentifiableError as e:
        msg = _not_identifiable_message(counts, ties, items).replace("a Gaussian prior", "regularisation")
        raise rephrased(e, msg) from None
    if not fit.converged:
        warnings.warn(
            f"{kind} did not converge in {fit.iterations} iterations; the result has converged=False",
            ConvergenceWarning,
            stacklevel=4,  # the caller of the public variant, past keywords_of's wrapper
        )
    games, wins = games_and_wins(counts, len(items))
    return Ranking.from_fit(
        kind,
        items,
        fit,
        scale,
        offset,
        anchor,
        ties=ties,
        games=games,
        wins=wins,
        counts=counts,
    )


rank_centrality = variant(
    _spectral,
    "rank_centrality",
    name="rank_centrality",
    doc="""Rank Centrality (Negahban, Oh & Shah): the stationary distribution of a random walk that moves
    from each item to the items that beat it, at the share of their games they won.

    Same data arguments as :func:`prefrank.bradley_terry` (the columns ``a``, ``b``, ``outcome``,
    ``weight``, ``position``, ``outcomes`` and ``drop_self`` of :func:`prefrank.comparisons`, or a
    :class:`PairCounts`; a directory, glob or file with ``batch_rows=`` is read in batches of pair
    counts), and ``scale`` / ``offset`` / ``anchor`` as there. ``ties``: ``"half"`` (a tie is half a
    win each way; default) or ``"drop"``. ``alpha`` adds ``alpha`` to every pair's counts as choix's
    ``rank_centrality(alpha=...)`` does (needed when the comparison graph is not strongly
    connected). Scores are centred log-stationary-probabilities; up to 1,000 items the chain is
    solved exactly, beyond by power iteration (``max_iter``, ``tol``).
    """,
)


lsr_pairwise = variant(
    _spectral,
    "lsr",
    name="lsr_pairwise",
    doc="""Luce Spectral Ranking (one step, from equal strengths): choix's ``lsr_pairwise`` with the same
    ``alpha``. See :func:`rank_centrality` for the arguments.""",
)


ilsr_pairwise = variant(
    _spectral,
    "ilsr",
    name="ilsr_pairwise",
    doc="""Iterated LSR: LSR repeated from its own estimate until the L1 change of the centred
    log-strengths is at most ``tol``. It converges to the Bradley-Terry MLE (with ``alpha=0``, the
    same as ``prefrank.bradley_terry(..., ties=ties)``); choix's ``ilsr_pairwise`` with the same
    ``alpha``. See :func:`rank_centrality` for the arguments.""",
)


@keywords_of(plackett_luce, RankingColumns)
def _fit(
    kind: str,
    data: Any = None,
    *,
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
    **columns: Unpack[RankingColumns],
) -> Ranking:
    # The spectral estimators of rankings: lsr_rankings and ilsr_rankings are its variants (kind
    # "lsr", "ilsr"), with plackett_luce's data arguments.
    _check_fit(scale, alpha, offset=offset, anchor=anchor, max_iter=max_iter, tol=tol, batch_rows=batch_rows)
    obs = ranking_observations(data, anchor=anchor, batch_rows=batch_rows, **columns)
    with ranking_fit_errors(obs, remedy="regularisation"):
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
    name = f"{kind}_rankings"
    if not fit.converged:
        warnings.warn(
            f"{name} did not converge in {fit.iterations} iterations; the result has converged=False",
            ConvergenceWarning,
            stacklevel=4,  # the caller of the public variant, past keywords_of's wrapper
        )
    return Ranking.from_fit(
        name,
        obs.items,
        fit,
        scale,
        offset,
        anchor,
        games=fit.games,
        wins=fit.wins,
    )


lsr_rankings = variant(
    _fit,
    "lsr",
    name="lsr_rankings",
    doc="""Luce Spectral Ranking (one step, from equal strengths) on rankings and choice sets.

    Same data arguments as :func:`prefrank.plackett_luce`: a long-form table (``group``, ``item``,
    ``rank``; NaN rank = an unranked member, so a choice set ranks one member and a top-k ranking k)
    or a list of rankings (labels best first) or of choices ``(winner, [losers])`` (choix's top-1
    form); ``weight`` per observation. A directory or glob of files (or a file with
    ``batch_rows=``) is read in batches of coded rows, as there; ``scale`` / ``offset`` / ``anchor``
    as there too.

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
    """,
)


ilsr_rankings = variant(
    _fit,
    "ilsr",
    name="ilsr_rankings",
    doc="""Iterated LSR on rankings and choice sets: LSR repeated from its own estimate (rates
    ``weight / (sum of the remaining members' strengths)``) until the L1 change of the centred
    log-strengths is at most ``tol``.

    With ``alpha=0`` its fixed point is the Plackett-Luce maximum likelihood, i.e. the same scores as
    :func:`prefrank.plackett_luce`; with ``alpha > 0`` it is choix's regularised ``ilsr_rankings`` /
    ``ilsr_top1`` (choix stops at an L1 change of ``tol * n_items``; pass ``tol`` accordingly).
    Arguments as :func:`lsr_rankings`; ``max_iter`` bounds the outer iterations (a
    :class:`ConvergenceWarning` and ``converged=False`` when reached). Returns a :class:`Ranking`
    (``method="ilsr_rankings"``).
    """,
)
