"""Agreement and disagreement statistics: Krippendorff's alpha, kappas, per-item and model-vs-model
disagreement, soft-label scores.

**Ratings.** Every rater-agreement function takes ratings in one of three forms:

* a 2-D **raters x units** array (rows are raters, columns are units; ``NaN`` / ``None`` = missing),
  exactly as the ``krippendorff`` package takes ``reliability_data``. Pass ``layout="units x raters"``
  for the transpose (a pandas DataFrame with one column per rater, for example);
* **long form**: a table (DataFrame, dict of columns, records, CSV/JSONL path) with ``unit=``,
  ``rater=`` and ``value=`` column names, one row per rating;
* ``value_counts=``: a **units x categories** matrix of how many raters chose each value
  (Krippendorff's alpha and the multi-rater coefficients only).

Anything else (a 1-D array, a table without ``unit=``/``rater=``/``value=``, a 3-D array) is
rejected with a message saying what to pass. Values may be strings or numbers; they are coded with
:func:`prefrank.data.code_labels` order (sorted), or in the order given by ``levels=``, which also
fixes the value domain (categories nobody used still count for Gwet's AC and Brennan-Prediger).

**Undefined statistics.** When a statistic is 0/0 or has no data (all ratings in one category, no
unit with two ratings, one rater, everything missing), the result's ``value`` is NaN, its
``reason`` says why (``"no_ratings"``, ``"no_pairable_units"``, ``"one_rater"``, ``"no_variation"``)
and an :class:`~prefrank.exceptions.UndefinedStatisticWarning` is raised. ``undefined="nan"``
silences the warning, ``undefined="raise"`` raises :class:`~prefrank.exceptions.PrefrankError`, and a
number (``undefined=1.0`` as NLTK, ``undefined=0.0`` as evalica) is returned instead of NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.data import _is_arrow_table, _is_pandas, _is_polars, _source, _to_numpy, code_labels
from prefrank.exceptions import PrefrankError, UndefinedStatisticWarning

__all__ = [
    "AgreementResult",
    "AlphaResult",
    "CoincidenceMatrix",
    "ItemDisagreement",
    "ModelDisagreement",
    "RaterMatrix",
    "SoftLabelScores",
    "brennan_prediger",
    "cohen_kappa",
    "coincidence",
    "fleiss_kappa",
    "gwet_ac",
    "item_disagreement",
    "krippendorff_alpha",
    "model_disagreement",
    "percent_agreement",
    "rater_agreement",
    "scott_pi",
    "soft_label_scores",
]

MISSING = np.iinfo(np.uint32).max

REASONS: dict[str, str] = {
    "no_ratings": "there are no ratings (empty or all missing)",
    "no_pairable_units": "no unit has two or more ratings, so no pair of values can be compared",
    "one_rater": "there is only one rater, so no pair of values can be compared",
    "no_variation": "all pairable values are in one category, so chance agreement is total (0/0)",
}

_LEVELS = ("nominal", "ordinal", "interval", "ratio")
_LAYOUTS = ("raters x units", "units x raters")


# --------------------------------------------------------------------------------------------------
# Input coercion


@dataclass(frozen=True)
class _Ratings:
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


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (float, np.floating)) and math.isnan(v):
        return True
    return type(v).__name__ in ("NAType", "NaTType")


def _code_matrix(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code a 2-D value array with missing entries: (uint32 codes with MISSING, sorted labels)."""
    if arr.dtype.kind in "iub":
        f = arr.astype(np.float64)
        codes, labels = _core.agreement_code_f64(np.ascontiguousarray(f))
        return codes, labels.astype(np.int64)
    if arr.dtype.kind == "f":
        return _core.agreement_code_f64(np.ascontiguousarray(arr, dtype=np.float64))
    flat = arr.astype(object).ravel()
    miss = np.fromiter((_is_missing(v) for v in flat), bool, len(flat))
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


def _apply_levels(codes: np.ndarray, labels: np.ndarray, levels: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    lv = list(levels)
    if len(set(map(repr, lv))) != len(lv):
        raise PrefrankError("levels= has duplicate entries")
    index = {}
    for i, v in enumerate(lv):
        index[v] = i
    remap = np.empty(len(labels), dtype=np.uint32)
    for c, lab in enumerate(labels.tolist()):
        if lab not in index:
            raise PrefrankError(f"value {lab!r} is not one of levels={lv!r}")
        remap[c] = index[lab]
    out = np.full(codes.shape, MISSING, dtype=np.uint32)
    ok = codes != MISSING
    out[ok] = remap[codes[ok]]
    cats = np.empty(len(lv), dtype=object)
    cats[:] = lv
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in lv):
        cats = np.asarray(lv)
    return out.astype(np.uint32), cats


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
) -> _Ratings:
    if value_counts is not None:
        if not allow_counts:
            raise PrefrankError("value_counts= is not accepted here: pass the ratings (raters x units or long form)")
        if data is not None or unit is not None:
            raise PrefrankError("pass either ratings or value_counts=, not both")
        return _counts_input(value_counts, levels)
    from prefrank.stats import RatingsStats
    from prefrank.stream import is_multi_source

    if isinstance(data, RatingsStats):
        if value_counts is not None:
            raise PrefrankError("pass either ratings or value_counts=, not both")
        return _long_input(data, None, None, None, levels)
    long = [x is not None for x in (unit, rater, value)]
    if all(long) and is_multi_source(data):
        from prefrank.stream import accumulate_ratings

        return _long_input(accumulate_ratings(data, unit=unit, rater=rater, value=value), None, None, None, levels)
    if any(long):
        if not all(long):
            raise PrefrankError("long-form ratings need all three of unit=, rater= and value=")
        return _long_input(data, unit, rater, value, levels)
    if data is None:
        raise PrefrankError(
            "no ratings given: pass a raters x units array, long form with unit=/rater=/value=, or value_counts="
        )
    if layout not in _LAYOUTS:
        raise PrefrankError(f"layout={layout!r} is not one of {_LAYOUTS}")
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
        raise PrefrankError(
            "a table of ratings is ambiguous without column names: pass unit=, rater= and value= "
            "(long form, one row per rating) or a 2-D raters x units array"
        )
    else:
        try:
            arr = np.asarray(data)
        except ValueError:
            raise PrefrankError(
                "ratings rows have different lengths: pass a rectangular raters x units "
                "array with NaN/None for missing ratings"
            ) from None
    if arr.ndim != 2:
        raise PrefrankError(
            f"ratings must be a 2-D raters x units array (got {arr.ndim}-D, shape {arr.shape}); for one "
            "rating per row pass long form with unit=, rater=, value="
        )
    if layout == "units x raters":
        arr = arr.T
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise PrefrankError(f"empty input: the ratings matrix has shape {arr.shape}")
    codes, labels = _code_matrix(arr)
    if levels is not None:
        codes, labels = _apply_levels(codes, labels, levels)
    if raters is None:
        raters = np.arange(arr.shape[0])
    if units is None:
        units = np.arange(arr.shape[1])
    return _Ratings(categories=labels, codes=np.ascontiguousarray(codes), raters=raters, units=units)


