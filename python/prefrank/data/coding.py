"""Label coding: labels to dense integer codes in sorted label order, and the union of two label tables."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._compat import _is_arrow_array
from prefrank.exceptions import InputError, PrefrankError, input_error, parameter_error
from prefrank.io import _to_numpy

__all__ = ["as_floats", "code_labels"]


def as_floats(values: Any, name: str) -> np.ndarray:
    """``values`` (any array-like) as a contiguous float64 array, or an ``InputError`` naming
    ``name`` and the first entry that is not a number (numpy's own TypeError/ValueError name
    neither).

    >>> as_floats([1, 2.5], "metric")
    array([1. , 2.5])
    >>> try:
    ...     as_floats([1, "x"], "metric")
    ... except ValueError as e:
    ...     print(e.column, "|", e)
    metric | metric: entry 1 is 'x', not a number
    """
    try:
        # Columns (Series, Arrow, polars) through io's one conversion; arrays and nested lists as
        # they are (they may be 2-D).
        plain = isinstance(values, (np.ndarray, list, tuple)) or np.ndim(values) != 1
        return np.ascontiguousarray(np.asarray(values if plain else _to_numpy(values), dtype=np.float64))
    except PrefrankError:
        raise
    except (TypeError, ValueError):
        pass
    try:
        flat = np.asarray(values, dtype=object)
    except (TypeError, ValueError):
        flat = np.empty(0, object)
    if flat.ndim == 0:
        raise input_error(f"{name} must be an array of numbers, got {type(values).__name__}", column=name)
    for i, v in enumerate(flat.reshape(-1)):
        try:
            float(v)
        except (TypeError, ValueError):
            raise input_error(f"{name}: entry {i} is {v!r}, not a number", column=name, value=v) from None
    raise input_error(f"{name} must be an array of numbers, got {type(values).__name__}", column=name)


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
    if enc.dictionary.null_count:
        # A null among the dictionary values: re-encode, so that every missing label is a null index.
        enc = pc.dictionary_encode(enc.dictionary_decode())
    idx = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    if enc.indices.null_count:
        idx = np.where(enc.indices.is_valid().to_numpy(zero_copy_only=False), idx, -1)
    return idx, _to_numpy(enc.dictionary)


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
        raise missing_label(int(np.argmax(arr.is_null().to_numpy(zero_copy_only=False))), name)
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


# --------------------------------------------------------------------------------------------------
# The missing-value policy: None, NaN, pd.NA, NaT and Arrow null are missing, never a label.

_NULL = object()  # an Arrow / categorical null, which has no Python value to show


def missing_label(row: int, name: str, value: Any = _NULL) -> InputError:
    """The one error for a missing label, naming the row, the column and what was there."""
    shown = "null" if value is _NULL else repr(_lab(value))
    return input_error(
        f"column {name!r} is missing a label ({shown})", row=row, column=name, value=None if value is _NULL else value
    )


def missing_mask(arr: np.ndarray) -> np.ndarray | None:
    """Where a numpy column holds a missing value (None for dtypes that cannot hold one)."""
    kind = arr.dtype.kind
    if kind == "f":
        return np.isnan(arr)
    if kind in "mM":
        return np.isnat(arr)
    if kind == "O":
        import pandas as pd  # a dependency; isna is one C pass that knows None, NaN, pd.NA and NaT

        return np.asarray(pd.isna(arr), dtype=bool)
    return None


def _raise_missing(arr: np.ndarray, name: str) -> None:
    mask = missing_mask(arr)
    if mask is not None and mask.any():
        row = int(np.argmax(mask))
        raise missing_label(row, name, arr[row])


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
        raise input_error(f"labels cannot be ordered: {e}") from None
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
                raise input_error(
                    f"column {name!r} label {a[row]} does not fit in int64", row=row, column=name, value=a[row]
                )
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
        except TypeError:
            # Not all str: a missing value is an error, anything else takes the mixed-type path.
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
                raise missing_label(int(np.argmax(idx < 0)), name)
            out.append(pc[idx] if len(pc) else np.zeros(len(idx), np.uint32))
        return _drop_unused(out, labels)
    arrays = [_to_numpy(c) for c in columns]
    return _code_numpy(arrays, names)


def _drop_unused(codes: list[np.ndarray], labels: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Keep only the labels some row uses: a dictionary (a categorical's categories) may hold values
    that never occur, and those are not items. Labels stay sorted, so codes stay in sorted order."""
    used = np.zeros(len(labels), bool)
    for c in codes:
        used[c] = True
    if used.all():
        return codes, labels
    remap = (np.cumsum(used) - 1).astype(np.uint32)
    return [remap[c] for c in codes], labels[used]


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


def plain_value(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x


def label_index(items: np.ndarray, label: Any) -> int:
    hits = (
        np.flatnonzero(items == label)
        if items.dtype != object
        else [k for k, v in enumerate(items.tolist()) if v == label]
    )
    if len(hits) == 0:
        raise parameter_error("anchor", f"anchor item {label!r} is not among the items")
    return int(hits[0])


def run_lengths(offsets: np.ndarray) -> np.ndarray:
    """Lengths of the runs delimited by ``offsets``."""
    out: np.ndarray = np.diff(np.asarray(offsets, dtype=np.int64))
    return out
