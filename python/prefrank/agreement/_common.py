"""Helpers shared by the agreement statistics: input resolution, undefined-statistic checks, formatting."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from prefrank._compat import _is_arrow_table, _is_pandas, _is_polars
from prefrank.data.ratings import LAYOUTS, MISSING, CodedRatings, apply_levels, code_matrix, counts_input, long_codes
from prefrank.exceptions import PrefrankError, UndefinedStatisticWarning, input_error, parameter_error
from prefrank.io import is_multi_source
from prefrank.stats import RatingsStats, accumulate_ratings

REASONS: dict[str, str] = {
    "no_ratings": "there are no ratings (empty or all missing)",
    "no_pairable_units": "no unit has two or more ratings, so no pair of values can be compared",
    "one_rater": "there is only one rater, so no pair of values can be compared",
    "no_variation": "all pairable values are in one category, so chance agreement is total (0/0)",
}


_LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _resolve(name: str, value: float, reason: str | None, undefined: Any) -> float:
    if reason is None:
        return value
    why = REASONS.get(reason, reason)
    if undefined == "warn":
        warnings.warn(
            UndefinedStatisticWarning(f"{name} is undefined: {why} (reason={reason!r}); returning NaN"),
            stacklevel=4,
        )
        return math.nan
    if undefined == "nan":
        return math.nan
    if undefined == "raise":
        raise PrefrankError(f"{name} is undefined: {why} (reason={reason!r})")
    if isinstance(undefined, (int, float)) and not isinstance(undefined, bool):
        return float(undefined)
    raise parameter_error("undefined", f"undefined={undefined!r} is not one of 'warn', 'nan', 'raise' or a number")


def _check_undefined(undefined: Any) -> None:
    if undefined in ("warn", "nan", "raise"):
        return
    if isinstance(undefined, (int, float)) and not isinstance(undefined, bool):
        return
    raise parameter_error("undefined", f"undefined={undefined!r} is not one of 'warn', 'nan', 'raise' or a number")


def _fmt(x: float) -> str:
    return "nan" if x != x else f"{x:.6g}"


def _series(values: np.ndarray, index: np.ndarray, name: str) -> Any:
    import pandas as pd

    return pd.Series(values, index=pd.Index(index), name=name)


def _ratings(
    data: Any,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    allow_counts: bool = True,
) -> CodedRatings:
    if value_counts is not None:
        if not allow_counts:
            raise parameter_error(
                "value_counts", "value_counts= is not accepted here: pass the ratings (raters x units or long form)"
            )
        if data is not None or unit is not None:
            raise parameter_error("value_counts", "pass either ratings or value_counts=, not both")
        return counts_input(value_counts, levels)

    if isinstance(data, RatingsStats):
        if value_counts is not None:
            raise parameter_error("value_counts", "pass either ratings or value_counts=, not both")
        return _long_input(data, None, None, None, levels)
    long = [x is not None for x in (unit, rater, value)]
    if all(long) and is_multi_source(data):
        return _long_input(accumulate_ratings(data, unit=unit, rater=rater, value=value), None, None, None, levels)
    if any(long):
        if not all(long):
            raise parameter_error(
                ("unit", "rater", "value")[long.index(False)],
                "long-form ratings need all three of unit=, rater= and value=",
            )
        return _long_input(data, unit, rater, value, levels)
    if data is None:
        raise input_error(
            "no ratings given: pass a raters x units array, long form with unit=/rater=/value=, or value_counts="
        )
    if layout not in LAYOUTS:
        raise parameter_error("layout", f"layout={layout!r} is not one of {LAYOUTS}")
    raters = units = None
    if _is_pandas(data):
        arr = data.to_numpy(dtype=object) if any(dt.kind not in "iuf" for dt in data.dtypes) else data.to_numpy()
        idx, cols = np.asarray(data.index, dtype=object), np.asarray(data.columns, dtype=object)
        raters, units = (idx, cols) if layout == "raters x units" else (cols, idx)
    elif _is_polars(data):
        arr = data.to_numpy()
        cols = np.asarray(data.columns, dtype=object)
        if layout == "units x raters":
            raters = cols
        else:
            units = cols
    elif (
        isinstance(data, (str, Mapping))
        or _is_arrow_table(data)
        or hasattr(data, "__fspath__")
        or (isinstance(data, list) and data and isinstance(data[0], Mapping))
    ):
        raise input_error(
            "a table of ratings is ambiguous without column names: pass unit=, rater= and value= "
            "(long form, one row per rating) or a 2-D raters x units array"
        )
    else:
        try:
            arr = np.asarray(data)
        except ValueError:
            raise input_error(
                "ratings rows have different lengths: pass a rectangular raters x units "
                "array with NaN/None for missing ratings"
            ) from None
    if arr.ndim != 2:
        raise input_error(
            f"ratings must be a 2-D raters x units array (got {arr.ndim}-D, shape {arr.shape}); for one "
            "rating per row pass long form with unit=, rater=, value="
        )
    if layout == "units x raters":
        arr = arr.T
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise input_error(f"empty input: the ratings matrix has shape {arr.shape}")
    codes, labels = code_matrix(arr)
    if levels is not None:
        codes, labels = apply_levels(codes, labels, levels)
    if raters is None:
        raters = np.arange(arr.shape[0])
    if units is None:
        units = np.arange(arr.shape[1])
    return CodedRatings(categories=labels, codes=np.ascontiguousarray(codes), raters=raters, units=units)


def _long_input(data: Any, unit: Any, rater: Any, value: Any, levels: Sequence[Any] | None) -> CodedRatings:

    if isinstance(data, RatingsStats):
        uc, units, rc, raters, vcodes, labels = data.unit, data.units, data.rater, data.raters, data.value, data.values
        with_rows = False
    else:
        uc, units, rc, raters, vcodes, labels = long_codes(data, unit, rater, value)
        with_rows = True
    if levels is not None:
        vcodes, labels = apply_levels(vcodes, labels, levels)
    nr, nu = len(raters), len(units)
    flat = rc.astype(np.int64) * nu + uc.astype(np.int64)
    order = np.argsort(flat, kind="stable")
    dup = np.flatnonzero(flat[order][1:] == flat[order][:-1])
    if len(dup):
        row = int(order[dup[0] + 1])
        raise input_error(
            f"rater {raters[rc[row]]!r} rated unit {units[uc[row]]!r} more than once (one rating per rater and unit)",
            row=row if with_rows else None,
        )
    codes = np.full(nr * nu, MISSING, dtype=np.uint32)
    codes[flat] = vcodes
    return CodedRatings(categories=labels, codes=codes.reshape(nr, nu), raters=raters, units=units)