def _fast_float(data: Any, layout: str) -> tuple[np.ndarray, bool] | None:
    """A numeric numpy raters x units matrix as contiguous float64 (and whether it was integer),
    for the fused code-and-count kernels; None for every other input."""
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.dtype.kind not in "fiu":
        return None
    if layout not in _LAYOUTS or 0 in data.shape:
        return None
    arr = data.T if layout == "units x raters" else data
    return np.ascontiguousarray(arr, dtype=np.float64), data.dtype.kind in "iu"


def _long_codes(
    data: Any, unit: Any, rater: Any, value: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Code long-form ratings: (unit codes, units, rater codes, raters, value codes, value labels)."""
    src = _source(data)
    ucol = _to_numpy(src.get(unit, "unit"))
    rcol = _to_numpy(src.get(rater, "rater"))
    vcol = _to_numpy(src.get(value, "value"))
    n = len(ucol)
    if len(rcol) != n or len(vcol) != n:
        raise PrefrankError(f"unit, rater and value columns have different lengths ({n}, {len(rcol)}, {len(vcol)})")
    if n == 0:
        raise PrefrankError("empty input: the ratings table has no rows")
    (uc,), units = code_labels(ucol, names=["unit"])
    (rc,), raters = code_labels(rcol, names=["rater"])
    vcodes, labels = _code_matrix(vcol.reshape(1, -1))
    return uc, units, rc, raters, vcodes.ravel(), labels


def _long_input(data: Any, unit: Any, rater: Any, value: Any, levels: Sequence[Any] | None) -> _Ratings:
    from prefrank.stats import RatingsStats

    if isinstance(data, RatingsStats):
        uc, units, rc, raters, vcodes, labels = data.unit, data.units, data.rater, data.raters, data.value, data.values
        with_rows = False
    else:
        uc, units, rc, raters, vcodes, labels = _long_codes(data, unit, rater, value)
        with_rows = True
    if levels is not None:
        vcodes, labels = _apply_levels(vcodes, labels, levels)
    nr, nu = len(raters), len(units)
    flat = rc.astype(np.int64) * nu + uc.astype(np.int64)
    order = np.argsort(flat, kind="stable")
    dup = np.flatnonzero(flat[order][1:] == flat[order][:-1])
    if len(dup):
        row = int(order[dup[0] + 1])
        where = f"row {row}: " if with_rows else ""
        raise PrefrankError(
            f"{where}rater {raters[rc[row]]!r} rated unit {units[uc[row]]!r} more than once "
            "(one rating per rater and unit)"
        )
    codes = np.full(nr * nu, MISSING, dtype=np.uint32)
    codes[flat] = vcodes
    return _Ratings(categories=labels, codes=codes.reshape(nr, nu), raters=raters, units=units)


def _counts_input(value_counts: Any, levels: Sequence[Any] | None) -> _Ratings:
    units = None
    cats: Any = None
    if _is_pandas(value_counts):
        units = np.asarray(value_counts.index, dtype=object)
        cats = list(value_counts.columns)
        arr = value_counts.to_numpy(dtype=np.float64)
    else:
        arr = np.asarray(value_counts, dtype=np.float64)
    if arr.ndim != 2:
        raise PrefrankError(f"value_counts must be a 2-D units x categories matrix, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise PrefrankError("value_counts has no category column")
    if levels is not None:
        if len(levels) != arr.shape[1]:
            raise PrefrankError(f"levels= has {len(levels)} entries but value_counts has {arr.shape[1]} columns")
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
        raise PrefrankError(f"value_counts row {r}, column {c}: {arr[r, c]} is not a non-negative whole number")
    return _Ratings(
        categories=categories,
        counts=np.ascontiguousarray(arr),
        units=units if units is not None else np.arange(arr.shape[0]),
    )


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
    raise PrefrankError(f"undefined={undefined!r} is not one of 'warn', 'nan', 'raise' or a number")


def _check_undefined(undefined: Any) -> None:
    if undefined in ("warn", "nan", "raise"):
        return
    if isinstance(undefined, (int, float)) and not isinstance(undefined, bool):
        return
    raise PrefrankError(f"undefined={undefined!r} is not one of 'warn', 'nan', 'raise' or a number")


def _fmt(x: float) -> str:
    return "nan" if x != x else f"{x:.6g}"


def _series(values: np.ndarray, index: np.ndarray, name: str) -> Any:
    import pandas as pd

    return pd.Series(values, index=pd.Index(index), name=name)


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha


class CoincidenceMatrix:
    """Krippendorff's coincidence matrix: the mergeable sufficient statistic of alpha.

    Build one per chunk of units with :func:`coincidence`, ``merge`` them (same categories), ship them
    with ``to_bytes``/``from_bytes``, and finish with ``alpha(level=...)``.
    """

    def __init__(self, core: Any, categories: np.ndarray) -> None:
        self._core = core
        self.categories = categories

    def merge(self, other: CoincidenceMatrix) -> CoincidenceMatrix:
        if len(self.categories) != len(other.categories) or any(
            a != b for a, b in zip(self.categories.tolist(), other.categories.tolist(), strict=False)
        ):
            raise PrefrankError(
                "cannot merge coincidence matrices over different categories; pass the same levels= to both"
            )
        return CoincidenceMatrix(self._core.merge(other._core), self.categories)

    def to_bytes(self) -> bytes:
        return self._core.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, categories: Sequence[Any]) -> CoincidenceMatrix:
        core = _core.Coincidence.from_bytes(data)
        cats = np.asarray(list(categories))
        if core.n_categories != len(cats):
            raise PrefrankError(f"the bytes hold {core.n_categories} categories but {len(cats)} were given")
        return cls(core, cats)

    @property
    def matrix(self) -> np.ndarray:
        return self._core.matrix()

    def to_pandas(self) -> Any:
        import pandas as pd

        idx = pd.Index(self.categories)
        return pd.DataFrame(self.matrix, index=idx, columns=idx)

    def alpha(
        self,
        *,
        level: str = "nominal",
        distance: Any = None,
        undefined: Any = "warn",
    ) -> AlphaResult:
        """Krippendorff's alpha of this statistic (see :func:`krippendorff_alpha`)."""
        return _alpha_from(self, level=level, distance=distance, undefined=undefined)

    def __repr__(self) -> str:
        u, _, p, v, _ = self._core.counts()
        return f"CoincidenceMatrix(categories={len(self.categories)}, units={u}, pairable_units={p}, values={v})"


def coincidence(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
) -> CoincidenceMatrix:
    """The coincidence matrix of some ratings (inputs as :func:`krippendorff_alpha`)."""
    r = _ratings(data, unit=unit, rater=rater, value=value, value_counts=value_counts, levels=levels, layout=layout)
    return _coincidence(r)


def _coincidence(r: _Ratings) -> CoincidenceMatrix:
    if r.counts is not None:
        core = _core.Coincidence.from_counts(r.counts)
    else:
        assert r.codes is not None
        core = _core.Coincidence.from_codes(r.codes, r.k)
    return CoincidenceMatrix(core, r.categories)


def _metric_args(level: str, categories: np.ndarray, distance: Any) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    if distance is not None:
        d = np.ascontiguousarray(np.asarray(distance, dtype=np.float64))
        k = len(categories)
        if d.shape != (k, k):
            raise PrefrankError(f"distance must be a {k} x {k} matrix over the categories, got shape {d.shape}")
        return "custom", None, d
    if level not in _LEVELS:
        raise PrefrankError(f"level={level!r} is not one of {', '.join(_LEVELS)} (or pass distance=)")
    if level in ("interval", "ratio"):
        num = _Ratings(categories=categories).numeric()
        if num is None:
            raise PrefrankError(
                f"the {level} metric needs numeric values, but the categories are {list(categories)[:5]!r}; "
                "use level='nominal' or 'ordinal', or pass distance="
            )
        return level, np.ascontiguousarray(num), None
    return level, None, None


@dataclass(frozen=True, repr=False)
class AlphaResult:
    """Krippendorff's alpha with its parts and (optionally) a bootstrap interval."""

    value: float
    level: str
    reason: str | None
    d_o: float
    d_e: float
    n_pairable_values: float
    n_units: int
    n_pairable_units: int
    categories: np.ndarray
    coincidence: np.ndarray
    ci_level: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    bootstrap_method: str | None = None
    bootstrap: np.ndarray | None = field(default=None)

    def ci(self, level: float | None = None) -> tuple[float, float]:
        """Percentile bootstrap interval (needs ``bootstrap=`` rounds)."""
        if self.bootstrap is None:
            raise PrefrankError("no bootstrap samples: call krippendorff_alpha(..., bootstrap=1000)")
        lv = self.ci_level if level is None else level
        assert lv is not None
        s = self.bootstrap[np.isfinite(self.bootstrap)]
        if len(s) == 0:
            return (math.nan, math.nan)
        lo, hi = np.quantile(s, [(1 - lv) / 2, 1 - (1 - lv) / 2])
        return (float(lo), float(hi))

    def prob_below(self, threshold: float) -> float:
        """Share of bootstrap samples below ``threshold`` (Krippendorff's q for a minimum alpha)."""
        if self.bootstrap is None:
            raise PrefrankError("no bootstrap samples: call krippendorff_alpha(..., bootstrap=1000)")
        s = self.bootstrap[np.isfinite(self.bootstrap)]
        return float(np.mean(s < threshold)) if len(s) else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.value,
            "level": self.level,
            "reason": self.reason,
            "d_o": self.d_o,
            "d_e": self.d_e,
            "n_pairable_values": self.n_pairable_values,
            "n_units": self.n_units,
            "n_pairable_units": self.n_pairable_units,
            "ci_level": self.ci_level,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "bootstrap_method": self.bootstrap_method,
        }

    def to_pandas(self) -> Any:
        """The coincidence matrix as a DataFrame keyed by category labels."""
        import pandas as pd

        idx = pd.Index(self.categories)
        return pd.DataFrame(self.coincidence, index=idx, columns=idx)

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        s = f"AlphaResult(alpha={_fmt(self.value)}, level={self.level!r}"
        if self.ci_low is not None:
            s += f", ci{round(100 * (self.ci_level or 0))}=[{_fmt(self.ci_low)}, {_fmt(self.ci_high or 0)}]"
        s += f", units={self.n_units}, pairable_units={self.n_pairable_units}"
        s += f", categories={len(self.categories)}"
        if self.reason:
            s += f", reason={self.reason!r}"
        return s + ")"


