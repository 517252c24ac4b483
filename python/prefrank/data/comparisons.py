"""Input coercion: tables, arrays and files to coded comparison tables.

prefrank accepts pandas and polars DataFrames, pyarrow tables, dicts of columns, lists of records,
numpy arrays, Python lists, and CSV / TSV / JSONL / Parquet paths. Labels (model names, annotator
ids, prompt ids) may be any hashable; they are coded to dense ``uint32`` codes in Rust.

**Code order.** Codes follow the *sorted* order of the labels (strings by Unicode code point,
integers numerically; mixed-type labels by type name, then value), never the order of appearance,
so the same data in another row order gives the same codes. ``Comparisons.items[code]`` is the label
of a code.

**Rows** in error messages are 0-based positions in the input (for files: data lines after the
header).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

from prefrank import _core
from prefrank._options import check_bool
from prefrank.data.coding import (
    _arrow_utf8,
    _arrow_utf8_type,
    _as_arrow,
    _code_few,
    _lab,
    code_labels,
    union_labels,
)
from prefrank.data.framing import Framed, labels_from_frame, labels_to_frame
from prefrank.exceptions import PrefrankError, input_error, parameter_error, rephrased
from prefrank.io import _source, _to_numpy

__all__ = ["OUTCOME_VOCABULARY", "Comparisons", "PairCounts", "comparisons"]


# The column options of :func:`comparisons` that the functions taking comparisons pass on, written
# once: ``**columns: Unpack[ComparisonColumns]`` with ``@keywords_of(comparisons, ComparisonColumns)``
# (see prefrank._options), which gives them comparisons' defaults. mypy checks them at call sites.


class AlignedColumns(TypedDict, total=False):
    """The columns of comparison rows that stay aligned with other per-row data (no ``drop_self``)."""

    a: Any
    b: Any
    outcome: Any
    weight: Any
    position: Any
    outcomes: Mapping[Any, Any] | None


class ComparisonColumns(AlignedColumns, total=False):
    """The columns of comparisons, and ``drop_self``."""

    drop_self: bool


class GroupedColumns(ComparisonColumns, total=False):
    """The columns of comparisons with a ``group`` column."""

    group: Any


class JudgedColumns(ComparisonColumns, total=False):
    """The columns of comparisons with a ``judge`` column."""

    judge: Any


# Outcome vocabulary (case-insensitive, surrounding blanks ignored): value -> (p(a wins), is_tie).
_A = (1.0, False)


_B = (0.0, False)


_TIE = (0.5, True)


OUTCOME_VOCABULARY: dict[str, tuple[float, bool]] = {
    "a": _A,
    "b": _B,
    "tie": _TIE,
    "model_a": _A,
    "model_b": _B,
    "tie (bothbad)": _TIE,
    "draw": _TIE,
}


_VOCABULARY_COLUMNS = (
    list(OUTCOME_VOCABULARY),
    [p for p, _ in OUTCOME_VOCABULARY.values()],
    [int(t) for _, t in OUTCOME_VOCABULARY.values()],
)


_POSITIONAL = {"left": 0, "right": 1, "first": 0, "second": 1}


_USER_TARGETS: dict[str, tuple[float, bool]] = {"a": _A, "b": _B, "tie": _TIE}


# --------------------------------------------------------------------------------------------------
# Outcomes


def _decode_outcome(
    values: Any,
    *,
    name: str,
    mapping: Mapping[Any, Any] | None,
    first: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Turn an outcome column into (p(a wins), tie flag)."""
    if mapping is not None and not isinstance(mapping, Mapping):
        raise parameter_error(
            "outcomes", f"outcomes={mapping!r} must be a mapping such as {{'left': 'a', 'right': 'b', 'draw': 'tie'}}"
        )
    arrow = _as_arrow(values)
    if arrow is not None and _arrow_utf8_type(arrow):
        arr = None  # string outcomes stay in Arrow: coded from the buffers below
    else:
        arr = _to_numpy(values)
    if arr is not None and arr.dtype.kind in "biuf" and mapping is None:
        if arr.dtype.kind == "b":
            return arr.astype(np.float64), np.zeros(len(arr), np.uint8)
        p = np.ascontiguousarray(arr, dtype=np.float64)
        try:
            tie = _core.numeric_outcome_ties(p)
        except PrefrankError as e:
            row = e.row  # type: ignore[attr-defined]
            if getattr(e, "kind", None) == "non_finite":
                detail = f"outcome {_lab(arr[row])!r} in column {name!r} is not a finite number"
                raise rephrased(e, detail, column=name) from None
            raise rephrased(
                e,
                f"outcome {_lab(arr[row])!r} in column {name!r} is not a probability in [0, 1] "
                "(numeric outcomes are 1 = a wins, 0 = b wins, 0.5 = tie, or a probability that a wins)",
                column=name,
            ) from None
        return p, tie
    utf8 = _arrow_utf8(values, name) if arr is None else None
    if utf8 is not None and mapping is None:
        # Arrow strings spelled exactly as in the vocabulary: (p, tie) in one pass.
        values_, p_of, tie_of = _VOCABULARY_COLUMNS
        known = _core.outcomes_utf8(utf8[0], utf8[1], values_, p_of, tie_of)
        if known is not None:
            return known
    # Categorical outcomes: code the distinct values, map each through the vocabulary.
    codes, uniques = _code_few(values if arr is None else arr, name, utf8)
    p_u = np.empty(len(uniques), np.float64)
    tie_u = np.zeros(len(uniques), np.uint8)
    pos_u = np.full(len(uniques), -1, np.int8)
    user = dict(mapping) if mapping is not None else {}
    for k, u in enumerate(uniques):
        target = user.get(u, None) if user else None
        if target is None and isinstance(u, (str, bool, int, float)):
            key = str(u).strip().lower()
            if key in OUTCOME_VOCABULARY:
                target = OUTCOME_VOCABULARY[key]
            elif key in _POSITIONAL:
                pos_u[k] = _POSITIONAL[key]
                p_u[k] = math.nan
                continue
        if target is None:
            row = int(np.argmax(codes == k))
            accepted = "a, b, tie, model_a, model_b, tie (bothbad), draw, left, right"
            raise input_error(
                f"outcome {_lab(u)!r} in column {name!r} is not one of {accepted} "
                "(map other values with outcomes={...})",
                row=row,
                column=name,
                value=u,
            )
        if isinstance(target, str):
            t = target.strip().lower()
            if t not in _USER_TARGETS:
                raise parameter_error(
                    "outcomes", f"outcomes mapping: {u!r} -> {target!r}; targets are 'a', 'b', 'tie' or a number"
                )
            target = _USER_TARGETS[t]
        elif isinstance(target, (int, float)) and not isinstance(target, tuple):
            tf = float(target)
            if not 0.0 <= tf <= 1.0:
                raise parameter_error("outcomes", f"outcomes mapping: {u!r} -> {target!r} is not in [0, 1]")
            target = (tf, tf == 0.5)
        p_u[k], tie_u[k] = target[0], target[1]
    p, tie = _core.outcomes_from_codes(codes, p_u, tie_u)
    if (pos_u >= 0).any():
        positional = pos_u[codes]
        rows = positional >= 0
        if first is None:
            row = int(np.argmax(rows))
            raise input_error(
                f"outcome {_lab(uniques[codes[row]])!r} names a position; pass position= (the column "
                "telling which item was shown first) or map it with outcomes={'left': 'a', 'right': 'b'}",
                row=row,
                column=name,
                value=uniques[codes[row]],
            )
        # The winner is the item shown at that position: a if it was shown there, else b.
        a_won = positional == first.astype(np.int8)
        p[rows] = np.where(a_won[rows], 1.0, 0.0)
    return np.ascontiguousarray(p), np.ascontiguousarray(tie)


