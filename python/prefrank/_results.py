"""The result contract: one base class that every public result type derives from.

A subclass provides the minimum:

* ``to_pandas()``: its main table (a pandas DataFrame);
* ``_summary()``: a one-line summary (the class name and the headline numbers);
* ``_dict()``: the content of :meth:`Result.to_dict` (numpy values, NaN and labels are fine: the
  base converts them); by default the public dataclass fields;
* ``_intervals(level)``: where the result has intervals, a DataFrame with ``estimate``, ``lower``
  and ``upper`` indexed by the result's labels (``level=None``: the level it was computed at).

The base derives ``__repr__`` (summary plus the head of the main table), ``_repr_html_``,
``to_polars()``, ``to_arrow()``, a JSON-safe ``to_dict()`` and ``ci(level=None)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

import numpy as np

from prefrank._options import check_level
from prefrank.exceptions import PrefrankError, input_error

__all__ = ["Result", "to_jsonable", "whole"]

_HEAD_ROWS = 10
_HEAD_COLS = 8
_HTML_ROWS = 20


def whole(x: Any) -> Any:
    """A count array as ``int64`` when every value is a whole number, else unchanged.

    Counts are whole by construction without weights; fractional weights (or ties counting half in
    a win count) make them fractional, and then they stay floats rather than being rounded.
    """
    if np.ndim(x) == 0:
        v = float(x)
        return int(v) if math.isfinite(v) and v == round(v) else x
    a = np.asarray(x)
    if a.dtype.kind in "iub":
        return a.astype(np.int64) if a.dtype.kind == "b" else a
    if a.dtype.kind == "f" and np.isfinite(a).all() and (a == np.round(a)).all():
        return a.astype(np.int64)
    return a


def _key(k: Any) -> str:
    k = to_jsonable(k)
    return k if isinstance(k, str) else str(k)


def to_jsonable(x: Any) -> Any:
    """``x`` as plain Python that ``json.dumps(..., allow_nan=False)`` accepts.

    numpy scalars become Python scalars, arrays lists, NaN and infinities ``None``, dict keys
    strings, pandas frames lists of records (the index as columns) and Series dicts; results
    convert through their own ``to_dict``; anything else unknown becomes ``str(x)``.
    """
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, str):
        return str(x)  # np.str_ too
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.ndarray):
        return to_jsonable(x.tolist())
    if isinstance(x, Result):
        return x.to_dict()
    if isinstance(x, Mapping):
        return {_key(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in x]
    mod = type(x).__module__
    if mod.startswith("pandas"):
        import pandas as pd

        if isinstance(x, pd.DataFrame):
            return to_jsonable(_flat(x).to_dict(orient="records"))
        if isinstance(x, pd.Series):
            return {_key(k): to_jsonable(v) for k, v in x.items()}
        if x is pd.NA or x is pd.NaT:
            return None
        if isinstance(x, pd.Timestamp):
            return x.isoformat()
    if isinstance(x, np.generic):  # np.str_, np.datetime64, ...
        return to_jsonable(x.item())
    return str(x)


def _flat(df: Any) -> Any:
    """The frame with a meaningful index moved into columns and column names as strings (what
    polars and Arrow tables need: no index, string names)."""
    import pandas as pd

    if not (isinstance(df.index, pd.RangeIndex) and df.index.name is None):
        names = [
            n if n is not None else ("index" if df.index.nlevels == 1 else f"level_{k}")
            for k, n in enumerate(df.index.names)
        ]
        df = df.copy()
        df.index = df.index.set_names(names)
        df = df.reset_index()
    if not all(isinstance(c, str) for c in df.columns):
        df = df.set_axis([str(c) for c in df.columns], axis=1)
    return df


def _mixed_types(result: Any, method: str, df: Any, err: Exception) -> Exception:
    """The error to raise when polars or Arrow could not convert ``df``: an InputError naming the
    object column whose values are of mixed types (labels such as ``"m0"``, ``1`` and ``2.5``: a polars
    or Arrow column has one type), else ``err`` itself."""
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v).__name__ for v in df[c] if v is not None and v == v}
            if len(kinds) > 1:
                return input_error(
                    f"{type(result).__name__}.{method}(): column {c!r} holds values of mixed types "
                    f"({', '.join(sorted(kinds))}), which one {method[3:]} column cannot hold; "
                    "use to_pandas(), or labels of one type",
                    column=c,
                    kind="mixed_types",
                )
    return err


class Result:
    """Base class of every public result type (see :mod:`prefrank._results` for what a subclass
    provides and what it derives).

    Example
    -------
    >>> import prefrank as pr
    >>> r = pr.bradley_terry(a=["x", "y", "x"], b=["y", "z", "z"], outcome=[1, 1, 0])
    >>> r.to_pandas().columns.tolist()[:3]
    ['rank', 'item', 'score']
    >>> import json; _ = json.dumps(r.to_dict(), allow_nan=False)
    """

    # ---- what a subclass provides -------------------------------------------------------------
    def to_pandas(self) -> Any:
        """The main table of this result as a pandas DataFrame."""
        raise NotImplementedError(f"{type(self).__name__} must define to_pandas()")

    def _summary(self) -> str:
        return f"{type(self).__name__}()"

    def _dict(self) -> dict[str, Any]:
        if not dataclasses.is_dataclass(self):
            return {}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if not f.name.startswith("_")}

    def _intervals(self, level: float | None) -> Any:
        return None

    def _head(self) -> Any:
        """The table that repr and the notebook view show (the main table unless overridden)."""
        return self.to_pandas()

    # ---- what the base derives ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary: plain Python only, NaN and infinities as ``None``, string keys.

        Returns
        -------
        dict
            Accepted by ``json.dumps(..., allow_nan=False)``.
        """
        out: dict[str, Any] = to_jsonable(self._dict())
        return out

    def ci(self, level: float | None = None) -> Any:
        """Intervals as a DataFrame with ``estimate``, ``lower`` and ``upper``, indexed by labels.

        Parameters
        ----------
        level : float, optional
            Confidence level in (0, 1); ``None`` means the level the result was computed at (0.95
            where it was not fixed at fit time). Another level is recomputed where the result keeps
            what that needs (bootstrap draws, counts, standard errors).

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        PrefrankError
            When the result has no intervals, or they cannot be recomputed at ``level``.
        """
        if level is not None:
            check_level(level)
        out = self._intervals(level)
        if out is None:
            raise PrefrankError(f"{type(self).__name__} has no intervals")
        return out

    def to_polars(self) -> Any:
        """The main table as a polars DataFrame (labels in columns; needs ``prefrank[polars]``)."""
        try:
            import polars as pl
        except ImportError:
            raise ImportError("to_polars() needs polars: pip install 'prefrank[polars]'") from None
        df = _flat(self.to_pandas())
        try:
            return pl.from_pandas(df)
        except (TypeError, ValueError, pl.exceptions.PolarsError) as e:
            raise _mixed_types(self, "to_polars", df, e) from e

    def to_arrow(self) -> Any:
        """The main table as a pyarrow Table (labels in columns; needs ``prefrank[arrow]``)."""
        try:
            import pyarrow as pa
        except ImportError:
            raise ImportError("to_arrow() needs pyarrow: pip install 'prefrank[arrow]'") from None
        df = _flat(self.to_pandas())
        try:
            return pa.Table.from_pandas(df, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise _mixed_types(self, "to_arrow", df, e) from e

    def __repr__(self) -> str:
        head = self._head()
        if head is None or len(head) == 0:
            return self._summary()
        body = head.head(_HEAD_ROWS).to_string(max_cols=_HEAD_COLS, max_colwidth=40)
        more = f"\n... {len(head) - _HEAD_ROWS} more rows" if len(head) > _HEAD_ROWS else ""
        return self._summary() + "\n" + body + more

    def _repr_html_(self) -> str:
        head = self._head()
        if head is None:
            head = self.to_pandas()
        table = head.head(_HTML_ROWS).to_html(max_cols=_HTML_ROWS, escape=True)
        more = f"<p>... {len(head) - _HTML_ROWS} more rows</p>" if len(head) > _HTML_ROWS else ""
        return f"<div><p><code>{escape(self._summary())}</code></p>{table}{more}</div>"


class IntervalDict(dict[str, Any]):
    """The older ``ci`` attribute (a dict of ``(lower, upper)`` by name) that is also callable as
    :meth:`Result.ci`: ``res.ci["x"]`` and ``res.ci(level)`` both work."""

    def __init__(self, data: Mapping[str, Any], compute: Callable[[float | None], Any]) -> None:
        super().__init__(data)
        self._compute = compute

    def __call__(self, level: float | None = None) -> Any:
        if level is not None:
            check_level(level)
        return self._compute(level)


class IntervalPair(tuple[float, float]):
    """The older ``ci`` attribute (a ``(lower, upper)`` tuple) that is also callable as
    :meth:`Result.ci`: ``lo, hi = res.ci`` and ``res.ci(level)`` both work."""

    _compute: Callable[[float | None], Any]

    def __new__(cls, pair: Any, compute: Callable[[float | None], Any]) -> IntervalPair:
        out = super().__new__(cls, pair)
        out._compute = compute
        return out

    def __getnewargs__(self) -> tuple[Any, ...]:
        # Pickle passes these back to __new__ (a tuple subclass is rebuilt from its arguments).
        return (tuple(self), self._compute)

    def __call__(self, level: float | None = None) -> Any:
        if level is not None:
            check_level(level)
        return self._compute(level)


def interval_frame(labels: Any, estimate: Any, lower: Any, upper: Any, name: str | None) -> Any:
    """The ``ci()`` table: ``estimate``, ``lower``, ``upper`` indexed by ``labels`` (named ``name``)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "estimate": np.asarray(estimate, dtype=np.float64),
            "lower": np.asarray(lower, dtype=np.float64),
            "upper": np.asarray(upper, dtype=np.float64),
        },
        index=pd.Index(list(labels) if not isinstance(labels, np.ndarray) else labels, name=name),
    )