def _alpha_from(
    co: CoincidenceMatrix,
    *,
    level: str,
    distance: Any,
    undefined: Any,
    one_rater: bool = False,
    boot: tuple[str, int, int, float, int | None, np.ndarray | None] | None = None,
) -> AlphaResult:
    _check_undefined(undefined)
    lvl, values, dist = _metric_args(level, co.categories, distance)
    a, d_o, d_e, n, reason = co._core.alpha(lvl, values, dist)
    if reason == "no_pairable_units" and one_rater:
        reason = "one_rater"
    value = _resolve("Krippendorff's alpha", a, reason, undefined)
    u, _, p, _, _ = co._core.counts()
    kw: dict[str, Any] = {}
    if boot is not None:
        method, rounds, seed, ci, draws, counts = boot
        if method == "units":
            assert counts is not None
            samples = _core.alpha_units_bootstrap(counts, lvl, rounds, seed, values, dist)
        else:
            samples = co._core.bootstrap(lvl, rounds, seed, values, dist, draws)
        fin = samples[np.isfinite(samples)]
        lo, hi = np.quantile(fin, [(1 - ci) / 2, 1 - (1 - ci) / 2]) if len(fin) else (math.nan, math.nan)
        kw = {
            "ci_level": ci,
            "ci_low": float(lo),
            "ci_high": float(hi),
            "bootstrap_method": method,
            "bootstrap": samples,
        }
    return AlphaResult(
        value=value,
        level=level if distance is None else "custom",
        reason=reason,
        d_o=d_o,
        d_e=d_e,
        n_pairable_values=n,
        n_units=int(u),
        n_pairable_units=int(p),
        categories=co.categories,
        coincidence=co.matrix,
        **kw,
    )


