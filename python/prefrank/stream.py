"""Streaming over files larger than memory.

A *source* is a CSV / TSV / JSONL / Parquet file, a directory of such files, or a glob pattern
(``"judgments/*.parquet"``, ``"logs/**/*.jsonl"``). :func:`scan` reads it in batches of at most
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

import glob as _glob
import os
import re
from collections.abc import Iterator, Mapping, Sequence
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
    for path, row, table in scan(source, batch_rows=_rows(batch_rows), columns=columns, string_columns=string_columns):
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

    index: dict[Any, int] = {}
    ratings = np.empty(0)
    merger = _Merger()
    initial = float(elo_options["initial"])
    for path, row, tbl in comparison_batches(source, batch_rows=batch_rows, **columns):
        try:
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


def comparison_batches(
    source: str | os.PathLike[str], *, batch_rows: int | None = None, **columns: Any
) -> Iterator[tuple[Path, int, Any]]:
    """``(path, first_row, Comparisons)`` per batch of a file, directory or glob; an error in a batch
    names the file and the row within it."""
    from prefrank.data import comparisons

    cols = comparison_options(columns)
    names, strings = _read_columns(cols)
    for path, row, table in scan(source, batch_rows=_rows(batch_rows), columns=names, string_columns=strings):
        if table.num_rows == 0:
            continue
        try:
            tbl = comparisons(table, **cols)
        except PrefrankError as e:
            raise located(e, path, row) from None
        yield path, row, tbl


def _recode(codes: Any, m: Any) -> Any:
    return codes if m is None else m[codes]


def _cat(x: Any, y: Any) -> Any:
    import numpy as np

    return None if x is None else np.concatenate([x, y])


class _ComparisonRows:
    """Mergeable coded comparison rows plus numeric side columns (``extra``, rows x k float64).
    Merging unites the label tables (codes = sorted order of all labels, as in one call) and
    appends the other side's rows, so a merge tree over batches in order gives the rows in order."""

    def __init__(self, comps: Any, extra: Any) -> None:
        self.comps, self.extra = comps, extra

    @property
    def n_rows(self) -> int:
        return len(self.comps)

    def merge(self, other: _ComparisonRows) -> _ComparisonRows:
        import numpy as np

        from prefrank.data import Comparisons, union_labels

        x, y = self.comps, other.comps
        items, mx, my = union_labels(x.items, y.items)
        labels: dict[str, Any] = {}
        for role in ("group", "judge"):
            lx, ly = getattr(x, role + "s"), getattr(y, role + "s")
            if lx is None:
                labels[role], labels[role + "s"] = None, None
                continue
            u, ux, uy = union_labels(lx, ly)
            labels[role] = np.concatenate([_recode(getattr(x, role), ux), _recode(getattr(y, role), uy)])
            labels[role + "s"] = u
        comps = Comparisons(
            a=np.concatenate([_recode(x.a, mx), _recode(y.a, my)]),
            b=np.concatenate([_recode(x.b, mx), _recode(y.b, my)]),
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

    from prefrank.data import _to_numpy

    raw = _to_numpy(table.column(column))
    try:
        x = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next(k for k, v in enumerate(raw.tolist()) if not _is_float(v))
        raise PrefrankError(f"row {bad}: {role} value {raw[bad]!r} is not a number") from None
    finite = np.isfinite(x)
    if not finite.all():
        r = int(np.argmin(finite))
        raise PrefrankError(f"row {r}: {role} value {x[r]} is not a finite number")
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
            raise PrefrankError(f"{role}= must name a column when the data is a file, directory or glob")
    cols = comparison_options(columns)
    if extra and cols.get("drop_self"):
        raise PrefrankError("drop_self=True cannot be combined with per-row columns (rows must stay aligned)")
    names, strings = _read_columns(cols)
    names += [c for c in extra.values() if c not in names]

    def build(table: Any) -> Any:
        from prefrank.data import comparisons

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


class _JudgeTables:
    """Mergeable 3 x 3 weight tables per judge (``judges`` None: one table for all rows)."""

    def __init__(self, judges: Any, tables: Any) -> None:
        self.judges, self.tables = judges, tables

    @property
    def n_cells(self) -> int:
        return len(self.tables)

    def merge(self, other: _JudgeTables) -> _JudgeTables:
        import numpy as np

        from prefrank.data import union_labels

        if self.judges is None:
            return _JudgeTables(None, self.tables + other.tables)
        judges, mx, my = union_labels(self.judges, other.judges)
        out = np.zeros((len(judges), *self.tables.shape[1:]))
        out[_recode(np.arange(len(self.tables)), mx)] += self.tables
        out[_recode(np.arange(len(other.tables)), my)] += other.tables
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
    from prefrank.data import as_comparisons

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


class _LongRows:
    """Mergeable coded long-form rows: label columns as uint32 codes with one label table each
    (united on merge), number columns as float64; merging appends the other side's rows."""

    def __init__(self, codes: dict[str, Any], labels: dict[str, Any], numbers: dict[str, Any]) -> None:
        self.codes, self.labels, self.numbers = codes, labels, numbers

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.codes.values())))

    def merge(self, other: _LongRows) -> _LongRows:
        import numpy as np

        from prefrank.data import union_labels

        codes, labels = {}, {}
        for name in self.codes:
            labels[name], mx, my = union_labels(self.labels[name], other.labels[name])
            codes[name] = np.concatenate([_recode(self.codes[name], mx), _recode(other.codes[name], my)])
        numbers = {k: np.concatenate([v, other.numbers[k]]) for k, v in self.numbers.items()}
        return _LongRows(codes, labels, numbers)


