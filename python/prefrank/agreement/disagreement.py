"""Disagreement: per-item and per-model disagreement, soft-label scores."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._compat import _is_pandas, _is_polars
from prefrank.agreement._common import _ratings
from prefrank.agreement.results import ItemDisagreement, ModelDisagreement, SoftLabelScores
from prefrank.data.coding import as_floats
from prefrank.data.ratings import code_matrix
from prefrank.exceptions import input_error, parameter_error
from prefrank.io import _to_numpy

__all__ = ["item_disagreement", "model_disagreement", "soft_label_scores"]


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
    if len(r.categories) == 0:
        # With no category there is nothing to count (and no layout for the core's counts).
        raise input_error("the ratings hold no value: every cell is missing", kind="empty")
    counts = np.ascontiguousarray(r.unit_counts())
    n, maj, share, ent, entn, distinct, split = _core.agreement_item_stats(counts)
    assert r.units is not None
    return ItemDisagreement(r.units, r.categories, n, maj, share, ent, entn, distinct, split)


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
            raise input_error(f"models have predictions for different numbers of items: {sorted(lens)}")
        arr = np.stack(cols)
    else:
        arr = np.asarray(predictions)
    if arr.ndim not in (2, 3):
        raise input_error(
            f"predictions must be models x items (labels) or models x items x classes (probabilities), "
            f"got shape {arr.shape}"
        )
    if models is not None:
        names = np.asarray(list(models), dtype=object)
    if names is None:
        names = np.arange(arr.shape[0])
    if len(names) != arr.shape[0]:
        raise parameter_error("models", f"{len(names)} model names for {arr.shape[0]} prediction rows")
    return arr, names


def _disagreement(
    arr: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise input_error(f"empty input: predictions of shape {arr.shape}")
    if arr.ndim == 3:
        p = np.ascontiguousarray(arr, dtype=np.float64)
        ed, tv, js = _core.model_disagreement_probs(p)
        return ed, None, tv, js
    if arr.dtype == np.uint8:
        rate = _core.model_disagreement_u8(np.ascontiguousarray(arr))
        return rate, np.full(rate.shape, float(arr.shape[1])), None, None
    codes, _ = code_matrix(arr)
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
            raise input_error(f"target has {tarr.shape[0]} models but predictions have {arr.shape[0]}")
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
    p = as_floats(predictions, "predictions")
    h = as_floats(human, "human")
    if p.ndim != 2 or h.ndim != 2:
        raise input_error(f"predictions and human must be items x classes matrices, got {p.shape} and {h.shape}")
    if p.shape != h.shape:
        raise input_error(f"predictions have shape {p.shape} but human distributions have shape {h.shape}")
    if p.shape[0] == 0:
        raise input_error("empty input: no items")
    if human_counts:
        if not np.all(np.isfinite(h)) or (h < 0).any():
            raise input_error("human counts must be finite and non-negative")
        s = h.sum(axis=1, keepdims=True)
        if (s == 0).any():
            raise input_error("no human annotation", row=int(np.flatnonzero(s.ravel() == 0)[0]))
        h = h / s
    h = np.ascontiguousarray(h)
    ce, js, l1, w1 = _core.soft_label_scores(p, h)
    names = np.asarray(list(items), dtype=object) if items is not None else idx
    if names is None:
        names = np.arange(p.shape[0])
    if len(names) != p.shape[0]:
        raise parameter_error("items", f"{len(names)} item names for {p.shape[0]} rows")
    return SoftLabelScores(names, ce, js, l1, w1)