def krippendorff_alpha(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    level: str = "nominal",
    distance: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    bootstrap: int = 0,
    method: str = "units",
    ci: float = 0.95,
    seed: int = 0,
    draws: int | None = None,
    undefined: Any = "warn",
) -> AlphaResult:
    """Krippendorff's alpha from the coincidence matrix.

    Args:
        data: raters x units array (NaN/None missing), or a table for long form.
        unit, rater, value: long-form column names (all three together).
        value_counts: units x categories counts instead of ratings (as the ``krippendorff`` package).
        level: ``"nominal"`` (default), ``"ordinal"`` (over the sorted or ``levels=`` order),
            ``"interval"`` or ``"ratio"`` (numeric categories).
        distance: a k x k matrix of *squared* distances between the categories (overrides ``level``).
        levels: the ordered value domain (also fixes the categories of ``value_counts`` columns).
        layout: ``"raters x units"`` (default) or ``"units x raters"``.
        bootstrap: number of bootstrap rounds (0 = none).
        method: ``"units"`` (resample units, default) or ``"krippendorff"`` (resample pairable value
            pairs from the coincidences, Krippendorff's algorithm; ``draws`` pairs per round,
            default the number of value pairs within units).
        ci: interval level; seed: RNG seed (results identical for any thread count).
        undefined: ``"warn"`` (NaN + warning, default), ``"nan"``, ``"raise"`` or a number.

    Returns:
        :class:`AlphaResult` (``.value``, ``.reason``, ``.ci()``, ``.to_pandas()`` coincidences).
    """
    if bootstrap < 0:
        raise PrefrankError(f"bootstrap={bootstrap} must be >= 0")
    if method not in ("units", "krippendorff"):
        raise PrefrankError(f"method={method!r} is not one of 'units', 'krippendorff'")
    if not 0 < ci < 1:
        raise PrefrankError(f"ci={ci} must be in (0, 1)")
    if seed < 0:
        raise PrefrankError(f"seed={seed} must be >= 0")
    plain = value_counts is None and unit is None and rater is None and value is None and levels is None
    fast = _fast_float(data, layout) if plain and not (bootstrap and method == "units") else None
    if fast is not None:
        core, labels = _core.Coincidence.from_f64(fast[0])
        cats = labels.astype(np.int64) if fast[1] else labels
        fast_boot = (method, int(bootstrap), int(seed), float(ci), draws, None) if bootstrap else None
        return _alpha_from(
            CoincidenceMatrix(core, cats),
            level=level,
            distance=distance,
            undefined=undefined,
            one_rater=fast[0].shape[0] == 1,
            boot=fast_boot,
        )
    r = _ratings(data, unit=unit, rater=rater, value=value, value_counts=value_counts, levels=levels, layout=layout)
    co = _coincidence(r)
    boot = None
    if bootstrap:
        counts = r.unit_counts() if method == "units" else None
        boot = (method, int(bootstrap), int(seed), float(ci), draws, counts)
    return _alpha_from(co, level=level, distance=distance, undefined=undefined, one_rater=r.n_raters == 1, boot=boot)


