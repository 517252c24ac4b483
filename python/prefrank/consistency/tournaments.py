"""Whole-tournament statistics: cycles, Slater distance, the minimum feedback arc set."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_batch_rows, check_int
from prefrank.consistency._common import _check_aggregate, _table
from prefrank.consistency.results import TournamentStats
from prefrank.exceptions import input_error, parameter_error

__all__ = ["tournament"]


def tournament(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    position: Any = None,
    outcomes: Mapping[Any, Any] | None = None,
    batch_rows: int | None = None,
    wins: Any = None,
    ties: Any = None,
    items: Sequence[Any] | None = None,
    aggregate: str = "majority",
    margin: float = 0.0,
    cycles: int = 0,
    order: bool = True,
    exact_max: int = 20,
    max_passes: int = 20,
) -> TournamentStats:
    """Whole-tournament statistics of one comparison graph.

    Input: comparisons (as :func:`prefrank.comparisons` takes them; all rows pooled, groups ignored;
    at most 20,000 items, stored as three dense bit matrices)
    or a square matrix ``wins`` (``wins[i, j]`` = weight of i beating j, optional symmetric ``ties``,
    labels ``items``). Verdicts per pair are aggregated with ``aggregate`` into strict arcs and ties.

    Reports the triple census (3-cycles and the tie patterns, as in :func:`transitivity`), computed by
    the closed form ``C(n,3) - sum_i C(s_i, 2)`` for complete tournaments without ties and by bitset
    intersections otherwise; Kendall and Babington Smith's coefficient of consistence
    ``zeta = 1 - c3 / c3_max`` (complete tournaments without ties only, else None); strongly
    connected components of the arcs with their members; up to ``cycles`` short cycles (every 3-cycle
    first, then for each item the shortest cycle on which it has the smallest code); and with
    ``order=True`` a most consistent order (minimum feedback arc set, solved per component: exact
    dynamic programme for components of at most ``exact_max`` items, else Eades-Lin-Smyth plus
    insertion local search) with its number of backward arcs.
    """
    _check_aggregate(aggregate, margin)
    check_int("cycles", cycles)
    check_int("exact_max", exact_max, max=24)
    check_int("max_passes", max_passes)
    check_batch_rows(batch_rows)
    if wins is not None:
        if data is not None or a is not None or b is not None or outcome is not None:
            raise parameter_error("wins", "pass either comparisons or wins=, not both")
        w = np.asarray(wins, dtype=np.float64)
        if w.ndim != 2 or w.shape[0] != w.shape[1]:
            raise input_error(f"wins must be a square matrix, got shape {w.shape}")
        n = w.shape[0]
        if n == 0:
            raise input_error("empty input: wins is a 0 x 0 matrix")
        t = None
        if ties is not None:
            t = np.asarray(ties, dtype=np.float64)
            if t.shape != w.shape:
                raise input_error(f"ties has shape {t.shape}, wins has {w.shape}")
            if not np.allclose(t, t.T, equal_nan=True):
                raise input_error("ties must be symmetric")
            t = np.ascontiguousarray(t).ravel()
        labels = np.arange(n) if items is None else np.asarray(items, dtype=object)
        if len(labels) != n:
            raise parameter_error("items", f"items has {len(labels)} labels for a {n} x {n} matrix")
        d = _core.tournament_stats(
            n_items=n,
            wins=np.ascontiguousarray(w).ravel(),
            ties=t,
            aggregate=aggregate,
            margin=float(margin),
            cycles=int(cycles),
            order=bool(order),
            exact_max=int(exact_max),
            max_passes=int(max_passes),
        )
    else:
        tbl = _table(
            data, aggregate, batch_rows, a=a, b=b, outcome=outcome, weight=weight, position=position, outcomes=outcomes
        )
        labels = tbl.items
        d = _core.tournament_stats(
            tbl,
            aggregate=aggregate,
            margin=float(margin),
            cycles=int(cycles),
            order=bool(order),
            exact_max=int(exact_max),
            max_passes=int(max_passes),
        )
    comp = np.asarray(d.component)
    n_comp = int(comp.max()) + 1 if comp.size else 0
    by_comp = np.argsort(comp, kind="stable")
    starts = np.searchsorted(comp[by_comp], np.arange(n_comp + 1))
    sizes = np.diff(starts)
    first_member = by_comp[starts[:-1]] if n_comp else np.zeros(0, np.int64)
    # Largest first, then by first member code: a stable, readable order.
    comp_order = np.lexsort((first_member, -sizes)).tolist()
    lab_list = labels.tolist()
    components = [[lab_list[v] for v in by_comp[starts[c] : starts[c + 1]].tolist()] for c in comp_order]
    relabel = np.empty(n_comp, np.int64)
    relabel[comp_order] = np.arange(n_comp)
    try:
        import pandas as pd

        wins_s: Any = pd.Series(np.asarray(d.wins), index=labels, name="wins")
    except ImportError:  # pragma: no cover - pandas is optional
        wins_s = dict(zip(labels.tolist(), np.asarray(d.wins).tolist(), strict=False))
    # Undefined (incomplete or tied tournaments): None, not a NaN that reads as a number.
    zeta = None if math.isnan(d.zeta) else float(d.zeta)
    return TournamentStats(
        n_items=int(d.n_items),
        n_arcs=int(d.n_arcs),
        n_ties=int(d.n_ties),
        complete=bool(d.complete),
        triples=int(d.triples),
        circular=int(d.circular),
        equivalence=int(d.equivalence),
        other=int(d.other),
        zeta=zeta,
        c3_max=int(d.c3_max),
        wins=wins_s,
        components=components,
        cycles=[[labels[v] for v in c] for c in d.cycles],
        order=None if d.order is None else [labels[v] for v in d.order.tolist()],
        backward_arcs=d.backward_arcs,
        exact=d.exact,
        _items=labels,
        _component=relabel[comp] if comp.size else comp,
    )
