"""Streaming over files larger than memory.

A *source* is a CSV / TSV / JSONL / Parquet file, a directory of such files, or a glob pattern
(``"judgments/*.parquet"``, ``"logs/**/*.jsonl"``). :func:`scan` reads it in batches of at most
``batch_rows`` rows; the entry points that take files (:func:`prefrank.bradley_terry`,
:func:`prefrank.audit`, :func:`prefrank.krippendorff_alpha`, ...) accumulate each batch into a
mergeable statistic and merge the statistics, so the rows never sit in memory together.

**Memory bound.** One batch (``batch_rows`` rows as Arrow columns plus their codes: about
``batch_rows x (bytes per row + 40)``; Parquet also holds one decoded row group) plus the merged
statistic, whose size depends on the statistic, not the number of rows (see docs/scale.md).

Files are read in sorted path order and rows in file order, so results do not depend on the file
system's listing order. Streaming needs pyarrow (``pip install 'prefrank[arrow]'``).
"""

from __future__ import annotations

import glob as _glob
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from prefrank.exceptions import PrefrankError

__all__ = ["DEFAULT_BATCH_ROWS", "is_multi_source", "scan", "source_files"]

DEFAULT_BATCH_ROWS = 1_000_000
_SUFFIXES = {".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".pq"}
_GLOB_CHARS = re.compile(r"[*?\[]")


def is_multi_source(data: Any) -> bool:
    """True for a path that is a directory or a glob pattern (streamed in batches)."""
    if not isinstance(data, (str, os.PathLike)):
        return False
    s = os.fspath(data)
    return bool(_GLOB_CHARS.search(s)) or Path(s).is_dir()


def source_files(source: str | os.PathLike[str]) -> list[Path]:
    """The files of a source: the file itself, a directory's data files (recursively), or a glob's
    matches, sorted by path. Raises when nothing matches or a file type is unknown."""
    s = os.fspath(source)
    p = Path(s)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _SUFFIXES)
        if not files:
            raise PrefrankError(f"{p}: the directory holds no .csv, .tsv, .jsonl or .parquet files")
        return files
    if _GLOB_CHARS.search(s):
        files = sorted(Path(f) for f in _glob.glob(s, recursive=True) if Path(f).is_file())
        if not files:
            raise PrefrankError(f"{s}: the pattern matches no files")
    else:
        if not p.exists():
            raise FileNotFoundError(f"no such file: {p}")
        files = [p]
    for f in files:
        if f.suffix.lower() not in _SUFFIXES:
            raise PrefrankError(f"{f}: unknown file type {f.suffix!r}; expected .csv, .tsv, .jsonl/.ndjson or .parquet")
    return files


def _check_batch_rows(batch_rows: Any) -> int:
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise PrefrankError(f"batch_rows={batch_rows!r} must be a positive integer")
    return int(batch_rows)


def _file_batches(path: Path, batch_rows: int, columns: Sequence[str] | None, string_columns: Sequence[str]) -> Any:
    """Arrow record batches of one file, each at most ``batch_rows`` rows."""
    import pyarrow as pa

    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        missing = [c for c in columns or () if c not in pf.schema_arrow.names]
        if missing:
            raise PrefrankError(
                f"{path}: column {missing[0]!r} not found; available columns: {', '.join(pf.schema_arrow.names)}"
            )
        yield from pf.iter_batches(batch_size=batch_rows, columns=list(columns) if columns else None)
        return
    # Text formats: a streaming reader that fixes the column types from the first block; label
    # columns are always text ("007" stays "007").
    block = max(1 << 20, min(1 << 26, batch_rows * 64))
    if suffix in {".jsonl", ".ndjson", ".json"}:
        import pyarrow.json as pj

        if hasattr(pj, "open_json"):
            reader = pj.open_json(path, read_options=pj.ReadOptions(block_size=block))
        else:  # pyarrow < 19 has no streaming JSON reader: the file is read whole
            reader = pj.read_json(path).to_batches()
    else:
        import pyarrow.csv as pcsv

        def open_csv(include: Sequence[str] | None) -> Any:
            return pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(block_size=block),
                parse_options=pcsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ","),
                convert_options=pcsv.ConvertOptions(
                    strings_can_be_null=False,
                    column_types={c: pa.string() for c in string_columns},
                    include_columns=list(include) if include else None,
                ),
            )

        try:
            reader = open_csv(columns)
        except (KeyError, pa.ArrowInvalid):
            names = open_csv(None).schema.names
            missing = [c for c in columns or () if c not in names]
            bad = missing[0] if missing else columns
            raise PrefrankError(f"{path}: column {bad!r} not found; available columns: {', '.join(names)}") from None
    for rb in reader:
        if columns:
            missing = [c for c in columns if c not in rb.schema.names]
            if missing:
                raise PrefrankError(
                    f"{path}: column {missing[0]!r} not found; available columns: {', '.join(rb.schema.names)}"
                )
            rb = rb.select(list(columns))
        for start in range(0, rb.num_rows, batch_rows):
            yield rb.slice(start, batch_rows)


