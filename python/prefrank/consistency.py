"""Judge-consistency audits: transitivity within groups, whole tournaments, position bias and
score-vs-comparison consistency.

Every function takes anything :func:`prefrank.comparisons` takes (or a :class:`~prefrank.Comparisons`)
and returns a frozen result whose tables are keyed by labels. The arithmetic lives in the Rust core
(``prefrank-core/src/consistency``); position bias and score consistency are vectorised numpy.

**Verdicts.** A row is a verdict: item a won when ``p > 0.5``, b won when ``p < 0.5``, a tie when the
row is a tie (or ``p == 0.5``).

**Several verdicts on one pair** (repeats, annotators, both presentation orders) are aggregated into
one relation per pair with ``aggregate=``:

* ``"majority"`` (default): the verdict (a, b or tie) with the largest total weight; a shared
  maximum is a tie.
* ``"probability"``: the mean probability that a won (ties count 0.5, soft outcomes count as given;
  TrustJudge's *likelihood-aware aggregation* sums the verdict probabilities of both orders, which
  is this rule); above ``0.5 + margin`` a won, below ``0.5 - margin`` b won, otherwise a tie.
* ``"unanimous"``: a strict verdict only when every verdict agrees, else a tie (TrustJudge's
  both-orders merge: two orders that disagree count as a tie).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.data import Comparisons, as_comparisons
from prefrank.exceptions import PrefrankError, UndefinedStatisticWarning

__all__ = [
    "Audit",
    "JudgeAgreement",
    "PositionBias",
    "ScoreConsistency",
    "TournamentStats",
    "Transitivity",
    "audit",
    "expected_score",
    "judge_agreement",
    "position_bias",
    "score_consistency",
    "tournament",
    "transitivity",
]

_AGGREGATES = ("majority", "probability", "unanimous")
CLASS_NAMES = ("transitive", "circular", "equivalence", "other")
_RATE_COLUMNS = ("circular", "equivalence", "other", "non_transitive")


def _check_level(level: float) -> None:
    if not (isinstance(level, (int, float)) and 0.0 < level < 1.0):
        raise PrefrankError(f"level={level!r} is not in (0, 1)")


def _check_aggregate(aggregate: str, margin: float) -> None:
    if aggregate not in _AGGREGATES:
        raise PrefrankError(f"aggregate={aggregate!r} is not one of {', '.join(map(repr, _AGGREGATES))}")
    if not (isinstance(margin, (int, float)) and 0.0 <= margin < 0.5):
        raise PrefrankError(f"margin={margin!r} is not in [0, 0.5)")


def _stats(data: Any, batch_rows: int | None, cols: dict[str, Any]) -> Any:
    """The :class:`~prefrank.ComparisonStats` of ``data`` when it is one already, or a directory /
    glob (or a file with ``batch_rows=``) to stream; None for in-memory data."""
    from prefrank.stats import ComparisonStats
    from prefrank.stream import accumulate_comparisons, wants_stream

    if isinstance(data, ComparisonStats):
        extra = [k for k, v in cols.items() if v is not None and k not in {"drop_self", "outcomes"}]
        if extra:
            raise PrefrankError(f"data is already a ComparisonStats; do not pass column options ({', '.join(extra)})")
        return data
    if wants_stream(data, batch_rows):
        return accumulate_comparisons(data, batch_rows=batch_rows, **cols)
    return None


def _table(data: Any, aggregate: str = "majority", batch_rows: int | None = None, **cols: Any) -> Comparisons:
    """The comparison rows of ``data``; merged statistics give their verdict cells as weighted rows."""
    st = _stats(data, batch_rows, cols)
    if st is not None:
        return st.table(aggregate)
    return as_comparisons(data, **cols)


def _rate(num: np.ndarray | float, den: np.ndarray | float) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(den) > 0, np.asarray(num, float) / np.maximum(den, 1), np.nan)


def _runs(sorted_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a non-decreasing array and the run index of each entry (like np.unique)."""
    if len(sorted_codes) == 0:
        return sorted_codes[:0], np.zeros(0, np.int64)
    new = np.empty(len(sorted_codes), bool)
    new[0] = True
    np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=new[1:])
    return sorted_codes[new], np.cumsum(new) - 1