def _decode_position(
    values: Any, name: str, a_labels: np.ndarray, b_labels: np.ndarray, items: np.ndarray
) -> np.ndarray:
    """Which item was shown first: 0 = a, 1 = b. Accepts 'a'/'b', 0/1, or the label shown first."""
    codes, uniq = _code_few(values, name)
    keys = [str(u).strip().lower() for u in uniq]
    if set(keys) <= {"a", "b"} or set(keys) <= {"0", "1"}:
        lut = np.array([0 if k in {"a", "0"} else 1 for k in keys], np.uint8)
        return lut[codes]
    # Otherwise the column holds the label of the item shown first.
    lookup = {lab: i for i, lab in enumerate(items.tolist())}
    ucode = np.array([lookup.get(u, -1) for u in uniq.tolist()], np.int64)
    pos_codes = ucode[codes]
    is_a = pos_codes == a_labels
    is_b = pos_codes == b_labels
    bad = ~(is_a | is_b)
    if bad.any():
        row = int(np.argmax(bad))
        raise input_error(
            f"position {_lab(uniq[codes[row]])!r} in column {name!r} is neither item a "
            f"({_lab(items[a_labels[row]])!r}) nor item b ({_lab(items[b_labels[row]])!r})",
            row=row,
            column=name,
            value=uniq[codes[row]],
        )
    return np.where(is_a, 0, 1).astype(np.uint8)


