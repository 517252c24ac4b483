"""Position bias: first-position win rates, swap patterns, Wilson intervals and the exact binomial test."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_level
from prefrank.consistency._common import _rate, _stats, _wilson
from prefrank.consistency.results import PositionBias
from prefrank.data.comparisons import as_comparisons
from prefrank.exceptions import parameter_error

__all__ = ["position_bias"]


def binomial_test(k: float, n: float) -> float:
    """Two-sided test of a share against 0.5: exact (sum of outcomes no more likely than ``k``) for
    whole counts up to 10,000, else the normal approximation with continuity correction."""
    if n <= 0:
        return math.nan
    from statistics import NormalDist

    if n <= 10_000 and float(k).is_integer() and float(n).is_integer():
        ni, ki = int(n), int(k)
        js = np.arange(ni + 1)
        logc = np.array([math.lgamma(ni + 1) - math.lgamma(j + 1) - math.lgamma(ni - j + 1) for j in js])
        logp = logc - ni * math.log(2)
        ref = logp[ki]
        return float(min(1.0, np.exp(logp[logp <= ref + 1e-9]).sum()))
    zval = (abs(k - n / 2) - 0.5) / math.sqrt(n / 4)
    return float(min(1.0, 2 * (1 - NormalDist().cdf(max(zval, 0.0)))))


SWAP_PATTERNS = ("consistent", "tie_both", "first_both", "second_both", "first_tie", "second_tie")


def _verdict(p: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """0 = a won, 1 = b won, 2 = tie."""
    return np.where((tie != 0) | (p == 0.5), 2, np.where(p > 0.5, 0, 1)).astype(np.int8)


def _swap_patterns(cells: Mapping[str, np.ndarray]) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """Pattern counts over pairs judged in both orders, plus per-pair (judge code, pattern index).

    ``cells`` are verdict cells (see :class:`~prefrank.ComparisonStats`), sorted by (group, judge,
    lo, hi, order), so a pair judged in both orders is two adjacent cells."""
    mass = np.column_stack([cells["lo_won"], cells["hi_won"], cells["tie"]])
    top = mass.max(axis=1) if len(mass) else np.zeros(0)
    shared = (mass == top[:, None]).sum(axis=1) > 1
    vc = np.where(shared, 2, mass.argmax(axis=1) if len(mass) else 0)  # majority verdict per cell (lo side)
    cg, cj, clo, chi, cord = (cells[k] for k in ("group", "judge", "lo", "hi", "order"))
    same_pair = (cg[1:] == cg[:-1]) & (cj[1:] == cj[:-1]) & (clo[1:] == clo[:-1]) & (chi[1:] == chi[:-1])
    both = np.flatnonzero(same_pair & (cord[:-1] == 0) & (cord[1:] == 1))
    v1, v2 = vc[both], vc[both + 1]  # lo first, hi first
    # Position terms: F first-shown won, S second-shown won, T tie.
    pos1 = np.where(v1 == 2, 2, np.where(v1 == 0, 0, 1))  # lo first: lo won -> first
    pos2 = np.where(v2 == 2, 2, np.where(v2 == 1, 0, 1))  # hi first: hi won -> first
    pat = np.full(len(both), -1, np.int64)
    fs = {(0, 1), (1, 0)}
    for (x, y), idx in {
        **dict.fromkeys(fs, 0),
        (2, 2): 1,
        (0, 0): 2,
        (1, 1): 3,
        (0, 2): 4,
        (2, 0): 4,
        (1, 2): 5,
        (2, 1): 5,
    }.items():
        pat[(pos1 == x) & (pos2 == y)] = idx
    counts = {name: int((pat == k).sum()) for k, name in enumerate(SWAP_PATTERNS)}
    return counts, cj[both].astype(np.int64), pat


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
    # Per cell: decisive weight, weight won by the first-shown item (its probability mass less the
    # ties' half) and tie weight.
    first_hi = cells["order"] == 1
    n_cell = cells["lo_won"] + cells["hi_won"]
    k_cell = np.where(first_hi, cells["q_hi"], cells["q_lo"]) - 0.5 * cells["tie"]
    t_cell = cells["tie"]
    k_all, n_all, ties_all = float(k_cell.sum()), float(n_cell.sum()), float(t_cell.sum())
    lo, hi = _wilson(np.array([k_all]), np.array([n_all]), level)
    counts, pair_judge, pat = _swap_patterns(cells)
    n_sw = sum(counts.values())
    sc = (counts["consistent"] + counts["tie_both"]) / n_sw if n_sw else math.nan
    per: dict[str, np.ndarray] | None = None
    jl = None
    if judges is not None:
        nj = len(judges)
        jc = cells["judge"].astype(np.int64)
        k = np.bincount(jc, weights=k_cell, minlength=nj)
        n = np.bincount(jc, weights=n_cell, minlength=nj)
        t = np.bincount(jc, weights=t_cell, minlength=nj)
        jlo, jhi = _wilson(k, n, level)
        pv = np.array([binomial_test(float(k[i]), float(n[i])) for i in range(nj)])
        per = {
            "n_decisive": n,
            "n_ties": t,
            "first_win_share": _rate(k, n),
            "lo": jlo,
            "hi": jhi,
            "p_value": pv,
        }
        n_pairs = np.bincount(pair_judge, minlength=nj)
        for kk, name in enumerate(SWAP_PATTERNS):
            per[name] = np.bincount(pair_judge[pat == kk], minlength=nj)
        per["swapped_pairs"] = n_pairs
        per["swap_consistency"] = _rate(per["consistent"] + per["tie_both"], n_pairs)
        present = (n + t + n_pairs) > 0
        per = {key: val[present] for key, val in per.items()}
        jl = judges[present]
    return PositionBias(
        first_win_share=float(_rate(k_all, n_all)),
        ci=(float(lo[0]), float(hi[0])),
        p_value=binomial_test(k_all, n_all),
        n_decisive=n_all,
        n_ties=ties_all,
        n_swapped_pairs=n_sw,
        swap_consistency=float(sc),
        patterns=counts,
        level=float(level),
        _by_judge=per,
        _judge_labels=jl,
    )
