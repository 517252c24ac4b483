"""Label-noise estimates per judge from repeated comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from prefrank import _core
from prefrank._options import (
    SCALES,
    check_batch_rows,
    check_choice,
    check_max_iter,
    check_real,
    check_tol,
    keywords_of,
    renamed,
)
from prefrank.data.comparisons import JudgedColumns, as_comparisons, comparisons
from prefrank.robust._common import _ranking, _warn, _z
from prefrank.robust.results import LabelNoise
from prefrank.stats import pair_cells
from prefrank.stream import wants_stream

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["label_noise"]


@renamed(per_judge="by_judge")
@keywords_of(comparisons, JudgedColumns)
def label_noise(
    data: Any = None,
    *,
    batch_rows: int | None = None,
    by_judge: bool = True,
    shrink: float = 10.0,
    alpha: float = 0.0,
    level: float = 0.95,
    eps_init: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-8,
    scale: str = "elo",
    offset: float = 1000.0,
    **columns: Unpack[JudgedColumns],
) -> LabelNoise:
    """Fit Bradley-Terry with a per-judge probability of a flipped label by EM.

    A judgment by judge ``r`` records the true outcome (drawn from Bradley-Terry) flipped with
    probability ``epsilon_r``. The EM runs on the pair-outcome cells of each judge (sufficient
    statistics). ``judge`` names the judge/annotator column (or is taken from a :class:`Comparisons`
    built with ``judge=``); ``by_judge=False`` (formerly ``per_judge=``) fits one shared rate.
    The columns ``a``, ``b``, ``outcome``, ``weight``, ``position`` (which item was shown first, for
    ``left`` / ``right`` outcomes), ``outcomes`` and ``drop_self`` are those of
    :func:`prefrank.comparisons`. ``level`` is the confidence level of the flip-rate intervals.
    ``shrink`` pseudo-votes pull rarely seen judges towards the pooled rate (0 = plain MLE).
    ``alpha`` is the Gaussian prior precision on strengths (0 = none: the comparison graph must be
    connected). ``eps_init`` is the flip rate the EM starts from, ``max_iter`` and ``tol`` bound its
    iterations, and ``scale`` / ``offset`` are the score scale, as in :func:`prefrank.bradley_terry`.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches of
    ``batch_rows`` rows, each reduced to its (judge, pair) cells (the weights of "lo won", "hi won"
    and ties), which are merged: memory is one batch plus 44 bytes per cell, however many rows
    repeat a cell (:func:`prefrank.stream.pair_cells`). The EM sees only these cells, so
    strengths, flip rates, intervals and log-likelihood equal those of the in-memory fit on the
    concatenated files (exactly with whole-number weights). ``comparisons`` is then the cell table
    (one weighted row per cell and verdict, cells in the order the rows first reach them) and
    ``posterior`` is per cell row: the posterior every judgment in that cell with that verdict has
    in the in-memory fit.
    """

    check_choice("scale", scale, SCALES)
    for name, v in (("shrink", shrink), ("alpha", alpha)):
        check_real(name, v, min=0.0)
    check_real("eps_init", eps_init, min=0.0, max=0.5, min_open=True, max_open=True)
    check_max_iter(max_iter)
    check_tol(tol)
    check_real("offset", offset)
    check_batch_rows(batch_rows)
    z = _z(level)
    if wants_stream(data, batch_rows):
        comps = pair_cells(data, key="judge", batch_rows=batch_rows, **columns)
    else:
        comps = as_comparisons(data, **columns)
    jcodes = comps.judge if by_judge else None
    n_judges = len(comps.judges) if (by_judge and comps.judges is not None) else 0
    out = _core.robust_label_noise(
        comps,
        jcodes,
        n_judges,
        float(shrink),
        float(alpha),
        float(eps_init),
        int(max_iter),
        float(tol),
        float(z),
    )
    _warn(bool(out.converged), "label-noise EM", int(out.iterations))
    rank = _ranking("label_noise", comps.pair_counts(), out, scale, offset, loglik=float(out.loglik))
    return LabelNoise(
        comparisons=comps,
        theta=out.theta,
        posterior=out.posterior,
        epsilon=float(out.epsilon),
        epsilon_ci=(float(out.epsilon_lo), float(out.epsilon_hi)),
        judge_epsilon=out.judge_epsilon,
        judge_ci=np.column_stack([out.judge_lo, out.judge_hi]),
        judge_weight=out.judge_weight,
        level=float(level),
        loglik=float(out.loglik),
        iterations=int(out.iterations),
        converged=bool(out.converged),
        ranking=rank,
        joint_intervals=bool(out.joint_intervals),
    )