# --------------------------------------------------------------------------------------------------
# Kappa family


@dataclass(frozen=True, repr=False)
class RaterMatrix:
    """A two-rater coefficient for every pair of raters (symmetric, keyed by rater labels)."""

    statistic: str
    weights: str | None
    values: np.ndarray
    n_units: np.ndarray
    raters: np.ndarray

    def to_pandas(self) -> Any:
        import pandas as pd

        idx = pd.Index(self.raters)
        return pd.DataFrame(self.values, index=idx, columns=idx)

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "weights": self.weights,
            "raters": self.raters.tolist(),
            "values": self.values.tolist(),
            "n_units": self.n_units.tolist(),
        }

    def __repr__(self) -> str:
        off = self.values[~np.eye(len(self.raters), dtype=bool)]
        mean = float(np.nanmean(off)) if off.size and np.isfinite(off).any() else math.nan
        return f"RaterMatrix(statistic={self.statistic!r}, raters={len(self.raters)}, mean_off_diagonal={_fmt(mean)})"


@dataclass(frozen=True, repr=False)
class AgreementResult:
    """A chance-corrected agreement coefficient with its observed and chance agreement."""

    statistic: str
    value: float
    p_o: float
    p_e: float
    n_units: float
    weights: str | None
    reason: str | None
    n_raters: int | None
    matrix: RaterMatrix | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "value": self.value,
            "p_o": self.p_o,
            "p_e": self.p_e,
            "n_units": self.n_units,
            "weights": self.weights,
            "reason": self.reason,
            "n_raters": self.n_raters,
        }

    def to_pandas(self) -> Any:
        import pandas as pd

        if self.matrix is not None:
            return self.matrix.to_pandas()
        return pd.Series(self.to_dict(), name=self.statistic)

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        s = f"AgreementResult({self.statistic}={_fmt(self.value)}, p_o={_fmt(self.p_o)}, p_e={_fmt(self.p_e)}"
        s += f", units={_fmt(self.n_units)}"
        if self.weights:
            s += f", weights={self.weights!r}"
        if self.reason:
            s += f", reason={self.reason!r}"
        return s + ")"


_NAMES = {
    "cohen": "Cohen's kappa",
    "scott": "Scott's pi",
    "fleiss": "Fleiss' kappa",
    "gwet": "Gwet's AC",
    "brennan_prediger": "Brennan-Prediger kappa",
    "percent": "percent agreement",
}


def _weights(weights: Any, k: int) -> tuple[str | None, np.ndarray | None, str | None]:
    if weights is None:
        return None, None, None
    if isinstance(weights, str):
        if weights not in ("linear", "quadratic"):
            raise PrefrankError(f"weights={weights!r} is not one of None, 'linear', 'quadratic' or a matrix")
        return weights, None, weights
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64))
    if w.shape != (k, k):
        raise PrefrankError(f"weights must be a {k} x {k} matrix of agreement weights, got shape {w.shape}")
    return None, w, "custom"


def rater_agreement(
    data: Any = None,
    *,
    statistic: str = "cohen",
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    weights: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
) -> RaterMatrix:
    """Rater-by-rater matrix of a two-rater coefficient (``"cohen"``, ``"scott"``, ``"gwet"``,
    ``"brennan_prediger"``, ``"percent"``) over the units both raters rated. Pairs with nothing to
    compare hold NaN."""
    r = _ratings(data, unit=unit, rater=rater, value=value, levels=levels, layout=layout, allow_counts=False)
    return _rater_matrix(r, statistic, weights)


def _rater_matrix(r: _Ratings, statistic: str, weights: Any) -> RaterMatrix:
    if statistic not in _NAMES:
        raise PrefrankError(f"statistic={statistic!r} is not one of {', '.join(_NAMES)}")
    assert r.codes is not None and r.raters is not None
    wk, wm, wname = _weights(weights, r.k)
    stat = "scott" if statistic == "fleiss" else statistic
    vals, n = _core.agreement_rater_matrix(stat, r.k, r.codes, wk, wm)
    return RaterMatrix(statistic=statistic, weights=wname, values=vals, n_units=n, raters=r.raters)


def _pairwise(
    statistic: str,
    data: Any,
    unit: Any,
    rater: Any,
    value: Any,
    weights: Any,
    levels: Sequence[Any] | None,
    layout: str,
    undefined: Any,
) -> AgreementResult:
    _check_undefined(undefined)
    r = _ratings(data, unit=unit, rater=rater, value=value, levels=levels, layout=layout, allow_counts=False)
    assert r.codes is not None
    wk, wm, wname = _weights(weights, r.k)
    name = _NAMES[statistic]
    if r.codes.shape[0] == 1:
        value_ = _resolve(name, math.nan, "one_rater", undefined)
        return AgreementResult(statistic, value_, math.nan, math.nan, 0.0, wname, "one_rater", 1)
    if r.codes.shape[0] == 2:
        v, po, pe, n, reason = _core.agreement_pair(statistic, r.k, r.codes[0], r.codes[1], wk, wm)
        return AgreementResult(statistic, _resolve(name, v, reason, undefined), po, pe, n, wname, reason, 2)
    m = _rater_matrix(r, statistic, weights)
    off = m.values[~np.eye(len(m.raters), dtype=bool)]
    fin = off[np.isfinite(off)]
    reason = None if len(fin) else "no_pairable_units"
    v = float(np.mean(fin)) if len(fin) else math.nan
    return AgreementResult(
        statistic,
        _resolve(name, v, reason, undefined),
        math.nan,
        math.nan,
        float(np.sum(m.n_units[np.triu_indices(len(m.raters), 1)])),
        wname,
        reason,
        len(m.raters),
        matrix=m,
    )


