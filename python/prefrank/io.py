"""Reading: files, directories and globs in batches, whole files, and column access over any supported table type.

A *source* is a CSV / TSV / JSONL / Parquet file, a directory of such files, or a glob pattern.
Files are read in sorted path order and rows in file order, so results do not depend on the file
system's listing order. Streaming needs pyarrow (``pip install 'prefrank[arrow]'``).
"""

from __future__ import annotations

import glob as _glob
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from prefrank._compat import _is_arrow_array, _is_arrow_table, _is_pandas, _is_polars
from prefrank._options import _check_batch_rows
from prefrank.exceptions import PrefrankError

__all__ = ["DEFAULT_BATCH_ROWS", "is_multi_source", "read_table", "scan", "source_files"]


def read_table(path: str | os.PathLike[str], *, string_columns: Sequence[str] = ()) -> Any:
    """Read a CSV, TSV, JSONL or Parquet file (or a directory or glob of them, concatenated) into a
    columnar table.

    Uses pyarrow when installed (fast, typed), else the standard library (CSV and JSONL only) and
    returns a dict of numpy arrays. ``string_columns`` (label columns) are read from CSV as text, so
    an id like ``007`` stays ``"007"``; other CSV columns are typed (numbers become numbers).
    """

    if is_multi_source(path):
        # A directory or glob, read whole (the streaming entry points read it in batches instead).
        return read_all(path, string_columns=string_columns)
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    suffix = p.suffix.lower()
    if suffix not in {".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".pq"}:
        raise PrefrankError(f"{p}: unknown file type {suffix!r}; expected .csv, .tsv, .jsonl/.ndjson or .parquet")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        if suffix in {".parquet", ".pq"}:
            raise ImportError("reading Parquet needs pyarrow: pip install 'prefrank[arrow]'") from None
        return _read_table_stdlib(p, suffix, string_columns)
    if suffix in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        return pq.read_table(p)
    if suffix in {".jsonl", ".ndjson", ".json"}:
        import pyarrow.json as pj

        return pj.read_json(p)
    import pyarrow.csv as pcsv

    parse = pcsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
    # Label columns stay strings: "007" must not become 7.
    import pyarrow as pa

    convert = pcsv.ConvertOptions(strings_can_be_null=False, column_types={c: pa.string() for c in string_columns})
    return pcsv.read_csv(p, parse_options=parse, convert_options=convert)


def _read_table_stdlib(p: Path, suffix: str, string_columns: Sequence[str]) -> dict[str, np.ndarray]:
    import csv

    rows: list[dict[str, Any]]
    if suffix in {".jsonl", ".ndjson", ".json"}:
        with p.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return _records_to_columns(rows)
    with p.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ","))
    cols = _records_to_columns(rows)
    for name, col in cols.items():
        if name in string_columns:
            continue
        # CSV text is untyped: a column whose every value parses as a number is numeric.
        try:
            cols[name] = col.astype(np.float64)
        except (TypeError, ValueError):
            pass
    return cols


def _records_to_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    if not rows:
        return {}
    names: list[str] = []
    for r in rows:
        for k in r:
            if k not in names:
                names.append(k)
    out = {}
    for k in names:
        vals = [r.get(k) for r in rows]
        out[k] = _to_numpy(vals)
    return out


def _to_numpy(values: Any) -> np.ndarray:
    """Convert a column to a 1-D numpy array without guessing types from strings."""
    if isinstance(values, np.ndarray):
        arr = values
    elif _is_arrow_array(values):
        arr = values.to_numpy(zero_copy_only=False)
    elif type(values).__module__.startswith("polars"):
        arr = values.to_numpy()
    elif type(values).__module__.startswith("pandas"):
        arr = values.to_numpy()
    else:
        vals = list(values)
        kinds = {type(v) for v in vals}
        if kinds and kinds <= {str}:
            arr = np.empty(len(vals), dtype=object)
            arr[:] = vals
        else:
            try:
                arr = np.asarray(vals)
            except (ValueError, TypeError):
                arr = np.empty(len(vals), dtype=object)
                arr[:] = vals
            if arr.dtype.kind == "U" or arr.ndim != 1:
                arr = np.empty(len(vals), dtype=object)
                arr[:] = vals
    if arr.ndim != 1:
        raise PrefrankError(f"expected a 1-D column, got an array of shape {arr.shape}")
    return arr


@dataclass
class _Source:
    """Column access over any supported table type."""

    data: Any
    columns: list[str] = field(default_factory=list)

    def get(self, name: Any, role: str) -> Any:
        d = self.data
        if not isinstance(name, (str, int)):
            # An array-like passed directly.
            return name
        if d is None:
            raise PrefrankError(f"{role}={name!r} names a column, but no table was given")
        if name not in self.columns:
            raise PrefrankError(
                f"column {name!r} (for {role}=) not found; available columns: {', '.join(map(str, self.columns))}"
            )
        if _is_pandas(d):
            return d[name]
        if _is_polars(d):
            return d.get_column(name)
        if _is_arrow_table(d):
            return d.column(name)
        return d[name]


def _source(data: Any, string_columns: Sequence[Any] = ()) -> _Source:
    if data is None:
        return _Source(None, [])
    if isinstance(data, (str, os.PathLike)):
        strings = [c for c in string_columns if isinstance(c, str)]
        # A directory or glob given to a statistic that does not stream is read whole.
        data = (
            read_all(data, string_columns=strings)
            if is_multi_source(data)
            else read_table(data, string_columns=strings)
        )
    if isinstance(data, list) and data and isinstance(data[0], Mapping):
        data = _records_to_columns(data)
    if _is_pandas(data):
        return _Source(data, [str(c) if not isinstance(c, str) else c for c in data.columns])
    if _is_polars(data):
        return _Source(data, list(data.columns))
    if _is_arrow_table(data):
        return _Source(data, list(data.column_names))
    if isinstance(data, Mapping):
        return _Source(dict(data), list(data.keys()))
    if isinstance(data, np.ndarray) and data.dtype.names:
        return _Source({n: data[n] for n in data.dtype.names}, list(data.dtype.names))
    if isinstance(data, list) and not data:
        raise PrefrankError("empty input: the comparison table has no rows")
    raise PrefrankError(
        f"unsupported input of type {type(data).__name__}: pass a DataFrame (pandas or polars), a pyarrow "
        "table, a dict of columns, a list of records, a numpy record array, or a file path"
    )


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