# --------------------------------------------------------------------------------------------------
# The comparison table


@dataclass(frozen=True, repr=False, eq=False)
class Comparisons:
    """A coded, validated comparison table; reusable by every comparison function.

    Attributes: ``a``, ``b`` (``uint32`` item codes), ``p`` (probability that a won; 1, 0, or 0.5 for a
    tie), ``tie`` (``uint8`` flag), ``items`` (labels by code), optional ``weight``, ``group`` /
    ``groups``, ``judge`` / ``judges`` (codes and labels), ``first`` (``uint8``: 0 when a was shown
    first, 1 when b was), and ``dropped_self`` (rows dropped by ``drop_self=True``).
    """

    a: np.ndarray
    b: np.ndarray
    p: np.ndarray
    tie: np.ndarray
    items: np.ndarray
    weight: np.ndarray | None = None
    group: np.ndarray | None = None
    groups: np.ndarray | None = None
    judge: np.ndarray | None = None
    judges: np.ndarray | None = None
    first: np.ndarray | None = None
    dropped_self: int = 0

    def __len__(self) -> int:
        return len(self.a)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def pair_counts(self, *, dense: bool | None = None) -> PairCounts:
        """The pair-count table (dense up to 2,048 items unless ``dense`` says otherwise)."""
        core = _core.PairCounts.from_comparisons(self, None, dense)
        return PairCounts(core, self.items)

    def subset(self, mask: np.ndarray) -> Comparisons:
        """Rows where ``mask`` is true (labels and codes unchanged)."""
        mask = np.asarray(mask, bool)
        if mask.shape != self.a.shape:
            raise parameter_error("mask", f"mask has {mask.size} rows, the table has {len(self)}")

        def take(x: np.ndarray | None) -> np.ndarray | None:
            return None if x is None else np.ascontiguousarray(x[mask])

        return Comparisons(
            a=np.ascontiguousarray(self.a[mask]),
            b=np.ascontiguousarray(self.b[mask]),
            p=np.ascontiguousarray(self.p[mask]),
            tie=np.ascontiguousarray(self.tie[mask]),
            items=self.items,
            weight=take(self.weight),
            group=take(self.group),
            groups=self.groups,
            judge=take(self.judge),
            judges=self.judges,
            first=take(self.first),
        )

    def to_pandas(self) -> Any:
        """The table with labels, one row per comparison."""
        import pandas as pd

        cols: dict[str, Any] = {
            "a": self.items[self.a],
            "b": self.items[self.b],
            "p_a": self.p,
            "tie": self.tie.astype(bool),
        }
        if self.weight is not None:
            cols["weight"] = self.weight
        if self.group is not None and self.groups is not None:
            cols["group"] = self.groups[self.group]
        if self.judge is not None and self.judges is not None:
            cols["judge"] = self.judges[self.judge]
        if self.first is not None:
            cols["first"] = np.where(self.first == 0, "a", "b")
        return pd.DataFrame(cols)

    def __repr__(self) -> str:
        extras = [
            name
            for name, v in (
                ("weight", self.weight),
                ("group", self.group),
                ("judge", self.judge),
                ("position", self.first),
            )
            if v is not None
        ]
        n_ties = int(self.tie.sum())
        return (
            f"Comparisons(rows={len(self):,}, items={self.n_items:,}, ties={n_ties:,}"
            + (f", columns=+{'+'.join(extras)}" if extras else "")
            + (f", dropped_self={self.dropped_self}" if self.dropped_self else "")
            + ")"
        )


