"""From prefrank rankings to loss inputs: per-pair label probabilities (weights) and a flip-rate estimate.

A fitted ranking gives every labelled pair ``(chosen, rejected)`` the probability that its label is right,
``P = sigmoid(theta_chosen - theta_rejected)`` (Bradley-Terry log-strengths). These go to the losses as
``weights=`` (weighted DPO), as ``posteriors=``-style confidences, or summarised as the flip rate ``epsilon``
of :func:`prefrank.losses.robust_dpo_loss` / :class:`prefrank.losses.LCPOLoss`.

Plain numpy: usable before any torch tensor exists (convert with ``torch.as_tensor``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from prefrank.exceptions import input_error, parameter_error

__all__ = ["estimate_flip_rate", "pair_label_probabilities"]


def _theta_lookup(ranking: Any) -> dict[Any, float]:
    items = getattr(ranking, "items", None)
    theta = getattr(ranking, "theta", None)
    if items is not None and theta is not None and not callable(items):  # a prefrank Ranking
        return {k: float(v) for k, v in zip(np.asarray(items).tolist(), np.asarray(theta).tolist(), strict=True)}
    if hasattr(ranking, "index") and hasattr(ranking, "to_numpy"):  # pandas Series of log-strengths
        return {k: float(v) for k, v in zip(list(ranking.index), ranking.to_numpy().tolist(), strict=True)}
    if isinstance(ranking, dict):
        return {k: float(v) for k, v in ranking.items()}
    raise input_error(
        "ranking must be a prefrank Ranking (uses its log-strengths .theta), a pandas Series or a dict of "
        f"log-strengths keyed by label; got {type(ranking).__name__}"
    )


def pair_label_probabilities(ranking: Any, chosen: Any, rejected: Any) -> np.ndarray:
    """Probability under a fitted Bradley-Terry ranking that each pair's label ``chosen > rejected`` is right.

    Args:
        ranking: a :class:`prefrank.ranking.Ranking` (its log-strengths ``theta`` are used whatever its
            display scale), or a pandas Series / dict of log-strengths keyed by label (e.g. ``scale="log"``
            scores).
        chosen, rejected: sequences of labels of equal length (one pair per position).

    Returns:
        float64 array ``sigmoid(theta[chosen] - theta[rejected])``.
    """
    lookup = _theta_lookup(ranking)
    c = list(chosen)
    r = list(rejected)
    if len(c) != len(r):
        raise input_error(f"length mismatch: chosen has {len(c)} pairs but rejected has {len(r)}")
    if not c:
        raise input_error("no pairs given")
    diff = np.empty(len(c))
    for i, (a, b) in enumerate(zip(c, r, strict=True)):
        for role, lab in (("chosen", a), ("rejected", b)):
            if lab not in lookup:
                raise input_error(f"{role} label {lab!r} is not an item of the ranking", row=i, column=role, value=lab)
        diff[i] = lookup[a] - lookup[b]
    if not np.all(np.isfinite(diff)):
        i = int(np.flatnonzero(~np.isfinite(diff))[0])
        raise input_error(f"log-strength difference is not finite ({diff[i]})", row=i, value=float(diff[i]))
    return 0.5 * (1.0 + np.tanh(0.5 * diff))  # = sigmoid(diff), without overflow


def estimate_flip_rate(probabilities: Any, *, method: str = "contradicted") -> float:
    """Estimated share of wrong labels from :func:`pair_label_probabilities`.

    ``method="contradicted"`` (default): the share of pairs whose label the ranking contradicts (``P < 0.5``).
    ``method="expected"``: the mean of ``1 - P`` (the expected share of wrong labels if the ranking were the
    true model; with a regularised or sparse fit it is pulled toward 0.5).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise input_error("probabilities must be a non-empty 1-D array")
    if not np.all((p >= 0) & (p <= 1)):
        i = int(np.flatnonzero(~((p >= 0) & (p <= 1)))[0])
        raise input_error(f"probability {p[i]} is not in [0, 1]", row=i, value=float(p[i]))
    if method == "contradicted":
        return float(np.mean(p < 0.5))
    if method == "expected":
        return float(np.mean(1.0 - p))
    raise parameter_error("method", f"method={method!r} is not one of 'contradicted', 'expected'")