def cohen_kappa(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    weights: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    undefined: Any = "warn",
) -> AgreementResult:
    """Cohen's kappa over the units both raters rated.

    ``weights``: None (unweighted), ``"linear"`` (``1 - |i-j|/(q-1)``), ``"quadratic"``, or a q x q
    matrix of agreement weights, over the category order (sorted or ``levels=``). Matches
    ``sklearn.metrics.cohen_kappa_score(y1, y2, weights=...)`` when both raters use the same categories.
    With more than two raters, ``value`` is the mean of the pairwise kappas (Light's kappa) and
    ``matrix`` holds the rater-by-rater table.
    """
    return _pairwise("cohen", data, unit, rater, value, weights, levels, layout, undefined)


def scott_pi(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    weights: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    undefined: Any = "warn",
) -> AgreementResult:
    """Scott's pi (chance agreement from the pooled category shares of both raters). With more than
    two raters, ``value`` is the mean pairwise pi and ``matrix`` the rater-by-rater table; Fleiss' kappa
    (:func:`fleiss_kappa`) is the multi-rater generalisation."""
    return _pairwise("scott", data, unit, rater, value, weights, levels, layout, undefined)


def _multi(
    statistic: str,
    data: Any,
    unit: Any,
    rater: Any,
    value: Any,
    value_counts: Any,
    weights: Any,
    levels: Sequence[Any] | None,
    layout: str,
    undefined: Any,
) -> AgreementResult:
    _check_undefined(undefined)
    plain = value_counts is None and unit is None and rater is None and value is None and levels is None
    fast = _fast_float(data, layout) if plain and (weights is None or isinstance(weights, str)) else None
    if fast is not None:
        wk0, _, wname0 = _weights(weights, 0)
        v, po, pe, n, reason, _ = _core.agreement_multi_f64(statistic, fast[0], wk0, None)
        nr = int(fast[0].shape[0])
        if reason == "no_pairable_units" and nr == 1:
            reason = "one_rater"
        return AgreementResult(
            statistic, _resolve(_NAMES[statistic], v, reason, undefined), po, pe, n, wname0, reason, nr
        )
    r = _ratings(data, unit=unit, rater=rater, value=value, value_counts=value_counts, levels=levels, layout=layout)
    wk, wm, wname = _weights(weights, r.k)
    if r.counts is not None:
        v, po, pe, n, reason = _core.agreement_multi(statistic, r.k, None, r.counts, wk, wm)
    else:
        v, po, pe, n, reason = _core.agreement_multi(statistic, r.k, r.codes, None, wk, wm)
        if reason == "no_pairable_units" and r.n_raters == 1:
            reason = "one_rater"
    return AgreementResult(
        statistic, _resolve(_NAMES[statistic], v, reason, undefined), po, pe, n, wname, reason, r.n_raters
    )


def fleiss_kappa(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    weights: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    undefined: Any = "warn",
) -> AgreementResult:
    """Fleiss' kappa for any number of raters, missing ratings allowed (Gwet 2014 formulation:
    observed agreement over units with two or more ratings, category shares averaged over rated
    units). With a complete table it equals ``statsmodels.stats.inter_rater.fleiss_kappa(table)``.
    ``value_counts=`` takes the units x categories table directly."""
    return _multi("fleiss", data, unit, rater, value, value_counts, weights, levels, layout, undefined)


def gwet_ac(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    weights: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    undefined: Any = "warn",
) -> AgreementResult:
    """Gwet's AC1 (``weights=None``) or AC2 (weighted) for any number of raters (Gwet 2014).
    Chance agreement is ``T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k)`` over the q categories of the
    value domain (pass ``levels=`` to include categories nobody used)."""
    return _multi("gwet", data, unit, rater, value, value_counts, weights, levels, layout, undefined)


def brennan_prediger(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    weights: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    undefined: Any = "warn",
) -> AgreementResult:
    """Brennan-Prediger coefficient (chance agreement ``T_w / q^2``; ``1/q`` unweighted)."""
    return _multi("brennan_prediger", data, unit, rater, value, value_counts, weights, levels, layout, undefined)


def percent_agreement(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    weights: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    undefined: Any = "warn",
) -> AgreementResult:
    """Observed agreement: the share of agreeing rater pairs within units, averaged over units with two
    or more ratings (weighted with ``weights``)."""
    return _multi("percent", data, unit, rater, value, value_counts, weights, levels, layout, undefined)


# --------------------------------------------------------------------------------------------------
# Per-item statistics


