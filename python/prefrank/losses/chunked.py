"""Chunked fused-linear token log-probs: ``log softmax(h @ W.T + b)[target]`` without the ``[N, V]`` logits.

The forward walks over row chunks and vocabulary chunks with a running (online) log-sum-exp, keeping for each
row only the target logit and the log-normaliser. The backward recomputes each ``[rows, vocab]`` logit block
from the saved inputs and the saved log-normaliser, forms ``d logits = g * (onehot(target) - softmax)`` block
by block and accumulates ``d hidden = dz @ W`` and ``d W = dz.T @ h`` (float32 accumulators). Peak extra
memory is one logit block (``chunk_rows x chunk_vocab`` float32) plus the float32 gradient accumulators,
instead of the ``N x V`` logits (and their float32 upcast and gradient) of the naive path.

Rows whose target is ``ignore_index`` are skipped entirely (no FLOPs) and get log-prob 0 and zero gradient.
Plain torch ops only, so the same code runs on CPU and CUDA.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from prefrank._options import check_int
from prefrank.exceptions import input_error

__all__ = ["DEFAULT_CHUNK_ROWS", "DEFAULT_CHUNK_VOCAB", "chunked_token_logps"]

DEFAULT_CHUNK_ROWS = 4096
DEFAULT_CHUNK_VOCAB = 32768


def _acc_dtype(dtype: torch.dtype) -> torch.dtype:
    """Softmax/accumulator dtype: float64 for float64 inputs, float32 otherwise."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def _block_logits(h: Tensor, weight: Tensor, bias: Tensor | None, v0: int, v1: int) -> Tensor:
    z = h @ weight[v0:v1].T
    if bias is not None:
        z = z + bias[v0:v1]
    return z.to(_acc_dtype(z.dtype))


class _ChunkedTokenLogps(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        hidden: Tensor,
        weight: Tensor,
        bias: Tensor | None,
        targets: Tensor,
        ignore_index: int,
        chunk_rows: int,
        chunk_vocab: int,
    ) -> Tensor:
        n = hidden.shape[0]
        v = weight.shape[0]
        acc = _acc_dtype(hidden.dtype)
        valid = targets != ignore_index
        rows = valid.nonzero().squeeze(1)
        nv = rows.numel()
        out = torch.zeros(n, dtype=acc, device=hidden.device)
        lse_all = torch.empty(nv, dtype=acc, device=hidden.device)
        h_all = hidden if nv == n else hidden.index_select(0, rows)
        t_all = targets if nv == n else targets.index_select(0, rows)
        tgt_all = torch.empty(nv, dtype=acc, device=hidden.device)
        for r0 in range(0, nv, chunk_rows):
            r1 = min(r0 + chunk_rows, nv)
            h = h_all[r0:r1]
            t = t_all[r0:r1]
            m = torch.full((r1 - r0,), float("-inf"), dtype=acc, device=hidden.device)
            s = torch.zeros(r1 - r0, dtype=acc, device=hidden.device)
            tgt = torch.zeros(r1 - r0, dtype=acc, device=hidden.device)
            for v0 in range(0, v, chunk_vocab):
                v1 = min(v0 + chunk_vocab, v)
                z = _block_logits(h, weight, bias, v0, v1)
                new_m = torch.maximum(m, z.amax(dim=1))
                s = s * torch.exp(m - new_m) + torch.exp(z - new_m.unsqueeze(1)).sum(dim=1)
                m = new_m
                inside = (t >= v0) & (t < v1)
                local = (t - v0).clamp(0, v1 - v0 - 1)
                tgt = tgt + torch.where(inside, z.gather(1, local.unsqueeze(1)).squeeze(1), 0.0)
            lse_all[r0:r1] = m + torch.log(s)
            tgt_all[r0:r1] = tgt
        out.index_copy_(0, rows, tgt_all - lse_all)
        ctx.save_for_backward(hidden, weight, bias, targets, rows, lse_all)
        ctx.chunks = (chunk_rows, chunk_vocab)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        hidden, weight, bias, targets, rows, lse_all = ctx.saved_tensors
        chunk_rows, chunk_vocab = ctx.chunks
        need_h, need_w, need_b = ctx.needs_input_grad[:3]
        n, hdim = hidden.shape
        v = weight.shape[0]
        nv = rows.numel()
        dtype = hidden.dtype
        acc = _acc_dtype(dtype)
        h_all = hidden if nv == n else hidden.index_select(0, rows)
        t_all = targets if nv == n else targets.index_select(0, rows)
        g_all = grad_out.to(acc) if nv == n else grad_out.to(acc).index_select(0, rows)
        gh = torch.zeros(nv, hdim, dtype=acc, device=hidden.device) if need_h else None
        gw = torch.empty_like(weight) if need_w else None
        gb = torch.empty_like(bias) if (need_b and bias is not None) else None
        for v0 in range(0, v, chunk_vocab):
            v1 = min(v0 + chunk_vocab, v)
            w = weight[v0:v1]
            acc_w = torch.zeros(v1 - v0, hdim, dtype=acc, device=hidden.device) if need_w else None
            acc_b = torch.zeros(v1 - v0, dtype=acc, device=hidden.device) if gb is not None else None
            for r0 in range(0, nv, chunk_rows):
                r1 = min(r0 + chunk_rows, nv)
                h = h_all[r0:r1]
                t = t_all[r0:r1]
                g = g_all[r0:r1]
                z = _block_logits(h, weight, bias, v0, v1)
                # d logp / d z = onehot(target) - softmax(z); scaled by the incoming gradient g
                dz = torch.exp(z - lse_all[r0:r1].unsqueeze(1)).mul_(-g.unsqueeze(1))
                # + g at the target column when the target falls in this vocabulary chunk (no host sync)
                inside = (t >= v0) & (t < v1)
                local = (t - v0).clamp(0, v1 - v0 - 1)
                dz.scatter_add_(1, local.unsqueeze(1), torch.where(inside, g, 0.0).unsqueeze(1))
                if gh is not None:
                    if dtype == acc:
                        gh[r0:r1].addmm_(dz, w)
                    else:
                        gh[r0:r1] += (dz.to(dtype) @ w).to(acc)
                if acc_w is not None:
                    if dtype == acc:
                        acc_w.addmm_(dz.T, h)
                    else:
                        acc_w += (dz.to(dtype).T @ h).to(acc)
                if acc_b is not None:
                    acc_b += dz.sum(dim=0)
            if gw is not None and acc_w is not None:
                gw[v0:v1] = acc_w.to(gw.dtype)
            if gb is not None and acc_b is not None:
                gb[v0:v1] = acc_b.to(gb.dtype)
        grad_hidden = None
        if gh is not None:
            if nv == n:
                grad_hidden = gh.to(dtype)
            else:
                grad_hidden = torch.zeros_like(hidden)
                grad_hidden.index_copy_(0, rows, gh.to(dtype))
        return grad_hidden, gw, gb, None, None, None, None


