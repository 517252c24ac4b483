"""Krippendorff's alpha and the coincidence matrix."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_level, renamed
from prefrank._results import Result, interval_frame, whole
from prefrank.agreement._common import _LEVELS, _check_undefined, _fmt, _resolve
from prefrank.data.framing import Framed, labels_from_frame, labels_to_frame
from prefrank.data.ratings import MISSING, CodedRatings
from prefrank.exceptions import PrefrankError, input_error, parameter_error

__all__ = [
    "AgreementResult",
    "AlphaResult",
    "CoincidenceMatrix",
    "ItemDisagreement",
    "JudgeAgreement",
    "ModelDisagreement",
    "RaterMatrix",
    "SoftLabelScores",
]


def _metric_args(level: str, categories: np.ndarray, distance: Any) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    if distance is not None:
        d = np.ascontiguousarray(np.asarray(distance, dtype=np.float64))
        k = len(categories)
        if d.shape != (k, k):
            raise parameter_error(
                "distance", f"distance must be a {k} x {k} matrix over the categories, got shape {d.shape}"
            )
        return "custom", None, d
    if level not in _LEVELS:
        raise parameter_error("level", f"level={level!r} is not one of {', '.join(_LEVELS)} (or pass distance=)")
    if level in ("interval", "ratio"):
        num = CodedRatings(categories=categories).numeric()
        if num is None:
            raise parameter_error(
                "level",
                f"the {level} metric needs numeric values, but the categories are {list(categories)[:5]!r}; "
                "use level='nominal' or 'ordinal', or pass distance=",
            )
        return level, np.ascontiguousarray(num), None
    return level, None, None


def _alpha_from(
    co: CoincidenceMatrix,
    *,
    metric: str,
    distance: Any,
    undefined: Any,
    one_rater: bool = False,
    boot: tuple[str, int, int, float, int | None, np.ndarray | None] | None = None,
) -> AlphaResult:
    _check_undefined(undefined)
    lvl, values, dist = _metric_args(metric, co.categories, distance)
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
        metric=metric if distance is None else "custom",
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


# --------------------------------------------------------------------------------------------------
# Judge vs human


@dataclass(frozen=True, repr=False)
class JudgeAgreement(Result):
    """Agreement of judges with human labels on the same units (pairs), and of each annotator with the others.

    ``judges``: per judge, the units compared, accuracy against the human majority and Cohen's kappa
    against it. ``annotators``: per annotator, the units where the other annotators have a majority and the
    accuracy against that leave-one-out majority. The human majority is an absolute majority (more than half
    of a unit's human labels); units without one are left out and counted in ``units_without_majority``.
    ``n_dropped`` rows could not be used, for the reasons (with their row counts) in ``dropped``: a
    missing unit, judge, rater or judge outcome, or a judged unit without a human label or majority.
    """

    judges: Any
    annotators: Any
    units_with_majority: int
    units_without_majority: int
    n_dropped: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    def to_pandas(self) -> Any:
        """The per-judge table (``units``, ``accuracy``, ``kappa``), indexed by judge."""
        return self.judges

    def _summary(self) -> str:
        return (
            f"JudgeAgreement(judges={len(self.judges)}, annotators={len(self.annotators)}, "
            f"units_with_majority={self.units_with_majority}, units_without_majority={self.units_without_majority}, "
            f"n_dropped={self.n_dropped}, dropped={self.dropped})"
        )


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha


class CoincidenceMatrix(Framed, Result):
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
            raise input_error(
                "cannot merge coincidence matrices over different categories; pass the same levels= to both"
            )
        return CoincidenceMatrix(self._core.merge(other._core), self.categories)

    def _to_frame(self) -> bytes:
        out: bytes = self._core.to_bytes(labels_to_frame(self.categories))
        return out

    @classmethod
    def from_bytes(  # type: ignore[override]  # categories also by position, as before
        cls, data: bytes, categories: Sequence[Any] | None = None
    ) -> CoincidenceMatrix:
        """:meth:`Framed.from_bytes <prefrank.data.framing.Framed.from_bytes>`, with the expected
        ``categories`` also taken by position (as before the framed format)."""
        out: CoincidenceMatrix = super().from_bytes(data, categories=categories)
        return out

    @classmethod
    def _from_frame(cls, data: bytes, *, categories: Sequence[Any] | None = None) -> CoincidenceMatrix:
        core, stored = _core.Coincidence.from_bytes(data)
        cats = labels_from_frame(stored)
        if categories is not None:
            given = list(categories)
            if len(given) != len(cats) or any(a != b for a, b in zip(given, cats.tolist(), strict=False)):
                raise parameter_error(
                    "categories",
                    f"the bytes hold the categories {cats.tolist()[:10]!r} ({len(cats)}), not the {len(given)} given",
                )
        return cls(core, cats)

    @property
    def matrix(self) -> np.ndarray:
        return self._core.matrix()

    def to_pandas(self) -> Any:
        """The coincidence matrix keyed by category labels."""
        import pandas as pd

        idx = pd.Index(self.categories)
        return pd.DataFrame(self.matrix, index=idx, columns=idx)

    def _dict(self) -> dict[str, Any]:
        u, _, p, v, _ = self._core.counts()
        return {"categories": self.categories, "matrix": self.matrix, "units": u, "pairable_units": p, "values": v}

    @renamed(level="metric")
    def alpha(
        self,
        *,
        metric: str = "nominal",
        distance: Any = None,
        undefined: Any = "warn",
    ) -> AlphaResult:
        """Krippendorff's alpha of this statistic (see :func:`krippendorff_alpha`; ``metric=`` is the
        level of measurement, as there)."""
        return _alpha_from(self, metric=metric, distance=distance, undefined=undefined)

    def _summary(self) -> str:
        u, _, p, v, _ = self._core.counts()
        return f"CoincidenceMatrix(categories={len(self.categories)}, units={u}, pairable_units={p}, values={v})"


@dataclass(frozen=True, repr=False)
class AlphaResult(Result):
    """Krippendorff's alpha with its parts and (optionally) a bootstrap interval."""

    value: float
    metric: str
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

    @property
    def level(self) -> str:
        """Deprecated: the level of measurement is :attr:`metric` (``level`` means a confidence level)."""
        warnings.warn("AlphaResult.level is deprecated; use AlphaResult.metric", DeprecationWarning, stacklevel=2)
        return self.metric

    def interval(self, level: float | None = None) -> tuple[float, float]:
        """Percentile bootstrap interval as a ``(lower, upper)`` tuple (what ``ci()`` used to
        return; ``ci()`` now gives the same numbers as a DataFrame). ``level=None``: ``ci_level``."""
        if self.bootstrap is None:
            raise PrefrankError("no bootstrap samples: call krippendorff_alpha(..., bootstrap=1000)")
        lv = self.ci_level if level is None else check_level(level)
        assert lv is not None
        s = self.bootstrap[np.isfinite(self.bootstrap)]
        if len(s) == 0:
            return (math.nan, math.nan)
        lo, hi = np.quantile(s, [(1 - lv) / 2, 1 - (1 - lv) / 2])
        return (float(lo), float(hi))

    def _intervals(self, level: float | None) -> Any:
        lo, hi = self.interval(level)
        return interval_frame(["alpha"], [self.value], [lo], [hi], "statistic")

    def prob_below(self, threshold: float) -> float:
        """Share of bootstrap samples below ``threshold`` (Krippendorff's q for a minimum alpha)."""
        if self.bootstrap is None:
            raise PrefrankError("no bootstrap samples: call krippendorff_alpha(..., bootstrap=1000)")
        s = self.bootstrap[np.isfinite(self.bootstrap)]
        return float(np.mean(s < threshold)) if len(s) else math.nan

    def _dict(self) -> dict[str, Any]:
        return {
            "alpha": self.value,
            "metric": self.metric,
            "reason": self.reason,
            "d_o": self.d_o,
            "d_e": self.d_e,
            "n_pairable_values": whole(self.n_pairable_values),
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

    def _summary(self) -> str:
        s = f"AlphaResult(alpha={_fmt(self.value)}, metric={self.metric!r}"
        if self.ci_low is not None:
            s += f", ci{round(100 * (self.ci_level or 0))}=[{_fmt(self.ci_low)}, {_fmt(self.ci_high or 0)}]"
        s += f", units={self.n_units}, pairable_units={self.n_pairable_units}"
        s += f", categories={len(self.categories)}"
        if self.reason:
            s += f", reason={self.reason!r}"
        return s + ")"


# --------------------------------------------------------------------------------------------------
# Kappa family


@dataclass(frozen=True, repr=False)
class RaterMatrix(Result):
    """A two-rater coefficient for every pair of raters (symmetric, keyed by rater labels)."""

    statistic: str
    weights: str | None
    values: np.ndarray
    n_units: np.ndarray
    raters: np.ndarray

    def to_pandas(self) -> Any:
        """The rater x rater matrix of the coefficient, keyed by rater labels."""
        import pandas as pd

        idx = pd.Index(self.raters)
        return pd.DataFrame(self.values, index=idx, columns=idx)

    def _dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "weights": self.weights,
            "raters": self.raters,
            "values": self.values,
            "n_units": whole(self.n_units),
        }

    def _summary(self) -> str:
        off = self.values[~np.eye(len(self.raters), dtype=bool)]
        mean = float(np.nanmean(off)) if off.size and np.isfinite(off).any() else math.nan
        return f"RaterMatrix(statistic={self.statistic!r}, raters={len(self.raters)}, mean_off_diagonal={_fmt(mean)})"