class PairCounts(Framed):
    """The mergeable pair-count table, keyed by labels.

    For each observed unordered pair it holds the weight of "i beat j", "j beat i" and ties. Tables
    over different label sets merge onto the union of their labels, so batches and workers can code
    labels independently.
    """

    __slots__ = ("_core", "items")

    def __init__(self, core: Any, items: np.ndarray) -> None:
        self._core = core
        self.items = items

    @property
    def n_items(self) -> int:
        return int(self._core.n_items)

    @property
    def is_dense(self) -> bool:
        return bool(self._core.is_dense)

    def total(self) -> float:
        """Total weight of all comparisons."""
        return float(self._core.total())

    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, wins_i, wins_j, ties)`` arrays over observed pairs, ``i < j`` codes."""
        return tuple(self._core.cells())

    def merge(self, other: PairCounts) -> PairCounts:
        """Add two tables; labels are united when they differ."""
        items, ms, mo = union_labels(self.items, other.items)
        return self._recode(items, ms)._merge_same(other._recode(items, mo))

    def _merge_same(self, other: PairCounts) -> PairCounts:
        """Add two tables over the same labels."""
        return PairCounts(self._core.merge(other._core), self.items)

    def _recode(self, items: np.ndarray, lut: np.ndarray | None) -> PairCounts:
        if lut is None:
            return self
        i, j, x, y, t = self.cells()
        core = _core.PairCounts.from_cells(len(items), lut[i], lut[j], x, y, t, self.is_dense)
        return PairCounts(core, items)

    def _to_frame(self) -> bytes:
        out: bytes = _core.pair_counts_to_bytes(self._core, labels_to_frame(self.items))
        return out

    @classmethod
    def _from_frame(cls, data: bytes, *, dense: bool | None = None) -> PairCounts:
        core, items = _core.pair_counts_from_bytes(data, dense)
        return cls(core, labels_from_frame(items))

    def to_pandas(self) -> Any:
        """One row per observed pair: ``item_a, item_b, a_wins, b_wins, ties``."""
        import pandas as pd

        i, j, x, y, t = self.cells()
        return pd.DataFrame({"item_a": self.items[i], "item_b": self.items[j], "a_wins": x, "b_wins": y, "ties": t})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PairCounts):
            return NotImplemented
        return bool(np.array_equal(self.items, other.items) and self._core == other._core)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._core).replace("PairCounts(", "PairCounts(labels=True, ", 1)


def comparisons(
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
    drop_self: bool = False,
) -> Comparisons:
    """Build a coded, validated :class:`Comparisons` table.

    ``data`` is a pandas or polars DataFrame, a pyarrow table, a dict of columns, a list of records, a
    numpy record array, or a path to a CSV / TSV / JSONL / Parquet file; ``a``, ``b``, ``outcome`` and
    the optional columns are then column names. With ``data=None`` they are the columns themselves
    (numpy arrays, lists, Series). A :class:`Comparisons` passed as ``data`` is returned unchanged.

    Outcomes: ``a`` / ``b`` / ``tie`` (also ``model_a`` / ``model_b`` / ``tie (bothbad)`` / ``draw``,
    case-insensitive); ``left`` / ``right`` together with ``position``; numbers 1 (a won), 0 (b won),
    0.5 (tie) or any probability in [0, 1] that a won; booleans (True = a won); or any values mapped
    by ``outcomes={value: 'a' | 'b' | 'tie' | probability}``.

    ``position`` tells which item was shown first: ``'a'`` / ``'b'``, 0 / 1, or the label of the item
    shown first. ``weight`` must be finite and non-negative (a fit without a prior does not depend on
    the weights' overall scale; with a prior they are counts). A self-comparison is an error unless
    ``drop_self=True``, which drops such rows (counted in ``dropped_self``).
    """
    if isinstance(data, Comparisons):
        return data
    drop_self = check_bool("drop_self", drop_self)
    for role, v in (("a", a), ("b", b), ("outcome", outcome)):
        if v is None:
            raise parameter_error(role, f"missing {role}=: name the column (or pass the values) for {role}")
    src = _source(data, [a, b, group, judge, position])
    col_a, col_b = src.get(a, "a"), src.get(b, "b")
    name_a = a if isinstance(a, str) else "a"
    name_b = b if isinstance(b, str) else "b"
    name_o = outcome if isinstance(outcome, str) else "outcome"
    n_rows = _length(col_a)
    for role, col in (("b", col_b),):
        if _length(col) != n_rows:
            raise input_error(f"length mismatch: a has {n_rows} rows but {role} has {_length(col)}")
    col_o = src.get(outcome, "outcome")
    if _length(col_o) != n_rows:
        raise input_error(f"length mismatch: a has {n_rows} rows but outcome has {_length(col_o)}")
    if n_rows == 0:
        raise input_error("empty input: the comparison table has no rows", kind="empty")
    (ca, cb), items = code_labels(col_a, col_b, names=[str(name_a), str(name_b)])

    first = None
    if position is not None:
        col_p = src.get(position, "position")
        if _length(col_p) != n_rows:
            raise input_error(f"length mismatch: a has {n_rows} rows but position has {_length(col_p)}")
        first = _decode_position(col_p, str(position) if isinstance(position, str) else "position", ca, cb, items)
    p, tie = _decode_outcome(col_o, name=str(name_o), mapping=outcomes, first=first)

    w = None
    if weight is not None:
        col_w = src.get(weight, "weight")
        if _length(col_w) != n_rows:
            raise input_error(f"length mismatch: a has {n_rows} rows but weight has {_length(col_w)}")
        w_arr = _to_numpy(col_w)
        if w_arr.dtype.kind not in "biuf":
            try:
                w_arr = w_arr.astype(np.float64)
            except (TypeError, ValueError):
                raise input_error(
                    f"column {weight!r} (weight) is not numeric", column=weight if isinstance(weight, str) else "weight"
                ) from None
        w = np.ascontiguousarray(w_arr, dtype=np.float64)

    def code_optional(spec: Any, role: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        if spec is None:
            return None, None
        col = src.get(spec, role)
        if _length(col) != n_rows:
            raise input_error(f"length mismatch: a has {n_rows} rows but {role} has {_length(col)}")
        (codes,), labels = code_labels(col, names=[str(spec) if isinstance(spec, str) else role])
        return codes, labels

    g, groups = code_optional(group, "group")
    j, judges = code_optional(judge, "judge")

    table = Comparisons(
        a=ca,
        b=cb,
        p=p,
        tie=tie,
        items=items,
        weight=w,
        group=g,
        groups=groups,
        judge=j,
        judges=judges,
        first=first,
    )
    try:
        keep = _core.validate_comparisons(table, drop_self)
    except PrefrankError as e:
        if getattr(e, "kind", None) == "self_comparison":
            row = e.row  # type: ignore[attr-defined]
            raise rephrased(
                e,
                f"item {_lab(items[ca[row]])!r} is compared with itself (pass drop_self=True to drop such rows)",
                column=name_a,
                value=_lab(items[ca[row]]),
            ) from None
        raise
    if keep is not None:
        dropped = int(len(keep) - keep.sum())
        table = table.subset(keep)
        object.__setattr__(table, "dropped_self", dropped)
        if len(table) == 0:
            raise input_error("empty input: every row was a self-comparison")
    return table


def int_pair_counts(a: Any, b: Any, outcome: Any) -> PairCounts | None:
    """The pair counts of integer label arrays with 1 / 0 / 0.5 (or boolean) outcomes, counted in one
    fused Rust pass without building a :class:`Comparisons`; None when the input is anything else
    (the general path then codes, validates, names any bad row and counts)."""
    arrays = (a, b, outcome)
    if not all(isinstance(x, np.ndarray) and x.ndim == 1 for x in arrays):
        return None
    if not all(x.dtype.kind == "i" or (x.dtype.kind == "u" and x.dtype.itemsize < 8) for x in (a, b)):
        return None
    if outcome.dtype.kind not in "biuf" or not (len(a) == len(b) == len(outcome)):
        return None
    fused = _core.PairCounts.from_i64_hard(
        np.require(a, np.int64, ["C", "A"]),
        np.require(b, np.int64, ["C", "A"]),
        np.require(outcome, np.float64, ["C", "A"]),
    )
    if fused is None:
        return None
    return PairCounts(fused[0], fused[1])


def _length(col: Any) -> int:
    try:
        return len(col)
    except TypeError:
        raise input_error(f"expected a column (array, list or Series), got {type(col).__name__}") from None


def as_comparisons(data: Any, **kwargs: Any) -> Comparisons:
    """Shared entry used by every comparison function: a Comparisons or anything `comparisons` takes."""
    if isinstance(data, Comparisons):
        extra = {k: v for k, v in kwargs.items() if v is not None and k not in {"drop_self", "outcomes"}}
        if extra:
            raise parameter_error(
                next(iter(extra)),
                f"data is already a Comparisons table; do not pass column options ({', '.join(extra)})",
            )
        return data
    return comparisons(data, **kwargs)


def games_and_wins(counts: PairCounts, n: int) -> tuple[np.ndarray, np.ndarray]:
    i, j, x, y, t = counts.cells()
    games = np.bincount(i, x + y + t, n) + np.bincount(j, x + y + t, n)
    wins = np.bincount(i, x + 0.5 * t, n) + np.bincount(j, y + 0.5 * t, n)
    return games, wins