@dataclass(frozen=True, repr=False)
class ItemDisagreement:
    """Per-unit label statistics, keyed by unit label."""

    units: np.ndarray
    categories: np.ndarray
    n: np.ndarray
    majority: np.ndarray
    share: np.ndarray
    entropy: np.ndarray
    entropy_norm: np.ndarray
    distinct: np.ndarray
    split: np.ndarray

    def majority_labels(self) -> np.ndarray:
        out = np.empty(len(self.majority), dtype=object)
        ok = self.majority != MISSING
        out[:] = None
        if len(self.categories):
            out[ok] = self.categories[self.majority[ok]]
        return out

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            {
                "n": self.n,
                "majority": self.majority_labels(),
                "share": self.share,
                "entropy": self.entropy,
                "entropy_norm": self.entropy_norm,
                "distinct": self.distinct,
                "split": self.split,
            },
            index=pd.Index(self.units, name="unit"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.units.tolist(),
            "n": self.n.tolist(),
            "majority": self.majority_labels().tolist(),
            "share": self.share.tolist(),
            "entropy": self.entropy.tolist(),
            "entropy_norm": self.entropy_norm.tolist(),
            "distinct": self.distinct.tolist(),
            "split": self.split.tolist(),
        }

    def __len__(self) -> int:
        return len(self.units)

    def __repr__(self) -> str:
        rated = self.n > 0
        mean_h = float(np.mean(self.entropy_norm[rated])) if rated.any() else math.nan
        return (
            f"ItemDisagreement(units={len(self.units)}, rated={int(rated.sum())}, "
            f"split={int(self.split.sum())}, mean_entropy_norm={_fmt(mean_h)})"
        )


def item_disagreement(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
) -> ItemDisagreement:
    """Per-unit statistics in bulk: number of ratings, majority label (lowest in category order on a
    tie) and its share, vote entropy in nats and normalised by ``ln(q)``, number of distinct labels,
    and a split-vote flag (the top count is shared by two or more labels). Unrated units have
    ``n = 0``, no majority and NaN shares."""
    r = _ratings(data, unit=unit, rater=rater, value=value, value_counts=value_counts, levels=levels, layout=layout)
    counts = np.ascontiguousarray(r.unit_counts())
    n, maj, share, ent, entn, distinct, split = _core.agreement_item_stats(counts)
    assert r.units is not None
    return ItemDisagreement(r.units, r.categories, n, maj, share, ent, entn, distinct, split)


# --------------------------------------------------------------------------------------------------
# Model-vs-model disagreement


@dataclass(frozen=True, repr=False)
class ModelDisagreement:
    """Model-vs-model disagreement matrices keyed by model name."""

    models: np.ndarray
    rate: np.ndarray
    n_items: np.ndarray | None = None
    total_variation: np.ndarray | None = None
    jensen_shannon: np.ndarray | None = None
    target_rate: np.ndarray | None = None
    line: dict[str, float] | None = None

    def to_pandas(self, which: str = "rate") -> Any:
        """One matrix as a DataFrame (``"rate"``, ``"total_variation"``, ``"jensen_shannon"``,
        ``"target_rate"``), or ``"pairs"`` for the long table of model pairs."""
        import pandas as pd

        idx = pd.Index(self.models)
        if which == "pairs":
            i, j = np.triu_indices(len(self.models), 1)
            cols: dict[str, Any] = {
                "model_a": self.models[i],
                "model_b": self.models[j],
                "rate": self.rate[i, j],
            }
            for name in ("total_variation", "jensen_shannon", "target_rate"):
                m = getattr(self, name)
                if m is not None:
                    cols[name] = m[i, j]
            return pd.DataFrame(cols)
        m = getattr(self, which, None)
        if m is None:
            raise PrefrankError(f"no {which!r} matrix in this result")
        return pd.DataFrame(m, index=idx, columns=idx)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"models": self.models.tolist(), "rate": self.rate.tolist()}
        for name in ("total_variation", "jensen_shannon", "target_rate"):
            m = getattr(self, name)
            if m is not None:
                d[name] = m.tolist()
        if self.line is not None:
            d["line"] = self.line
        return d

    def __repr__(self) -> str:
        n = len(self.models)
        off = self.rate[~np.eye(n, dtype=bool)]
        mean = float(np.nanmean(off)) if off.size and np.isfinite(off).any() else math.nan
        s = f"ModelDisagreement(models={n}, mean_rate={_fmt(mean)}"
        if self.line is not None:
            s += f", line=(slope={_fmt(self.line['slope'])}, intercept={_fmt(self.line['intercept'])})"
        return s + ")"


def _model_matrix(predictions: Any, models: Sequence[Any] | None) -> tuple[np.ndarray, np.ndarray]:
    names = None
    if _is_pandas(predictions) or _is_polars(predictions):
        names = np.asarray(list(predictions.columns), dtype=object)
        arr = np.column_stack([_to_numpy(predictions[c]) for c in predictions.columns]).T
    elif isinstance(predictions, Mapping):
        names = np.asarray(list(predictions.keys()), dtype=object)
        cols = [_to_numpy(v) if np.ndim(v) == 1 else np.asarray(v) for v in predictions.values()]
        lens = {len(c) for c in cols}
        if len(lens) > 1:
            raise PrefrankError(f"models have predictions for different numbers of items: {sorted(lens)}")
        arr = np.stack(cols)
    else:
        arr = np.asarray(predictions)
    if arr.ndim not in (2, 3):
        raise PrefrankError(
            f"predictions must be models x items (labels) or models x items x classes (probabilities), "
            f"got shape {arr.shape}"
        )
    if models is not None:
        names = np.asarray(list(models), dtype=object)
    if names is None:
        names = np.arange(arr.shape[0])
    if len(names) != arr.shape[0]:
        raise PrefrankError(f"{len(names)} model names for {arr.shape[0]} prediction rows")
    return arr, names


