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

import json
import math
import os
import struct
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.exceptions import PrefrankError

__all__ = [
    "OUTCOME_VOCABULARY",
    "Comparisons",
    "PairCounts",
    "code_labels",
    "comparisons",
    "read_table",
]

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
# Columns


def _is_pandas(obj: Any) -> bool:
    return type(obj).__module__.startswith("pandas") and hasattr(obj, "columns")


def _is_polars(obj: Any) -> bool:
    return type(obj).__module__.startswith("polars") and hasattr(obj, "columns")


def _is_arrow_table(obj: Any) -> bool:
    return type(obj).__module__.startswith("pyarrow") and hasattr(obj, "column_names")


def _is_arrow_array(obj: Any) -> bool:
    return type(obj).__module__.startswith("pyarrow") and hasattr(obj, "type") and hasattr(obj, "to_numpy")


def read_table(path: str | os.PathLike[str], *, string_columns: Sequence[str] = ()) -> Any:
    """Read a CSV, TSV, JSONL or Parquet file (or a directory or glob of them, concatenated) into a
    columnar table.

    Uses pyarrow when installed (fast, typed), else the standard library (CSV and JSONL only) and
    returns a dict of numpy arrays. ``string_columns`` (label columns) are read from CSV as text, so
    an id like ``007`` stays ``"007"``; other CSV columns are typed (numbers become numbers).
    """
    from prefrank.stream import is_multi_source, read_all

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
        from prefrank.stream import is_multi_source, read_all

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


# --------------------------------------------------------------------------------------------------
# Label coding


