"""Fused linear + pairwise preference loss: hidden states to a scalar loss in one pass over the vocabulary.

:func:`fused_linear_preference_loss` is the gradient-in-forward counterpart of
:func:`prefrank.losses.sequence_logps_from_hidden`. When gradients are needed it processes ``pairs_per_chunk``
pairs at a time: it computes the chunk's logits once (float32), the sequence log-probs, the per-pair loss and
its gradient with respect to the log-probs (any per-pair loss from :mod:`prefrank.losses.functional`, via a
tiny autograd graph), then turns the stored logits into ``d logits`` in place and accumulates ``d hidden`` and
``d weight``. That is three matrix products per token (the minimum) instead of the four of the recompute
path, at the cost of holding one chunk of logits. The backward only scales the stored gradients.

Without gradients (``torch.no_grad()`` or inputs that do not require grad) it runs the vocabulary-chunked
forward of :func:`prefrank.losses.chunked_token_logps`: one matrix product and no ``[N, V]`` tensor.

This is the design of Liger-Kernel's ``LigerFusedLinearDPOLoss``, with three differences: the forward-only
path does not compute gradients, reference log-probs can be precomputed tensors, and any per-pair loss (IPO,
robust, SimPO, ... with per-pair weights and per-pair tensors such as lengths) plugs in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

from prefrank._options import check_int
from prefrank.exceptions import input_error, parameter_error
from prefrank.losses._common import check_weights
from prefrank.losses.chunked import DEFAULT_CHUNK_VOCAB, chunked_token_logps

__all__ = ["fused_linear_preference_loss"]


def _acc(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def _pair_losses(
    loss_fn: Callable[..., Tensor],
    c: Tensor,
    r: Tensor,
    ref_c: Tensor | None,
    ref_r: Tensor | None,
    extra: Mapping[str, Tensor],
) -> Tensor:
    if ref_c is None:
        out = loss_fn(c, r, reduction="none", **extra)
    else:
        out = loss_fn(c, r, ref_c, ref_r, reduction="none", **extra)
    if not isinstance(out, Tensor) or tuple(out.shape) != tuple(c.shape):
        raise parameter_error("loss_fn", "loss_fn must return one loss per pair when called with reduction='none'")
    return out


class _FusedPreference(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        hidden: Tensor,
        weight: Tensor,
        bias: Tensor | None,
        labels: Tensor,
        ref_c: Tensor | None,
        ref_r: Tensor | None,
        pair_weights: Tensor | None,
        extra: Mapping[str, Tensor],
        loss_fn: Callable[..., Tensor],
        norm: float,
        ignore_index: int,
        pairs_per_chunk: int,
        grad_accum_dtype: torch.dtype | None,
        chunk_vocab: int,
    ) -> Tensor:
        two_b, t, h = hidden.shape
        v = weight.shape[0]
        b = two_b // 2
        dtype = hidden.dtype
        acc = _acc(dtype)
        dev = hidden.device
        need_h, need_w, need_b = ctx.needs_input_grad[:3]
        gacc = grad_accum_dtype or weight.dtype
        gh = torch.zeros(two_b * t, h, dtype=dtype, device=dev) if need_h else None
        gw = torch.zeros(weight.shape, dtype=gacc, device=dev) if need_w else None
        gb = torch.zeros(bias.shape, dtype=acc, device=dev) if (need_b and bias is not None) else None
        total = torch.zeros((), dtype=acc, device=dev)
        flat_h = hidden.reshape(two_b * t, h)
        flat_l = labels.reshape(two_b * t)
        for p0 in range(0, b, pairs_per_chunk):
            p1 = min(p0 + pairs_per_chunk, b)
            seqs = torch.cat([torch.arange(p0, p1, device=dev), torch.arange(b + p0, b + p1, device=dev)])
            ns = seqs.numel()
            pos = (seqs.unsqueeze(1) * t + torch.arange(t, device=dev)).reshape(-1)
            lab = flat_l.index_select(0, pos)
            keep = (lab != ignore_index).nonzero().squeeze(1)
            rows = pos.index_select(0, keep)
            seg = keep // t  # sequence index within the chunk
            tgt = lab.index_select(0, keep)
            hv = flat_h.index_select(0, rows)
            # float32 logits of this chunk of pairs; low-precision matmuls go block by block straight into
            # the float32 buffer (no full-size low-precision copy)
            cv = v if dtype == acc else chunk_vocab
            if cv >= v:
                z = hv @ weight.T
                if bias is not None:
                    z = z + bias
                z = z.to(acc)
            else:
                z = torch.empty(hv.shape[0], v, dtype=acc, device=dev)
                for v0 in range(0, v, cv):
                    v1 = min(v0 + cv, v)
                    blk = hv @ weight[v0:v1].T
                    z[:, v0:v1] = blk if bias is None else blk + bias[v0:v1]
            # log-sum-exp by vocabulary blocks: torch.logsumexp would allocate a second full-size buffer
            zmax = z.amax(dim=1)
            ssum = torch.zeros_like(zmax)
            for v0 in range(0, v, chunk_vocab):
                ssum += torch.exp(z[:, v0 : v0 + chunk_vocab] - zmax.unsqueeze(1)).sum(dim=1)
            lse = zmax + torch.log(ssum)
            tok = z.gather(1, tgt.unsqueeze(1)).squeeze(1) - lse
            seq_lp = torch.zeros(ns, dtype=acc, device=dev).index_add_(0, seg, tok)
            m = p1 - p0
            with torch.enable_grad():
                c = seq_lp[:m].detach().requires_grad_(True)
                r = seq_lp[m:].detach().requires_grad_(True)
                sl = {k: v[p0:p1] for k, v in extra.items()}
                per = _pair_losses(
                    loss_fn,
                    c,
                    r,
                    None if ref_c is None else ref_c[p0:p1],
                    None if ref_r is None else ref_r[p0:p1],
                    sl,
                )
                if pair_weights is not None:
                    per = per * pair_weights[p0:p1].to(per.dtype)
                chunk_loss = per.sum() / norm
                g_c, g_r = torch.autograd.grad(chunk_loss, [c, r], allow_unused=True)
            total += chunk_loss.detach().to(acc)
            g_seq = torch.cat(
                [
                    torch.zeros(m, dtype=acc, device=dev) if g_c is None else g_c.to(acc),
                    torch.zeros(m, dtype=acc, device=dev) if g_r is None else g_r.to(acc),
                ]
            )
            g_tok = g_seq.index_select(0, seg)
            # d loss / d z = g * (onehot(target) - softmax(z)), built in place in the logits buffer
            dz = z.sub_(lse.unsqueeze(1)).exp_().mul_(-g_tok.unsqueeze(1))
            dz[torch.arange(dz.shape[0], device=dev), tgt] += g_tok
            if gb is not None:
                gb += dz.sum(dim=0)
            ghv = torch.zeros(hv.shape[0], h, dtype=acc, device=dev) if gh is not None else None
            for v0 in range(0, v, cv):
                v1 = min(v0 + cv, v)
                d = dz[:, v0:v1] if cv < v else dz
                dc = d if dtype == acc else d.to(dtype)
                if ghv is not None:
                    ghv += (dc @ weight[v0:v1]).to(acc)
                if gw is not None:
                    gw[v0:v1] += (dc.T @ hv).to(gacc)
                del d, dc
            del z, dz
            if gh is not None and ghv is not None:
                gh.index_copy_(0, rows, ghv.to(dtype))
        if gh is not None:
            gh = gh.view(two_b, t, h)
        ctx.save_for_backward(*(x if x is not None else torch.empty(0) for x in (gh, gw, gb)))
        ctx.has = (gh is not None, gw is not None, gb is not None)
        ctx.dtypes = (weight.dtype, None if bias is None else bias.dtype)
        return total

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        gh, gw, gb = ctx.saved_tensors
        has_h, has_w, has_b = ctx.has
        wdt, bdt = ctx.dtypes
        s = grad_out
        out_h = gh * s.to(gh.dtype) if has_h else None
        out_w = (gw * s.to(gw.dtype)).to(wdt) if has_w else None
        out_b = (gb * s.to(gb.dtype)).to(bdt) if has_b else None
        return (out_h, out_w, out_b) + (None,) * 11


def fused_linear_preference_loss(
    hidden: Tensor,
    weight: Tensor,
    labels: Tensor,
    loss_fn: Callable[..., Tensor],
    *,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    bias: Tensor | None = None,
    weights: Tensor | None = None,
    pair_kwargs: Mapping[str, Tensor] | None = None,
    reduction: str = "mean",
    ignore_index: int = -100,
    pairs_per_chunk: int = 1,
    chunk_vocab: int = DEFAULT_CHUNK_VOCAB,
    grad_accum_dtype: torch.dtype | None = None,
) -> Tensor:
    """Pairwise preference loss straight from hidden states, never materialising all logits.

    Args:
        hidden: ``[2B, T, H]`` final hidden states, the B chosen completions first, then the B rejected
            ones (the TRL / Liger "concatenated" layout). Position ``t`` scores ``labels[:, t]`` (shift
            beforehand).
        weight: ``[V, H]`` output projection; ``bias`` optional ``[V]``.
        labels: ``[2B, T]`` token ids, ``ignore_index`` on prompt and padding.
        loss_fn: a per-pair loss, e.g. ``prefrank.losses.dpo_loss`` or
            ``functools.partial(prefrank.losses.ipo_loss, beta=0.5)``; called on chunks as
            ``loss_fn(chosen, rejected, ref_chosen, ref_rejected, reduction="none", **pair_kwargs)``
            (without the reference arguments when they are ``None``, for reference-free losses).
        ref_chosen_logps, ref_rejected_logps: ``[B]`` precomputed reference log-probs (or ``None``).
        weights: optional ``[B]`` per-pair weights; ``"mean"`` is then ``sum(w * loss) / sum(w)``.
        pair_kwargs: other per-pair ``[B]`` tensors for ``loss_fn`` (e.g. ``chosen_lengths``).
        reduction: ``"mean"`` (over pairs) or ``"sum"``.
        pairs_per_chunk: pairs whose logits are held at once when gradients are computed (memory about
            ``4 * pairs_per_chunk * 2 * T_completion * V`` bytes).
        chunk_vocab: vocabulary chunk of the forward-only path, and of the low-precision (bf16/fp16) matrix
            products of the gradient path (whose float32 logits are filled and consumed block by block).
        grad_accum_dtype: dtype of the ``d weight`` accumulator (default: ``weight``'s dtype, as Liger does;
            ``torch.float32`` for exact accumulation across chunks at the cost of ``4 * V * H`` bytes).

    Returns:
        the scalar loss (float32; float64 for float64 inputs). Equal to
        ``loss_fn(*sequence_logps(hidden @ weight.T + bias, labels).chunk(2), ...)`` reduced as asked, with
        the same gradients, to float rounding.

    Only per-pair (separable) losses fit here; batch-coupled ones need the two-pass path
    (:func:`prefrank.losses.sequence_logps_from_hidden` then the loss).
    """
    check_int("chunk_vocab", chunk_vocab, min=1)
    check_int("pairs_per_chunk", pairs_per_chunk, min=1)
    check_int("ignore_index", ignore_index, min=-(2**63), max=2**63 - 1)
    if not isinstance(hidden, Tensor) or hidden.dim() != 3 or hidden.shape[0] % 2:
        raise input_error(
            "hidden must be a [2B, T, H] tensor (chosen completions first, then rejected)", column="hidden"
        )
    if not isinstance(labels, Tensor) or tuple(labels.shape) != tuple(hidden.shape[:2]):
        raise input_error(f"labels must have shape {tuple(hidden.shape[:2])}", column="labels")
    if not isinstance(weight, Tensor) or weight.dim() != 2 or weight.shape[1] != hidden.shape[2]:
        raise input_error("weight must be a [V, H] tensor matching hidden's last dimension", column="weight")
    if weight.dtype != hidden.dtype:
        raise input_error(f"hidden dtype {hidden.dtype} differs from weight dtype {weight.dtype}")
    if reduction not in ("mean", "sum"):
        raise parameter_error("reduction", f"reduction={reduction!r} must be 'mean' or 'sum'")
    if (ref_chosen_logps is None) != (ref_rejected_logps is None):
        raise parameter_error(
            "ref_chosen_logps" if ref_chosen_logps is None else "ref_rejected_logps",
            "give both ref_chosen_logps and ref_rejected_logps, or neither (reference-free)",
        )
    b = hidden.shape[0] // 2
    extra = dict(pair_kwargs or {})
    for name, x in [("ref_chosen_logps", ref_chosen_logps), ("ref_rejected_logps", ref_rejected_logps),
                    ("weights", weights), *extra.items()]:  # fmt: skip
        if x is not None and (not isinstance(x, Tensor) or tuple(x.shape) != (b,)):
            raise input_error(f"{name} must be a tensor of shape ({b},)", column=name)
    labels = labels.long()
    v = weight.shape[0]
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= v))
    if bool(bad.any()):
        i, j = (int(k) for k in bad.nonzero()[0])
        raise input_error(
            f"labels[{i}, {j}] = {int(labels[i, j])} is outside the vocabulary [0, {v})",
            column="labels",
            value=int(labels[i, j]),
        )
    if b == 0:
        raise input_error("empty batch: the loss needs at least one pair (got 0)", column="hidden")
    total = None if weights is None else float(check_weights(weights, (b,)))
    norm = (float(b) if total is None else total) if reduction == "mean" else 1.0
    consts = [x for x in (ref_chosen_logps, ref_rejected_logps) if x is not None]
    needs_grad = torch.is_grad_enabled() and any(x.requires_grad for x in (hidden, weight, bias) if x is not None)
    if needs_grad and any(x.requires_grad for x in consts):
        raise input_error("reference log-probs must not require grad here (detach them)")
    if not needs_grad:
        tok = chunked_token_logps(
            hidden.reshape(-1, hidden.shape[2]),
            weight,
            labels.reshape(-1),
            bias=bias,
            ignore_index=ignore_index,
            chunk_vocab=chunk_vocab,
        ).reshape(labels.shape)
        lp = tok.sum(dim=1)
        per = _pair_losses(loss_fn, lp[:b], lp[b:], ref_chosen_logps, ref_rejected_logps, extra)
        if weights is not None:
            per = per * weights.to(per.dtype)
        return per.sum() / norm
    out: Tensor = _FusedPreference.apply(
        hidden,
        weight,
        bias,
        labels,
        ref_chosen_logps,
        ref_rejected_logps,
        weights,
        extra,
        loss_fn,
        norm,
        ignore_index,
        pairs_per_chunk,
        grad_accum_dtype,
        chunk_vocab,
    )
    return out