@dataclass(frozen=True, repr=False)
class AgreementResult(Result):
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

    def _dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "value": self.value,
            "p_o": self.p_o,
            "p_e": self.p_e,
            "n_units": whole(self.n_units),
            "weights": self.weights,
            "reason": self.reason,
            "n_raters": self.n_raters,
        }

    def to_pandas(self) -> Any:
        """The rater x rater matrix where there is one (pairwise statistics), else a one-row table
        of the coefficient indexed by the statistic's name."""
        import pandas as pd

        if self.matrix is not None:
            return self.matrix.to_pandas()
        row = {k: v for k, v in self._dict().items() if k != "statistic"}
        return pd.DataFrame([row], index=pd.Index([self.statistic], name="statistic"))

    def _head(self) -> Any:
        # The summary line already holds the one-row table.
        return None if self.matrix is None else self.matrix.to_pandas()

    def __float__(self) -> float:
        return float(self.value)

    def _summary(self) -> str:
        s = f"AgreementResult({self.statistic}={_fmt(self.value)}, p_o={_fmt(self.p_o)}, p_e={_fmt(self.p_e)}"
        s += f", units={_fmt(self.n_units)}"
        if self.weights:
            s += f", weights={self.weights!r}"
        if self.reason:
            s += f", reason={self.reason!r}"
        return s + ")"


