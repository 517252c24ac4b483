"""Reading: files, directories and globs in batches, whole files, and column access over any supported table type.

A *source* is a data file (CSV / TSV, JSON lines or a JSON array, Parquet, Feather / Arrow IPC; text
files also gzip- or zstd-compressed), a directory of such files, or a glob pattern. Files are read in
sorted path order and rows in file order, so results do not depend on the file system's listing
order. Label columns read from a file are text, whatever the file typed them. Streaming needs
pyarrow (``pip install 'prefrank[arrow]'``).
"""

from __future__ import annotations

import glob as _glob
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from prefrank._compat import (
    _is_arrow_array,
    _is_arrow_dataset,
    _is_arrow_table,
    _is_pandas,
    _is_polars,
    _is_polars_lazy,
)
from prefrank._options import _check_batch_rows
from prefrank.exceptions import InputError, PrefrankError, input_error, parameter_error, rephrased

__all__ = ["DEFAULT_BATCH_ROWS", "is_multi_source", "read_table", "scan", "source_files"]


# --------------------------------------------------------------------------------------------------
# File types: the one table of suffixes. A compression suffix may follow a text format's suffix
# (votes.csv.gz); Parquet and Arrow IPC compress inside the file, so a wrapper around them is refused.

_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".feather": "ipc",
    ".arrow": "ipc",
    ".ipc": "ipc",
}


_COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}


_TEXT_FORMATS = ("csv", "tsv", "jsonl", "json")


_EXPECTED = ".csv, .tsv, .jsonl/.ndjson, .json, .parquet or .feather/.arrow/.ipc (text files also .gz or .zst)"


@dataclass(frozen=True)
class _FileType:
    format: str  # a value of _FORMATS
    compression: str | None  # a value of _COMPRESSIONS, for pyarrow's input streams


def _file_type(path: Path) -> _FileType:
    """The format and compression a file's suffixes name; an unknown type is an error naming the file."""
    suffixes = [x.lower() for x in path.suffixes]
    compression = _COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression is not None:
        suffixes.pop()
    fmt = _FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise input_error(f"unknown file type {path.suffix!r}; expected {_EXPECTED}", file=path)
    if compression is not None and fmt not in _TEXT_FORMATS:
        raise input_error(
            f"{fmt} files compress internally; {path.suffix} around them is not supported "
            "(write the file uncompressed)",
            file=path,
        )
    return _FileType(fmt, compression)


def _hidden(relative: Path) -> bool:
    """Bookkeeping files of writers and file systems (_SUCCESS, .DS_Store, _temporary/...): skipped in directories."""
    return any(part.startswith((".", "_")) for part in relative.parts)


def read_table(path: str | os.PathLike[str], *, string_columns: Sequence[str] = ()) -> Any:
    """Read a data file (or a directory or glob of them, concatenated) into a columnar table.

    Uses pyarrow when installed (fast, typed), else the standard library (CSV and JSON, plain or
    gzip) and returns a dict of numpy arrays. ``string_columns`` (label columns) are read as text
    from every file type, so an id like ``007`` stays ``"007"`` and ``7`` in Parquet is the label
    ``"7"``, as in CSV; an empty CSV cell in them is missing. Other columns keep their types (CSV
    numbers become numbers).
    """

    _check_path("path", path)
    if is_multi_source(path):
        # A directory or glob, read whole (the streaming entry points read it in batches instead).
        return read_all(path, string_columns=string_columns)
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    ft = _file_type(p)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return _read_table_stdlib(p, ft, string_columns)
    return _read_file(p, ft, string_columns)


def _read_file(path: Path, ft: _FileType, string_columns: Sequence[str]) -> Any:
    """One file as a pyarrow Table, label columns as text."""
    import pyarrow as pa

    try:
        if ft.format == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        elif ft.format == "ipc":
            table = _ipc_reader(path).read_all()
        elif ft.format == "json" and _is_json_array(path, ft):
            table = _json_array(path, ft)
        elif ft.format in ("json", "jsonl"):
            import pyarrow.json as pj

            table = pj.read_json(_input(path, ft))
        else:
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(_input(path, ft), **_csv_options(ft, string_columns, None, None))
    except (pa.ArrowInvalid, pa.ArrowTypeError, *_DECODE_ERRORS) as e:
        raise _read_error(path, ft, e) from None
    return _labels_as_text(table, string_columns, ft)


