"""Shared helpers for the loss functions: argument checks, reductions, stable primitives."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from prefrank._options import check_real
from prefrank.exceptions import input_error, parameter_error

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise parameter_error("reduction", f"reduction={reduction!r} is not one of {', '.join(map(repr, REDUCTIONS))}")


def check_positive(name: str, value: float) -> None:
    check_real(name, value, min=0.0, min_open=True)


def check_nonneg(name: str, value: float) -> None:
    check_real(name, value, min=0.0)


def check_tensor(name: str, x: Tensor, shape: tuple[int, ...] | None = None) -> Tensor:
    if not isinstance(x, Tensor):
        raise input_error(f"{name} must be a torch.Tensor, got {type(x).__name__}", column=name)
    if not x.is_floating_point():
        raise input_error(f"{name} must be a floating-point tensor, got dtype {x.dtype}", column=name)
    if shape is not None and tuple(x.shape) != shape:
        raise input_error(f"{name} has shape {tuple(x.shape)}, expected {shape}", column=name)
    return x


def pair_inputs(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None,
    ref_rejected_logps: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """Return (chosen_logratios, rejected_logratios): policy minus reference log-probs per pair.

    A missing reference (``None``) counts as zero log-probs (reference-free variant).
    """
    check_tensor("policy_chosen_logps", policy_chosen_logps)
    if policy_chosen_logps.dim() != 1:
        raise input_error(
            f"policy_chosen_logps must be 1-D (one log-prob per pair), got shape {tuple(policy_chosen_logps.shape)}",
            column="policy_chosen_logps",
        )
    shape = tuple(policy_chosen_logps.shape)
    check_tensor("policy_rejected_logps", policy_rejected_logps, shape)
    if (ref_chosen_logps is None) != (ref_rejected_logps is None):
        raise parameter_error(
            "ref_chosen_logps" if ref_chosen_logps is None else "ref_rejected_logps",
            "give both ref_chosen_logps and ref_rejected_logps, or neither (reference-free)",
        )
    if ref_chosen_logps is None or ref_rejected_logps is None:
        return policy_chosen_logps, policy_rejected_logps
    check_tensor("ref_chosen_logps", ref_chosen_logps, shape)
    check_tensor("ref_rejected_logps", ref_rejected_logps, shape)
    return policy_chosen_logps - ref_chosen_logps, policy_rejected_logps - ref_rejected_logps


def lengths_or_one(name: str, lengths: Tensor | None, like: Tensor) -> Tensor | None:
    """Validate optional per-sequence token counts (clamped to >= 1 so empty completions stay finite)."""
    if lengths is None:
        return None
    if not isinstance(lengths, Tensor):
        raise input_error(f"{name} must be a torch.Tensor, got {type(lengths).__name__}", column=name)
    if tuple(lengths.shape) != tuple(like.shape):
        raise input_error(f"{name} has shape {tuple(lengths.shape)}, expected {tuple(like.shape)}", column=name)
    return lengths.to(like.dtype).clamp(min=1.0)


def check_weights(weights: Any, shape: tuple[int, ...]) -> Tensor:
    """Validate per-pair ``weights`` of the per-pair losses' ``shape``; return their sum (a tensor).

    Weights must be a tensor of the same shape, finite and >= 0, with a positive sum: anything else
    raises :class:`~prefrank.ParameterError` (``.param == "weights"``; a wrong type or shape is an
    :class:`~prefrank.InputError`). The minimum and the sum are
    computed on the weights' device and copied back together: one host synchronisation per call,
    which raising an error on a bad value needs (there is none without weights).
    """
    if not isinstance(weights, Tensor):
        raise input_error(f"weights must be a torch.Tensor, got {type(weights).__name__}", column="weights")
    if tuple(weights.shape) != shape:
        raise input_error(f"weights has shape {tuple(weights.shape)}, expected {shape}", column="weights")
    if weights.numel() == 0:
        return weights.sum()
    # float32 at least, so that half-precision weights cannot overflow in the sum.
    w = weights.detach().to(torch.promote_types(weights.dtype, torch.float32))
    total = w.sum()
    low, tot = torch.stack((w.amin(), total)).tolist()  # amin propagates NaN
    if not (math.isfinite(low) and low >= 0):
        raise parameter_error("weights", f"weights must be finite and >= 0, got a minimum of {low!r}")
    if not (math.isfinite(tot) and tot > 0):
        raise parameter_error(
            "weights",
            "weights must be finite and >= 0 with a positive, finite sum (the weighted mean divides by it), "
            f"got a sum of {tot!r}",
        )
    return total


def check_batch(losses: Tensor) -> None:
    """An empty batch has no loss (its mean would be NaN): an error, for every reduction."""
    if losses.numel() == 0:
        raise input_error("empty batch: the loss needs at least one pair (got 0)", column="policy_chosen_logps")


def reduce(losses: Tensor, weights: Tensor | None, reduction: str) -> Tensor:
    """Apply optional per-pair weights and the reduction.

    ``mean`` with weights is the weighted mean ``sum(w * l) / sum(w)``; ``sum`` is ``sum(w * l)``;
    ``none`` returns ``w * l`` per pair. An empty batch raises :class:`~prefrank.InputError`; weights
    are checked by :func:`check_weights`.
    """
    check_reduction(reduction)
    check_batch(losses)
    if weights is not None:
        total = check_weights(weights, tuple(losses.shape))
        # Weight and sum in at least float32: half-precision products and sums overflow early.
        acc = torch.promote_types(total.dtype, losses.dtype)
        weighted = losses.to(acc) * weights.to(acc)
        if reduction == "mean":
            return (weighted.sum() / total.to(acc)).to(losses.dtype)
        return (weighted.sum() if reduction == "sum" else weighted).to(losses.dtype)
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def log1mexp(x: Tensor) -> Tensor:
    """``log(1 - exp(x))`` for ``x < 0``, accurate everywhere (Maechler 2012: switch at ``-log 2``)."""
    # each branch only sees inputs where it is accurate, so neither branch's gradient can be inf/NaN
    cut = -math.log(2.0)
    near = torch.log(-torch.expm1(torch.clamp(x, min=cut)))
    far = torch.log1p(-torch.exp(torch.clamp(x, max=cut)))
    return torch.where(x > cut, near, far)


def softplus(x: Tensor) -> Tensor:
    """``log(1 + exp(x))`` without overflow (``-logsigmoid(-x)``)."""
    return -F.logsigmoid(-x)