def scan(
    source: str | os.PathLike[str],
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    columns: Sequence[str] | None = None,
    string_columns: Sequence[str] = (),
) -> Iterator[tuple[Path, int, Any]]:
    """Read a file, directory or glob in batches.

    Yields ``(path, first_row, table)``: the file, the 0-based row of the batch's first row within
    that file (for error messages), and a pyarrow Table of at most ``batch_rows`` rows. ``columns``
    restricts the columns read; ``string_columns`` are read from CSV as text.
    """
    batch_rows = _check_batch_rows(batch_rows)
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError("streaming files in batches needs pyarrow: pip install 'prefrank[arrow]'") from None
    for path in source_files(source):
        pending: list[Any] = []
        n_pending = 0
        row = 0
        for rb in _file_batches(path, batch_rows, columns, string_columns):
            # Small reader blocks are gathered up to batch_rows, so batch sizes (and with them the
            # merge order) depend only on batch_rows and the data.
            while rb.num_rows:
                take = min(rb.num_rows, batch_rows - n_pending)
                pending.append(rb.slice(0, take))
                n_pending += take
                rb = rb.slice(take)
                if n_pending == batch_rows:
                    yield path, row, pa.Table.from_batches(pending)
                    row += n_pending
                    pending, n_pending = [], 0
        if n_pending:
            yield path, row, pa.Table.from_batches(pending)


_ROW = re.compile(r"\brow (\d+)")


def located(err: PrefrankError, path: Path, first_row: int) -> PrefrankError:
    """The same error with its batch-relative row numbers made file-relative and the file named."""
    msg = _ROW.sub(lambda m: f"row {int(m.group(1)) + first_row}", str(err))
    out = PrefrankError(f"{path}: {msg}")
    for k, v in vars(err).items():
        setattr(out, k, v)
    if hasattr(err, "row"):
        out.row = err.row + first_row  # type: ignore[attr-defined]
    return out


def read_all(source: str | os.PathLike[str], *, string_columns: Sequence[str] = ()) -> Any:
    """A whole directory or glob as one pyarrow Table (for statistics that are not mergeable)."""
    import pyarrow as pa

    tables = [t for _, _, t in scan(source, batch_rows=1 << 30, string_columns=string_columns)]
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        # Files typed a column differently (ids as numbers in CSV, as text in Parquet): such columns
        # become text everywhere, the way a label is read.
        types: dict[str, set[Any]] = {}
        for t in tables:
            for f in t.schema:
                types.setdefault(f.name, set()).add(f.type)
        mixed = {n for n, ts in types.items() if len(ts) > 1}
        tables = [
            t.cast(pa.schema([pa.field(f.name, pa.string()) if f.name in mixed else f for f in t.schema]))
            for t in tables
        ]
        return pa.concat_tables(tables, promote_options="permissive")


def _size(stat: Any) -> int:
    for attr in ("n_cells", "n_ratings"):
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
            raise PrefrankError("empty input: the files hold no rows")
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
    for path, row, table in scan(
        source, batch_rows=batch_rows or DEFAULT_BATCH_ROWS, columns=columns, string_columns=string_columns
    ):
        if table.num_rows == 0:
            continue
        try:
            merger.push(build(table))
        except PrefrankError as e:
            raise located(e, path, row) from None
    return merger.result()


COMPARISON_OPTIONS = ("a", "b", "outcome", "weight", "group", "judge", "position", "outcomes", "drop_self")
_LABEL_ROLES = ("a", "b", "group", "judge", "position")


