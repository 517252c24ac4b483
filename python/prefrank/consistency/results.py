"""Result types of the consistency audits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_int
from prefrank._results import IntervalDict, IntervalPair, Result, interval_frame, whole
from prefrank.consistency._common import _RATE_COLUMNS, _REL, CLASS_NAMES, _rate, _wilson
from prefrank.data.comparisons import Comparisons
from prefrank.exceptions import PrefrankError, parameter_error
from prefrank.report import render_audit_html

__all__ = ["Audit", "PositionBias", "ScoreConsistency", "TournamentStats", "Transitivity"]


# --------------------------------------------------------------------------------------------------
# Transitivity within groups


@dataclass(frozen=True, repr=False, eq=False)
class Transitivity(Result):
    """The transitivity census (see :func:`transitivity`).

    ``counts`` and ``rates`` are overall; ``ci`` maps each rate to its bootstrap interval over groups
    (the older form of ``ci()``, which gives the same intervals as a DataFrame; both work).
    ``by_group()`` / ``by_judge()`` / ``units()`` are pandas tables keyed by labels; ``triples()``
    spells out the non-transitive triples of chosen groups.
    """

    counts: dict[str, int]
    rates: dict[str, float]
    # field(): without it the dataclass would take the inherited Result.ci method as the default.
    ci: dict[str, tuple[float, float]] = field()  # type: ignore[assignment]  # an IntervalDict once built
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

    def __post_init__(self) -> None:
        # ``ci`` stays the dict it always was and is also callable as the contract's ci(level).
        object.__setattr__(self, "ci", IntervalDict(self.ci, self._intervals))

    def _intervals(self, level: float | None) -> Any:
        if self.bootstrap == 0:
            raise PrefrankError("no bootstrap rounds: call transitivity(..., bootstrap=N) for intervals")
        if level is not None and level != self.level:
            # The cluster bootstrap draws are not kept; the same seed gives the same draws on a rerun.
            raise parameter_error(
                "level",
                f"these intervals are at level={self.level}; call transitivity(..., level={level}) for another level",
            )
        names = list(self.ci)
        return interval_frame(
            names,
            [self.rates.get(k, math.nan) for k in names],
            [self.ci[k][0] for k in names],
            [self.ci[k][1] for k in names],
            "statistic",
        )

    def _summary(self) -> str:
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
        check_int("n", n)
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
                raise parameter_error("groups", f"unknown group label(s): {missing[:5]!r}")
            mask = np.isin(g, np.array([lookup[x] for x in groups], np.uint32))
            tbl = tbl.subset(mask)
            g = g[mask]
        if len(tbl) == 0:
            return pd.DataFrame(columns=["group", "kind", "x", "y", "z", "text"])
        agg = self.aggregate
        d = _core.triad_census(
            tbl,
            np.ascontiguousarray(g, np.uint32),
            len(self._group_labels),
            tbl.judge if self._by_judge else None,
            agg,
            self._margin,
            False,
            int(limit_per_unit),
        )
        unit = d.ex_unit.astype(np.int64)
        items = tbl.items
        x, y, z = items[d.ex_x], items[d.ex_y], items[d.ex_z]
        kind = np.array(CLASS_NAMES, dtype=object)[d.ex_class]
        text = []
        for k, xi, yi, zi in zip(kind, x, y, z, strict=False):
            if k == "circular":
                text.append(f"{xi} > {yi} > {zi} > {xi}")
            elif k == "equivalence":
                text.append(f"{xi} > {yi}, but {zi} = {xi} and {zi} = {yi}")
            else:
                text.append(f"{xi} > {yi} > {zi}, but {xi} = {zi}")
        cols: dict[str, Any] = {"group": self._group_labels[d.group[unit]]}
        if self._judge_labels is not None and self._by_judge:
            cols["judge"] = self._judge_labels[d.judge[unit]]
        cols.update({"kind": kind, "x": x, "y": y, "z": z, "text": text})
        return pd.DataFrame(cols)

    def to_pandas(self) -> Any:
        """The per-group table (see :meth:`by_group`)."""
        return self.by_group()

    def _dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "rates": self.rates,
            "ci": self.ci,
            "aggregate": self.aggregate,
            "mode": self.mode,
            "level": self.level,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "n_groups": self.n_groups,
            "n_units": self.n_units,
        }


# --------------------------------------------------------------------------------------------------
# Whole tournaments


@dataclass(frozen=True, repr=False, eq=False)
class TournamentStats(Result):
    """Statistics of one comparison graph (see :func:`tournament`)."""

    n_items: int
    n_arcs: int
    n_ties: int
    complete: bool
    triples: int
    circular: int
    equivalence: int
    other: int
    zeta: float | None
    c3_max: int
    wins: Any  # pandas Series keyed by label
    components: list[list[Any]]
    cycles: list[list[Any]]
    order: list[Any] | None
    backward_arcs: int | None
    exact: bool | None
    _items: np.ndarray = field(repr=False)
    _component: np.ndarray = field(repr=False)

    def _summary(self) -> str:
        z = "None" if self.zeta is None else f"{self.zeta:.4f}"
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

    def _dict(self) -> dict[str, Any]:
        # Labels as strings (also where they are values), as the audit JSON has always written them.
        def labels(groups: list[list[Any]]) -> list[list[str]]:
            return [[str(x) for x in c] for c in groups]

        return {
            "n_items": self.n_items,
            "n_arcs": self.n_arcs,
            "n_ties": self.n_ties,
            "complete": self.complete,
            "triples": self.triples,
            "circular": self.circular,
            "equivalence": self.equivalence,
            "other": self.other,
            "zeta": self.zeta,
            "c3_max": self.c3_max,
            "n_components": len(self.components),
            "cyclic_components": labels(self.cyclic_components),
            "cycles": labels(self.cycles),
            "order": None if self.order is None else [str(x) for x in self.order],
            "backward_arcs": self.backward_arcs,
            "exact": self.exact,
        }


@dataclass(frozen=True, repr=False, eq=False)
class PositionBias(Result):
    """Position bias (see :func:`position_bias`): first-shown win share and swap consistency.

    ``ci`` is the Wilson interval of the first-shown win share at ``level`` as a ``(lower, upper)``
    tuple (the older form of ``ci()``, which gives it per judge as a DataFrame; both work).
    ``n_decisive`` and ``n_ties`` are weights (whole numbers without fractional weights).
    """

    first_win_share: float
    ci: tuple[float, float] = field()  # type: ignore[assignment]  # field(): see Transitivity.ci
    p_value: float
    n_decisive: float
    n_ties: float
    n_swapped_pairs: int
    swap_consistency: float
    patterns: dict[str, int]
    level: float
    _by_judge: dict[str, np.ndarray] | None = field(repr=False, default=None)
    _judge_labels: np.ndarray | None = field(repr=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ci", IntervalPair(self.ci, self._intervals))

    def _intervals(self, level: float | None) -> Any:
        # Wilson intervals are a function of the win share, the decisive weight and the level.

        labels, share, n = ["(all)"], [self.first_win_share], [self.n_decisive]
        lo, hi = [self.ci[0]], [self.ci[1]]
        if self._by_judge is not None and self._judge_labels is not None:
            labels += self._judge_labels.tolist()
            share += self._by_judge["first_win_share"].tolist()
            n += self._by_judge["n_decisive"].tolist()
            lo += self._by_judge["lo"].tolist()
            hi += self._by_judge["hi"].tolist()
        if level is not None and level != self.level:
            return interval_frame(
                labels, share, *_wilson(np.asarray(share) * np.asarray(n), np.asarray(n), level), "judge"
            )
        return interval_frame(labels, share, lo, hi, "judge")

    def _summary(self) -> str:
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
        df = pd.DataFrame({k: whole(v) if k.startswith("n_") else v for k, v in self._by_judge.items()})
        df.insert(0, "judge", self._judge_labels)
        return df.set_index("judge")

    def to_pandas(self) -> Any:
        """Per-judge table when judges were given, else a one-row summary (same columns)."""
        import pandas as pd

        if self._by_judge is not None:
            return self.by_judge()
        row = {
            "n_decisive": whole(self.n_decisive),
            "n_ties": whole(self.n_ties),
            "first_win_share": self.first_win_share,
            "lo": self.ci[0],
            "hi": self.ci[1],
            "p_value": self.p_value,
            **self.patterns,
            "swapped_pairs": self.n_swapped_pairs,
            "swap_consistency": self.swap_consistency,
        }
        return pd.DataFrame([row], index=pd.Index(["(all)"], name="judge"))

    def _dict(self) -> dict[str, Any]:
        return {
            "first_win_share": self.first_win_share,
            "ci": self.ci,
            "p_value": self.p_value,
            "n_decisive": whole(self.n_decisive),
            "n_ties": whole(self.n_ties),
            "n_swapped_pairs": self.n_swapped_pairs,
            "swap_consistency": self.swap_consistency,
            "patterns": self.patterns,
            "level": self.level,
        }


@dataclass(frozen=True, repr=False, eq=False)
class ScoreConsistency(Result):
    """Score-vs-comparison consistency (see :func:`score_consistency`)."""

    n_pairs: int
    conflict_rate: float
    reversal_rate: float
    table: np.ndarray  # 3 x 3: score relation (a, tie, b) x verdict (a, tie, b)
    tolerance: float
    aggregate: str | None
    _by_judge: dict[str, np.ndarray] | None = field(repr=False, default=None)
    _judge_labels: np.ndarray | None = field(repr=False, default=None)

    def _summary(self) -> str:
        return (
            f"ScoreConsistency(pairs={self.n_pairs:,}, conflict_rate={self.conflict_rate:.4f}, "
            f"reversal_rate={self.reversal_rate:.4f}, tolerance={self.tolerance})"
        )

    def crosstab(self) -> Any:
        """The 3 x 3 table: rows = score relation, columns = pairwise verdict."""
        import pandas as pd

        return pd.DataFrame(
            whole(self.table),
            index=pd.Index([f"score {r}" for r in _REL], name="scores"),
            columns=pd.Index([f"verdict {r}" for r in _REL], name="verdict"),
        )

    def by_judge(self) -> Any:
        """Per-judge table (needs judge=)."""
        import pandas as pd

        if self._by_judge is None or self._judge_labels is None:
            raise PrefrankError("by_judge() needs judge= in score_consistency()")
        df = pd.DataFrame(self._by_judge)
        df.insert(0, "judge", self._judge_labels)
        return df.set_index("judge")

    def to_pandas(self) -> Any:
        """The 3 x 3 crosstab (see :meth:`crosstab`)."""
        return self.crosstab()

    def _dict(self) -> dict[str, Any]:
        return {
            "n_pairs": self.n_pairs,
            "conflict_rate": self.conflict_rate,
            "reversal_rate": self.reversal_rate,
            "table": {
                f"score_{r}": {f"verdict_{c}": self.table[i, j] for j, c in enumerate(_REL)} for i, r in enumerate(_REL)
            },
            "tolerance": self.tolerance,
            "aggregate": self.aggregate,
        }


# --------------------------------------------------------------------------------------------------
# The audit


@dataclass(frozen=True, repr=False, eq=False)
class Audit(Result):
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

    _PARTS = ("transitivity", "tournament", "position_bias", "score_consistency")

    def __repr__(self) -> str:
        # The parts' own summaries say more than a table of headline numbers.
        parts = [f"Audit(rows={self.n_rows:,}, items={self.n_items:,}"]
        for name in self._PARTS:
            v = getattr(self, name)
            if v is not None:
                parts.append(f"  {name}: {v._summary()}".replace("\n", "\n  "))
        for n in self.notes:
            parts.append(f"  note: {n}")
        return "\n".join(parts) + ")"

    def win_matrix(self, max_items: int = 30) -> tuple[list[Any], np.ndarray]:
        """Labels and the ``k x k`` matrix of wins (row beat column, ties count half) for the first
        ``max_items`` items of the most consistent order (or by wins)."""
        check_int("max_items", max_items)
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

    def _summary(self) -> str:
        return f"Audit(rows={self.n_rows:,}, items={self.n_items:,}, notes={len(self.notes)})"

    def to_pandas(self) -> Any:
        """The headline rates and shares: one row per (``part``, ``statistic``) with ``value`` and,
        where the part has intervals, ``lower`` and ``upper``."""
        import pandas as pd

        rows: list[tuple[str, str, float, float, float]] = []
        tr, to, pb, sc = self.transitivity, self.tournament, self.position_bias, self.score_consistency
        if tr is not None:
            for k, v in tr.rates.items():
                lo, hi = tr.ci.get(k, (math.nan, math.nan))
                rows.append(("transitivity", k, v, lo, hi))
        if to is not None:
            zeta = math.nan if to.zeta is None else to.zeta
            rows.append(("tournament", "zeta", zeta, math.nan, math.nan))
        if pb is not None:
            rows.append(("position_bias", "first_win_share", pb.first_win_share, pb.ci[0], pb.ci[1]))
            rows.append(("position_bias", "swap_consistency", pb.swap_consistency, math.nan, math.nan))
        if sc is not None:
            rows.append(("score_consistency", "conflict_rate", sc.conflict_rate, math.nan, math.nan))
            rows.append(("score_consistency", "reversal_rate", sc.reversal_rate, math.nan, math.nan))
        df = pd.DataFrame(rows, columns=["part", "statistic", "value", "lower", "upper"])
        return df.set_index(["part", "statistic"])

    def _intervals(self, level: float | None) -> Any:
        import pandas as pd

        frames = {}
        if self.transitivity is not None and self.transitivity.bootstrap > 0:
            frames["transitivity"] = self.transitivity._intervals(level)
        if self.position_bias is not None:
            # The pooled share only: per-judge rows are in position_bias.ci().
            pooled = self.position_bias._intervals(level).loc[["(all)"]]
            frames["position_bias"] = pooled.rename(index={"(all)": "first_win_share"})
        if not frames:
            return None
        return pd.concat(frames, names=["part", "statistic"])

    def _dict(self) -> dict[str, Any]:
        """The JSON summary written by ``prefrank audit``."""
        out: dict[str, Any] = {"n_rows": self.n_rows, "n_items": self.n_items, "notes": list(self.notes)}
        for name in self._PARTS:
            v = getattr(self, name)
            out[name] = None if v is None else v._dict()
        if self.worst_triples is not None:
            out["worst_triples"] = self.worst_triples
        if self.position_bias is not None and self.position_bias._by_judge is not None:
            out["position_bias"]["by_judge"] = self.position_bias.by_judge().to_dict(orient="index")
        return out

    def to_html(self, path: Any = None) -> str:
        """An HTML report (see :mod:`prefrank.report`); written to ``path`` when given."""

        html = render_audit_html(self)
        if path is not None:
            from pathlib import Path

            Path(path).write_text(html, encoding="utf-8")
        return html
