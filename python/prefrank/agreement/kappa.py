"""Chance-corrected agreement: Cohen's and Fleiss' kappa, Scott's pi, Gwet's AC, Brennan-Prediger, percent agreement."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.agreement._common import _check_undefined, _ratings, _resolve
from prefrank.agreement.results import AgreementResult, RaterMatrix
from prefrank.data.ratings import CodedRatings, fast_float
from prefrank.exceptions import parameter_error

__all__ = [
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac",
    "percent_agreement",
    "rater_agreement",
    "scott_pi",
]


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
            raise parameter_error(
                "weights", f"weights={weights!r} is not one of None, 'linear', 'quadratic' or a matrix"
            )
        return weights, None, weights
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64))
    if w.shape != (k, k):
        raise parameter_error(
            "weights", f"weights must be a {k} x {k} matrix of agreement weights, got shape {w.shape}"
        )
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


def _rater_matrix(r: CodedRatings, statistic: str, weights: Any) -> RaterMatrix:
    if statistic not in _NAMES:
        raise parameter_error("statistic", f"statistic={statistic!r} is not one of {', '.join(_NAMES)}")
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
    fast = fast_float(data, layout) if plain and (weights is None or isinstance(weights, str)) else None
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