def comparison_options(columns: dict[str, Any], *, names_only: bool = True) -> dict[str, Any]:
    """The given column options of :func:`prefrank.comparisons` (None dropped); unknown options are an
    error, and with ``names_only`` every column must be named (a file's columns cannot be arrays)."""
    cols = {k: v for k, v in columns.items() if v is not None}
    for k, v in cols.items():
        if k not in COMPARISON_OPTIONS:
            raise PrefrankError(f"unexpected option {k}={v!r}")
        if names_only and k not in {"outcomes", "drop_self"} and not isinstance(v, str):
            raise PrefrankError(f"{k}= must name a column when the data is a file, directory or glob")
    return cols


def _read_columns(cols: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The columns to read for these options, and which of them hold labels (read as text)."""
    names = _needed(*(cols.get(k) for k in COMPARISON_OPTIONS[:7]))
    return names, _label_columns(*(cols.get(k) for k in _LABEL_ROLES))


def accumulate_comparisons(
    source: str | os.PathLike[str], *, batch_rows: int | None = None, pairs_only: bool = False, **columns: Any
) -> Any:
    """:class:`~prefrank.ComparisonStats` (or with ``pairs_only``, :class:`~prefrank.PairCounts`) of
    a file, directory or glob, read in batches."""
    from prefrank.data import comparisons
    from prefrank.stats import ComparisonStats

    cols = comparison_options(columns)
    names, strings = _read_columns(cols)

    def build(table: Any) -> Any:
        tbl = comparisons(table, **cols)
        return tbl.pair_counts() if pairs_only else ComparisonStats.from_comparisons(tbl)

    return accumulate(source, build, columns=names, string_columns=strings, batch_rows=batch_rows)


def accumulate_ratings(
    source: str | os.PathLike[str], *, unit: Any, rater: Any, value: Any, batch_rows: int | None = None
) -> Any:
    """:class:`~prefrank.RatingsStats` of a long-form file, directory or glob, read in batches."""
    from prefrank.stats import RatingsStats

    for role, v in (("unit", unit), ("rater", rater), ("value", value)):
        if not isinstance(v, str):
            raise PrefrankError(f"{role}= must name a column when the data is a file, directory or glob")
    return accumulate(
        source,
        lambda t: RatingsStats.accumulate(t, unit=unit, rater=rater, value=value),
        columns=_needed(unit, rater, value),
        # Typed like read_table reads them for agreement (numeric ids stay numbers), so a streamed
        # run codes units and raters exactly as a whole-file run.
        batch_rows=batch_rows,
    )


def elo_stream(
    source: str | os.PathLike[str], *, batch_rows: int | None, elo_options: dict[str, float], **columns: Any
) -> tuple[Any, Any]:
    """Online Elo over a file, directory or glob in row order, batch by batch, with the ratings
    carried from batch to batch (the ratings of one pass over all rows). Returns the ratings by
    sorted label and the merged :class:`~prefrank.PairCounts`."""
    import numpy as np

    from prefrank import _core
    from prefrank.data import comparisons

    cols = comparison_options(columns)
    names, strings = _read_columns(cols)
    index: dict[Any, int] = {}
    ratings = np.empty(0)
    merger = _Merger()
    initial = float(elo_options["initial"])
    for path, row, table in scan(
        source, batch_rows=batch_rows or DEFAULT_BATCH_ROWS, columns=names, string_columns=strings
    ):
        if table.num_rows == 0:
            continue
        try:
            tbl = comparisons(table, **cols)
            where = np.fromiter((index.setdefault(x, len(index)) for x in tbl.items.tolist()), np.int64)
            if len(index) > len(ratings):
                ratings = np.concatenate([ratings, np.full(len(index) - len(ratings), initial)])
            out = _core.elo_ratings(
                tbl.n_items,
                tbl.a,
                tbl.b,
                tbl.p,
                tbl.tie,
                tbl.weight,
                k=elo_options["k"],
                initial=initial,
                scale=elo_options["scale"],
                base=elo_options["base"],
                start=np.ascontiguousarray(ratings[where]),
            )
            ratings[where] = out
            merger.push(tbl.pair_counts())
        except PrefrankError as e:
            raise located(e, path, row) from None
    counts = merger.result()
    return np.array([ratings[index[x]] for x in counts.items.tolist()]), counts