def _percentile_ci(reps: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(reps, lo_q, axis=0), np.nanquantile(reps, hi_q, axis=0)


def _cluster_ci(
    num: np.ndarray, den: np.ndarray, *, rounds: int, seed: int, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of ratio columns from a bootstrap over clusters (rows of num/den)."""
    n_cols = num.shape[1]
    if rounds <= 0 or num.shape[0] == 0:
        nan = np.full(n_cols, np.nan)
        return nan, nan.copy()
    reps = _core.cluster_ratio_bootstrap(
        np.ascontiguousarray(num, np.float64).ravel(),
        np.ascontiguousarray(den, np.float64).ravel(),
        n_cols,
        int(rounds),
        int(seed),
    ).reshape(rounds, n_cols)
    return _percentile_ci(reps, level)


# --------------------------------------------------------------------------------------------------
# Transitivity within groups


@dataclass(frozen=True, repr=False, eq=False)
class Transitivity:
    """The transitivity census (see :func:`transitivity`).

    ``counts`` and ``rates`` are overall; ``ci`` maps each rate to its bootstrap interval over groups.
    ``by_group()`` / ``by_judge()`` / ``units()`` are pandas tables keyed by labels; ``triples()``
    spells out the non-transitive triples of chosen groups.
    """

    counts: dict[str, int]
    rates: dict[str, float]
    ci: dict[str, tuple[float, float]]
    aggregate: str
    mode: str
    level: float
    bootstrap: int
    seed: int
    n_groups: int
    n_units: int
    _units: dict[str, np.ndarray] = field(repr=False)
    _group_labels: np.ndarray = field(repr=False)
    _judge_labels: np.ndarray | None = field(repr=False)
    _judge_ci: dict[str, np.ndarray] = field(repr=False)
    _table: Comparisons = field(repr=False)
    _margin: float = field(repr=False, default=0.0)
    _by_judge: bool = field(repr=False, default=True)

    def __repr__(self) -> str:
        r, ci = self.rates, self.ci

        def fmt(k: str) -> str:
            lo, hi = ci.get(k, (math.nan, math.nan))
            band = f" [{lo:.4f}, {hi:.4f}]" if not math.isnan(lo) else ""
            return f"{k}={r[k]:.4f}{band}"

        parts = [fmt(k) for k in ("non_transitive", "circular", "equivalence", "other")]
        if "ntr4" in r:
            parts += [fmt("ntr4"), fmt("ntr5")]
        return (
            f"Transitivity(triples={self.counts['triples']:,}, groups={self.n_groups:,}, "
            f"aggregate={self.aggregate!r}, mode={self.mode!r},\n  " + ",\n  ".join(parts) + ")"
        )

    def _frame(self, keys: dict[str, Any], sums: dict[str, np.ndarray]) -> Any:
        import pandas as pd

        cols = dict(keys)
        cols.update(sums)
        t = sums["triples"]
        cols["transitive"] = t - sums["circular"] - sums["equivalence"] - sums["other"]
        cols["non_transitive"] = sums["circular"] + sums["equivalence"] + sums["other"]
        for k in _RATE_COLUMNS:
            cols[f"{k}_rate"] = _rate(cols[k], t)
        if "bad4" in sums:
            cols["ntr4"] = _rate(sums["bad4"], sums["k4"])
            cols["ntr5"] = _rate(sums["bad5"], sums["k5"])
        return pd.DataFrame(cols)

    def _sum_by(self, key: np.ndarray, size: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for k in ("n_pairs", "triples", "circular", "equivalence", "other", "k4", "bad4", "k5", "bad5"):
            if k in self._units:
                out[k] = np.bincount(key, weights=self._units[k], minlength=size).astype(np.int64)
        return out

    def units(self) -> Any:
        """One row per unit (group, or group and judge), with counts and rates."""
        u = self._units
        keys: dict[str, Any] = {"group": self._group_labels[u["group"]]}
        if self._judge_labels is not None and self._by_judge:
            keys["judge"] = self._judge_labels[u["judge"]]
        sums: dict[str, np.ndarray] = {
            k: u[k].astype(np.int64)
            for k in (
                "n_items",
                "n_pairs",
                "triples",
                "circular",
                "equivalence",
                "other",
                "k4",
                "bad4",
                "k5",
                "bad5",
            )
            if k in u
        }
        return self._frame(keys, sums)

    def by_group(self) -> Any:
        """Counts and rates per group (summed over judges), indexed by group label."""
        u = self._units
        present = np.unique(u["group"])
        sums = self._sum_by(u["group"].astype(np.int64), len(self._group_labels))
        sums = {k: v[present] for k, v in sums.items()}
        df = self._frame({"group": self._group_labels[present]}, sums)
        return df.set_index("group")

    def by_judge(self) -> Any:
        """Counts, rates and bootstrap intervals per judge (needs judge= and by_judge=True)."""
        if self._judge_labels is None or not self._by_judge:
            raise PrefrankError("by_judge() needs judge= (and by_judge=True) in transitivity()")
        u = self._units
        present = np.unique(u["judge"])
        sums = self._sum_by(u["judge"].astype(np.int64), len(self._judge_labels))
        sums = {k: v[present] for k, v in sums.items()}
        df = self._frame({"judge": self._judge_labels[present]}, sums)
        for k, arr in self._judge_ci.items():
            df[k] = arr
        return df.set_index("judge")

    def worst(self, n: int = 10) -> Any:
        """The ``n`` groups with the most non-transitive triples (ties broken by rate, then label)."""
        df = self.by_group()
        return df.sort_values(["non_transitive", "non_transitive_rate"], ascending=False, kind="stable").head(n)

    def triples(self, groups: Sequence[Any] | None = None, *, limit_per_unit: int = 1000) -> Any:
        """Non-transitive triples spelled out with labels, for ``groups`` (default: all groups).

        Columns ``group`` (and ``judge``), ``kind``, ``x``, ``y``, ``z`` and ``text``. Orientation:
        circular ``x > y > z > x``; equivalence ``x > y`` while ``z`` ties both; other ``x = z`` while
        ``x > y > z``. The first item is the one with the smallest code, so the spelling does not
        depend on the input order.
        """
        import pandas as pd

        tbl = self._table
        g = tbl.group if tbl.group is not None else np.zeros(len(tbl), np.uint32)
        if groups is not None:
            lookup = {v: k for k, v in enumerate(self._group_labels.tolist())}
            missing = [x for x in groups if x not in lookup]
            if missing:
                raise PrefrankError(f"unknown group label(s): {missing[:5]!r}")
            mask = np.isin(g, np.array([lookup[x] for x in groups], np.uint32))
            tbl = tbl.subset(mask)
            g = g[mask]
        if len(tbl) == 0:
            return pd.DataFrame(columns=["group", "kind", "x", "y", "z", "text"])
        agg = self.aggregate
        d = _core.triad_census(
            tbl.n_items,
            tbl.a,
            tbl.b,
            tbl.p,
            tbl.tie,
            tbl.weight,
            np.ascontiguousarray(g, np.uint32),
            len(self._group_labels),
            tbl.judge if self._by_judge else None,
            agg,
            self._margin,
            False,
            int(limit_per_unit),
        )
        unit = d["ex_unit"].astype(np.int64)
        items = tbl.items
        x, y, z = items[d["ex_x"]], items[d["ex_y"]], items[d["ex_z"]]
        kind = np.array(CLASS_NAMES, dtype=object)[d["ex_class"]]
        text = []
        for k, xi, yi, zi in zip(kind, x, y, z, strict=False):
            if k == "circular":
                text.append(f"{xi} > {yi} > {zi} > {xi}")
            elif k == "equivalence":
                text.append(f"{xi} > {yi}, but {zi} = {xi} and {zi} = {yi}")
            else:
                text.append(f"{xi} > {yi} > {zi}, but {xi} = {zi}")
        cols: dict[str, Any] = {"group": self._group_labels[d["group"][unit]]}
        if self._judge_labels is not None and self._by_judge:
            cols["judge"] = self._judge_labels[d["judge"][unit]]
        cols.update({"kind": kind, "x": x, "y": y, "z": z, "text": text})
        return pd.DataFrame(cols)

    def to_pandas(self) -> Any:
        """The per-group table (see :meth:`by_group`)."""
        return self.by_group()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary: counts, rates, intervals and options."""
        return {
            "counts": dict(self.counts),
            "rates": {k: (None if math.isnan(v) else v) for k, v in self.rates.items()},
            "ci": {k: [None if math.isnan(x) else x for x in v] for k, v in self.ci.items()},
            "aggregate": self.aggregate,
            "mode": self.mode,
            "level": self.level,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "n_groups": self.n_groups,
            "n_units": self.n_units,
        }


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

    Intervals: percentile bootstrap over groups (``bootstrap`` rounds, default 1000; 0 turns them
    off), seeded and identical for any thread count.
    """
    if mode not in {"census", "trustjudge"}:
        raise PrefrankError(f"mode={mode!r} is not 'census' or 'trustjudge'")
    if aggregate is None:
        aggregate = "unanimous" if mode == "trustjudge" else "majority"
    _check_aggregate(aggregate, margin)
    _check_level(level)
    if not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise PrefrankError(f"bootstrap={bootstrap!r} must be a non-negative integer")
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
        tbl.n_items,
        tbl.a,
        tbl.b,
        tbl.p,
        tbl.tie,
        tbl.weight,
        gcodes,
        len(glabels),
        tbl.judge if use_judge else None,
        aggregate,
        float(margin),
        ntr,
        0,
    )
    units = {k: v for k, v in d.items() if not k.startswith("ex_")}
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


# --------------------------------------------------------------------------------------------------
# Whole tournaments


@dataclass(frozen=True, repr=False, eq=False)
class TournamentStats:
    """Statistics of one comparison graph (see :func:`tournament`)."""

    n_items: int
    n_arcs: int
    n_ties: int
    complete: bool
    triples: int
    circular: int
    equivalence: int
    other: int
    zeta: float
    c3_max: int
    wins: Any  # pandas Series keyed by label
    components: list[list[Any]]
    cycles: list[list[Any]]
    order: list[Any] | None
    backward_arcs: int | None
    exact: bool | None
    _items: np.ndarray = field(repr=False)
    _component: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        z = "nan" if math.isnan(self.zeta) else f"{self.zeta:.4f}"
        big = max((len(c) for c in self.components), default=0)
        fas = "" if self.order is None else f", backward_arcs={self.backward_arcs} (exact={self.exact})"
        return (
            f"TournamentStats(items={self.n_items:,}, arcs={self.n_arcs:,}, ties={self.n_ties:,}, "
            f"complete={self.complete}, triples={self.triples:,}, circular={self.circular:,}, "
            f"equivalence={self.equivalence:,}, other={self.other:,}, zeta={z}, "
            f"components={len(self.components):,} (largest {big}){fas})"
        )

    @property
    def cyclic_components(self) -> list[list[Any]]:
        """Components with more than one member (the items caught in cycles)."""
        return [c for c in self.components if len(c) > 1]

    def to_pandas(self) -> Any:
        """One row per item: wins (strict), component id, position in the most consistent order."""
        import pandas as pd

        df = pd.DataFrame({"item": self._items, "wins": np.asarray(self.wins), "component": self._component})
        if self.order is not None:
            pos = {v: k for k, v in enumerate(self.order)}
            df["order"] = [pos[v] for v in self._items.tolist()]
        return df.set_index("item")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (labels converted with ``str``)."""
        return {
            "n_items": self.n_items,
            "n_arcs": self.n_arcs,
            "n_ties": self.n_ties,
            "complete": self.complete,
            "triples": self.triples,
            "circular": self.circular,
            "equivalence": self.equivalence,
            "other": self.other,
            "zeta": None if math.isnan(self.zeta) else self.zeta,
            "c3_max": self.c3_max,
            "n_components": len(self.components),
            "cyclic_components": [[str(x) for x in c] for c in self.cyclic_components],
            "cycles": [[str(x) for x in c] for c in self.cycles],
            "order": None if self.order is None else [str(x) for x in self.order],
            "backward_arcs": self.backward_arcs,
            "exact": self.exact,
        }


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
    ``zeta = 1 - c3 / c3_max`` (complete tournaments without ties only, else NaN); strongly
    connected components of the arcs with their members; up to ``cycles`` short cycles (every 3-cycle
    first, then for each item the shortest cycle on which it has the smallest code); and with
    ``order=True`` a most consistent order (minimum feedback arc set, solved per component: exact
    dynamic programme for components of at most ``exact_max`` items, else Eades-Lin-Smyth plus
    insertion local search) with its number of backward arcs.
    """
    _check_aggregate(aggregate, margin)
    if not isinstance(cycles, (int, np.integer)) or cycles < 0:
        raise PrefrankError(f"cycles={cycles!r} must be a non-negative integer")
    if not isinstance(exact_max, (int, np.integer)) or not 0 <= exact_max <= 24:
        raise PrefrankError(f"exact_max={exact_max!r} must be an integer in [0, 24]")
    if wins is not None:
        if data is not None or a is not None or b is not None or outcome is not None:
            raise PrefrankError("pass either comparisons or wins=, not both")
        w = np.asarray(wins, dtype=np.float64)
        if w.ndim != 2 or w.shape[0] != w.shape[1]:
            raise PrefrankError(f"wins must be a square matrix, got shape {w.shape}")
        n = w.shape[0]
        if n == 0:
            raise PrefrankError("empty input: wins is a 0 x 0 matrix")
        t = None
        if ties is not None:
            t = np.asarray(ties, dtype=np.float64)
            if t.shape != w.shape:
                raise PrefrankError(f"ties has shape {t.shape}, wins has {w.shape}")
            if not np.allclose(t, t.T, equal_nan=True):
                raise PrefrankError("ties must be symmetric")
            t = np.ascontiguousarray(t).ravel()
        labels = np.arange(n) if items is None else np.asarray(items, dtype=object)
        if len(labels) != n:
            raise PrefrankError(f"items has {len(labels)} labels for a {n} x {n} matrix")
        d = _core.tournament_stats(
            n,
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
            tbl.n_items,
            tbl.a,
            tbl.b,
            tbl.p,
            tbl.tie,
            tbl.weight,
            aggregate=aggregate,
            margin=float(margin),
            cycles=int(cycles),
            order=bool(order),
            exact_max=int(exact_max),
            max_passes=int(max_passes),
        )
    comp = np.asarray(d["component"])
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

        wins_s: Any = pd.Series(np.asarray(d["wins"]), index=labels, name="wins")
    except ImportError:  # pragma: no cover - pandas is optional
        wins_s = dict(zip(labels.tolist(), np.asarray(d["wins"]).tolist(), strict=False))
    zeta = float(d["zeta"])
    return TournamentStats(
        n_items=int(d["n_items"]),
        n_arcs=int(d["n_arcs"]),
        n_ties=int(d["n_ties"]),
        complete=bool(d["complete"]),
        triples=int(d["triples"]),
        circular=int(d["circular"]),
        equivalence=int(d["equivalence"]),
        other=int(d["other"]),
        zeta=zeta,
        c3_max=int(d["c3_max"]),
        wins=wins_s,
        components=components,
        cycles=[[labels[v] for v in c] for c in d["cycles"]],
        order=[labels[v] for v in np.asarray(d["order"]).tolist()] if order else None,
        backward_arcs=int(d["backward_arcs"]) if order else None,
        exact=bool(d["exact"]) if order else None,
        _items=labels,
        _component=relabel[comp] if comp.size else comp,
    )


# --------------------------------------------------------------------------------------------------
# Position bias


def _wilson(k: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    from statistics import NormalDist

    z = NormalDist().inv_cdf((1 + level) / 2)
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ph = k / n
        den = 1 + z * z / n
        centre = (ph + z * z / (2 * n)) / den
        half = z * np.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den
        return np.where(n > 0, centre - half, np.nan), np.where(n > 0, centre + half, np.nan)


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


@dataclass(frozen=True, repr=False, eq=False)
class PositionBias:
    """Position bias (see :func:`position_bias`): first-shown win share and swap consistency."""

    first_win_share: float
    ci: tuple[float, float]
    p_value: float
    n_decisive: float
    n_ties: float
    n_swapped_pairs: int
    swap_consistency: float
    patterns: dict[str, int]
    level: float
    _by_judge: dict[str, np.ndarray] | None = field(repr=False, default=None)
    _judge_labels: np.ndarray | None = field(repr=False, default=None)

    def __repr__(self) -> str:
        lo, hi = self.ci
        sc = "nan" if math.isnan(self.swap_consistency) else f"{self.swap_consistency:.4f}"
        return (
            f"PositionBias(first_win_share={self.first_win_share:.4f} [{lo:.4f}, {hi:.4f}], "
            f"p_value={self.p_value:.3g}, decisive={self.n_decisive:,.0f}, ties={self.n_ties:,.0f}, "
            f"swapped_pairs={self.n_swapped_pairs:,}, swap_consistency={sc})"
        )

    def by_judge(self) -> Any:
        """Per-judge table (needs judge=)."""
        import pandas as pd

        if self._by_judge is None or self._judge_labels is None:
            raise PrefrankError("by_judge() needs judge= in position_bias()")
        df = pd.DataFrame(self._by_judge)
        df.insert(0, "judge", self._judge_labels)
        return df.set_index("judge")

    def to_pandas(self) -> Any:
        """Per-judge table when judges were given, else a one-row summary."""
        import pandas as pd

        if self._by_judge is not None:
            return self.by_judge()
        return pd.DataFrame([self.to_dict()]).drop(columns=["patterns"])

    def to_dict(self) -> dict[str, Any]:
        def clean(x: float) -> float | None:
            return None if math.isnan(x) else x

        return {
            "first_win_share": clean(self.first_win_share),
            "ci": [clean(self.ci[0]), clean(self.ci[1])],
            "p_value": clean(self.p_value),
            "n_decisive": self.n_decisive,
            "n_ties": self.n_ties,
            "n_swapped_pairs": self.n_swapped_pairs,
            "swap_consistency": clean(self.swap_consistency),
            "patterns": dict(self.patterns),
            "level": self.level,
        }


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
    _check_level(level)
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
        raise PrefrankError("position_bias needs position= (the column telling which item was shown first)")
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


# --------------------------------------------------------------------------------------------------
# Score-vs-comparison consistency


# TrustJudge's distribution-sensitive score as its code computes it (trustjudge/ConflictCalculator.py,
# ConflictCalculator.compute_softmax_weighted_score, lines 188-223, read from the mirror Edhomasteng/TrustJudge
# at commit f2e887fb0e674c2f5a314a437c4078a35ad04811): over the rating tokens with 0 < p < 1, as the judge gave
# them, logit = log((p + eps) / (1 - p + eps)) with eps = 1e-8, weights = softmax(logit / T) with T = 0.2, and
# the score is sum(value * weight).
_TRUSTJUDGE_EPS = 1e-8
_TRUSTJUDGE_POWER = 5.0  # 1 / T with T = 0.2


def expected_score(
    probs: Any, values: Any = None, *, method: str = "expectation", power: float = _TRUSTJUDGE_POWER
) -> np.ndarray:
    """Distribution-sensitive scores from a judge's probabilities over rating tokens.

    ``probs`` is ``(n, K)``: row ``r`` holds the probabilities (or any non-negative weights) the judge
    gave to the K rating tokens, whose values are ``values`` (default ``1..K``, i.e. the columns are the
    tokens ``"1"`` .. ``"K"``). A row summing to 0 is an error.

    * ``"expectation"``: the row is normalised to sum 1, then ``sum_k p_k v_k``. (TrustJudge's code also
      has this probability-weighted score, as its ``geval`` baseline, but without the normalisation: it
      returns ``sum_k p_k v_k`` over the rating tokens as given, so the two agree only when the row sums
      to 1.)
    * ``"odds_power"``: TrustJudge's distribution-sensitive score (its ``softmax_weighted`` method):
      ``sum_k w_k v_k`` with ``w = softmax(log((p_k + eps) / (1 - p_k + eps)) / T)`` over the tokens with
      ``p_k > 0``, ``eps = 1e-8``, ``power = 1 / T`` (TrustJudge: ``T = 0.2``, hence the default 5).
      That is, weights proportional to ``odds_k ** power``: ``power > 1`` sharpens towards the mode,
      ``power < 1`` flattens. The probabilities are used as given, not renormalised over the rating
      tokens (mass the judge put on other tokens stays out, as in TrustJudge); only a row summing to
      more than 1, which cannot be probabilities, is divided by its sum first. One deliberate departure:
      TrustJudge skips a token of probability exactly 1 (and then returns 0.0, having no token left);
      here it keeps it, so such a row scores that token's value, the formula's limit.

    Source: ``ConflictCalculator.compute_softmax_weighted_score`` and ``compute_weighted_score`` in
    ``trustjudge/ConflictCalculator.py`` of TrustJudge (arXiv 2509.21117; github.com/TrustJudge/TrustJudge),
    read from the mirror Edhomasteng/TrustJudge at commit f2e887fb0e674c2f5a314a437c4078a35ad04811
    (lines 160-223).
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] == 0:
        raise PrefrankError(f"probs must be a 2-D array (n, K), got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        r, c = np.argwhere(~np.isfinite(p))[0]
        raise PrefrankError(f"row {r}: probability in column {c} is not finite ({p[r, c]!r})")
    if (p < 0).any():
        r, c = np.argwhere(p < 0)[0]
        raise PrefrankError(f"row {r}: probability in column {c} is negative ({p[r, c]!r})")
    v = np.arange(1, p.shape[1] + 1, dtype=np.float64) if values is None else np.asarray(values, np.float64)
    if v.shape != (p.shape[1],):
        raise PrefrankError(f"values has {v.size} entries for {p.shape[1]} rating tokens")
    s = p.sum(axis=1)
    if (s <= 0).any():
        raise PrefrankError(f"row {int(np.argmax(s <= 0))}: probabilities sum to 0")
    if method == "expectation":
        return (p / s[:, None]) @ v
    if method == "odds_power":
        if not (math.isfinite(power) and power > 0):
            raise PrefrankError(f"power={power!r} must be a positive number")
        q = p / np.maximum(s, 1.0)[:, None]  # 0 <= q <= 1, so 1 - q + eps > 0
        eps = _TRUSTJUDGE_EPS
        logit = np.log((q + eps) / (1.0 - q + eps))
        z = np.where(q > 0, power * logit, -np.inf)  # softmax(logit / T) in log space: no overflow
        z = z - z.max(axis=1, keepdims=True)
        w = np.exp(z)
        return (w @ v) / w.sum(axis=1)
    raise PrefrankError(f"method={method!r} is not 'expectation' or 'odds_power'")


_REL = ("a", "tie", "b")


@dataclass(frozen=True, repr=False, eq=False)
class ScoreConsistency:
    """Score-vs-comparison consistency (see :func:`score_consistency`)."""

    n_pairs: int
    conflict_rate: float
    reversal_rate: float
    table: np.ndarray  # 3 x 3: score relation (a, tie, b) x verdict (a, tie, b)
    tolerance: float
    aggregate: str | None
    _by_judge: dict[str, np.ndarray] | None = field(repr=False, default=None)
    _judge_labels: np.ndarray | None = field(repr=False, default=None)

    def __repr__(self) -> str:
        return (
            f"ScoreConsistency(pairs={self.n_pairs:,}, conflict_rate={self.conflict_rate:.4f}, "
            f"reversal_rate={self.reversal_rate:.4f}, tolerance={self.tolerance})"
        )

    def crosstab(self) -> Any:
        """The 3 x 3 table: rows = score relation, columns = pairwise verdict."""
        import pandas as pd

        return pd.DataFrame(
            self.table,
            index=pd.Index([f"score {r}" for r in _REL], name="scores"),
            columns=pd.Index([f"verdict {r}" for r in _REL], name="verdict"),
        )

    def by_judge(self) -> Any:
        import pandas as pd

        if self._by_judge is None or self._judge_labels is None:
            raise PrefrankError("by_judge() needs judge= in score_consistency()")
        df = pd.DataFrame(self._by_judge)
        df.insert(0, "judge", self._judge_labels)
        return df.set_index("judge")

    def to_pandas(self) -> Any:
        return self.crosstab()

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_pairs": self.n_pairs,
            "conflict_rate": None if math.isnan(self.conflict_rate) else self.conflict_rate,
            "reversal_rate": None if math.isnan(self.reversal_rate) else self.reversal_rate,
            "table": {
                f"score_{r}": {f"verdict_{c}": int(self.table[i, j]) for j, c in enumerate(_REL)}
                for i, r in enumerate(_REL)
            },
            "tolerance": self.tolerance,
            "aggregate": self.aggregate,
        }


def score_consistency(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    score_a: Any = None,
    score_b: Any = None,
    weight: Any = None,
    group: Any = None,
    judge: Any = None,
    position: Any = None,
    outcomes: Mapping[Any, Any] | None = None,
    tolerance: float = 0.0,
    aggregate: str | None = None,
    margin: float = 0.0,
    batch_rows: int | None = None,
) -> ScoreConsistency:
    """How often pairwise verdicts contradict pointwise scores (TrustJudge's score-comparison
    inconsistency).

    ``score_a`` / ``score_b`` are columns (or arrays) with the pointwise scores of items a and b in
    each row. The score relation is ``a`` when ``score_a - score_b > tolerance``, ``b`` when it is
    ``< -tolerance``, else ``tie``. The 3 x 3 table crosses it with the verdict; ``conflict_rate`` is
    the share off the diagonal (any disagreement, ties included) and ``reversal_rate`` the share where
    the lower-scored item won outright.

    ``aggregate=None`` (default) counts each row. With ``"majority"``, ``"probability"`` (TrustJudge's
    likelihood-aware aggregation: the mean verdict probability over both orders) or ``"unanimous"``
    (the both-orders merge), rows of the same pair (within group and judge) are merged first and
    their scores averaged, so the reduction in inconsistency from each rule can be measured.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches; ``score_a`` /
    ``score_b`` must then name columns. With ``aggregate=None`` each batch is reduced to its 3 x 3
    table per judge, which are added (memory: one batch plus 72 bytes per judge; see
    :func:`prefrank.stream.judge_tables`); with an ``aggregate`` rule, whose cells average scores
    over rows that batches may split, the coded rows and scores are concatenated (no text held: 33
    bytes per row, + 8 with a weight, + 4 per group / judge, + 1 with a position; see
    :func:`prefrank.stream.comparison_rows`). The result equals that of the concatenated table
    (with whole-number weights; fractional ones summed in another order may differ in the last bits).
    """
    from prefrank.stream import comparison_rows, judge_tables, wants_stream

    def relation(tbl: Comparisons, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Per row: score relation and verdict (a, tie, b), weight and judge code."""
        v = _verdict(tbl.p, tbl.tie)
        verdict = np.where(v == 0, 0, np.where(v == 1, 2, 1))  # to (a, tie, b) order
        d = scores[:, 0] - scores[:, 1]
        srel = np.where(d > tolerance, 0, np.where(d < -tolerance, 2, 1))
        w = tbl.weight if tbl.weight is not None else np.ones(len(tbl))
        return srel, verdict, w, (tbl.judge.astype(np.int64) if tbl.judge is not None else None)

    def finish(table: np.ndarray, per_judge: tuple[np.ndarray, ...] | None) -> ScoreConsistency:
        """The result from the 3 x 3 table and, per judge, (labels, weight, conflicts, reversals)."""
        total = float(table.sum())
        off = total - float(np.trace(table))
        rev = float(table[0, 2] + table[2, 0])
        per = None
        jl = None
        if per_judge is not None:
            judges, n_j, c_j, r_j = per_judge
            present = n_j > 0
            per = {
                "n_pairs": n_j[present],
                "conflict_rate": _rate(c_j, n_j)[present],
                "reversal_rate": _rate(r_j, n_j)[present],
            }
            jl = judges[present]
        table_out = table.astype(np.int64) if np.all(table == np.round(table)) else table
        return ScoreConsistency(
            n_pairs=round(total),
            conflict_rate=off / total if total else math.nan,
            reversal_rate=rev / total if total else math.nan,
            table=table_out,
            tolerance=float(tolerance),
            aggregate=aggregate,
            _by_judge=per,
            _judge_labels=jl,
        )

    if aggregate is not None:
        _check_aggregate(aggregate, margin)
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0 and math.isfinite(tolerance)):
        raise PrefrankError(f"tolerance={tolerance!r} must be a finite non-negative number")
    if score_a is None or score_b is None:
        raise PrefrankError("score_consistency needs score_a= and score_b=")
    options = dict(a=a, b=b, outcome=outcome, weight=weight, group=group, judge=judge, position=position)
    extra = {"score_a": score_a, "score_b": score_b}
    if wants_stream(data, batch_rows) and aggregate is None:
        judges, tables = judge_tables(data, relation, batch_rows=batch_rows, extra=extra, outcomes=outcomes, **options)
        n_all = tables.sum(axis=(1, 2))
        off_all = n_all - np.trace(tables, axis1=1, axis2=2)
        reversals = tables[:, 0, 2] + tables[:, 2, 0]
        return finish(tables.sum(axis=0), None if judges is None else (judges, n_all, off_all, reversals))
    if wants_stream(data, batch_rows):
        tbl, scores = comparison_rows(data, batch_rows=batch_rows, extra=extra, outcomes=outcomes, **options)
        data, score_a, score_b = None, scores[:, 0], scores[:, 1]
    else:
        tbl = _table(data, outcomes=outcomes, **options)
    from prefrank.data import _source, _to_numpy

    src = _source(None if isinstance(data, Comparisons) else data)
    sa = np.asarray(_to_numpy(src.get(score_a, "score_a")), dtype=np.float64)
    sb = np.asarray(_to_numpy(src.get(score_b, "score_b")), dtype=np.float64)
    for name, s in (("score_a", sa), ("score_b", sb)):
        if len(s) != len(tbl) + tbl.dropped_self:
            raise PrefrankError(f"length mismatch: the table has {len(tbl)} rows but {name} has {len(s)}")
        bad = ~np.isfinite(s)
        if bad.any():
            r = int(np.argmax(bad))
            raise PrefrankError(f"row {r}: {name} value {s[r]!r} is not a finite number")
    if tbl.dropped_self:
        raise PrefrankError("score_consistency does not take drop_self=True; remove self-comparisons first")
    p, tie, w = tbl.p, tbl.tie, tbl.weight if tbl.weight is not None else np.ones(len(tbl))
    a_c, b_c = tbl.a.astype(np.int64), tbl.b.astype(np.int64)
    jc = tbl.judge.astype(np.int64) if tbl.judge is not None else None
    if aggregate is not None:
        lo, hi = np.minimum(a_c, b_c), np.maximum(a_c, b_c)
        flip = a_c != lo
        s_lo, s_hi = np.where(flip, sb, sa), np.where(flip, sa, sb)
        p_lo = np.where(flip, 1 - p, p)
        g = tbl.group.astype(np.int64) if tbl.group is not None else np.zeros(len(tbl), np.int64)
        j = jc if jc is not None else np.zeros(len(tbl), np.int64)
        keys = np.lexsort((hi, lo, j, g))
        cols = [x[keys] for x in (g, j, lo, hi)]
        new = np.ones(len(keys), bool)
        new[1:] = np.any([c[1:] != c[:-1] for c in cols], axis=0)
        cell = np.cumsum(new) - 1
        n_cells = int(cell[-1]) + 1
        wk = w[keys]
        cnt = np.bincount(cell, weights=wk, minlength=n_cells)
        with np.errstate(invalid="ignore"):
            msa = np.bincount(cell, weights=(s_lo * w)[keys], minlength=n_cells) / np.where(cnt > 0, cnt, 1)
            msb = np.bincount(cell, weights=(s_hi * w)[keys], minlength=n_cells) / np.where(cnt > 0, cnt, 1)
        v = _verdict(p_lo, tie)[keys]
        if aggregate == "probability":
            q = np.where(tie[keys] != 0, 0.5, p_lo[keys])
            pm = np.bincount(cell, weights=q * wk, minlength=n_cells) / np.where(cnt > 0, cnt, 1)
            verdict = np.where(pm > 0.5 + margin, 0, np.where(pm < 0.5 - margin, 2, 1))
        else:
            mass = np.zeros((n_cells, 3))
            np.add.at(mass, (cell, v), wk)
            if aggregate == "majority":
                top = mass.max(axis=1)
                shared = (mass == top[:, None]).sum(axis=1) > 1
                m = mass.argmax(axis=1)
                verdict = np.where(shared, 1, np.where(m == 0, 0, np.where(m == 1, 2, 1)))
            else:
                verdict = np.where(
                    (mass[:, 1] == 0) & (mass[:, 2] == 0),
                    0,
                    np.where((mass[:, 0] == 0) & (mass[:, 2] == 0), 2, 1),
                )
        d = msa - msb
        srel = np.where(d > tolerance, 0, np.where(d < -tolerance, 2, 1))
        weights = np.ones(n_cells)
        jcell = cols[1][new] if jc is not None else None
    else:
        srel, verdict, weights, jcell = relation(tbl, np.column_stack([sa, sb]))
    table = np.zeros((3, 3))
    np.add.at(table, (srel, verdict), weights)
    per_judge = None
    if jcell is not None and tbl.judges is not None:
        nj = len(tbl.judges)
        n_j = np.bincount(jcell, weights=weights, minlength=nj)
        c_j = np.bincount(jcell, weights=weights * (srel != verdict), minlength=nj)
        r_j = np.bincount(jcell, weights=weights * (np.abs(srel - verdict) == 2), minlength=nj)
        per_judge = (tbl.judges, n_j, c_j, r_j)
    return finish(table, per_judge)


_ = UndefinedStatisticWarning  # re-exported for users catching NaN warnings


# --------------------------------------------------------------------------------------------------
# The audit


@dataclass(frozen=True, repr=False, eq=False)
class Audit:
    """Everything :func:`audit` measured; parts that did not apply are ``None`` (see ``notes``)."""

    n_rows: int
    n_items: int
    transitivity: Transitivity | None
    tournament: TournamentStats | None
    position_bias: PositionBias | None
    score_consistency: ScoreConsistency | None
    worst_groups: Any  # pandas DataFrame or None
    worst_triples: Any  # pandas DataFrame or None
    notes: list[str]
    _table: Comparisons = field(repr=False)

    def __repr__(self) -> str:
        parts = [f"Audit(rows={self.n_rows:,}, items={self.n_items:,}"]
        for name in ("transitivity", "tournament", "position_bias", "score_consistency"):
            v = getattr(self, name)
            if v is not None:
                parts.append(f"  {name}: {v!r}".replace("\n", "\n  "))
        for n in self.notes:
            parts.append(f"  note: {n}")
        return "\n".join(parts) + ")"

    def win_matrix(self, max_items: int = 30) -> tuple[list[Any], np.ndarray]:
        """Labels and the ``k x k`` matrix of wins (row beat column, ties count half) for the first
        ``max_items`` items of the most consistent order (or by wins)."""
        tbl = self._table
        if self.tournament is not None and self.tournament.order is not None:
            lookup = {v: k for k, v in enumerate(tbl.items.tolist())}
            codes = [lookup[x] for x in self.tournament.order[:max_items]]
        else:
            codes = list(range(min(max_items, tbl.n_items)))
        k = len(codes)
        pos = np.full(tbl.n_items, -1, np.int64)
        pos[codes] = np.arange(k)
        pa, pb = pos[tbl.a], pos[tbl.b]
        keep = (pa >= 0) & (pb >= 0)
        w = tbl.weight if tbl.weight is not None else np.ones(len(tbl))
        q = np.where(tbl.tie != 0, 0.5, tbl.p)
        m = np.zeros((k, k))
        np.add.at(m, (pa[keep], pb[keep]), (w * q)[keep])
        np.add.at(m, (pb[keep], pa[keep]), (w * (1 - q))[keep])
        return [tbl.items[c] for c in codes], m

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary written by ``prefrank audit``."""
        out: dict[str, Any] = {"n_rows": self.n_rows, "n_items": self.n_items, "notes": list(self.notes)}
        for name in ("transitivity", "tournament", "position_bias", "score_consistency"):
            v = getattr(self, name)
            out[name] = None if v is None else v.to_dict()
        if self.worst_triples is not None:
            out["worst_triples"] = [
                {k: (str(v) if not isinstance(v, (int, float)) else v) for k, v in r.items()}
                for r in self.worst_triples.to_dict("records")
            ]
        if self.position_bias is not None and self.position_bias._by_judge is not None:
            bj = self.position_bias.by_judge()
            out["position_bias"]["by_judge"] = {
                str(j): {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                for j, row in bj.iterrows()
            }
        return out

    def to_html(self, path: Any = None) -> str:
        """An HTML report (see :mod:`prefrank.report`); written to ``path`` when given."""
        from prefrank.report import render_audit_html

        html = render_audit_html(self)
        if path is not None:
            from pathlib import Path

            Path(path).write_text(html, encoding="utf-8")
        return html


def _audit_scores(data: Any, batch_rows: int | None, score_a: Any, score_b: Any) -> bool:
    """Whether the audit checks score consistency; refuses, before any work, a bad ``batch_rows``
    and scores that a :class:`~prefrank.ComparisonStats` or a streamed source cannot give."""
    from prefrank.stats import ComparisonStats
    from prefrank.stream import _check_batch_rows, wants_stream

    if batch_rows is not None:
        _check_batch_rows(batch_rows)
    if score_a is None or score_b is None:
        return False
    if isinstance(data, ComparisonStats):
        raise PrefrankError(
            "score consistency needs the rows themselves: it cannot run on merged statistics "
            "(pass the files, a directory or a glob instead: they are read in batches)"
        )
    if wants_stream(data, batch_rows):
        for role, col in (("score_a", score_a), ("score_b", score_b)):
            if not isinstance(col, str):
                raise PrefrankError(f"{role}= must name a column when the data is a file, directory or glob")
    return True


def audit(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    verdict: Any = None,
    weight: Any = None,
    group: Any = None,
    judge: Any = None,
    position: Any = None,
    outcomes: Mapping[Any, Any] | None = None,
    batch_rows: int | None = None,
    score_a: Any = None,
    score_b: Any = None,
    aggregate: str | None = None,
    mode: str = "census",
    by_judge: bool = True,
    tolerance: float = 0.0,
    bootstrap: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    cycles: int = 20,
    worst: int = 10,
    progress: bool | None = None,
) -> Audit:
    """Run every applicable consistency check on one table of judgments.

    ``verdict=`` is an alias of ``outcome=``. Runs :func:`transitivity` (when ``group`` is given;
    ``by_judge=False`` pools the judges' verdicts on each pair),
    :func:`tournament` on all rows pooled, :func:`position_bias` (when ``position`` is given) and
    :func:`score_consistency` (when ``score_a`` and ``score_b`` are given), and collects the worst
    ``worst`` groups with their non-transitive triples spelled out. ``progress`` shows a tqdm bar
    (default: when stderr is a terminal and the table has at least 1,000,000 rows).

    ``data`` may also be a :class:`~prefrank.ComparisonStats` (merged from batches or workers) or a
    directory / glob of files (or a file with ``batch_rows=``), streamed in batches of ``batch_rows``
    rows (default 1,000,000) and reduced to a :class:`~prefrank.ComparisonStats` (57 bytes per
    verdict cell: per (group, judge, pair, presentation order), at most one per row). With
    ``score_a=`` / ``score_b=`` (which must then name columns) a streamed source is read a second
    time for :func:`score_consistency`, each batch reduced to its 3 x 3 table (score relation x
    verdict) per judge (72 bytes per judge), so the whole audit holds one batch plus these
    statistics and equals the audit of the concatenated table. Score consistency cannot run on a
    :class:`~prefrank.ComparisonStats` (it has no scores).

    Judge-vs-human agreement is not part of the audit yet (it needs prefrank's agreement module).
    """
    if verdict is not None and outcome is not None:
        raise PrefrankError("pass outcome= or verdict=, not both")
    outcome = verdict if verdict is not None else outcome
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
    scores = _audit_scores(data, batch_rows, score_a, score_b)
    st = _stats(data, batch_rows, cols)
    # Merged statistics: the verdict cells as weighted rows (one table serves the census and the
    # tournament; position bias reads the cells themselves).
    tbl = (
        st.table("probability" if aggregate == "probability" else "majority")
        if st is not None
        else as_comparisons(data, **cols)
    )
    n_rows = st.n_rows if st is not None else len(tbl)
    steps = ["transitivity", "tournament", "position bias", "score consistency"]
    bar = None
    import sys

    if progress is None:
        progress = n_rows >= 1_000_000 and sys.stderr.isatty()
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(steps), desc="audit", unit="check")
        except ImportError:
            bar = None
    notes: list[str] = []

    def step(name: str) -> None:
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)

    tr = None
    worst_groups = worst_triples = None
    if tbl.group is not None:
        tr = transitivity(
            tbl,
            aggregate=aggregate,
            mode=mode,
            by_judge=by_judge,
            bootstrap=bootstrap,
            level=level,
            seed=seed,
        )
        wg = tr.worst(worst)
        wg = wg[wg["non_transitive"] > 0]
        worst_groups = wg
        if len(wg):
            tri = tr.triples(list(wg.index), limit_per_unit=5)
            rank = {g: k for k, g in enumerate(wg.index.tolist())}
            order = np.argsort([rank[g] for g in tri["group"].tolist()], kind="stable")
            worst_triples = tri.iloc[order].reset_index(drop=True)
    else:
        notes.append("no group= column: the within-group transitivity census was skipped")
    step("transitivity")
    to = None
    try:
        big = tbl.n_items > 5000
        if big:
            notes.append(f"{tbl.n_items:,} items: the most consistent order was skipped (at most 5,000)")
        to = tournament(tbl, aggregate=aggregate or "majority", cycles=cycles, order=not big)
    except PrefrankError as e:
        notes.append(f"tournament skipped: {e}")
    step("tournament")
    pb = None
    if tbl.first is not None:
        pb = position_bias(st if st is not None else tbl, level=level)
    else:
        notes.append("no position= column: position bias was skipped")
    step("position bias")
    sc = None
    if scores and st is not None:
        # A streamed source: a second pass reduces each batch to its 3 x 3 table per judge.
        sc = score_consistency(
            data, score_a=score_a, score_b=score_b, tolerance=tolerance, batch_rows=batch_rows, **cols
        )
    elif scores:
        src_data = None if isinstance(data, Comparisons) else data
        if isinstance(data, (str,)) or hasattr(data, "__fspath__"):
            from prefrank.data import read_table

            src_data = read_table(data)
        from prefrank.data import _source, _to_numpy

        src = _source(src_data)
        sa = _to_numpy(src.get(score_a, "score_a"))
        sb = _to_numpy(src.get(score_b, "score_b"))
        sc = score_consistency(tbl, score_a=sa, score_b=sb, tolerance=tolerance)
    else:
        notes.append("no score_a=/score_b= columns: score-vs-comparison consistency was skipped")
    step("score consistency")
    if bar is not None:
        bar.close()
    notes.append("judge-vs-human agreement is not included (needs prefrank's agreement module)")
    return Audit(
        n_rows=n_rows,
        n_items=tbl.n_items,
        transitivity=tr,
        tournament=to,
        position_bias=pb,
        score_consistency=sc,
        worst_groups=worst_groups,
        worst_triples=worst_triples,
        notes=notes,
        _table=tbl,
    )


# --------------------------------------------------------------------------------------------------
# Judge vs human


@dataclass(frozen=True, repr=False)
class JudgeAgreement:
    """Agreement of judges with human labels on the same units (pairs), and of each annotator with the others.

    ``judges``: per judge, the units compared, accuracy against the human majority and Cohen's kappa
    against it. ``annotators``: per annotator, the units where the other annotators have a majority and the
    accuracy against that leave-one-out majority. The human majority is an absolute majority (more than half
    of a unit's human labels); units without one are left out and counted in ``units_without_majority``.
    """

    judges: Any
    annotators: Any
    units_with_majority: int
    units_without_majority: int

    def to_pandas(self) -> Any:
        return self.judges

    def to_dict(self) -> dict[str, Any]:
        return {
            "judges": self.judges.reset_index().to_dict(orient="records"),
            "annotators": self.annotators.reset_index().to_dict(orient="records"),
            "units_with_majority": self.units_with_majority,
            "units_without_majority": self.units_without_majority,
        }

    def __repr__(self) -> str:
        return (
            f"JudgeAgreement(judges={len(self.judges)}, annotators={len(self.annotators)}, "
            f"units_with_majority={self.units_with_majority}, units_without_majority={self.units_without_majority})\n"
            + self.judges.round(4).to_string()
        )


def judge_agreement(
    judgments: Any,
    humans: Any,
    *,
    unit: str,
    verdict: str,
    judge: str | None = None,
    rater: str | None = None,
    human_verdict: str | None = None,
    batch_rows: int | None = None,
) -> JudgeAgreement:
    """Agreement of LLM judges with human labels on the same units.

    ``judgments`` and ``humans`` are tables (anything :func:`prefrank.read_table` reads, or DataFrames) with a
    ``unit`` column (the pair or item id, shared by both) and a verdict column (``verdict``; the humans' may
    be named by ``human_verdict``). ``judge`` names the judge column (one judge if omitted), ``rater`` the
    annotator column (needed for the per-annotator summary). Verdicts are compared as labels, so both tables
    must use the same vocabulary and item order (map them to the winning item's label first otherwise).

    Either table may be a directory or glob of files (or a file with ``batch_rows=``): it is read
    in batches of ``batch_rows`` rows, each reduced to its row counts per distinct (unit, verdict,
    judge) or (unit, verdict, rater), which are merged. Memory: one batch plus the counts (one
    entry per distinct key, at most one per row); Cohen's kappa of a judge then takes two label
    arrays over that judge's judgments of units with a human majority (16 bytes each). The result
    equals that of the in-memory call.
    """
    import pandas as pd

    from prefrank.agreement import cohen_kappa
    from prefrank.stream import accumulate_key_counts, key_counts, wants_stream

    hv = human_verdict or verdict
    strings = [c for c in (unit, judge, rater) if c]

    def check_humans(df: Any) -> None:
        if df[hv].isna().any():
            row = int(np.flatnonzero(df[hv].isna().to_numpy())[0])
            raise PrefrankError(f"humans: row {row}: verdict is missing")

    def counts_of(name: str, data: Any, cols: list[str], check: Any = None) -> Any:
        """Rows per distinct (unit, verdict, judge or rater): all that the statistics need."""
        if wants_stream(data, batch_rows):
            return accumulate_key_counts(data, cols, batch_rows=batch_rows, string_columns=strings, check=check)
        if isinstance(data, pd.DataFrame):
            df = data
        elif isinstance(data, (str, os.PathLike)):
            from prefrank.data import read_table

            df = read_table(data, string_columns=strings)
            df = df.to_pandas() if hasattr(df, "to_pandas") else pd.DataFrame(df)
        else:
            df = data.to_pandas() if hasattr(data, "to_pandas") else pd.DataFrame(data)
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise PrefrankError(
                f"{name}: column {missing[0]!r} not found; available columns: {', '.join(map(str, df.columns))}"
            )
        if check is not None and len(df):
            check(df)
        return key_counts(df, cols)

    jn = counts_of("judgments", judgments, [unit, verdict] + ([judge] if judge else []))
    hn = counts_of("humans", humans, [unit, hv] + ([rater] if rater else []), check_humans)
    if len(hn) == 0 or len(jn) == 0:
        raise PrefrankError("judge_agreement needs non-empty judgments and humans tables")
    hdf = hn.rename("_n").reset_index().rename(columns={hv: "_v"})
    # Label counts per unit (vectorised); the majority must exceed half of the unit's labels.
    counts = pd.crosstab(hdf[unit], hdf["_v"], values=hdf["_n"], aggfunc="sum").fillna(0).astype(np.int64)
    totals = counts.sum(axis=1)
    top = counts.max(axis=1)
    has_majority = top > totals / 2
    majority = counts.idxmax(axis=1)[has_majority]

    j = jn.rename("_n").reset_index().rename(columns={verdict: "_v"})
    j["_judge"] = j[judge] if judge else "judge"
    j = j[j[unit].isin(majority.index)]
    rows = []
    for name, g in j.groupby("_judge", sort=True):
        truth = majority.loc[g[unit]].to_numpy()
        pred = g["_v"].to_numpy()
        n = g["_n"].to_numpy()
        units = int(n.sum())
        # Kappa needs only the confusion table, which the counted rows give in any order.
        pairs = np.array([np.repeat(pred, n), np.repeat(truth, n)], dtype=object)
        kappa = cohen_kappa(pairs, undefined=np.nan).value if units else np.nan
        accuracy = float(n[pred == truth].sum() / units)
        rows.append({"judge": name, "units": units, "accuracy": accuracy, "kappa": kappa})
    judges_df = pd.DataFrame(rows, columns=["judge", "units", "accuracy", "kappa"]).set_index("judge")

    ann_rows = []
    if rater:
        # Leave-one-out: an annotator's label against the absolute majority of the other labels on the unit.
        own = counts.reindex(hdf[unit]).to_numpy().copy()
        col = counts.columns.get_indexer(hdf["_v"])
        own[np.arange(len(hdf)), col] -= 1
        rest = own.sum(axis=1)
        best = own.max(axis=1)
        ok = best > rest / 2
        loo = counts.columns.to_numpy()[own.argmax(axis=1)]
        agree = (loo == hdf["_v"].to_numpy()) & ok
        n_h = hdf["_n"].to_numpy()
        tmp = pd.DataFrame({"annotator": hdf[rater].to_numpy(), "ok": ok * n_h, "agree": agree * n_h})
        for name, g in tmp.groupby("annotator", sort=True):
            n = int(g["ok"].sum())
            ann_rows.append({"annotator": name, "units": n, "accuracy": float(g["agree"].sum() / n) if n else np.nan})
    annotators_df = pd.DataFrame(ann_rows, columns=["annotator", "units", "accuracy"]).set_index("annotator")
    return JudgeAgreement(
        judges=judges_df,
        annotators=annotators_df,
        units_with_majority=int(has_majority.sum()),
        units_without_majority=int((~has_majority).sum()),
    )
