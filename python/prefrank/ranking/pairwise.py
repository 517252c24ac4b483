"""Bradley-Terry from pairwise comparisons, with ties, priors, anchors and bootstrap intervals."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from prefrank import _core
from prefrank._options import SCALES, check_bootstrap, check_choice, check_memory, keywords_of
from prefrank.data.coding import label_index
from prefrank.data.comparisons import ComparisonColumns, PairCounts, comparisons, games_and_wins
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, rephrased
from prefrank.ranking._common import _TIES, _check_fit, _not_identifiable_message, _progress
from prefrank.ranking.results import Ranking
from prefrank.stats import pair_counts_of

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["bradley_terry"]


@keywords_of(comparisons, ComparisonColumns)
def bradley_terry(
    data: Any = None,
    *,
    batch_rows: int | None = None,
    ties: str = "half",
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    method: str = "auto",
    max_iter: int = 10_000,
    tol: float = 1e-10,
    progress: bool | None = None,
    **columns: Unpack[ComparisonColumns],
) -> Ranking:
    """Bradley-Terry maximum likelihood (optionally with a Gaussian prior) from pairwise comparisons.

    ``data`` is anything :func:`prefrank.comparisons` takes, a :class:`Comparisons`, or a
    :class:`PairCounts` (e.g. merged from batches). A directory or glob of files (or any file with
    ``batch_rows=``) is read in batches of ``batch_rows`` rows (default 1,000,000) whose pair counts
    are merged, so memory stays bounded (see :mod:`prefrank.stream`).

    The columns ``a``, ``b``, ``outcome``, ``weight``, ``position`` (which item was shown first, for
    ``left`` / ``right`` outcomes), ``outcomes`` and ``drop_self`` are those of :func:`prefrank.comparisons`.
    Parameters beyond the columns: ``ties`` (``"half"``,
    ``"drop"``, ``"davidson"``, ``"rao_kupper"``), ``alpha`` (prior precision; 0 = none, then the
    comparison graph must be strongly connected), ``scale`` / ``offset`` / ``anchor`` (score scale),
    ``bootstrap`` (rounds resampling comparisons, seeded by ``seed``; identical for any thread count;
    default 0, no intervals: each round is a refit),
    ``method`` (``"auto"``: Newton up to 1,500 items, then the MM iteration or L-BFGS; or
    ``"newton"``, ``"mm"``, ``"lbfgs"``), ``max_iter``, ``tol`` (gradient tolerance relative to the
    average comparisons per item), ``progress`` (bootstrap progress bar; default: when stderr is a TTY).

    Weights: without a prior (``alpha=0``) the fit does not depend on the weights' overall scale
    (uniform weights of 1e-12 or 1e300 give the unweighted scores; the core rescales them by an exact
    power of two, and ``loglik`` stays on the weights' own scale). With a prior the weights are counts:
    the prior ``alpha/2 * sum(theta^2)`` weighs against their total, so scaling them up weakens it.
    Weights whose per-pair sums overflow (about 1.8e308) raise :class:`ParameterError` (``param='weight'``).
    The bootstrap resamples the weights as counts (their rounded total is the number of comparisons
    drawn), so it needs a total between 1 and 2^53 (a :class:`ParameterError` otherwise).
    ``converged`` is true only when the convergence test passed on finite scores and log-likelihood;
    otherwise the result has ``converged=False`` and a :class:`ConvergenceWarning` is issued.
    """
    check_choice("ties", ties, _TIES)
    check_choice("scale", scale, SCALES)
    check_choice("method", method, ("auto", "newton", "mm", "lbfgs"))
    check_bootstrap(bootstrap, seed)
    _check_fit(scale, alpha, offset=offset, anchor=anchor, max_iter=max_iter, tol=tol, batch_rows=batch_rows)
    counts, items = pair_counts_of(data, anchor, batch_rows, **columns)
    # The replicates are kept (one strength per item and round), then joined: twice their size.
    check_memory(
        f"{bootstrap} bootstrap rounds of {len(items)} strengths",
        16 * int(bootstrap) * len(items),
        "ask for fewer rounds",
    )
    try:
        fit = _core.bt_fit(counts._core, ties, float(alpha), int(max_iter), float(tol), method)
    except NotIdentifiableError as e:
        raise rephrased(e, _not_identifiable_message(counts, ties, items)) from None
    if not fit.converged:
        warnings.warn(
            f"Bradley-Terry fit did not converge in {fit.iterations} iterations (method {fit.method}); "
            "the result has converged=False",
            ConvergenceWarning,
            stacklevel=2,
        )
    boot = None
    info: dict[str, Any] = {}
    if bootstrap:
        boot, info = _run_bootstrap(
            counts,
            fit.theta,
            fit.tie_param,
            int(bootstrap),
            int(seed),
            ties,
            alpha,
            max_iter,
            tol,
            method,
            progress,
        )
        anchor_index = label_index(items, anchor[0]) if anchor is not None else None
        info["acceleration"] = _core.bt_acceleration(
            counts._core, fit.theta, ties, float(alpha), fit.tie_param, anchor_index
        )
    games, wins = games_and_wins(counts, len(items))
    return Ranking.from_fit(
        "bradley_terry",
        items,
        fit,
        scale,
        offset,
        anchor,
        ties=ties,
        tie_param=fit.tie_param,
        games=games,
        wins=wins,
        bootstrap_theta=boot,
        bootstrap_info=info,
        counts=counts,
    )


def _run_bootstrap(
    counts: PairCounts,
    theta: np.ndarray,
    tie_hat: float | None,
    rounds: int,
    seed: int,
    ties: str,
    alpha: float,
    max_iter: int,
    tol: float,
    method: str,
    progress: bool | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    chunk = int(_core.BOOTSTRAP_ROUND_CHUNK)
    # Batches of whole chunks keep the result identical to one call, and let Ctrl-C and a progress
    # bar act between batches.
    batch = chunk * 16
    bar = _progress(rounds, progress, "bootstrap")
    parts, tie_parts = [], []
    degenerate = not_converged = 0
    # Resample fits only feed quantiles: a relative gradient of 1e-7 moves theta by far less than
    # the bootstrap spread.
    boot_tol = max(tol, 1e-7)
    try:
        for start in range(0, rounds, batch):
            r = min(batch, rounds - start)
            out = _core.bt_bootstrap(
                counts._core,
                theta,
                r,
                seed,
                start // chunk,
                ties,
                float(alpha),
                int(max_iter),
                boot_tol,
                method,
                tie_hat,
            )
            parts.append(out.theta)
            tie_parts.append(out.tie_param)
            degenerate += int(out.degenerate)
            not_converged += int(out.not_converged)
            if bar is not None:
                bar.update(r)
    finally:
        if bar is not None:
            bar.close()
    info: dict[str, Any] = {"rounds": rounds, "seed": seed, "degenerate": degenerate, "not_converged": not_converged}
    tp = np.concatenate(tie_parts) if tie_parts else np.empty(0)
    if tp.size:
        info["tie_param"] = tp
    if not_converged:
        warnings.warn(f"{not_converged} of {rounds} bootstrap fits did not converge", ConvergenceWarning, stacklevel=3)
    return np.concatenate(parts, axis=0), info
