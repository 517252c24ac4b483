"""Shared helpers for the loss functions: argument checks, reductions, stable primitives."""

from __future__ import annotations

import math

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


def reduce(losses: Tensor, weights: Tensor | None, reduction: str) -> Tensor:
    """Apply optional per-pair weights and the reduction.

    ``mean`` with weights is the weighted mean ``sum(w * l) / sum(w)``; ``sum`` is ``sum(w * l)``;
    ``none`` returns ``w * l`` per pair.
    """
    check_reduction(reduction)
    if weights is not None:
        if not isinstance(weights, Tensor):
            raise input_error(f"weights must be a torch.Tensor, got {type(weights).__name__}", column="weights")
        if tuple(weights.shape) != tuple(losses.shape):
            raise input_error(
                f"weights has shape {tuple(weights.shape)}, expected {tuple(losses.shape)}", column="weights"
            )
        weights = weights.to(losses.dtype)
        losses = losses * weights
        if reduction == "mean":
            return losses.sum() / weights.sum().clamp(min=torch.finfo(losses.dtype).tiny)
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
