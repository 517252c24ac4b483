"""Comparison rows read in batches: the coded rows (and extra columns) of a streamed comparison source,
for the statistics whose exact state needs every row.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefrank.data.coding import union_labels
from prefrank.data.comparisons import Comparisons, as_comparisons, comparisons
from prefrank.exceptions import PrefrankError, input_error, parameter_error
from prefrank.io import _to_numpy, located, scan
from prefrank.stream import _label_columns, _Merger, _needed, _rows, accumulate, wants_stream

COMPARISON_OPTIONS = ("a", "b", "outcome", "weight", "group", "judge", "position", "outcomes", "drop_self")


_LABEL_ROLES = ("a", "b", "group", "judge", "position")


def comparison_options(columns: dict[str, Any], *, names_only: bool = True) -> dict[str, Any]:
    """The given column options of :func:`prefrank.comparisons` (None dropped); unknown options are an
    error, and with ``names_only`` every column must be named (a file's columns cannot be arrays)."""
    cols = {k: v for k, v in columns.items() if v is not None}
    for k, v in cols.items():
        if k not in COMPARISON_OPTIONS:
            raise parameter_error(k, f"unexpected option {k}={v!r}")
        if names_only and k not in {"outcomes", "drop_self"} and not isinstance(v, str):
            raise parameter_error(k, f"{k}= must name a column when the data is a file, directory or glob")
    return cols


def read_columns(cols: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The columns to read for these options, and which of them hold labels (read as text)."""
    names = _needed(*(cols.get(k) for k in COMPARISON_OPTIONS[:7]))
    return names, _label_columns(*(cols.get(k) for k in _LABEL_ROLES))


def comparison_batches(
    source: str | os.PathLike[str], *, batch_rows: int | None = None, **columns: Any
) -> Iterator[tuple[Path, int, Any]]:
    """``(path, first_row, Comparisons)`` per batch of a file, directory or glob; an error in a batch
    names the file and the row within it."""

    cols = comparison_options(columns)
    names, strings = read_columns(cols)
    for path, row, table in scan(source, batch_rows=_rows(batch_rows), columns=names, string_columns=strings):
        if table.num_rows == 0:
            continue
        try:
            tbl = comparisons(table, **cols)
        except PrefrankError as e:
            raise located(e, path, row) from None
        yield path, row, tbl


def recode_onto(codes: Any, m: Any) -> Any:
    return codes if m is None else m[codes]


def _cat(x: Any, y: Any) -> Any:
    import numpy as np

    return None if x is None else np.concatenate([x, y])


@dataclass(frozen=True, eq=False)
class _ComparisonRows:
    """Mergeable coded comparison rows plus numeric side columns (``extra``, rows x k float64).
    Merging unites the label tables (codes = sorted order of all labels, as in one call) and
    appends the other side's rows, so a merge tree over batches in order gives the rows in order."""

    comps: Comparisons
    extra: Any

    @property
    def n_rows(self) -> int:
        return len(self.comps)

    def merge(self, other: _ComparisonRows) -> _ComparisonRows:
        import numpy as np

        x, y = self.comps, other.comps
        items, mx, my = union_labels(x.items, y.items)
        labels: dict[str, Any] = {}
        for role in ("group", "judge"):
            lx, ly = getattr(x, role + "s"), getattr(y, role + "s")
            if lx is None:
                labels[role], labels[role + "s"] = None, None
                continue
            u, ux, uy = union_labels(lx, ly)
            labels[role] = np.concatenate([recode_onto(getattr(x, role), ux), recode_onto(getattr(y, role), uy)])
            labels[role + "s"] = u
        comps = Comparisons(
            a=np.concatenate([recode_onto(x.a, mx), recode_onto(y.a, my)]),
            b=np.concatenate([recode_onto(x.b, mx), recode_onto(y.b, my)]),
            p=np.concatenate([x.p, y.p]),
            tie=np.concatenate([x.tie, y.tie]),
            items=items,
            weight=_cat(x.weight, y.weight),
            first=_cat(x.first, y.first),
            dropped_self=x.dropped_self + y.dropped_self,
            **labels,
        )
        return _ComparisonRows(comps, np.concatenate([self.extra, other.extra]))


def _numeric_column(table: Any, column: str, role: str) -> Any:
    """One numeric column of a batch as float64; a value that is not a finite number is an error
    naming its (batch) row."""
    import numpy as np

    raw = _to_numpy(table.column(column))
    try:
        x = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next(k for k, v in enumerate(raw.tolist()) if not _is_float(v))
        raise input_error(
            f"{role} value {raw[bad]!r} is not a number", row=bad, column=column, value=raw[bad]
        ) from None
    finite = np.isfinite(x)
    if not finite.all():
        r = int(np.argmin(finite))
        raise input_error(f"{role} value {x[r]} is not a finite number", row=r, column=column, value=x[r])
    return x


def _is_float(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return v is not None


def accumulate_with_extra(
    source: str | os.PathLike[str],
    make: Any,
    *,
    batch_rows: int | None = None,
    extra: Mapping[str, str] | None = None,
    **columns: Any,
) -> Any:
    """Stream ``source`` in batches, code each as :func:`prefrank.comparisons` does (``columns``),
    read its ``extra`` numeric columns (``{role: column}``, e.g. ``{"score_a": "sa"}``) as a rows x k
    float64 matrix (each value must be a finite number), and merge ``make(comparisons, matrix)``."""
    import numpy as np

    extra = dict(extra or {})
    for role, col in extra.items():
        if not isinstance(col, str):
            raise parameter_error(role, f"{role}= must name a column when the data is a file, directory or glob")
    cols = comparison_options(columns)
    if extra and cols.get("drop_self"):
        raise parameter_error(
            "drop_self", "drop_self=True cannot be combined with per-row columns (rows must stay aligned)"
        )
    names, strings = read_columns(cols)
    names += [c for c in extra.values() if c not in names]

    def build(table: Any) -> Any:

        tbl = comparisons(table, **cols)
        x = np.empty((len(tbl), len(extra)))
        for k, (role, col) in enumerate(extra.items()):
            x[:, k] = _numeric_column(table, col, role)
        return make(tbl, x)

    return accumulate(source, build, columns=names, string_columns=strings, batch_rows=batch_rows)


def comparison_rows(
    source: str | os.PathLike[str],
    *,
    batch_rows: int | None = None,
    extra: Mapping[str, str] | None = None,
    **columns: Any,
) -> tuple[Any, Any]:
    """The coded :class:`~prefrank.Comparisons` of a file, directory or glob, read in batches and
    concatenated in row order, and the ``extra`` numeric columns as a rows x k float64 matrix (see
    :func:`accumulate_with_extra`).

    Identical to ``comparisons(read_table(source), ...)``, but no text is held: the state is
    17 bytes per row (a, b, p, tie) + 8 with a weight + 4 per group / judge + 1 with a position +
    8 per extra column, and a merge holds both sides and the result (at most twice the final rows)."""
    out: _ComparisonRows = accumulate_with_extra(source, _ComparisonRows, batch_rows=batch_rows, extra=extra, **columns)
    return out.comps, out.extra


@dataclass(frozen=True, eq=False)
class _JudgeTables:
    """Mergeable 3 x 3 weight tables per judge (``judges`` None: one table for all rows)."""

    judges: Any
    tables: Any

    @property
    def n_cells(self) -> int:
        return len(self.tables)

    def merge(self, other: _JudgeTables) -> _JudgeTables:
        import numpy as np

        if self.judges is None:
            return _JudgeTables(None, self.tables + other.tables)
        judges, mx, my = union_labels(self.judges, other.judges)
        out = np.zeros((len(judges), *self.tables.shape[1:]))
        out[recode_onto(np.arange(len(self.tables)), mx)] += self.tables
        out[recode_onto(np.arange(len(other.tables)), my)] += other.tables
        return _JudgeTables(judges, out)


def judge_tables(
    source: str | os.PathLike[str],
    relation: Any,
    *,
    batch_rows: int | None = None,
    extra: Mapping[str, str] | None = None,
    **columns: Any,
) -> tuple[Any, Any]:
    """Per judge (labels, or None without ``judge=``) a 3 x 3 table of weights over
    ``relation(comparisons, extra_matrix) -> (row_class, column_class, weight, judge_codes)`` of a
    file, directory or glob read in batches (see :func:`accumulate_with_extra`). Memory: one batch
    plus 72 bytes per judge."""
    import numpy as np

    def make(tbl: Any, x: Any) -> _JudgeTables:
        r, c, w, j = relation(tbl, x)
        n = len(tbl.judges) if j is not None and tbl.judges is not None else 1
        tables = np.zeros((n, 3, 3))
        np.add.at(tables, (j if j is not None else 0, r, c), w)
        return _JudgeTables(tbl.judges if j is not None else None, tables)

    out: _JudgeTables = accumulate_with_extra(source, make, batch_rows=batch_rows, extra=extra, **columns)
    return out.judges, out.tables


def comparisons_of(data: Any, batch_rows: int | None, **columns: Any) -> Any:
    """``as_comparisons(data, **columns)`` for in-memory data; for a directory or glob (or a path with
    ``batch_rows=``) the coded rows read in batches (:func:`comparison_rows`), the same table."""
    if wants_stream(data, batch_rows):
        return comparison_rows(data, batch_rows=batch_rows, **columns)[0]

    return as_comparisons(data, **columns)


def pair_counts_and_rows(
    source: str | os.PathLike[str], *, batch_rows: int | None = None, check: Any = None, **columns: Any
) -> tuple[Any, int]:
    """Merged :class:`~prefrank.PairCounts` and the number of rows of a file, directory or glob read
    in batches; ``check(comparisons)`` runs on each batch (its errors name the file)."""
    merger = _Merger()
    n_rows = 0
    for path, row, tbl in comparison_batches(source, batch_rows=batch_rows, **columns):
        try:
            if check is not None:
                check(tbl)
        except PrefrankError as e:
            raise located(e, path, row) from None
        merger.push(tbl.pair_counts())
        n_rows += len(tbl)
    return merger.result(), n_rows


def decisive_rows(batches: Any, items: Any, directions: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """For each (winner, loser) code pair in ``directions`` (codes into ``items``), a distinct row
    where the winner beat the loser outright: the k-th time a pair is asked for, its k-th such row
    in row order (rows numbered across ``batches``, an iterable of :class:`~prefrank.Comparisons`
    in order). Pairs with no row left are skipped. Returns ``(row, winner, loser)`` in the order
    asked; stops reading once every pair has its rows, and holds one batch at a time."""
    from collections import Counter

    import numpy as np

    need = Counter(directions)
    found: dict[tuple[int, int], list[int]] = {d: [] for d in need}
    labels = items.tolist()
    offset = 0
    for tbl in batches:
        if all(len(found[d]) >= m for d, m in need.items()):
            break
        code = {v: k for k, v in enumerate(tbl.items.tolist())}
        won_a = (tbl.tie == 0) & (tbl.p == 1.0)
        won_b = (tbl.tie == 0) & (tbl.p == 0.0)
        for (w, l_), m in need.items():
            bw, bl = code.get(labels[w]), code.get(labels[l_])
            if bw is None or bl is None or len(found[(w, l_)]) >= m:
                continue
            hit = ((tbl.a == bw) & (tbl.b == bl) & won_a) | ((tbl.a == bl) & (tbl.b == bw) & won_b)
            cand = np.flatnonzero(hit)[: m - len(found[(w, l_)])]
            found[(w, l_)].extend((cand + offset).tolist())
        offset += len(tbl)
    taken = Counter[tuple[int, int]]()
    out = []
    for d in directions:
        k = taken[d]
        if k < len(found[d]):
            out.append((found[d][k], d[0], d[1]))
            taken[d] += 1
    return out
