"""Transitivity: the triad census, cycles and intransitivity rates per group and judge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_batch_rows, check_bootstrap, check_level
from prefrank.consistency._common import (
    _RATE_COLUMNS,
    _check_aggregate,
    _cluster_ci,
    _rate,
    _runs,
    _table,
)
from prefrank.consistency.results import Transitivity
from prefrank.exceptions import parameter_error

__all__ = ["transitivity"]


def transitivity(
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
    aggregate: str | None = None,
    margin: float = 0.0,
    by_judge: bool = True,
    mode: str = "census",
    bootstrap: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Transitivity:
    """Transitivity census within groups.

    Inside each group (one prompt's responses; every row is one group when ``group`` is not given)
    the verdicts on each pair are aggregated (``aggregate=``, see the module docstring) and every
    triple whose three pairs were all judged is classified as *transitive* (realisable by a weak
    order), *circular* (``x > y > z > x``), *equivalence contradiction* (two ties and one strict
    verdict) or *other* (one tie that the third item splits: ``x = z`` but ``x > y > z``). The class
    never depends on the order of the items.

    With ``judge=`` and ``by_judge=True`` (default) each judge's verdicts form their own units, so a
    judge is only compared with itself; ``by_judge=False`` pools the judges' verdicts on each pair.

    ``mode="trustjudge"`` reproduces TrustJudge's NTR_k: ``aggregate`` defaults to ``"unanimous"``
    (the both-orders merge) and the result carries ``ntr3``, ``ntr4``, ``ntr5``: the share of
    k-subsets (all pairs judged) that contain a non-transitive triple (groups of at most 64 items).

    ``data`` may also be a :class:`~prefrank.ComparisonStats` (merged from batches or workers), or a
    directory / glob of files (or a file with ``batch_rows=``), streamed in batches.

    Intervals: percentile bootstrap over groups (``bootstrap`` rounds, an int >= 0; default 1000,
    as for every audit that reports a rate with its interval, a round only resampling counted cells;
    0 turns them off) at confidence ``level``, seeded by ``seed`` (an int >= 0) and identical for any
    thread count.
    """
    if mode not in {"census", "trustjudge"}:
        raise parameter_error("mode", f"mode={mode!r} is not 'census' or 'trustjudge'")
    if aggregate is None:
        aggregate = "unanimous" if mode == "trustjudge" else "majority"
    _check_aggregate(aggregate, margin)
    check_level(level)
    check_bootstrap(bootstrap, seed)
    check_batch_rows(batch_rows)
    tbl = _table(
        data,
        aggregate,
        batch_rows,
        a=a,
        b=b,
        outcome=outcome,
        weight=weight,
        group=group,
        judge=judge,
        position=position,
        outcomes=outcomes,
    )
    ntr = mode == "trustjudge"
    if tbl.group is not None and tbl.groups is not None:
        gcodes, glabels = tbl.group, tbl.groups
    else:
        gcodes = np.zeros(len(tbl), np.uint32)
        glabels = np.array(["all"], dtype=object)
    use_judge = tbl.judge is not None and by_judge
    d = _core.triad_census(
        tbl,
        gcodes,
        len(glabels),
        tbl.judge if use_judge else None,
        aggregate,
        float(margin),
        ntr,
        0,
    )
    units: dict[str, np.ndarray] = {
        "group": d.group,
        "judge": d.judge,
        "n_items": d.n_items,
        "n_pairs": d.n_pairs,
        "triples": d.triples,
        "circular": d.circular,
        "equivalence": d.equivalence,
        "other": d.other,
    }
    if d.k4 is not None and d.bad4 is not None and d.k5 is not None and d.bad5 is not None:
        units.update(k4=d.k4, bad4=d.bad4, k5=d.k5, bad5=d.bad5)
    n_units = len(units["group"])
    tot = {k: int(units[k].sum()) for k in ("n_pairs", "triples", "circular", "equivalence", "other")}
    counts = dict(tot)
    counts["non_transitive"] = tot["circular"] + tot["equivalence"] + tot["other"]
    counts["transitive"] = tot["triples"] - counts["non_transitive"]
    rates = {k: float(_rate(counts[k], tot["triples"])) for k in _RATE_COLUMNS}
    if ntr:
        for k in ("k4", "bad4", "k5", "bad5"):
            counts[k] = int(units[k].sum())
        rates["ntr3"] = rates["non_transitive"]
        rates["ntr4"] = float(_rate(counts["bad4"], counts["k4"]))
        rates["ntr5"] = float(_rate(counts["bad5"], counts["k5"]))

    # Bootstrap over groups: per-group sums of numerators / denominators.
    def cluster_table(sel: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        g = units["group"].astype(np.int64)
        take = slice(None) if sel is None else sel
        g = g[take]
        present, inv = _runs(g)

        def s(k: str) -> np.ndarray:
            return np.bincount(inv, weights=units[k][take].astype(np.float64), minlength=len(present))

        t = s("triples")
        cols = [s("circular"), s("equivalence"), s("other")]
        cols.append(cols[0] + cols[1] + cols[2])
        dens = [t, t, t, t]
        if ntr:
            cols += [s("bad4"), s("bad5")]
            dens += [s("k4"), s("k5")]
        return np.column_stack(cols), np.column_stack(dens)

    names = list(_RATE_COLUMNS) + (["ntr4", "ntr5"] if ntr else [])
    if bootstrap > 0:
        num, den = cluster_table(None)
        lo, hi = _cluster_ci(num, den, rounds=int(bootstrap), seed=int(seed), level=level)
    else:
        lo = hi = np.full(len(names), np.nan)
    ci = {k: (float(lo[i]), float(hi[i])) for i, k in enumerate(names)}
    if ntr:
        ci["ntr3"] = ci["non_transitive"]
    judge_ci: dict[str, np.ndarray] = {}
    if use_judge and tbl.judges is not None and bootstrap > 0:
        present = np.unique(units["judge"])
        los = np.full((len(present), len(names)), np.nan)
        his = np.full((len(present), len(names)), np.nan)
        for r, jc in enumerate(present):
            n_j, d_j = cluster_table(units["judge"] == jc)
            los[r], his[r] = _cluster_ci(n_j, d_j, rounds=int(bootstrap), seed=int(seed) + 1 + int(jc), level=level)
        for i, k in enumerate(names):
            judge_ci[f"{k}_lo"] = los[:, i]
            judge_ci[f"{k}_hi"] = his[:, i]
    return Transitivity(
        counts=counts,
        rates=rates,
        ci=ci,
        aggregate=aggregate,
        mode=mode,
        level=float(level),
        bootstrap=int(bootstrap),
        seed=int(seed),
        n_groups=len(_runs(units["group"])[0]),
        n_units=n_units,
        _units=units,
        _group_labels=glabels,
        _judge_labels=tbl.judges if use_judge else None,
        _judge_ci=judge_ci,
        _table=tbl,
        _margin=float(margin),
        _by_judge=bool(by_judge),
    )