def _input(path: Path, ft: _FileType) -> Any:
    """A pyarrow input stream of a text file, decompressed."""
    import pyarrow as pa

    return pa.input_stream(str(path), compression=ft.compression)


def _csv_options(
    ft: _FileType, string_columns: Sequence[str], include: Sequence[str] | None, block: int | None
) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    return {
        "read_options": pcsv.ReadOptions(block_size=block) if block else None,
        "parse_options": pcsv.ParseOptions(delimiter=_delimiter(ft)),
        # Label columns stay strings ("007" must not become 7); empty label cells become nulls in
        # _labels_as_text, so number columns keep pyarrow's null spellings and text columns their "".
        "convert_options": pcsv.ConvertOptions(
            strings_can_be_null=False,
            column_types={c: pa.string() for c in string_columns},
            include_columns=list(include) if include else None,
        ),
    }


def _ipc_reader(path: Path) -> Any:
    """A reader of a Feather / Arrow IPC file (memory-mapped), in the file format or the stream format."""
    import pyarrow as pa

    try:
        return pa.ipc.open_file(pa.memory_map(str(path)))
    except pa.ArrowInvalid:
        return pa.ipc.open_stream(pa.memory_map(str(path)))


def _ipc_batches(reader: Any) -> Iterator[Any]:
    import pyarrow as pa

    if isinstance(reader, pa.ipc.RecordBatchFileReader):
        return (reader.get_batch(k) for k in range(reader.num_record_batches))
    return iter(reader)


def _is_json_array(path: Path, ft: _FileType) -> bool:
    """True when a .json file holds one array (of records) rather than JSON lines."""
    with _input(path, ft) as fh:
        start = fh.read(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"[")


def _json_array(path: Path, ft: _FileType) -> Any:
    """A JSON array of records as a pyarrow Table (parsed whole: an array cannot be read in pieces)."""
    import pyarrow as pa

    with _input(path, ft) as fh:
        records = json.load(fh)
    if not all(isinstance(r, dict) for r in records):
        raise input_error("a JSON array must hold records (objects), one per row", file=path)
    return pa.Table.from_pylist(records)


def _labels_as_text(table: Any, string_columns: Sequence[str], ft: _FileType) -> Any:
    """A Table or RecordBatch with its label columns as text, whatever the file typed them, so
    that 0 in Parquet and "0" in CSV are one label. CSV cannot tell an empty label from a missing
    one: there an empty label cell is missing (null)."""
    names = table.schema.names
    columns = list(table.columns)
    changed = False
    for k, name in enumerate(names):
        if name in string_columns:
            text = _label_text(columns[k], empty_is_missing=ft.format in ("csv", "tsv"))
            changed |= text is not columns[k]
            columns[k] = text
    return type(table).from_arrays(columns, names=names) if changed else table


def _label_text(col: Any, *, empty_is_missing: bool) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_dictionary(t) and _is_text_type(t.value_type):
        return col
    if _is_text_type(t):
        if empty_is_missing and col.null_count < len(col):
            empty = pc.equal(pc.binary_length(col), 0)
            if pc.any(empty).as_py():
                return pc.if_else(empty, pa.scalar(None, t), col)
        return col
    if pa.types.is_floating(t):
        # pandas writes an integer column with a gap as floats: NaN is missing, and whole numbers
        # are the integers they stand for (as code_labels reads whole-number floats).
        col = pc.if_else(pc.is_nan(col), pa.scalar(None, t), col)
        if pc.all(pc.equal(pc.floor(col), col)).as_py() is not False:
            try:
                col = col.cast(pa.int64())
            except pa.ArrowInvalid:  # beyond int64: keep the float text
                pass
    try:
        return col.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return col  # nested values have no text form; label coding names the problem


def _is_text_type(t: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view")


_RAGGED = re.compile(r"Expected (\d+) columns, got (\d+): ?(.*)", re.DOTALL)


# A file that exists but does not decode: a corrupt .gz/.zst stream (OSError from the decompressor), a
# malformed JSON array (json.load), bytes that are not UTF-8. Each is an InputError naming the file.
_DECODE_ERRORS = (OSError, json.JSONDecodeError, UnicodeDecodeError)


def _read_error(path: Path, ft: _FileType, err: Exception) -> InputError:
    """A reader's error as an InputError naming the file and, for a ragged CSV row, the row."""
    m = _RAGGED.search(str(err))
    if m is None or ft.format not in ("csv", "tsv"):
        return input_error(f"cannot read the file: {err}", file=path)
    expected, got, text = int(m[1]), int(m[2]), m[3].strip()
    return input_error(
        f"expected {expected} columns, got {got}: {text}", row=_ragged_row(path, ft, expected), file=path
    )


def _ragged_row(path: Path, ft: _FileType, expected: int) -> int | None:
    """The 0-based data row of the first record whose field count is not ``expected`` (pyarrow's
    error does not say). An error path, so the file is read again here, in Python."""
    import csv
    import io

    with _input(path, ft) as raw:
        records = (
            r
            for r in csv.reader(
                io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=""), delimiter=_delimiter(ft)
            )
            if r
        )
        next(records, None)  # the header
        for row, record in enumerate(records):
            if len(record) != expected:
                return row
    return None