def _arrow_dictionary(col: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Dictionary-encode an arrow string column: (indices with -1 for null, dictionary values)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - arrow objects imply pyarrow
        return None
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if str(arr.type) == "string_view":
        arr = arr.cast(pa.large_string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_dictionary(arr.type)):
        return None
    enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    if enc.indices.null_count:
        idx = np.where(enc.indices.is_valid().to_numpy(zero_copy_only=False), idx, -1)
    dictionary = _to_numpy(enc.dictionary)
    return idx.astype(np.int64, copy=False), dictionary


def _as_arrow(col: Any) -> Any:
    """The column as a pyarrow array when it is Arrow-backed (pyarrow, polars, pandas Arrow strings)."""
    mod = type(col).__module__
    if mod.startswith("polars"):
        return col.to_arrow()
    if _is_arrow_array(col):
        return col
    if (
        mod.startswith("pandas")
        and str(getattr(col, "dtype", "")) in ("str", "string")
        and "pyarrow" in repr(getattr(col.dtype, "storage", ""))
    ):
        import pyarrow as pa

        return pa.array(col)
    return None


def _arrow_utf8_type(arr: Any) -> bool:
    import pyarrow as pa

    t = arr.type
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view")


def _arrow_utf8(col: Any, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(int64 offsets, uint8 data) views of an Arrow string column, or None for other columns."""
    arr = _as_arrow(col)
    if arr is None:
        return None
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if str(arr.type) == "string_view":
        arr = arr.cast(pa.large_string())
    if pa.types.is_string(arr.type):
        width = np.int32
    elif pa.types.is_large_string(arr.type):
        width = np.int64
    else:
        return None
    if arr.null_count:
        row = int(np.argmax(arr.is_null().to_numpy(zero_copy_only=False)))
        raise PrefrankError(f"row {row}: column {name!r} is missing a label (null)")
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return offsets, data


def _dictionary(col: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(indices, dictionary) for dictionary-like columns (arrow, polars, pandas categorical), else None."""
    mod = type(col).__module__
    if mod.startswith("polars"):
        return _arrow_dictionary(col.to_arrow())
    if _is_arrow_array(col):
        return _arrow_dictionary(col)
    if mod.startswith("pandas"):
        dtype = str(getattr(col, "dtype", ""))
        if dtype == "category":
            codes = np.asarray(col.cat.codes, dtype=np.int64)
            return codes, _to_numpy(np.asarray(col.cat.categories))
        if dtype in ("str", "string") and "pyarrow" in repr(getattr(col.dtype, "storage", "")):
            # Arrow-backed strings (pandas' default from 3.0): dictionary-encode in Arrow.
            import pyarrow as pa

            return _arrow_dictionary(pa.array(col))
    return None


def _missing_mask(arr: np.ndarray) -> np.ndarray | None:
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind == "O":
        return np.fromiter((v is None or (isinstance(v, float) and math.isnan(v)) for v in arr), bool, len(arr))
    return None


def _raise_missing(arr: np.ndarray, name: str) -> None:
    mask = _missing_mask(arr)
    if mask is not None and mask.any():
        row = int(np.flatnonzero(mask)[0])
        raise PrefrankError(f"row {row}: column {name!r} is missing a label ({_lab(arr[row])!r})")


def _lab(x: Any) -> Any:
    """A label as a plain Python value (for messages: 'gpt-4', 7, not np.int64(7))."""
    return x.item() if isinstance(x, np.generic) else x


def _sort_key(x: Any) -> tuple[str, Any]:
    return (type(x).__name__, x)


def _code_generic(arrays: list[np.ndarray], names: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """Slow path for mixed-type labels: a Python dictionary (not used for str or int columns)."""
    for arr, name in zip(arrays, names):
        _raise_missing(arr, name)
    uniq: dict[Hashable, None] = {}
    for arr in arrays:
        for v in arr.tolist():
            uniq.setdefault(v, None)
    try:
        labels = sorted(uniq, key=_sort_key)
    except TypeError as e:
        raise PrefrankError(f"labels cannot be ordered: {e}") from None
    index = {v: i for i, v in enumerate(labels)}
    codes = [np.fromiter((index[v] for v in arr.tolist()), np.uint32, len(arr)) for arr in arrays]
    out = np.empty(len(labels), dtype=object)
    out[:] = labels
    return codes, out


def _code_numpy(arrays: list[np.ndarray], names: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    kinds = {a.dtype.kind for a in arrays}
    if kinds <= {"U"}:
        views = [
            np.ascontiguousarray(a).view(np.uint32).reshape(len(a), a.dtype.itemsize // 4)
            if a.dtype.itemsize
            else np.zeros((len(a), 0), np.uint32)
            for a in arrays
        ]
        codes, labels = _core.code_ucs4(views)
        out = np.empty(len(labels), dtype=object)
        out[:] = labels
        return codes, out
    if kinds <= {"S"}:
        return _code_numpy([a.astype(str) for a in arrays], names)
    if kinds <= {"i", "u", "b"}:
        for a, name in zip(arrays, names):
            if a.dtype.kind == "u" and a.dtype.itemsize == 8 and len(a) and a.max() > np.iinfo(np.int64).max:
                row = int(np.argmax(a > np.iinfo(np.int64).max))
                raise PrefrankError(f"row {row}: column {name!r} label {a[row]} does not fit in int64")
        cols = [np.require(a, dtype=np.int64, requirements=["C", "A"]) for a in arrays]
        int_codes, int_labels = _core.code_i64(cols)
        return list(int_codes), int_labels
    if kinds <= {"f"}:
        for a, name in zip(arrays, names):
            _raise_missing(a, name)
        if all(np.all(np.mod(a, 1) == 0) for a in arrays):
            # Whole-number floats (a CSV column of ids read as float) code as integers.
            return _code_numpy([a.astype(np.int64) for a in arrays], names)
        return _code_generic(arrays, names)
    if kinds <= {"O", "U"}:
        objs = [a if a.dtype.kind == "O" else a.astype(object) for a in arrays]
        try:
            codes, labels = _core.code_str_objects(objs)
        except TypeError as e:
            col: int | None = getattr(e, "column", None)
            bad_row: int | None = getattr(e, "row", None)
            if col is not None and bad_row is not None:
                v = objs[col][bad_row]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    raise PrefrankError(f"row {bad_row}: column {names[col]!r} is missing a label ({v!r})") from None
            return _code_generic(objs, names)
        out = np.empty(len(labels), dtype=object)
        out[:] = labels
        return codes, out
    return _code_generic([a.astype(object) for a in arrays], names)


def code_labels(*columns: Any, names: Sequence[str] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Code one or more label columns with one shared label table.

    Returns ``(codes, labels)``: one ``uint32`` code array per column and the sorted labels, so that
    ``labels[codes[k][r]]`` is the label in row ``r`` of column ``k``. Strings and integers are coded
    in Rust; Arrow and polars string columns are dictionary-encoded first.
    """
    names = list(names) if names is not None else [f"column {i}" for i in range(len(columns))]
    utf8 = [_arrow_utf8(col, name) for col, name in zip(columns, names)]
    if all(u is not None for u in utf8):
        # Arrow strings (pyarrow, polars, pandas' default str dtype): hash the buffers in Rust, in parallel.
        cols = [u for u in utf8 if u is not None]
        if all(o.dtype == np.int32 for o, _ in cols):
            utf8_codes, utf8_labels = _core.code_utf8_32(cols)
        else:
            utf8_codes, utf8_labels = _core.code_utf8([(o.astype(np.int64, copy=False), d) for o, d in cols])
        arr = np.empty(len(utf8_labels), dtype=object)
        arr[:] = utf8_labels
        return list(utf8_codes), arr
    dicts = [_dictionary(col) for col in columns]
    if any(d is not None for d in dicts):
        # Code the small dictionaries, then expand with a vectorised gather.
        parts: list[np.ndarray] = []
        for col, d in zip(columns, dicts):
            parts.append(d[1] if d is not None else _to_numpy(col))
        part_codes, labels = _code_numpy(parts, names)
        out: list[np.ndarray] = []
        for d, pc, name in zip(dicts, part_codes, names):
            if d is None:
                out.append(pc)
                continue
            idx = d[0]
            if len(idx) and idx.min() < 0:
                row = int(np.argmax(idx < 0))
                raise PrefrankError(f"row {row}: column {name!r} is missing a label (null)")
            out.append(pc[idx] if len(pc) else np.zeros(len(idx), np.uint32))
        return out, labels
    arrays = [_to_numpy(c) for c in columns]
    return _code_numpy(arrays, names)


def _code_few(
    values: Any, name: str, utf8: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, labels)`` of one column that usually holds few distinct values (outcomes,
    positions): ``uint8`` codes straight from Arrow strings when they fit, else :func:`code_labels`.
    ``utf8`` is the column's Arrow buffers when the caller already has them."""
    if utf8 is None:
        utf8 = _arrow_utf8(values, name)
    if utf8 is not None:
        few = _core.code_utf8_few(*utf8)
        if few is not None:
            labels = np.empty(len(few[1]), dtype=object)
            labels[:] = few[1]
            return few[0], labels
    (codes,), labels = code_labels(values, names=[name])
    return codes, labels


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
                raise PrefrankError(
                    f"row {row}: outcome {_lab(arr[row])!r} in column {name!r} is not a finite number"
                ) from None
            raise PrefrankError(
                f"row {row}: outcome {_lab(arr[row])!r} in column {name!r} is not a probability in [0, 1] "
                "(numeric outcomes are 1 = a wins, 0 = b wins, 0.5 = tie, or a probability that a wins)"
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
            raise PrefrankError(
                f"row {row}: outcome {_lab(u)!r} in column {name!r} is not one of {accepted} "
                "(map other values with outcomes={...})"
            )
        if isinstance(target, str):
            t = target.strip().lower()
            if t not in _USER_TARGETS:
                raise PrefrankError(f"outcomes mapping: {u!r} -> {target!r}; targets are 'a', 'b', 'tie' or a number")
            target = _USER_TARGETS[t]
        elif isinstance(target, (int, float)) and not isinstance(target, tuple):
            tf = float(target)
            if not 0.0 <= tf <= 1.0:
                raise PrefrankError(f"outcomes mapping: {u!r} -> {target!r} is not in [0, 1]")
            target = (tf, tf == 0.5)
        p_u[k], tie_u[k] = target[0], target[1]
    p, tie = _core.outcomes_from_codes(codes, p_u, tie_u)
    if (pos_u >= 0).any():
        positional = pos_u[codes]
        rows = positional >= 0
        if first is None:
            row = int(np.argmax(rows))
            raise PrefrankError(
                f"row {row}: outcome {_lab(uniques[codes[row]])!r} names a position; pass position= (the column "
                "telling which item was shown first) or map it with outcomes={'left': 'a', 'right': 'b'}"
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
        raise PrefrankError(
            f"row {row}: position {_lab(uniq[codes[row]])!r} in column {name!r} is neither item a "
            f"({_lab(items[a_labels[row]])!r}) nor item b ({_lab(items[b_labels[row]])!r})"
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
        core = _core.PairCounts.from_comparisons(
            self.n_items, self.a, self.b, self.p, self.tie, self.weight, None, dense
        )
        return PairCounts(core, self.items)

    def subset(self, mask: np.ndarray) -> Comparisons:
        """Rows where ``mask`` is true (labels and codes unchanged)."""
        mask = np.asarray(mask, bool)
        if mask.shape != self.a.shape:
            raise PrefrankError(f"mask has {mask.size} rows, the table has {len(self)}")

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


def union_labels(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Sorted union of two sorted label tables (codes follow sorted labels), and the code map of
    each side onto it (None where a side's codes are unchanged). Merging any statistic goes through
    this, so after any merge tree codes are the sorted order of all labels.

    Tables of only strings or only integers (numpy ``U``/integer arrays, or object arrays holding
    exactly ``str`` or exactly ``int``) are merged with numpy; other tables (mixed types, floats,
    bytes, bools, ``str`` subclasses) go through :func:`_union_labels_generic`, which orders them
    by :func:`_sort_key`. Both give the same labels, dtype and code maps."""
    if len(x) == len(y) and np.array_equal(x, y):
        return x, None, None
    fast = _union_labels_numpy(x, y)
    return fast if fast is not None else _union_labels_generic(x, y)


def _union_labels_generic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """:func:`union_labels` for any hashable labels: a Python sort by :func:`_sort_key`."""
    lx, ly = x.tolist(), y.tolist()
    union = sorted(set(lx) | set(ly), key=_sort_key)
    labels = np.empty(len(union), dtype=x.dtype if x.dtype == y.dtype else object)
    labels[:] = union
    index = {v: k for k, v in enumerate(union)}
    mx = np.fromiter((index[v] for v in lx), np.uint32, len(lx))
    my = np.fromiter((index[v] for v in ly), np.uint32, len(ly))
    return labels, (None if len(union) == len(lx) else mx), (None if len(union) == len(ly) else my)


def _label_family(a: np.ndarray) -> str | None:
    """'str' or 'int' for a table of only those (exact types, so the order is the one
    :func:`_sort_key` gives: code points, numeric value), 'empty', or None (anything else)."""
    if len(a) == 0:
        return "empty"
    kind = a.dtype.kind
    if kind == "U":
        return "str"
    if kind in "iu":
        return "int"
    if kind == "O":
        types = set(map(type, a))
        if types == {str}:
            return "str"
        if types == {int}:
            return "int"
    return None


def _union_labels_numpy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None:
    """:func:`union_labels` for homogeneous str or int tables, or None to fall back.

    A stable sort of the two concatenated tables (two sorted runs: timsort merges them in linear
    time), a mask of first occurrences, and the inverse permutation as the code maps. numpy compares
    ``U`` strings by code point and Python ints (object arrays) by value, as ``_sort_key`` does;
    a ``U`` array cannot hold a trailing NUL, and ``tolist()`` (the generic path) strips it too."""
    fx, fy = _label_family(x), _label_family(y)
    if fx is None or fy is None:
        return None
    if "empty" not in (fx, fy) and fx != fy:
        return None
    sides = [a for a in (x, y) if len(a)]  # an empty side adds no labels (nor its dtype)
    if not sides:
        return None
    if any(a.dtype.kind == "O" for a in sides) or np.result_type(*sides).kind not in "iuU":
        # U with object-of-str, numpy ints with object-of-int, or int64 with uint64: compare as
        # Python objects (exact, and what the generic path compares).
        sides = [a.astype(object) for a in sides]
    both = np.concatenate(sides) if len(sides) > 1 else sides[0]
    order = np.argsort(both, kind="stable")
    ordered = both[order]
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(len(ordered), dtype=np.uint32)
    inverse[order] = np.cumsum(first, dtype=np.int64) - 1
    union = ordered[first]
    if x.dtype != y.dtype and union.dtype != object:
        union = union.astype(object)  # Python str / int elements, as the generic path stores
    n = len(union)
    return union, (None if n == len(x) else inverse[: len(x)]), (None if n == len(y) else inverse[len(x) :])


class PairCounts:
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

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        # Pickle (Dask ships statistics between processes) through the portable bytes format.
        return (PairCounts.from_bytes, (self.to_bytes(),))

    def to_bytes(self) -> bytes:
        """Serialise with the labels (labels must be str or int)."""
        labels = json.dumps(self.items.tolist()).encode()
        return b"PFPL" + struct.pack("<Q", len(labels)) + labels + self._core.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, *, dense: bool | None = None) -> PairCounts:
        """Inverse of :meth:`to_bytes`."""
        if len(data) < 12 or data[:4] != b"PFPL":
            raise PrefrankError("not a serialised prefrank PairCounts (bad header)")
        (n,) = struct.unpack("<Q", data[4:12])
        try:
            labels = json.loads(data[12 : 12 + n])
        except ValueError as e:
            raise PrefrankError(f"corrupt serialised PairCounts labels: {e}") from None
        items = np.empty(len(labels), dtype=object)
        items[:] = labels
        if items.size and all(isinstance(v, int) for v in labels):
            items = np.asarray(labels, dtype=np.int64)
        core = _core.PairCounts.from_bytes(data[12 + n :], dense)
        if core.n_items != len(items):
            raise PrefrankError(f"corrupt serialised PairCounts: {len(items)} labels for {core.n_items} items")
        return cls(core, items)

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
    shown first. ``weight`` must be finite and non-negative. A self-comparison is an error unless
    ``drop_self=True``, which drops such rows (counted in ``dropped_self``).
    """
    if isinstance(data, Comparisons):
        return data
    for role, v in (("a", a), ("b", b), ("outcome", outcome)):
        if v is None:
            raise PrefrankError(f"missing {role}=: name the column (or pass the values) for {role}")
    src = _source(data, [a, b, group, judge, position])
    col_a, col_b = src.get(a, "a"), src.get(b, "b")
    name_a = a if isinstance(a, str) else "a"
    name_b = b if isinstance(b, str) else "b"
    name_o = outcome if isinstance(outcome, str) else "outcome"
    n_rows = _length(col_a)
    for role, col in (("b", col_b),):
        if _length(col) != n_rows:
            raise PrefrankError(f"length mismatch: a has {n_rows} rows but {role} has {_length(col)}")
    col_o = src.get(outcome, "outcome")
    if _length(col_o) != n_rows:
        raise PrefrankError(f"length mismatch: a has {n_rows} rows but outcome has {_length(col_o)}")
    if n_rows == 0:
        raise PrefrankError("empty input: the comparison table has no rows")
    (ca, cb), items = code_labels(col_a, col_b, names=[str(name_a), str(name_b)])

    first = None
    if position is not None:
        col_p = src.get(position, "position")
        if _length(col_p) != n_rows:
            raise PrefrankError(f"length mismatch: a has {n_rows} rows but position has {_length(col_p)}")
        first = _decode_position(col_p, str(position) if isinstance(position, str) else "position", ca, cb, items)
    p, tie = _decode_outcome(col_o, name=str(name_o), mapping=outcomes, first=first)

    w = None
    if weight is not None:
        col_w = src.get(weight, "weight")
        if _length(col_w) != n_rows:
            raise PrefrankError(f"length mismatch: a has {n_rows} rows but weight has {_length(col_w)}")
        w_arr = _to_numpy(col_w)
        if w_arr.dtype.kind not in "biuf":
            try:
                w_arr = w_arr.astype(np.float64)
            except (TypeError, ValueError):
                raise PrefrankError(f"column {weight!r} (weight) is not numeric") from None
        w = np.ascontiguousarray(w_arr, dtype=np.float64)

    def code_optional(spec: Any, role: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        if spec is None:
            return None, None
        col = src.get(spec, role)
        if _length(col) != n_rows:
            raise PrefrankError(f"length mismatch: a has {n_rows} rows but {role} has {_length(col)}")
        (codes,), labels = code_labels(col, names=[str(spec) if isinstance(spec, str) else role])
        return codes, labels

    g, groups = code_optional(group, "group")
    j, judges = code_optional(judge, "judge")

    try:
        keep = _core.validate_comparisons(len(items), ca, cb, p, tie, w, drop_self)
    except PrefrankError as e:
        if getattr(e, "kind", None) == "self_comparison":
            row = e.row  # type: ignore[attr-defined]
            raise PrefrankError(
                f"row {row}: item {_lab(items[ca[row]])!r} is compared with itself "
                "(pass drop_self=True to drop such rows)"
            ) from None
        raise
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
    if keep is not None:
        dropped = int(len(keep) - keep.sum())
        table = table.subset(keep)
        object.__setattr__(table, "dropped_self", dropped)
        if len(table) == 0:
            raise PrefrankError("empty input: every row was a self-comparison")
    return table


def _int_pair_counts(a: Any, b: Any, outcome: Any) -> PairCounts | None:
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
        raise PrefrankError(f"expected a column (array, list or Series), got {type(col).__name__}") from None


def as_comparisons(data: Any, **kwargs: Any) -> Comparisons:
    """Shared entry used by every comparison function: a Comparisons or anything `comparisons` takes."""
    if isinstance(data, Comparisons):
        extra = {k: v for k, v in kwargs.items() if v is not None and k not in {"drop_self", "outcomes"}}
        if extra:
            raise PrefrankError(f"data is already a Comparisons table; do not pass column options ({', '.join(extra)})")
        return data
    return comparisons(data, **kwargs)
