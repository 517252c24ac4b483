"""Position bias: first-position win rates, swap patterns, Wilson intervals and the exact binomial test."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_batch_rows, check_level
from prefrank.consistency._common import _rate, _stats
from prefrank.consistency.results import PositionBias
from prefrank.data.comparisons import as_comparisons
from prefrank.exceptions import parameter_error

__all__ = ["position_bias"]


def binomial_test(k: float, n: float) -> float:
    """Two-sided test of a share against 0.5, as ``scipy.stats.binomtest(k, n).pvalue``.

    Exact for whole counts ``0 <= k <= n <= 10**12`` (the outcomes no more likely than ``k``, with
    scipy's relative tolerance of 1e-7; computed in the core in O(min(k, sqrt(n))) steps); fractional
    counts (fractional weights, soft outcomes) and larger ``n`` use the normal approximation with
    continuity correction. NaN when ``n <= 0``. ``_core.binomial_test`` takes arrays of ``(k, n)``."""
    return float(_core.binomial_test(np.array([k], np.float64), np.array([n], np.float64))[0])


SWAP_PATTERNS = ("consistent", "tie_both", "first_both", "second_both", "first_tie", "second_tie")


def _verdict(p: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """0 = a won, 1 = b won, 2 = tie."""
    return np.where((tie != 0) | (p == 0.5), 2, np.where(p > 0.5, 0, 1)).astype(np.int8)


def position_bias(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    group: Any = None,
    judge: Any = None,
    position: Any = None,
    outcomes: Mapping[Any, Any] | None = None,
    batch_rows: int | None = None,
    level: float = 0.95,
) -> PositionBias:
    """Position bias of a judge (needs ``position=``: which item was shown first).

    * **First-shown win share**: among decisive verdicts (ties excluded, soft outcomes counted by
      their probability), the weight won by the item shown first; Wilson interval at ``level`` and a
      two-sided binomial test against 0.5 (:func:`binomial_test`).
    * **Swap consistency**: pairs (within a group and judge) judged in both orders; each order's
      verdicts are reduced by majority (a shared maximum is a tie), and the pair is classified by the
      two verdicts in position terms: ``consistent`` (the same item won both times), ``tie_both``,
      ``first_both`` / ``second_both`` (the first / second shown item won both times: pure position
      preference), ``first_tie`` / ``second_tie`` (a win in one order, a tie in the other). Swap
      consistency = (consistent + tie_both) / pairs judged in both orders.

    With ``judge=`` the table is also given per judge (:meth:`PositionBias.by_judge`).

    Everything is computed from the verdict cells, so ``data`` may also be a
    :class:`~prefrank.ComparisonStats` (merged from batches or workers) or a directory / glob of
    files (or a file with ``batch_rows=``), streamed in batches.
    """
    check_level(level)
    check_batch_rows(batch_rows)
    cols = dict(
        a=a,
        b=b,
        outcome=outcome,
        weight=weight,
        group=group,
        judge=judge,
        position=position,
        outcomes=outcomes,
    )
    st = _stats(data, batch_rows, cols)
    if st is not None:
        has_position, cells, judges = st.has_position, st.cells, st.judges
    else:
        tbl = as_comparisons(data, **cols)
        has_position, judges = tbl.first is not None, tbl.judges
        cells = _core.cells_accumulate(
            tbl.a, tbl.b, tbl.p, tbl.tie, weight=tbl.weight, group=tbl.group, judge=tbl.judge, first=tbl.first
        )
    if not has_position:
        raise parameter_error(
            "position", "position_bias needs position= (the column telling which item was shown first)"
        )
    # Counting, intervals and tests over the cells run in the core (consistency/position.rs).
    out = _core.position_bias(cells, float(level), n_judges=None if judges is None else len(judges))
    k_all, n_all, ties_all = out["first_wins"], out["n_decisive"], out["n_ties"]
    counts: dict[str, int] = out["patterns"]
    n_sw = sum(counts.values())
    sc = (counts["consistent"] + counts["tie_both"]) / n_sw if n_sw else math.nan
    per: dict[str, np.ndarray] | None = None
    jl = None
    if judges is not None:
        pj = out["by_judge"]
        k, n, t = pj["first_wins"], pj["n_decisive"], pj["n_ties"]
        per = {
            "n_decisive": n,
            "n_ties": t,
            "first_win_share": _rate(k, n),
            "lo": pj["lo"],
            "hi": pj["hi"],
            "p_value": pj["p_value"],
        }
        for name in SWAP_PATTERNS:
            per[name] = pj[name]
        n_pairs = pj["swapped_pairs"]
        per["swapped_pairs"] = n_pairs
        per["swap_consistency"] = _rate(per["consistent"] + per["tie_both"], n_pairs)
        present = (n + t + n_pairs) > 0
        per = {key: val[present] for key, val in per.items()}
        jl = judges[present]
    return PositionBias(
        first_win_share=float(_rate(k_all, n_all)),
        ci=(out["lo"], out["hi"]),
        p_value=out["p_value"],
        n_decisive=n_all,
        n_ties=ties_all,
        n_swapped_pairs=n_sw,
        swap_consistency=float(sc),
        patterns=counts,
        level=float(level),
        _by_judge=per,
        _judge_labels=jl,
    )
