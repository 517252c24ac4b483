"""The one batch driver: a source read in batches, a statistic built from each batch, merged.

A *source* is a data file (CSV / TSV, JSON, Parquet, Feather / Arrow IPC; text also gzip- or
zstd-compressed: see :mod:`prefrank.io`), a directory of such files, or a glob pattern
(``"judgments/*.parquet"``, ``"logs/**/*.jsonl.gz"``). :func:`scan` reads it in batches of at most
``batch_rows`` rows; the entry points that take files (:func:`prefrank.bradley_terry`,
:func:`prefrank.audit`, :func:`prefrank.krippendorff_alpha`, ...) accumulate each batch into a
mergeable statistic and merge the statistics, so the rows never sit in memory together.

**Memory bound.** One batch (``batch_rows`` rows as Arrow columns plus their codes: about
``batch_rows x (bytes per row + 40)``; Parquet also holds one decoded row group) plus the merged
statistic, whose size depends on the statistic, not the number of rows (see docs/scale.md).

Statistics whose exact state needs every row (Elo over shuffles, contextual Bradley-Terry, score
consistency with an aggregation rule, Plackett-Luce) merge the batches' *coded rows* instead
(:func:`comparison_rows`, :func:`ranking_rows`: integer codes and numbers, no text; 16 to 33 bytes
per row, stated by each function); label noise and per-group Bradley-Terry merge (key, pair)
cells (:func:`pair_cells`), score consistency per-judge tables (:func:`judge_tables`), fragility
reads the source twice (pair counts, then the removed rows) and judge agreement merges row counts
per key (:func:`accumulate_key_counts`).

Files are read in sorted path order and rows in file order, so results do not depend on the file
system's listing order. Streaming needs pyarrow (``pip install 'prefrank[arrow]'``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from prefrank._options import _check_batch_rows
from prefrank.exceptions import PrefrankError, input_error
from prefrank.io import DEFAULT_BATCH_ROWS, is_multi_source, located, read_all, scan, source_files

# The readers live in prefrank.io; they stay importable from here, where they were first.
__all__ = ["DEFAULT_BATCH_ROWS", "accumulate", "is_multi_source", "read_all", "scan", "source_files"]


def _size(stat: Any) -> int:
    for attr in ("n_cells", "n_ratings", "n_rows"):
        if hasattr(stat, attr):
            return int(getattr(stat, attr))
    return int(stat.total()) if hasattr(stat, "total") else 1


class _Merger:
    """Merges a stream of statistics size-tiered: a new statistic is merged into the one below it
    while that one is at most twice its size. Each statistic takes part in O(log batches) merges,
    and once the statistic stops growing (every key seen) the stack holds about twice the final
    statistic, not one full copy per level. The merge tree depends only on the data and batch_rows."""

    def __init__(self) -> None:
        self._stack: list[Any] = []

    def push(self, stat: Any) -> None:
        self._stack.append(stat)
        while len(self._stack) >= 2 and _size(self._stack[-2]) <= 2 * _size(self._stack[-1]):
            top = self._stack.pop()
            below = self._stack.pop()
            self._stack.append(below.merge(top))

    def result(self) -> Any:
        if not self._stack:
            raise input_error("empty input: the files hold no rows")
        out = self._stack.pop()
        while self._stack:
            out = self._stack.pop().merge(out)
        return out


def _label_columns(*specs: Any) -> list[str]:
    return [s for s in specs if isinstance(s, str)]


def _needed(*specs: Any) -> list[str]:
    return list(dict.fromkeys(s for s in specs if isinstance(s, str)))


def accumulate(
    source: str | os.PathLike[str],
    build: Any,
    *,
    columns: Sequence[str],
    string_columns: Sequence[str] = (),
    batch_rows: int | None = None,
) -> Any:
    """Stream ``source`` in batches, ``build(table)`` a statistic from each, and merge them."""
    merger = _Merger()
    for path, row, table in scan(source, batch_rows=_rows(batch_rows), columns=columns, string_columns=string_columns):
        if table.num_rows == 0:
            continue
        try:
            stat = build(table)
        except PrefrankError as e:
            raise located(e, path, row) from None
        # The batch is released before the merge (which holds both sides and the output).
        del table
        merger.push(stat)
        del stat
    return merger.result()


# --------------------------------------------------------------------------------------------------
# Coded rows: for statistics whose exact state needs every row (Elo over shuffles, contextual
# Bradley-Terry, score consistency with an aggregation rule, Plackett-Luce), each batch is reduced
# to its coded rows (uint32 codes and numbers, no text) and the batches are concatenated in order.


def _rows(batch_rows: int | None) -> int:
    """``batch_rows`` checked, or the default when None (0 or a negative count is an error, not the default)."""
    return DEFAULT_BATCH_ROWS if batch_rows is None else _check_batch_rows(batch_rows)


def wants_stream(data: Any, batch_rows: int | None) -> bool:
    """True when ``data`` is read in batches: a directory or glob, or any path with ``batch_rows=``
    (which must be a positive integer whatever the input)."""
    if batch_rows is not None:
        _check_batch_rows(batch_rows)
    return isinstance(data, (str, os.PathLike)) and (batch_rows is not None or is_multi_source(data))
