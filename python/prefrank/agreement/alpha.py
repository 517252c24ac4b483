"""Krippendorff's alpha and the coincidence matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import U64_MAX, Alias, check_bootstrap, check_int, check_level, renamed
from prefrank.agreement._common import _LEVELS, _ratings
from prefrank.agreement.results import AlphaResult, CoincidenceMatrix, _alpha_from
from prefrank.data.ratings import CodedRatings, fast_float
from prefrank.exceptions import parameter_error

__all__ = ["coincidence", "krippendorff_alpha"]


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


def _coincidence(r: CodedRatings) -> CoincidenceMatrix:
    if r.counts is not None:
        core = _core.Coincidence.from_counts(r.counts)
    else:
        assert r.codes is not None
        core = _core.Coincidence.from_codes(r.codes, r.k)
    return CoincidenceMatrix(core, r.categories)


def _is_metric_name(value: Any) -> bool:
    # level= was the level of measurement (a string); it is now the confidence level (a number).
    return isinstance(value, str)


@renamed(level=Alias("metric", _is_metric_name, "level= is now the confidence level"), ci="level")
def krippendorff_alpha(
    data: Any = None,
    *,
    unit: Any = None,
    rater: Any = None,
    value: Any = None,
    value_counts: Any = None,
    metric: Any = "nominal",
    distance: Any = None,
    levels: Sequence[Any] | None = None,
    layout: str = "raters x units",
    bootstrap: int = 0,
    method: str = "units",
    level: float = 0.95,
    seed: int = 0,
    draws: int | None = None,
    undefined: Any = "warn",
) -> AlphaResult:
    """Krippendorff's alpha from the coincidence matrix.

    Parameters:
        data: raters x units array (NaN/None missing), or a table for long form.
        unit, rater, value: long-form column names (all three together).
        value_counts: units x categories counts instead of ratings (as the ``krippendorff`` package).
        metric: the level of measurement: ``"nominal"`` (default), ``"ordinal"`` (over the sorted or
            ``levels=`` order), ``"interval"`` or ``"ratio"`` (numeric categories); or a k x k matrix
            of *squared* distances, as ``distance=``. Formerly ``level=``: a string passed as
            ``level=`` is still read as the metric, with a DeprecationWarning.
        distance: a k x k matrix of *squared* distances between the categories (overrides ``metric``).
        levels: the ordered value domain (also fixes the categories of ``value_counts`` columns).
        layout: ``"raters x units"`` (default) or ``"units x raters"``.
        bootstrap: number of bootstrap rounds, an int >= 0; 0 (default) = no interval (the rule of
            every estimator: a point estimate, intervals on request).
        method: ``"units"`` (resample units, default) or ``"krippendorff"`` (resample pairable value
            pairs from the coincidences, Krippendorff's algorithm; ``draws`` pairs per round,
            default the number of value pairs within units).
        level: the confidence level of the interval, in (0, 1) (formerly ``ci=``).
        seed: an int >= 0 seeding the bootstrap (results identical for any thread count).
        undefined: ``"warn"`` (NaN + warning, default), ``"nan"``, ``"raise"`` or a number.

    Returns:
        :class:`AlphaResult` (``.value``, ``.reason``, ``.ci()``, ``.to_pandas()`` coincidences).

    Raises:
        PrefrankError: bad ratings or options, or a deprecated name given with its new one.

    Example:
        >>> import prefrank as pr
        >>> round(pr.krippendorff_alpha([[1, 2, 3, 3], [1, 2, 3, 4]], metric="interval").value, 4)
        0.8889
    """
    check_bootstrap(bootstrap, seed)
    check_int("draws", draws, min=1, max=U64_MAX, none=True)
    if method not in ("units", "krippendorff"):
        raise parameter_error("method", f"method={method!r} is not one of 'units', 'krippendorff'")
    check_level(level)
    if not isinstance(metric, str):
        if distance is not None:
            raise parameter_error("distance", "pass the distances as metric= or distance=, not both")
        metric, distance = "nominal", metric
    elif metric not in _LEVELS:
        raise parameter_error(
            "metric", f"metric={metric!r} is not one of {', '.join(map(repr, _LEVELS))}, or pass distance="
        )
    plain = value_counts is None and unit is None and rater is None and value is None and levels is None
    fast = fast_float(data, layout) if plain and not (bootstrap and method == "units") else None
    if fast is not None:
        core, labels = _core.Coincidence.from_f64(fast[0])
        cats = labels.astype(np.int64) if fast[1] else labels
        fast_boot = (method, int(bootstrap), int(seed), float(level), draws, None) if bootstrap else None
        return _alpha_from(
            CoincidenceMatrix(core, cats),
            metric=metric,
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
        boot = (method, int(bootstrap), int(seed), float(level), draws, counts)
    return _alpha_from(co, metric=metric, distance=distance, undefined=undefined, one_rater=r.n_raters == 1, boot=boot)