def _delimiter(ft: _FileType) -> str:
    return "\t" if ft.format == "tsv" else ","


def _read_table_stdlib(p: Path, ft: _FileType, string_columns: Sequence[str]) -> dict[str, np.ndarray]:
    import csv
    import gzip

    if ft.format not in _TEXT_FORMATS or ft.compression == "zstd":
        raise ImportError(f"reading {p.name} needs pyarrow: pip install 'prefrank[arrow]'")
    rows: list[dict[str, Any]]
    with (
        gzip.open(p, "rt", encoding="utf-8", newline="") if ft.compression else p.open(encoding="utf-8", newline="")
    ) as fh:
        if ft.format in ("json", "jsonl"):
            text = fh.read()
            if ft.format == "json" and text.lstrip("\ufeff \t\r\n").startswith("["):
                return _records_to_columns(json.loads(text))
            return _records_to_columns([json.loads(line) for line in text.splitlines() if line.strip()])
        rows = list(csv.DictReader(fh, delimiter=_delimiter(ft)))
    cols = _records_to_columns(rows)
    for name, col in cols.items():
        if name in string_columns:
            col[col == ""] = None  # an empty label cell is missing, as with pyarrow
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
        raise input_error(f"expected a 1-D column, got an array of shape {arr.shape}")
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
            raise parameter_error(role, f"{role}={name!r} names a column, but no table was given")
        if name not in self.columns:
            raise input_error(
                f"column {name!r} (for {role}=) not found; available columns: {', '.join(map(str, self.columns))}",
                column=name,
            )
        if self.columns.count(name) > 1:  # a CSV header or a frame with a repeated name: which is meant?
            raise input_error(
                f"column {name!r} (for {role}=) appears {self.columns.count(name)} times in the table; "
                "rename the duplicates",
                column=name,
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
    if _is_polars_lazy(data):
        data = data.collect()
    elif _is_arrow_dataset(data):
        data = data.to_table()
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
        raise input_error("empty input: the comparison table has no rows", kind="empty")
    raise input_error(
        f"unsupported input of type {type(data).__name__}: pass a DataFrame (pandas or polars, eager or "
        "lazy), a pyarrow Table, RecordBatch or Dataset, a dict of columns, a list of records, a numpy "
        "record array, or a file path"
    )


DEFAULT_BATCH_ROWS = 1_000_000


_GLOB_CHARS = re.compile(r"[*?\[]")


def _check_path(param: str, path: Any) -> None:
    """A path is a str or an os.PathLike giving a str (not bytes, None or a list of paths)."""
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise parameter_error(
            param, f"{param}={path!r} is not a path: pass a str or pathlib.Path (a file, directory or glob)"
        )


def is_multi_source(data: Any) -> bool:
    """True for a path that is a directory or a glob pattern (streamed in batches)."""
    if not isinstance(data, (str, os.PathLike)):
        return False
    s = os.fspath(data)
    return bool(_GLOB_CHARS.search(s)) or Path(s).is_dir()


def source_files(source: str | os.PathLike[str]) -> list[Path]:
    """The files of a source: the file itself, a directory's data files (recursively, skipping
    names that start with '.' or '_'), or a glob's matches, sorted by path. Raises when nothing
    matches or a file's type is unknown (naming the file)."""
    _check_path("source", source)
    s = os.fspath(source)
    p = Path(s)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and not _hidden(f.relative_to(p)))
        if not files:
            raise input_error(f"the directory holds no data files ({_EXPECTED})", file=p)
    elif _GLOB_CHARS.search(s):
        files = sorted(Path(f) for f in _glob.glob(s, recursive=True) if Path(f).is_file())
        if not files:
            raise input_error("the pattern matches no files", file=s)
    else:
        if not p.exists():
            raise FileNotFoundError(f"no such file: {p}")
        files = [p]
    for f in files:
        _file_type(f)
    return files