def _disagreement(
    arr: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise PrefrankError(f"empty input: predictions of shape {arr.shape}")
    if arr.ndim == 3:
        p = np.ascontiguousarray(arr, dtype=np.float64)
        ed, tv, js = _core.model_disagreement_probs(p)
        return ed, None, tv, js
    if arr.dtype == np.uint8:
        rate = _core.model_disagreement_u8(np.ascontiguousarray(arr))
        return rate, np.full(rate.shape, float(arr.shape[1])), None, None
    codes, _ = _code_matrix(arr)
    rate, joint = _core.model_disagreement_codes(np.ascontiguousarray(codes))
    return rate, joint, None, None


def model_disagreement(
    predictions: Any,
    *,
    models: Sequence[Any] | None = None,
    target: Any = None,
) -> ModelDisagreement:
    """Disagreement between N models' predictions on the same M items.

    ``predictions``: a models x items array of labels (``uint8`` takes a fast path; other labels,
    strings included, are coded and may have NaN/None missing, rates then use the items both models
    labelled), a dict or DataFrame with one column per model, or a models x items x classes array of
    probabilities (then ``rate`` is the expected disagreement ``1 - sum_c p_c q_c``, and
    ``total_variation`` and ``jensen_shannon`` distance are the item means).

    ``target``: the same models' predictions on a second item set; the result then holds
    ``target_rate`` and ``line`` (least-squares fit of target rate on source rate over model pairs:
    slope, intercept, r), for disagreement-on-the-line analyses.
    """
    arr, names = _model_matrix(predictions, models)
    rate, joint, tv, js = _disagreement(arr)
    target_rate = line = None
    if target is not None:
        tarr, _ = _model_matrix(target, None)
        if tarr.shape[0] != arr.shape[0]:
            raise PrefrankError(f"target has {tarr.shape[0]} models but predictions have {arr.shape[0]}")
        target_rate = _disagreement(tarr)[0]
        i, j = np.triu_indices(len(names), 1)
        x, y = rate[i, j], target_rate[i, j]
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() >= 2 and np.ptp(x[ok]) > 0:
            slope, intercept = np.polyfit(x[ok], y[ok], 1)
            r = float(np.corrcoef(x[ok], y[ok])[0, 1]) if np.ptp(y[ok]) > 0 else math.nan
            line = {"slope": float(slope), "intercept": float(intercept), "r": r, "pairs": int(ok.sum())}
        else:
            line = {"slope": math.nan, "intercept": math.nan, "r": math.nan, "pairs": int(ok.sum())}
    return ModelDisagreement(names, rate, joint, tv, js, target_rate, line)


# --------------------------------------------------------------------------------------------------
# Soft labels


@dataclass(frozen=True, repr=False)
class SoftLabelScores:
    """Per-item soft-label scores of predicted vs human label distributions, and their means."""

    items: np.ndarray
    cross_entropy: np.ndarray
    jensen_shannon: np.ndarray
    manhattan: np.ndarray
    wasserstein: np.ndarray

    def mean(self) -> dict[str, float]:
        return {
            "cross_entropy": float(np.mean(self.cross_entropy)),
            "jensen_shannon": float(np.mean(self.jensen_shannon)),
            "manhattan": float(np.mean(self.manhattan)),
            "wasserstein": float(np.mean(self.wasserstein)),
        }

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            {
                "cross_entropy": self.cross_entropy,
                "jensen_shannon": self.jensen_shannon,
                "manhattan": self.manhattan,
                "wasserstein": self.wasserstein,
            },
            index=pd.Index(self.items, name="item"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items.tolist(), "mean": self.mean()}

    def __repr__(self) -> str:
        m = self.mean()
        return "SoftLabelScores(items={}, {})".format(
            len(self.items), ", ".join(f"{k}={_fmt(v)}" for k, v in m.items())
        )


def soft_label_scores(
    predictions: Any,
    human: Any,
    *,
    items: Sequence[Any] | None = None,
    human_counts: bool = False,
) -> SoftLabelScores:
    """Soft-label scores (LeWiDi) of predicted distributions against human label distributions.

    Both are items x classes matrices of probabilities (rows summing to 1); with ``human_counts=True``
    ``human`` holds annotation counts per class and is normalised per row. Scores per item:
    cross-entropy ``-sum h ln max(p, 1e-12)``, Jensen-Shannon distance (natural log, as
    ``scipy.spatial.distance.jensenshannon``), Manhattan ``sum |p - h|``, and Wasserstein-1 over the
    ordered classes with unit spacing (for ordinal labels). ``.mean()`` averages over items.
    """
    idx = None
    if _is_pandas(human):
        idx = np.asarray(human.index, dtype=object)
    p = np.ascontiguousarray(np.asarray(predictions, dtype=np.float64))
    h = np.asarray(human, dtype=np.float64)
    if p.ndim != 2 or h.ndim != 2:
        raise PrefrankError(f"predictions and human must be items x classes matrices, got {p.shape} and {h.shape}")
    if p.shape != h.shape:
        raise PrefrankError(f"predictions have shape {p.shape} but human distributions have shape {h.shape}")
    if p.shape[0] == 0:
        raise PrefrankError("empty input: no items")
    if human_counts:
        if not np.all(np.isfinite(h)) or (h < 0).any():
            raise PrefrankError("human counts must be finite and non-negative")
        s = h.sum(axis=1, keepdims=True)
        if (s == 0).any():
            raise PrefrankError(f"row {int(np.flatnonzero(s.ravel() == 0)[0])}: no human annotation")
        h = h / s
    h = np.ascontiguousarray(h)
    ce, js, l1, w1 = _core.soft_label_scores(p, h)
    names = np.asarray(list(items), dtype=object) if items is not None else idx
    if names is None:
        names = np.arange(p.shape[0])
    if len(names) != p.shape[0]:
        raise PrefrankError(f"{len(names)} item names for {p.shape[0]} rows")
    return SoftLabelScores(names, ce, js, l1, w1)
