"""Helpers shared by the agreement statistics: input resolution, undefined-statistic checks, formatting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._compat import _is_pandas
from prefrank.data.coding import code_labels, missing_mask
from prefrank.exceptions import PrefrankError, input_error, parameter_error, rephrased
from prefrank.io import _source, _to_numpy

LAYOUTS = ("raters x units", "units x raters")


MISSING = np.iinfo(np.uint32).max


# --------------------------------------------------------------------------------------------------
# Input coercion


@dataclass(frozen=True)
class CodedRatings:
    """Coded ratings: a raters x units code matrix or a units x categories count matrix."""

    categories: np.ndarray
    codes: np.ndarray | None = None
    counts: np.ndarray | None = None
    raters: np.ndarray | None = None
    units: np.ndarray | None = None

    @property
    def k(self) -> int:
        return len(self.categories)

    @property
    def n_raters(self) -> int | None:
        return None if self.codes is None else int(self.codes.shape[0])

    def numeric(self) -> np.ndarray | None:
        """The categories as floats, or None when they are not all numbers."""
        c = self.categories
        if c.dtype.kind in "iuf":
            return c.astype(np.float64)
        if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in c):
            return np.asarray(c, dtype=np.float64)
        return None

    def unit_counts(self) -> np.ndarray:
        if self.counts is not None:
            return self.counts.astype(np.uint32)
        assert self.codes is not None
        return _core.agreement_unit_counts(self.codes, self.k)


def code_matrix(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code a 2-D value array with missing entries: (uint32 codes with MISSING, sorted labels)."""
    if arr.dtype.kind in "iub":
        f = arr.astype(np.float64)
        codes, labels = _core.agreement_code_f64(np.ascontiguousarray(f))
        return codes, labels.astype(np.int64)
    if arr.dtype.kind == "f":
        return _core.agreement_code_f64(np.ascontiguousarray(arr, dtype=np.float64))
    flat = arr.astype(object).ravel()
    miss = missing_mask(flat)
    assert miss is not None  # an object array can hold missing values
    present = flat[~miss]
    if len(present) and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in present
    ):
        f = np.full(len(flat), np.nan)
        f[~miss] = present.astype(np.float64)
        codes, labels = _core.agreement_code_f64(f.reshape(arr.shape))
        if np.all(np.mod(labels, 1) == 0) and all(isinstance(v, (int, np.integer)) for v in present):
            return codes, labels.astype(np.int64)
        return codes, labels
    out = np.full(len(flat), MISSING, dtype=np.uint32)
    if len(present):
        (c,), labels = code_labels(present, names=["value"])
        out[~miss] = c
    else:
        labels = np.empty(0, dtype=object)
    return out.reshape(arr.shape), labels


def apply_levels(codes: np.ndarray, labels: np.ndarray, levels: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    lv = list(levels)
    if len(set(map(repr, lv))) != len(lv):
        raise parameter_error("levels", "levels= has duplicate entries")
    index = {}
    for i, v in enumerate(lv):
        index[v] = i
    remap = np.empty(len(labels), dtype=np.uint32)
    for c, lab in enumerate(labels.tolist()):
        if lab not in index:
            raise input_error(f"value {lab!r} is not one of levels={lv!r}", value=lab)
        remap[c] = index[lab]
    out = np.full(codes.shape, MISSING, dtype=np.uint32)
    ok = codes != MISSING
    out[ok] = remap[codes[ok]]
    cats = np.empty(len(lv), dtype=object)
    cats[:] = lv
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in lv):
        cats = np.asarray(lv)
    return out.astype(np.uint32), cats


def fast_float(data: Any, layout: str) -> tuple[np.ndarray, bool] | None:
    """A numeric numpy raters x units matrix as contiguous float64 (and whether it was integer),
    for the fused code-and-count kernels; None for every other input."""
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.dtype.kind not in "fiu":
        return None
    if layout not in LAYOUTS or 0 in data.shape:
        return None
    arr = data.T if layout == "units x raters" else data
    return np.ascontiguousarray(arr, dtype=np.float64), data.dtype.kind in "iu"


def long_codes(
    data: Any, unit: Any, rater: Any, value: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Code long-form ratings: (unit codes, units, rater codes, raters, value codes, value labels)."""
    src = _source(data)
    ucol = _to_numpy(src.get(unit, "unit"))
    rcol = _to_numpy(src.get(rater, "rater"))
    vcol = _to_numpy(src.get(value, "value"))
    n = len(ucol)
    if len(rcol) != n or len(vcol) != n:
        raise input_error(f"unit, rater and value columns have different lengths ({n}, {len(rcol)}, {len(vcol)})")
    if n == 0:
        raise input_error("empty input: the ratings table has no rows")
    (uc,), units = code_labels(ucol, names=[_name(unit, "unit")])
    (rc,), raters = code_labels(rcol, names=[_name(rater, "rater")])
    try:
        vcodes, labels = code_matrix(vcol.reshape(1, -1))
    except PrefrankError as e:
        if getattr(e, "kind", None) != "non_finite":
            raise
        # The core names the cell of the one-row matrix; the user's row is that cell's column.
        row = _first_infinite(vcol)
        detail = f"column {_name(value, 'value')!r} value {vcol[row]} is not a finite number"
        raise rephrased(e, detail, row=row, column=_name(value, "value"), value=vcol[row]) from None
    return uc, units, rc, raters, vcodes.ravel(), labels


def _name(spec: Any, role: str) -> str:
    """The column a role names, for messages (the role itself when the values were passed)."""
    return spec if isinstance(spec, str) else role


def _first_infinite(values: np.ndarray) -> int:
    """The row of the first infinite number (an error path: object columns are searched in Python)."""
    if values.dtype.kind == "f":
        return int(np.argmax(np.isinf(values)))
    return next(k for k, v in enumerate(values.tolist()) if isinstance(v, (int, float)) and math.isinf(v))


def counts_input(value_counts: Any, levels: Sequence[Any] | None) -> CodedRatings:
    units = None
    cats: Any = None
    if _is_pandas(value_counts):
        units = np.asarray(value_counts.index, dtype=object)
        cats = list(value_counts.columns)
        arr = value_counts.to_numpy(dtype=np.float64)
    else:
        arr = np.asarray(value_counts, dtype=np.float64)
    if arr.ndim != 2:
        raise input_error(f"value_counts must be a 2-D units x categories matrix, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise input_error("value_counts has no category column")
    if levels is not None:
        if len(levels) != arr.shape[1]:
            raise parameter_error(
                "levels", f"levels= has {len(levels)} entries but value_counts has {arr.shape[1]} columns"
            )
        cats = list(levels)
    if cats is None:
        cats = list(range(arr.shape[1]))
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in cats):
        categories = np.asarray(cats)
    else:
        categories = np.empty(len(cats), dtype=object)
        categories[:] = cats
    # floor() is SIMD in numpy; mod() is several times slower on large tables.
    bad = ~(np.isfinite(arr) & (arr >= 0) & (np.floor(arr) == arr))
    if bad.any():
        r, c = map(int, np.argwhere(bad)[0])
        raise input_error(
            f"value_counts row {r}, column {c}: {arr[r, c]} is not a non-negative whole number", value=float(arr[r, c])
        )
    return CodedRatings(
        categories=categories,
        counts=np.ascontiguousarray(arr),
        units=units if units is not None else np.arange(arr.shape[0]),
    )