def _file_batches(path: Path, batch_rows: int, columns: Sequence[str] | None, string_columns: Sequence[str]) -> Any:
    """Arrow record batches of one file, each at most ``batch_rows`` rows, label columns as text."""
    import pyarrow as pa

    ft = _file_type(path)
    try:
        for rb in _reader_batches(path, ft, batch_rows, columns, string_columns):
            if columns:
                missing = [c for c in columns if c not in rb.schema.names]
                if missing:
                    raise input_error(
                        f"column {missing[0]!r} not found; available columns: {', '.join(rb.schema.names)}",
                        file=path,
                        column=missing[0],
                    )
                rb = rb.select(list(columns))
            rb = _labels_as_text(rb, string_columns, ft)
            for start in range(0, rb.num_rows, batch_rows):
                yield rb.slice(start, batch_rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, *_DECODE_ERRORS) as e:
        raise _read_error(path, ft, e) from None


def _reader_batches(
    path: Path, ft: _FileType, batch_rows: int, columns: Sequence[str] | None, string_columns: Sequence[str]
) -> Iterator[Any]:
    """The record batches a file's reader gives (of any size; Parquet and CSV read only ``columns``)."""
    if ft.format == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        missing = [c for c in columns or () if c not in pf.schema_arrow.names]
        if missing:
            raise input_error(
                f"column {missing[0]!r} not found; available columns: {', '.join(pf.schema_arrow.names)}",
                file=path,
                column=missing[0],
            )
        return pf.iter_batches(batch_size=batch_rows, columns=list(columns) if columns else None)
    if ft.format == "ipc":
        return _ipc_batches(_ipc_reader(path))
    if ft.format == "json" and _is_json_array(path, ft):
        return iter(_json_array(path, ft).to_batches(max_chunksize=batch_rows))
    # Text formats: a streaming reader that fixes the column types from the first block; label
    # columns are always text ("007" stays "007").
    block = max(1 << 20, min(1 << 26, batch_rows * 64))
    if ft.format in ("json", "jsonl"):
        import pyarrow.json as pj

        if hasattr(pj, "open_json"):
            return iter(pj.open_json(_input(path, ft), read_options=pj.ReadOptions(block_size=block)))
        return iter(pj.read_json(_input(path, ft)).to_batches())  # pyarrow < 19: no streaming JSON reader
    import pyarrow.csv as pcsv

    try:
        return iter(pcsv.open_csv(_input(path, ft), **_csv_options(ft, string_columns, columns, block)))
    except KeyError:  # a column of include_columns is not in the file
        names = pcsv.open_csv(_input(path, ft), **_csv_options(ft, (), None, block)).schema.names
        bad = next(c for c in columns or () if c not in names)
        raise input_error(
            f"column {bad!r} not found; available columns: {', '.join(names)}", file=path, column=bad
        ) from None


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
    restricts the columns read; ``string_columns`` are read from CSV as text. ``batch_rows`` is
    checked when ``scan`` is called, not at the first batch.
    """
    return _scan(source, _check_batch_rows(batch_rows), columns, string_columns)


def _scan(
    source: str | os.PathLike[str], batch_rows: int, columns: Sequence[str] | None, string_columns: Sequence[str]
) -> Iterator[tuple[Path, int, Any]]:
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


_E = TypeVar("_E", bound=PrefrankError)


def located(err: _E, path: Path, first_row: int) -> _E:
    """The same error (its class and fields) with its batch-relative row made file-relative and the
    file named: ``"{path}: row {row + first_row}: {detail}"``.

    An error built in Python keeps its ``.detail``; one from the core has a ``.row`` and a message
    that starts ``"row {row}: "``, which is the prefix taken off. An error with no row is
    ``"{path}: {message}"``.
    """
    row = getattr(err, "row", None)
    detail = getattr(err, "detail", None)
    if row is not None and detail is None:
        prefix, msg = f"row {row}: ", str(err)
        detail = msg[len(prefix) :] if msg.startswith(prefix) else None
    if row is not None and detail is not None:
        return rephrased(err, detail, row=row + first_row, file=path)
    out = rephrased(err, str(err) if detail is None else detail, row=None, file=path)
    if row is not None:  # a row the message does not start with: the field is made file-relative
        out.row = row + first_row  # type: ignore[attr-defined]
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