def _ranks(table: Any, column: str) -> Any:
    """A rank column of a batch as float64 (null = NaN = unranked); text or an infinite rank is an
    error naming its row, worded as :func:`prefrank.plackett_luce` words it."""
    import numpy as np

    from prefrank.data import _to_numpy

    raw = _to_numpy(table.column(column))
    try:
        rk = np.array([np.nan if v is None else v for v in raw.tolist()], np.float64) if raw.dtype.kind == "O" else raw
        rk = np.asarray(rk, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next(k for k, v in enumerate(raw.tolist()) if v is not None and not _is_float(v))
        raise PrefrankError(f"row {bad}: rank {raw[bad]!r} in column {column!r} is not a number") from None
    if np.isinf(rk).any():
        r = int(np.argmax(np.isinf(rk)))
        raise PrefrankError(f"row {r}: rank {rk[r]} in column {column!r} is not finite (use NaN for unranked)")
    return rk


def ranking_rows(
    source: str | os.PathLike[str],
    *,
    batch_rows: int | None = None,
    labels: Mapping[str, Any],
    rank: Any = None,
    weight: Any = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The long-form ranking table (``labels``: role -> label column, e.g. group and item; ``rank``;
    optional ``weight``; ``values``: role -> any other numeric column, e.g. scores) of a file,
    directory or glob, read in batches whose rows are kept coded (4 bytes per label column and 8
    per number per row, no text) and concatenated in row order. Returns the columns by name,
    labels rebuilt as arrays of the (shared) label objects (8 bytes per row each), for the
    in-memory fit; the rows equal those of the concatenated files."""
    import numpy as np

    from prefrank.data import _to_numpy, code_labels

    values = dict(values or {})
    roles = {**labels, "rank": rank, "weight": weight, **values}
    for role, v in roles.items():
        if v is not None and not isinstance(v, str):
            raise PrefrankError(f"{role}= must name a column when the data is a file, directory or glob")
    label_cols = [c for c in labels.values() if c is not None]
    numbers = (
        ({rank: "rank"} if rank is not None else {})
        | ({weight: "weight"} if weight is not None else {})
        | {col: role for role, col in values.items()}
    )

    def build(table: Any) -> _LongRows:
        codes, tables = {}, {}
        for col in label_cols:
            (codes[col],), tables[col] = code_labels(table.column(col), names=[col])
        nums = {}
        for col, role in numbers.items():
            if role == "rank":
                nums[col] = _ranks(table, col)
                continue
            try:
                nums[col] = np.asarray(_to_numpy(table.column(col)), dtype=np.float64)
            except (TypeError, ValueError):
                raise PrefrankError(f"column {col!r} ({role}) is not numeric") from None
        return _LongRows(codes, tables, nums)

    state: _LongRows = accumulate(source, build, columns=_needed(*label_cols, *numbers), batch_rows=batch_rows)
    out: dict[str, Any] = {col: state.labels[col][state.codes[col]] for col in label_cols}
    out.update(state.numbers)
    return out


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

        from prefrank.data import union_labels

        items, mi, oi = union_labels(self.items, other.items)
        labels, mk, ok = (None, None, None)
        if self.keys_labels is not None:
            labels, mk, ok = union_labels(self.keys_labels, other.keys_labels)
        maps = {"key": (mk, ok), "lo": (mi, oi), "hi": (mi, oi)}
        keys = {
            k: np.concatenate([_recode(v, maps[k][0]), _recode(other.keys[k], maps[k][1])])
            for k, v in self.keys.items()
        }
        first = np.concatenate([self.first, other.first])
        mass = np.concatenate([self.mass, other.mass])
        return _PairCells(items, labels, *_combine_cells(keys, first, mass, len(items)))


def _combine_cells(keys: dict[str, Any], first: Any, mass: Any, n_items: int) -> tuple[dict[str, Any], Any, Any]:
    """Cells with equal keys summed (in input order) and their first rows kept, sorted by key."""
    import numpy as np

    if len(first) == 0:
        return keys, first, mass
    if n_items <= 1 << 16:
        # One 64-bit key: a stable sort of two sorted runs (a merge) is then linear.
        packed = (keys["key"].astype(np.uint64) << np.uint64(32)) | (
            keys["lo"].astype(np.uint64) * np.uint64(n_items) + keys["hi"]
        )
        order = np.argsort(packed, kind="stable")
        sp = packed[order]
        del packed
        new = np.ones(len(order), bool)
        new[1:] = sp[1:] != sp[:-1]
        del sp
    else:
        order = np.lexsort((keys["hi"], keys["lo"], keys["key"]))
        new = np.ones(len(order), bool)
        new[1:] = np.any([np.diff(keys[k][order]) != 0 for k in ("key", "lo", "hi")], axis=0)
    sk = {k: v[order] for k, v in keys.items()}
    starts = np.flatnonzero(new)
    # bincount adds in input order, so a cell's weights are summed in row order, as the kernels do.
    ids = np.empty(len(order), np.int64)
    ids[order] = np.cumsum(new) - 1
    out = np.column_stack([np.bincount(ids, weights=mass[:, c], minlength=len(starts)) for c in range(3)])
    return {k: v[starts] for k, v in sk.items()}, np.minimum.reduceat(first[order], starts), out


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

    from prefrank.data import Comparisons, comparisons

    cols = comparison_options(columns)
    names, strings = _read_columns(cols)
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
