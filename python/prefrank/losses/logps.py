"""Sequence log-probabilities from logits, or from hidden states through the chunked fused-linear path."""

from __future__ import annotations

import torch
from torch import Tensor

from prefrank._options import check_int
from prefrank.exceptions import input_error, parameter_error
from prefrank.losses.chunked import DEFAULT_CHUNK_ROWS, DEFAULT_CHUNK_VOCAB, chunked_token_logps

__all__ = ["sequence_logps", "sequence_logps_from_hidden", "token_counts", "token_logps"]

_SEQ_REDUCTIONS = ("sum", "mean", "none")


def _align(labels: Tensor, shift: bool) -> Tensor:
    if not isinstance(labels, Tensor) or labels.dtype not in (torch.int64, torch.int32):
        raise input_error("labels must be an int64 or int32 tensor", column="labels")
    return labels[..., 1:] if shift else labels


def token_counts(labels: Tensor, *, ignore_index: int = -100, shift: bool = False) -> Tensor:
    """Number of scored (non-ignored) tokens per sequence, ``[B]`` int64 (the ``|y|`` of length-normalised
    losses)."""
    check_int("ignore_index", ignore_index, min=-(2**63), max=2**63 - 1)
    labels = _align(labels, shift)
    return (labels != ignore_index).sum(dim=-1)


def token_logps(logits: Tensor, labels: Tensor, *, ignore_index: int = -100, shift: bool = False) -> Tensor:
    """Per-token log-probs ``log softmax(logits)[label]`` in float32, 0 where ``label == ignore_index``.

    ``logits`` ``[..., T, V]`` (any float dtype; upcast to float32 before the softmax), ``labels`` ``[...,
    T]``. With ``shift=True`` the causal-LM convention is applied first: ``logits[..., :-1, :]`` scores
    ``labels[..., 1:]``.
    """
    check_int("ignore_index", ignore_index, min=-(2**63), max=2**63 - 1)
    if not isinstance(logits, Tensor) or not logits.is_floating_point() or logits.dim() < 2:
        raise input_error("logits must be a float tensor of shape [..., T, V]", column="logits")
    labels = _align(labels, shift)
    if shift:
        logits = logits[..., :-1, :]
    if tuple(logits.shape[:-1]) != tuple(labels.shape):
        raise input_error(
            f"logits shape {tuple(logits.shape)} does not match labels shape {tuple(labels.shape)} "
            "(expected logits [..., T, V] and labels [..., T])"
        )
    v = logits.shape[-1]
    mask = labels != ignore_index
    bad = mask & ((labels < 0) | (labels >= v))
    if bool(bad.any()):
        pos = tuple(int(i) for i in bad.nonzero()[0])
        raise input_error(
            f"labels{list(pos)} = {int(labels[pos])} is outside the vocabulary [0, {v})",
            column="labels",
            value=int(labels[pos]),
        )
    safe = torch.where(mask, labels, torch.zeros_like(labels)).long()
    x = logits if logits.dtype == torch.float64 else logits.float()
    tok = x.gather(-1, safe.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(x, dim=-1)
    return torch.where(mask, tok, torch.zeros_like(tok))


def _reduce_tokens(tok: Tensor, mask: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return tok
    s = tok.sum(dim=-1)
    if reduction == "mean":
        s = s / mask.sum(dim=-1).clamp(min=1).to(s.dtype)
    return s


def sequence_logps(
    logits: Tensor,
    labels: Tensor,
    *,
    ignore_index: int = -100,
    reduction: str = "sum",
    shift: bool = False,
) -> Tensor:
    """Log-probability of each completion: sum (default) or mean of float32 token log-probs (float64 stays
    float64).

    Args:
        logits: ``[B, T, V]`` model outputs; ``logits[b, t]`` scores ``labels[b, t]`` (or ``labels[b, t + 1]``
            with ``shift=True``, the raw causal-LM output convention).
        labels: ``[B, T]`` token ids; prompt and padding positions set to ``ignore_index``.
        ignore_index: label marking positions that are not scored (default -100, as in torch and TRL).
        reduction: ``"sum"`` (the DPO convention), ``"mean"`` (per scored token; a sequence with no scored
        token gets 0) or ``"none"`` (per-token ``[B, T]``).
        shift: apply the causal shift.

    Returns:
        ``[B]`` float32 (``[B, T]`` for ``"none"``).
    """
    check_int("ignore_index", ignore_index, min=-(2**63), max=2**63 - 1)
    if reduction not in _SEQ_REDUCTIONS:
        raise parameter_error("reduction", f"reduction={reduction!r} is not one of 'sum', 'mean', 'none'")
    tok = token_logps(logits, labels, ignore_index=ignore_index, shift=shift)
    mask = _align(labels, shift) != ignore_index
    return _reduce_tokens(tok, mask, reduction)


def sequence_logps_from_hidden(
    hidden: Tensor,
    weight: Tensor,
    labels: Tensor,
    *,
    bias: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "sum",
    shift: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    chunk_vocab: int = DEFAULT_CHUNK_VOCAB,
) -> Tensor:
    """:func:`sequence_logps` from final hidden states ``[B, T, H]`` and the output projection ``[V, H]``.

    Uses :func:`prefrank.losses.chunked_token_logps`, so the ``[B, T, V]`` logits are never materialised; the
    result (and its gradients with respect to ``hidden``, ``weight``, ``bias``) equals
    ``sequence_logps(hidden @ weight.T + bias, labels)`` to float32 rounding.
    """
    check_int("chunk_rows", chunk_rows, min=1)
    check_int("chunk_vocab", chunk_vocab, min=1)
    check_int("ignore_index", ignore_index, min=-(2**63), max=2**63 - 1)
    if reduction not in _SEQ_REDUCTIONS:
        raise parameter_error("reduction", f"reduction={reduction!r} is not one of 'sum', 'mean', 'none'")
    if not isinstance(hidden, Tensor) or hidden.dim() != 3:
        raise input_error("hidden must be a 3-D tensor [B, T, H]", column="hidden")
    labels = _align(labels, shift)
    if shift:
        hidden = hidden[:, :-1, :]
    if tuple(hidden.shape[:2]) != tuple(labels.shape):
        raise input_error(f"hidden shape {tuple(hidden.shape)} does not match labels shape {tuple(labels.shape)}")
    b, t, h = hidden.shape
    tok = chunked_token_logps(
        hidden.reshape(b * t, h),
        weight,
        labels.reshape(b * t),
        bias=bias,
        ignore_index=ignore_index,
        chunk_rows=chunk_rows,
        chunk_vocab=chunk_vocab,
    ).reshape(b, t)
    return _reduce_tokens(tok, labels != ignore_index, reduction)