# --------------------------------------------------------------------------------------------------
# Per-item statistics


@dataclass(frozen=True, repr=False)
class ItemDisagreement(Result):
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
        """One row per unit: ratings, majority label and share, entropy, distinct labels, split flag."""
        import pandas as pd

        return pd.DataFrame(self._columns(), index=pd.Index(self.units, name="unit"))

    def _columns(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "majority": self.majority_labels(),
            "share": self.share,
            "entropy": self.entropy,
            "entropy_norm": self.entropy_norm,
            "distinct": self.distinct,
            "split": self.split,
        }

    def _dict(self) -> dict[str, Any]:
        return {"unit": self.units, **self._columns()}

    def __len__(self) -> int:
        return len(self.units)

    def _summary(self) -> str:
        rated = self.n > 0
        mean_h = float(np.mean(self.entropy_norm[rated])) if rated.any() else math.nan
        return (
            f"ItemDisagreement(units={len(self.units)}, rated={int(rated.sum())}, "
            f"split={int(self.split.sum())}, mean_entropy_norm={_fmt(mean_h)})"
        )


# --------------------------------------------------------------------------------------------------
# Model-vs-model disagreement


@dataclass(frozen=True, repr=False)
class ModelDisagreement(Result):
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
            raise parameter_error("which", f"no {which!r} matrix in this result")
        return pd.DataFrame(m, index=idx, columns=idx)

    def _dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"models": self.models, "rate": self.rate}
        for name in ("total_variation", "jensen_shannon", "target_rate"):
            m = getattr(self, name)
            if m is not None:
                d[name] = m
        if self.line is not None:
            d["line"] = self.line
        return d

    def _summary(self) -> str:
        n = len(self.models)
        off = self.rate[~np.eye(n, dtype=bool)]
        mean = float(np.nanmean(off)) if off.size and np.isfinite(off).any() else math.nan
        s = f"ModelDisagreement(models={n}, mean_rate={_fmt(mean)}"
        if self.line is not None:
            s += f", line=(slope={_fmt(self.line['slope'])}, intercept={_fmt(self.line['intercept'])})"
        return s + ")"


# --------------------------------------------------------------------------------------------------
# Soft labels


@dataclass(frozen=True, repr=False)
class SoftLabelScores(Result):
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
        """One row per item: the four scores."""
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

    def _dict(self) -> dict[str, Any]:
        return {"items": self.items, "mean": self.mean()}

    def _summary(self) -> str:
        m = self.mean()
        return "SoftLabelScores(items={}, {})".format(
            len(self.items), ", ".join(f"{k}={_fmt(v)}" for k, v in m.items())
        )