def chunked_token_logps(
    hidden: Tensor,
    weight: Tensor,
    targets: Tensor,
    *,
    bias: Tensor | None = None,
    ignore_index: int = -100,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    chunk_vocab: int = DEFAULT_CHUNK_VOCAB,
) -> Tensor:
    """Per-token log-probs ``log softmax(hidden @ weight.T + bias)[targets]`` computed in chunks.

    Args:
        hidden: ``[N, H]`` final hidden states (any float dtype; bf16/fp16 matmuls, float32 softmax).
        weight: ``[V, H]`` output projection (``lm_head.weight``), same dtype as ``hidden``.
        targets: ``[N]`` integer token ids; ``ignore_index`` marks positions to skip.
        bias: optional ``[V]`` output bias.
        ignore_index: target value whose positions get log-prob 0 and no gradient (default -100).
        chunk_rows, chunk_vocab: block size of the logit tiles (memory ~ ``4 * chunk_rows * chunk_vocab``
        bytes).

    Returns:
        ``[N]`` float32 log-probs (float64 for float64 inputs), equal (to float32 rounding) to
        ``log_softmax((hidden @ weight.T + bias).float(), -1).gather(-1, targets)`` with zeros at ignored
        rows.
        Differentiable with respect to ``hidden``, ``weight`` and ``bias`` (first order only); the backward
        recomputes the logit blocks instead of storing them.
    """
    check_int("chunk_rows", chunk_rows, min=1)
    check_int("chunk_vocab", chunk_vocab, min=1)
    check_int("ignore_index", ignore_index, min=-(2**63), max=2**63 - 1)
    for name, x in (("hidden", hidden), ("weight", weight)):
        if not isinstance(x, Tensor) or not x.is_floating_point() or x.dim() != 2:
            raise input_error(f"{name} must be a 2-D float tensor", column=name)
    if hidden.shape[1] != weight.shape[1]:
        raise input_error(f"hidden has {hidden.shape[1]} features but weight has {weight.shape[1]} (weight is [V, H])")
    if hidden.dtype != weight.dtype:
        raise input_error(f"hidden dtype {hidden.dtype} differs from weight dtype {weight.dtype}")
    if not isinstance(targets, Tensor) or targets.dtype not in (torch.int64, torch.int32):
        raise input_error("targets must be an int64 or int32 tensor", column="targets")
    if targets.shape != (hidden.shape[0],):
        raise input_error(f"targets has shape {tuple(targets.shape)}, expected ({hidden.shape[0]},)", column="targets")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise input_error(f"bias has shape {tuple(bias.shape)}, expected ({weight.shape[0]},)", column="bias")
    targets = targets.long()
    v = weight.shape[0]
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= v))
    if bool(bad.any()):
        row = int(bad.nonzero()[0, 0])
        raise input_error(
            f"target {int(targets[row])} is outside the vocabulary [0, {v}) and is not ignore_index={ignore_index}",
            row=row,
            column="targets",
            value=int(targets[row]),
        )
    out: Tensor = _ChunkedTokenLogps.apply(hidden, weight, bias, targets, ignore_index, chunk_rows, chunk_vocab)
    return out
