"""Mergeable statistics: the state that streaming and distributed runs ship and merge.

* :class:`~prefrank.PairCounts` (in :mod:`prefrank.data`): everything a leaderboard needs.
* :class:`ComparisonStats`: pair counts plus the *verdict cells*, the verdict weights per
  (group, judge, pair, presentation order). Every audit statistic (transitivity census, whole
  tournament, position bias and swap consistency) is a function of the cells.
* :class:`RatingsStats`: coded ratings for agreement statistics. A unit's ratings may sit in several
  batches or partitions, so the state is the coded ratings themselves (12 bytes per rating).

Each has ``accumulate`` (one table -> statistic), ``merge`` (two statistics -> one, labels united)
and ``to_bytes`` / ``from_bytes``; the public functions accept the merged statistic in place of the
data (``bradley_terry(stats)``, ``audit(stats)``, ``krippendorff_alpha(stats)``).

**Label coding across batches and partitions.** Each batch codes its labels by their sorted order.
Merging unites the two sorted label tables and recodes both sides onto the union, so after any
merge tree the codes are the sorted order of all labels: exactly the codes one call on all the
data gives. No first pass over the data is needed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.data.coding import label_index, union_labels
from prefrank.data.comparison_rows import comparison_options, read_columns, recode_onto
from prefrank.data.comparisons import Comparisons, PairCounts, as_comparisons, comparisons, int_pair_counts
from prefrank.data.framing import Framed, labels_from_frame, labels_to_frame
from prefrank.data.ratings import MISSING, long_codes
from prefrank.exceptions import input_error, parameter_error
from prefrank.stream import _needed, accumulate, wants_stream

__all__ = ["ComparisonStats", "RatingsStats"]


def accumulate_comparisons(
    source: str | os.PathLike[str], *, batch_rows: int | None = None, pairs_only: bool = False, **columns: Any
) -> Any:
    """:class:`~prefrank.ComparisonStats` (or with ``pairs_only``, :class:`~prefrank.PairCounts`) of
    a file, directory or glob, read in batches."""

    cols = comparison_options(columns)
    names, strings = read_columns(cols)

    def build(table: Any) -> Any:
        tbl = comparisons(table, **cols)
        return tbl.pair_counts() if pairs_only else ComparisonStats.from_comparisons(tbl)

    return accumulate(source, build, columns=names, string_columns=strings, batch_rows=batch_rows)


def accumulate_ratings(
    source: str | os.PathLike[str], *, unit: Any, rater: Any, value: Any, batch_rows: int | None = None
) -> Any:
    """:class:`~prefrank.RatingsStats` of a long-form file, directory or glob, read in batches."""

    for role, v in (("unit", unit), ("rater", rater), ("value", value)):
        if not isinstance(v, str):
            raise parameter_error(role, f"{role}= must name a column when the data is a file, directory or glob")
    return accumulate(
        source,
        lambda t: RatingsStats.accumulate(t, unit=unit, rater=rater, value=value),
        columns=_needed(unit, rater, value),
        # Typed like read_table reads them for agreement (numeric ids stay numbers), so a streamed
        # run codes units and raters exactly as a whole-file run.
        batch_rows=batch_rows,
    )


class _KeyCounts:
    """Mergeable row counts per distinct key (a pandas Series indexed by the key columns)."""

    def __init__(self, counts: Any) -> None:
        self.counts = counts

    @property
    def n_rows(self) -> int:
        return len(self.counts)

    def merge(self, other: _KeyCounts) -> _KeyCounts:
        import pandas as pd

        both = pd.concat([self.counts, other.counts])
        return _KeyCounts(both.groupby(level=list(range(both.index.nlevels)), sort=False, dropna=False).sum())


def key_counts(frame: Any, keys: Sequence[str]) -> Any:
    """The number of rows per distinct value of ``keys`` in a pandas frame (a missing value is a
    key of its own), as an integer Series indexed by the keys."""
    return frame.groupby(list(keys), sort=False, dropna=False).size()


def accumulate_key_counts(
    source: str | os.PathLike[str],
    keys: Sequence[str],
    *,
    batch_rows: int | None = None,
    string_columns: Sequence[str] = (),
    check: Any = None,
) -> Any:
    """:func:`key_counts` of a file, directory or glob read in batches (``check(frame)`` runs on each
    batch's pandas frame first; its errors name the file and row). Memory: one batch plus the
    counts, one entry per distinct key."""

    def build(table: Any) -> _KeyCounts:
        frame = table.to_pandas()
        if check is not None:
            check(frame)
        return _KeyCounts(key_counts(frame, keys))

    out: _KeyCounts = accumulate(
        source, build, columns=_needed(*keys), string_columns=string_columns, batch_rows=batch_rows
    )
    return out.counts


# --------------------------------------------------------------------------------------------------
# (key, pair) cells: label noise (keyed by judge), per-group Bradley-Terry (keyed by group)

_NEVER = 2**63 - 1  # the first row of a cell that no positively weighted row reached


class _PairCells:
    """Mergeable (key, lo, hi) cells of comparisons (the key: a judge or group code, or 0): the
    weights of "lo won", "hi won" (``w * p`` oriented, so soft outcomes are kept) and ties, and the
    first row with a positive weight (numbered across batches) that reached the cell. Zero-weight
    rows keep their cell (it names the items). Label tables are those of all rows read."""

    def __init__(self, items: Any, keys_labels: Any, keys: dict[str, Any], first: Any, mass: Any) -> None:
        self.items, self.keys_labels, self.keys, self.first, self.mass = items, keys_labels, keys, first, mass

    @property
    def n_cells(self) -> int:
        return len(self.first)

    def merge(self, other: _PairCells) -> _PairCells:
        import numpy as np

        items, mi, oi = union_labels(self.items, other.items)
        labels, mk, ok = (None, None, None)
        if self.keys_labels is not None:
            labels, mk, ok = union_labels(self.keys_labels, other.keys_labels)
        maps = {"key": (mk, ok), "lo": (mi, oi), "hi": (mi, oi)}
        keys = {
            k: np.concatenate([recode_onto(v, maps[k][0]), recode_onto(other.keys[k], maps[k][1])])
            for k, v in self.keys.items()
        }
        first = np.concatenate([self.first, other.first])
        mass = np.concatenate([self.mass, other.mass])
        return _PairCells(items, labels, *_combine_cells(keys, first, mass, len(items)))


def _combine_cells(keys: dict[str, Any], first: Any, mass: Any, n_items: int) -> tuple[dict[str, Any], Any, Any]:
    """Cells with equal keys summed (in input order) and their first rows kept, sorted by key (in the
    core: ``data/pair_cells.rs``; the numpy twin is :func:`prefrank.reference.data.combine_pair_cells`,
    which needs ``n_items`` for its packed key)."""
    import numpy as np

    if len(first) == 0:
        return keys, first, mass
    k, lo, hi, f, m = _core.pair_cells_combine(
        np.ascontiguousarray(keys["key"], np.uint32),
        np.ascontiguousarray(keys["lo"], np.uint32),
        np.ascontiguousarray(keys["hi"], np.uint32),
        np.ascontiguousarray(first, np.int64),
        np.ascontiguousarray(mass, np.float64),
    )
    return {"key": k, "lo": lo, "hi": hi}, f, m


def pair_cells(
    source: str | os.PathLike[str], *, key: str | None, batch_rows: int | None = None, **columns: Any
) -> Any:
    """The (key, pair) cells of a file, directory or glob read in batches, as a weighted
    :class:`~prefrank.Comparisons`: per cell one row per verdict class with weight (lo won: p=1,
    hi won: p=0, tie), or one zero-weight tie row for a cell without weight; ``key`` names the column
    option that keys the cells (``"judge"`` or ``"group"``; None: pairs only) and becomes the table's
    judge or group. Cells come in the order the first positively weighted row reaches them.

    A kernel that reads the rows only through these sums (the label-noise EM, which also follows the
    first-reached order; per-group Bradley-Terry) gives the same result on this table as on the rows
    (exactly with whole-number weights; fractional ones summed in another order may differ in the
    last bits). Memory: one batch plus 44 bytes per cell (at most one per row), then the table (29
    bytes per row, at most three rows per cell)."""
    import numpy as np

    cols = comparison_options(columns)
    names, strings = read_columns(cols)
    role = key if key is not None and cols.get(key) is not None else None
    seen = [0]

    def build(table: Any) -> _PairCells:
        tbl = comparisons(table, **cols)
        start, seen[0] = seen[0], seen[0] + len(tbl)
        w = tbl.weight if tbl.weight is not None else np.ones(len(tbl))
        pa = np.where(tbl.a < tbl.b, tbl.p, 1.0 - tbl.p)
        tie = tbl.tie != 0
        mass = np.column_stack([np.where(tie, 0.0, w * pa), np.where(tie, 0.0, w * (1.0 - pa)), np.where(tie, w, 0.0)])
        codes = getattr(tbl, role) if role else None
        keys = {
            "key": codes if codes is not None else np.zeros(len(tbl), np.uint32),
            "lo": np.minimum(tbl.a, tbl.b),
            "hi": np.maximum(tbl.a, tbl.b),
        }
        first = np.where(w > 0, np.arange(start, start + len(tbl)), _NEVER)
        labels = getattr(tbl, role + "s") if role else None
        return _PairCells(tbl.items, labels, *_combine_cells(keys, first, mass, len(tbl.items)))

    cells: _PairCells = accumulate(source, build, columns=names, string_columns=strings, batch_rows=batch_rows)
    order = np.argsort(cells.first, kind="stable")
    mass = cells.mass[order]
    keep = mass > 0
    keep[:, 2] |= ~keep.any(axis=1)
    idx, cls = np.nonzero(keep)
    key_codes = np.ascontiguousarray(cells.keys["key"][order][idx])
    return Comparisons(
        a=np.ascontiguousarray(cells.keys["lo"][order][idx]),
        b=np.ascontiguousarray(cells.keys["hi"][order][idx]),
        p=np.array([1.0, 0.0, 0.5])[cls],
        tie=np.array([0, 0, 1], np.uint8)[cls],
        items=cells.items,
        weight=mass[idx, cls],
        **({role: key_codes, role + "s": cells.keys_labels} if role else {}),
    )


_CELL_KEYS = ("group", "judge", "lo", "hi", "order")


_CELL_VALUES = ("lo_won", "hi_won", "tie", "q_lo", "q_hi")


def _union(x: np.ndarray | None, y: np.ndarray | None) -> tuple[np.ndarray | None, Any, Any]:
    """:func:`prefrank.data.union_labels` for optional label tables (None: the column was not given)."""
    if x is None or y is None:
        return None, None, None
    return union_labels(x, y)


def _recode_monotone(
    cells: dict[str, np.ndarray], mg: np.ndarray | None, mj: np.ndarray | None, mi: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Cells recoded onto a united label table. The maps of a sorted union are increasing, so the
    key order (and lo < hi) is kept: a gather on the key columns, the value columns shared, no sort
    (``_core.cells_recode`` handles arbitrary maps)."""
    out = dict(cells)
    for key, m in (("group", mg), ("judge", mj), ("lo", mi), ("hi", mi)):
        # A strictly increasing map onto 0..n-1 ending at n-1 is the identity: no gather (when a
        # batch only adds labels that sort after, the old side keeps its arrays, no copy).
        if m is not None and not (len(m) == 0 or int(m[-1]) == len(m) - 1):
            out[key] = m[cells[key]]
    return out


def _frame(x: np.ndarray | None) -> tuple[str, Any] | None:
    return None if x is None else labels_to_frame(x)


def _unframe(x: tuple[str, Any] | None) -> np.ndarray | None:
    return None if x is None else labels_from_frame(x)


def _count(name: str, v: Any) -> int:
    """A row counter of a statistic, checked before it is written (the format holds u64)."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= int(v) < 2**64:
        raise input_error(f"cannot serialise statistics with {name}={v!r}: it must be a non-negative integer")
    return int(v)


@dataclass(frozen=True, eq=False)
class ComparisonStats(Framed):
    """Pair counts and verdict cells of some judgments; merge, then pass to any audit function.

    ``cells`` is a dict of arrays, one entry per (group, judge, lo, hi, order) key, sorted by key:
    the codes, and the weights of the verdicts "lo won", "hi won" and tie, and the probability
    masses ``q_lo`` / ``q_hi`` (ties count half). ``order`` is 1 when ``hi`` was shown first.
    """

    items: np.ndarray
    pairs: PairCounts
    cells: dict[str, np.ndarray]
    groups: np.ndarray | None
    judges: np.ndarray | None
    has_position: bool
    n_rows: int
    dropped_self: int = 0

    @classmethod
    def accumulate(cls, data: Any = None, **columns: Any) -> ComparisonStats:
        """The statistic of one table (anything :func:`prefrank.comparisons` takes, same options)."""
        return cls.from_comparisons(as_comparisons(data, **columns))

    @classmethod
    def scan(cls, source: Any, *, batch_rows: int | None = None, **columns: Any) -> ComparisonStats:
        """The statistic of a file, directory or glob, read in batches of ``batch_rows`` rows
        (default 1,000,000) and merged; ``columns`` name the columns as in :func:`prefrank.comparisons`."""

        out: ComparisonStats = accumulate_comparisons(source, batch_rows=batch_rows, **columns)
        return out

    @classmethod
    def from_comparisons(cls, tbl: Comparisons) -> ComparisonStats:
        cells = _core.cells_accumulate(
            tbl.a, tbl.b, tbl.p, tbl.tie, weight=tbl.weight, group=tbl.group, judge=tbl.judge, first=tbl.first
        )
        return cls(
            items=tbl.items,
            pairs=tbl.pair_counts(),
            cells=cells,
            groups=tbl.groups,
            judges=tbl.judges,
            has_position=tbl.first is not None,
            n_rows=len(tbl),
            dropped_self=tbl.dropped_self,
        )

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_cells(self) -> int:
        return len(self.cells["lo"])

    def nbytes(self) -> int:
        """Bytes held by the cells (what a worker ships, besides the labels and pair counts)."""
        return int(sum(v.nbytes for v in self.cells.values()))

    def merge(self, other: ComparisonStats) -> ComparisonStats:
        """Add two statistics; labels are united (codes stay the sorted order of all labels)."""
        if not isinstance(other, ComparisonStats):
            raise input_error(f"cannot merge ComparisonStats with {type(other).__name__}")
        for name, x, y in (
            ("group", self.groups is not None, other.groups is not None),
            ("judge", self.judges is not None, other.judges is not None),
            ("position", self.has_position, other.has_position),
        ):
            if x != y:
                raise input_error(f"cannot merge statistics built with and without {name}= (the columns must match)")
        items, mi, oi = _union(self.items, other.items)
        groups, mg, og = _union(self.groups, other.groups)
        judges, mj, oj = _union(self.judges, other.judges)
        assert items is not None
        a = _recode_monotone(self.cells, mg, mj, mi)
        b = _recode_monotone(other.cells, og, oj, oi)
        return ComparisonStats(
            items=items,
            pairs=self.pairs.merge(other.pairs),
            cells=_core.cells_merge(a, b),
            groups=groups,
            judges=judges,
            has_position=self.has_position,
            n_rows=self.n_rows + other.n_rows,
            dropped_self=self.dropped_self + other.dropped_self,
        )

    def table(self, aggregate: str = "majority") -> Comparisons:
        """The cells as weighted comparison rows that every audit kernel aggregates exactly as it
        aggregates the original rows: one row per verdict class (``aggregate="probability"``: per
        probability side) with the cell's weight, or one zero-weight row for a cell without weight
        (it still names its items)."""
        c = self.cells
        lo, hi = c["lo"], c["hi"]
        if aggregate == "probability":
            mass = np.column_stack([c["q_lo"], c["q_hi"]])
            p_of, tie_of = np.array([1.0, 0.0]), np.array([0, 0], np.uint8)
        else:
            mass = np.column_stack([c["lo_won"], c["hi_won"], c["tie"]])
            p_of, tie_of = np.array([1.0, 0.0, 0.5]), np.array([0, 0, 1], np.uint8)
        keep = mass > 0
        keep[:, -1] |= ~keep.any(axis=1)
        # Row-major nonzero: rows come out grouped by cell, in cell (key) order; no sort needed.
        idx, cls = np.nonzero(keep)
        del keep

        w = mass[idx, cls]
        del mass
        return Comparisons(
            a=np.ascontiguousarray(lo[idx]),
            b=np.ascontiguousarray(hi[idx]),
            p=p_of[cls],
            tie=tie_of[cls],
            items=self.items,
            weight=w,
            group=np.ascontiguousarray(c["group"][idx]) if self.groups is not None else None,
            groups=self.groups,
            judge=np.ascontiguousarray(c["judge"][idx]) if self.judges is not None else None,
            judges=self.judges,
            first=np.ascontiguousarray(c["order"][idx]) if self.has_position else None,
        )

    def _to_frame(self) -> bytes:
        cells = {k: np.ascontiguousarray(v) for k, v in self.cells.items()}
        out: bytes = _core.comparison_stats_to_bytes(
            labels_to_frame(self.items),
            _frame(self.groups),
            _frame(self.judges),
            self.pairs._core,
            cells,
            bool(self.has_position),
            _count("n_rows", self.n_rows),
            _count("dropped_self", self.dropped_self),
        )
        return out

    @classmethod
    def _from_frame(cls, data: bytes) -> ComparisonStats:
        items, groups, judges, pairs, cells, has_position, n_rows, dropped_self = _core.comparison_stats_from_bytes(
            data
        )
        labels = labels_from_frame(items)
        return cls(
            items=labels,
            pairs=PairCounts(pairs, labels),
            cells=cells,
            groups=_unframe(groups),
            judges=_unframe(judges),
            has_position=has_position,
            n_rows=n_rows,
            dropped_self=dropped_self,
        )

    def __repr__(self) -> str:
        extras = [n for n, v in (("group", self.groups), ("judge", self.judges)) if v is not None]
        if self.has_position:
            extras.append("position")
        return (
            f"ComparisonStats(rows={self.n_rows:,}, items={self.n_items:,}, cells={self.n_cells:,}"
            + (f", columns=+{'+'.join(extras)}" if extras else "")
            + ")"
        )


@dataclass(frozen=True, eq=False)
class RatingsStats(Framed):
    """Coded long-form ratings (unit, rater, value), mergeable; pass to any agreement function.

    ``values`` are the value labels by code (missing ratings have code ``MISSING``); units, raters
    and values are united on merge like every other label table.
    """

    units: np.ndarray
    raters: np.ndarray
    values: np.ndarray
    unit: np.ndarray
    rater: np.ndarray
    value: np.ndarray

    @classmethod
    def accumulate(cls, data: Any = None, *, unit: Any, rater: Any, value: Any) -> RatingsStats:
        """The coded ratings of one long-form table (``unit=``, ``rater=``, ``value=`` columns)."""

        uc, units, rc, raters, vc, values = long_codes(data, unit, rater, value)
        return cls(units=units, raters=raters, values=values, unit=uc, rater=rc, value=vc)

    @classmethod
    def scan(cls, source: Any, *, unit: Any, rater: Any, value: Any, batch_rows: int | None = None) -> RatingsStats:
        """The coded ratings of a long-form file, directory or glob, read in batches and merged."""

        out: RatingsStats = accumulate_ratings(source, unit=unit, rater=rater, value=value, batch_rows=batch_rows)
        return out

    @property
    def n_ratings(self) -> int:
        return len(self.unit)

    def nbytes(self) -> int:
        return int(self.unit.nbytes + self.rater.nbytes + self.value.nbytes)

    def merge(self, other: RatingsStats) -> RatingsStats:
        """Concatenate two sets of ratings, uniting the label tables."""

        if not isinstance(other, RatingsStats):
            raise input_error(f"cannot merge RatingsStats with {type(other).__name__}")
        num = self.values.dtype.kind in "iuf" and other.values.dtype.kind in "iuf"
        if num:
            # Numbers stay numbers (an interval or ratio scale needs them).
            values = np.union1d(self.values, other.values)
            mv = np.searchsorted(values, self.values).astype(np.uint32)
            ov = np.searchsorted(values, other.values).astype(np.uint32)
        else:
            v, mv_, ov_ = _union(self.values.astype(object), other.values.astype(object))
            assert v is not None
            values = v
            mv = mv_ if mv_ is not None else np.arange(len(self.values), dtype=np.uint32)
            ov = ov_ if ov_ is not None else np.arange(len(other.values), dtype=np.uint32)

        def remap(codes: np.ndarray, m: np.ndarray) -> np.ndarray:
            out = np.full(len(codes), MISSING, np.uint32)
            ok = codes != MISSING
            out[ok] = m[codes[ok]]
            return out

        units, mu, ou = _union(self.units, other.units)
        raters, mr, orr = _union(self.raters, other.raters)
        assert units is not None and raters is not None
        return RatingsStats(
            units=units,
            raters=raters,
            values=values,
            unit=np.concatenate(
                [self.unit if mu is None else mu[self.unit], other.unit if ou is None else ou[other.unit]]
            ),
            rater=np.concatenate(
                [self.rater if mr is None else mr[self.rater], other.rater if orr is None else orr[other.rater]]
            ),
            value=np.concatenate([remap(self.value, mv), remap(other.value, ov)]),
        )

    def _to_frame(self) -> bytes:
        out: bytes = _core.ratings_stats_to_bytes(
            labels_to_frame(self.units),
            labels_to_frame(self.raters),
            labels_to_frame(self.values),
            *(np.ascontiguousarray(c, dtype=np.uint32) for c in (self.unit, self.rater, self.value)),
        )
        return out

    @classmethod
    def _from_frame(cls, data: bytes) -> RatingsStats:
        units, raters, values, unit, rater, value = _core.ratings_stats_from_bytes(data)
        return cls(
            units=labels_from_frame(units),
            raters=labels_from_frame(raters),
            values=labels_from_frame(values),
            unit=unit,
            rater=rater,
            value=value,
        )

    def __repr__(self) -> str:
        return (
            f"RatingsStats(ratings={self.n_ratings:,}, units={len(self.units):,}, raters={len(self.raters):,}, "
            f"values={len(self.values):,})"
        )


def pair_counts_of(
    data: Any, anchor: tuple[Any, float] | None, batch_rows: int | None = None, **columns: Any
) -> tuple[PairCounts, np.ndarray]:
    """Pair counts and labels of any pairwise input; a :class:`PairCounts` or
    :class:`~prefrank.ComparisonStats` (merged from batches or workers) is used as it is, and a
    directory, glob or ``batch_rows=`` streams the files in batches. Checks that an ``anchor`` exists."""

    if isinstance(data, ComparisonStats):
        data = data.pairs
    if isinstance(data, PairCounts):
        counts, items = data, data.items
    elif wants_stream(data, batch_rows):
        counts = accumulate_comparisons(data, batch_rows=batch_rows, pairs_only=True, **columns)
        items = counts.items
    else:
        fast = None
        given = {k for k, v in columns.items() if v is not None}
        plain = columns.get("weight") is None and columns.get("outcomes") is None and not columns.get("drop_self")
        # Options left at None keep the fused pass; a position column (left/right outcomes) does not.
        if data is None and given <= _PLAIN_COLUMNS and plain:
            # Integer labels with win/loss/tie outcomes (the most common numpy input): one fused pass.
            fast = int_pair_counts(columns.get("a"), columns.get("b"), columns.get("outcome"))
        if fast is not None:
            counts, items = fast, fast.items
        else:
            comps = as_comparisons(data, **columns)
            counts, items = comps.pair_counts(), comps.items
    if anchor is not None:
        label_index(items, anchor[0])
    return counts, items


_PLAIN_COLUMNS = {"a", "b", "outcome", "weight", "outcomes", "drop_self"}
