"""Robust ranking recovery from corrupted comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefrank import _core
from prefrank._options import SCALES, check_choice, check_finite, check_int, check_max_iter, check_real, keywords_of
from prefrank.data.comparisons import ComparisonColumns, comparisons
from prefrank.robust._common import _ranking, _warn
from prefrank.robust.results import RobustRanking
from prefrank.stats import pair_counts_of

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["robust_ranking"]


@keywords_of(comparisons, ComparisonColumns)
def robust_ranking(
    data: Any = None,
    *,
    threshold: float = 3.0,
    max_corrupt_fraction: float = 0.25,
    pseudo: float = 0.5,
    decay: float = 0.5,
    max_iter: int = 100,
    min_degree: int = 3,
    refit: bool = True,
    refit_fraction: float = 0.49,
    alpha: float = 0.0,
    refit_max_iter: int = 50,
    scale: str = "elo",
    offset: float = 1000.0,
    **columns: Unpack[ComparisonColumns],
) -> RobustRanking:
    """Robust Bradley-Terry-Luce recovery from comparisons with corrupted and missing pairs.

    Matrix step: the empirical logit of each observed pair (ties count half, ``pseudo`` added to
    each side) is fitted by ``theta_i - theta_j`` by weighted least squares, and entries whose
    standardised residual exceeds a threshold decreasing to ``threshold`` robust standard deviations
    are set aside as corrupted (at most ``max_corrupt_fraction`` of each item's pairs), alternating
    until the set is stable (the threshold shrinks by the factor ``decay`` per round, at most
    ``max_iter`` rounds).

    Refit (``refit=True``, the default): starting from that fit, Bradley-Terry is fitted by maximum
    likelihood (prior precision ``alpha``; 0 = none) on the pairs not set aside, every pair's signed
    deviance residual is computed, pairs above ``threshold`` robust scales are set aside (largest
    first, at most ``refit_fraction`` of each item's pairs), and this repeats until the set is stable
    (at most ``refit_max_iter`` rounds). The default ``refit_fraction=0.49`` is the breakdown limit of
    the per-item model: an item can be recovered while a majority of its pairs are clean.
    ``refit=False`` returns the matrix step alone (the behaviour before the refit existed).

    The columns ``a``, ``b``, ``outcome``, ``weight``, ``position`` (for ``left`` / ``right``
    outcomes), ``outcomes`` and ``drop_self`` are those of :func:`prefrank.comparisons`, and
    ``scale`` / ``offset`` the score scale, as in :func:`prefrank.bradley_terry`. Raises
    :class:`NotIdentifiableError` stating the observed fraction when the comparison graph is too
    sparse (disconnected, an item in fewer than ``min_degree`` pairs, or fewer than ``ln(n)/n`` of
    the pairs observed).
    """
    check_choice("scale", scale, SCALES)
    for name, v in (("threshold", threshold), ("pseudo", pseudo)):
        check_real(name, v, min=0.0, min_open=True)
    check_real("max_corrupt_fraction", max_corrupt_fraction, min=0.0, max=1.0, max_open=True)
    check_real("decay", decay, min=0.0, max=1.0, min_open=True, max_open=True)
    check_real("refit_fraction", refit_fraction, min=0.0, max=1.0, max_open=True)
    check_real("alpha", alpha, min=0.0)
    check_max_iter(max_iter)
    check_max_iter(refit_max_iter, "refit_max_iter")
    check_int("min_degree", min_degree, min=0, max=2**32 - 1)
    check_finite("offset", offset)

    # Only pair counts are needed: a PairCounts / ComparisonStats, or a directory or glob streamed in batches.
    counts, items = pair_counts_of(data, None, None, **columns)
    out = _core.robust_btl_fit(
        counts._core,
        float(threshold),
        float(max_corrupt_fraction),
        float(pseudo),
        float(decay),
        int(max_iter),
        int(min_degree),
        refit=bool(refit),
        refit_fraction=float(refit_fraction),
        alpha=float(alpha),
        refit_max_iter=int(refit_max_iter),
    )
    _warn(
        bool(out.converged),
        "robust BTL recovery" + (" (matrix step and trimmed refit)" if refit else ""),
        int(out.iterations),
    )
    rank = _ranking("robust_btl", counts, out, scale, offset)
    return RobustRanking(
        items=items,
        theta=out.theta,
        i=out.i,
        j=out.j,
        wins_i=out.wins_i,
        wins_j=out.wins_j,
        residual=out.residual,
        corrupted_mask=out.corrupted,
        sigma=float(out.sigma),
        iterations=int(out.iterations),
        converged=bool(out.converged),
        ranking=rank,
        params={
            "threshold": threshold,
            "max_corrupt_fraction": max_corrupt_fraction,
            "pseudo": pseudo,
            "decay": decay,
            "min_degree": min_degree,
            "refit": bool(refit),
            "refit_fraction": refit_fraction,
            "alpha": alpha,
            "refit_rounds": int(out.refit_rounds),
            "refit_alpha": float(out.alpha_used),
        },
        matrix_corrupted_mask=out.matrix_corrupted,
    )
