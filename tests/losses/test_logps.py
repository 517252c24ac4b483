"""Sequence log-probs and the chunked fused-linear path: values, gradients, equivalence with naive."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import prefrank.losses as L  # noqa: E402
from prefrank.exceptions import ParameterError, PrefrankError  # noqa: E402

IGN = -100


def np_token_logps(logits: np.ndarray, labels: np.ndarray, ignore_index: int = IGN) -> np.ndarray:
    """Independent float64 reference: explicit max-shifted log-sum-exp per position."""
    out = np.zeros(labels.shape)
    for idx in np.ndindex(labels.shape):
        y = labels[idx]
        if y == ignore_index:
            continue
        row = logits[idx].astype(np.float64)
        m = row.max()
        out[idx] = row[y] - (m + np.log(np.exp(row - m).sum()))
    return out


def random_batch(b=3, t=7, v=13, seed=0, ignore_frac=0.3):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, t, v, generator=g, dtype=torch.float64) * 3
    labels = torch.randint(0, v, (b, t), generator=g)
    mask = torch.rand(b, t, generator=g) < ignore_frac
    labels[mask] = IGN
    labels[0, :2] = IGN  # a prompt
    return logits, labels


# ------------------------------------------------------------------------------------------------
# sequence_logps from logits
# ------------------------------------------------------------------------------------------------


def test_token_and_sequence_logps_match_reference() -> None:
    logits, labels = random_batch()
    want_tok = np_token_logps(logits.numpy(), labels.numpy())
    np.testing.assert_allclose(L.token_logps(logits, labels).numpy(), want_tok, rtol=1e-12, atol=1e-12)
    counts = (labels != IGN).sum(-1).numpy()
    np.testing.assert_allclose(L.sequence_logps(logits, labels).numpy(), want_tok.sum(-1), rtol=1e-12)
    np.testing.assert_allclose(
        L.sequence_logps(logits, labels, reduction="mean").numpy(),
        want_tok.sum(-1) / np.maximum(counts, 1),
        rtol=1e-12,
    )
    np.testing.assert_array_equal(L.token_counts(labels).numpy(), counts)
    np.testing.assert_allclose(L.sequence_logps(logits, labels, reduction="none").numpy(), want_tok, atol=1e-12)


def test_sequence_logps_shift_and_custom_ignore_index() -> None:
    logits, labels = random_batch(seed=1)
    labels[labels == IGN] = -1
    got = L.sequence_logps(logits, labels, shift=True, ignore_index=-1)
    want = L.sequence_logps(logits[:, :-1], labels[:, 1:], ignore_index=-1)
    torch.testing.assert_close(got, want)
    assert torch.equal(L.token_counts(labels, shift=True, ignore_index=-1), (labels[:, 1:] != -1).sum(-1))


def test_sequence_logps_all_ignored_row_is_zero_for_sum_and_mean() -> None:
    logits, labels = random_batch(seed=2)
    labels[1] = IGN
    for red in ("sum", "mean"):
        out = L.sequence_logps(logits, labels, reduction=red)
        assert out[1].item() == 0.0 and torch.isfinite(out).all()


def test_sequence_logps_upcasts_low_precision_to_float32() -> None:
    logits, labels = random_batch(v=50, seed=3)
    lowp = logits.to(torch.bfloat16)
    out = L.sequence_logps(lowp, labels)
    assert out.dtype == torch.float32
    want = np_token_logps(lowp.double().numpy(), labels.numpy()).sum(-1)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-4)


def test_sequence_logps_gradient_matches_log_softmax() -> None:
    logits, labels = random_batch(seed=4)
    x = logits.clone().requires_grad_(True)
    L.sequence_logps(x, labels).sum().backward()
    y = logits.clone().requires_grad_(True)
    lp = torch.log_softmax(y, -1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    (lp * (labels != IGN)).sum().backward()
    torch.testing.assert_close(x.grad, y.grad)
    assert torch.all(x.grad[labels == IGN] == 0)


def test_sequence_logps_errors() -> None:
    logits, labels = random_batch()
    with pytest.raises(PrefrankError, match="reduction"):
        L.sequence_logps(logits, labels, reduction="max")
    with pytest.raises(PrefrankError, match="does not match"):
        L.sequence_logps(logits[:, :-1], labels)
    with pytest.raises(PrefrankError, match="int64"):
        L.sequence_logps(logits, labels.double())
    bad = labels.clone()
    bad[2, 3] = 13
    with pytest.raises(PrefrankError, match=r"labels\[2, 3\] = 13 is outside the vocabulary"):
        L.sequence_logps(logits, bad)
    with pytest.raises(PrefrankError, match="float tensor"):
        L.sequence_logps(labels, labels)


# ------------------------------------------------------------------------------------------------
# chunked fused-linear path
# ------------------------------------------------------------------------------------------------

SHAPES = [
    # (N rows, H, V, chunk_rows, chunk_vocab, bias)
    (37, 11, 53, 8, 16, True),
    (37, 11, 53, 64, 1000, False),  # one chunk each way
    (29, 5, 97, 1, 7, True),  # single-row chunks, odd vocab chunks
    (64, 16, 128, 16, 32, False),  # even splits
    (13, 3, 31, 5, 31, True),
]


def naive_token_logps(h, w, b, targets):
    logits = h @ w.T
    if b is not None:
        logits = logits + b
    x = logits.float() if logits.dtype != torch.float64 else logits
    mask = targets != IGN
    tok = torch.log_softmax(x, -1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return torch.where(mask, tok, torch.zeros_like(tok))


def make_linear(n, h, v, bias, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    hid = torch.randn(n, h, generator=g, dtype=torch.float64).to(dtype)
    w = (torch.randn(v, h, generator=g, dtype=torch.float64) / h**0.5 * 2).to(dtype)
    b = (torch.randn(v, generator=g, dtype=torch.float64) * 0.5).to(dtype) if bias else None
    t = torch.randint(0, v, (n,), generator=g)
    t[torch.rand(n, generator=g) < 0.3] = IGN
    t[0] = IGN
    t[-1] = v - 1  # last vocabulary entry (in the last, partial, vocab chunk)
    return hid, w, b, t


def _grads(fn, hid, w, b, t, upstream):
    leaves = [x.clone().requires_grad_(True) for x in (hid, w) + ((b,) if b is not None else ())]
    out = fn(leaves[0], leaves[1], leaves[2] if b is not None else None, t)
    (out * upstream).sum().backward()
    return out.detach(), [x.grad for x in leaves]


@pytest.mark.parametrize("shape", SHAPES, ids=[str(s) for s in SHAPES])
def test_chunked_equals_naive_values_and_all_gradients_float32(shape) -> None:
    n, h, v, cr, cv, bias = shape
    hid, w, b, t = make_linear(n, h, v, bias, seed=n + v)
    upstream = torch.randn(n, generator=torch.Generator().manual_seed(1))

    def chunked(hh, ww, bb, tt):
        return L.chunked_token_logps(hh, ww, tt, bias=bb, chunk_rows=cr, chunk_vocab=cv)

    out_c, g_c = _grads(chunked, hid, w, b, t, upstream)
    out_n, g_n = _grads(naive_token_logps, hid, w, b, t, upstream)
    assert out_c.dtype == torch.float32
    torch.testing.assert_close(out_c, out_n, rtol=1e-5, atol=1e-5)
    assert torch.all(out_c[t == IGN] == 0)
    for gc, gn in zip(g_c, g_n, strict=True):
        torch.testing.assert_close(gc, gn, rtol=1e-4, atol=1e-5)
    assert torch.all(g_c[0][t == IGN] == 0)


def test_chunked_gradcheck_float64() -> None:
    hid, w, b, t = make_linear(17, 4, 23, True, seed=5, dtype=torch.float64)
    args = tuple(x.clone().requires_grad_(True) for x in (hid, w, b))

    def f(hh, ww, bb):
        return L.chunked_token_logps(hh, ww, t, bias=bb, chunk_rows=5, chunk_vocab=6)

    assert torch.autograd.gradcheck(f, args)


def test_chunked_all_rows_ignored() -> None:
    hid, w, _, _ = make_linear(6, 4, 9, False, seed=6)
    t = torch.full((6,), IGN)
    hh = hid.clone().requires_grad_(True)
    ww = w.clone().requires_grad_(True)
    out = L.chunked_token_logps(hh, ww, t)
    out.sum().backward()
    assert torch.all(out == 0) and torch.all(hh.grad == 0) and torch.all(ww.grad == 0)


def test_chunked_bfloat16_close_to_naive() -> None:
    hid, w, _, t = make_linear(40, 16, 70, False, seed=7, dtype=torch.bfloat16)
    out_c, g_c = _grads(
        lambda hh, ww, bb, tt: L.chunked_token_logps(hh, ww, tt, chunk_rows=16, chunk_vocab=32),
        hid,
        w,
        None,
        t,
        torch.ones(40),
    )
    out_n, g_n = _grads(naive_token_logps, hid, w, None, t, torch.ones(40))
    assert out_c.dtype == torch.float32 and g_c[0].dtype == torch.bfloat16
    torch.testing.assert_close(out_c, out_n, rtol=2e-2, atol=5e-2)
    for gc, gn in zip(g_c, g_n, strict=True):
        torch.testing.assert_close(gc.float(), gn.float(), rtol=5e-2, atol=5e-2)


def test_sequence_logps_from_hidden_equals_naive() -> None:
    b_, t_, h, v = 4, 9, 6, 41
    g = torch.Generator().manual_seed(8)
    hid = torch.randn(b_, t_, h, generator=g)
    w = torch.randn(v, h, generator=g) / h**0.5
    labels = torch.randint(0, v, (b_, t_), generator=g)
    labels[:, :3] = IGN
    labels[2, 5:] = IGN
    for red in ("sum", "mean", "none"):
        for shift in (False, True):
            got = L.sequence_logps_from_hidden(hid, w, labels, reduction=red, shift=shift, chunk_rows=5, chunk_vocab=16)
            want = L.sequence_logps(hid @ w.T, labels, reduction=red, shift=shift)
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


PAIR_LOSSES = [
    ("dpo", lambda pc, pr, rc, rr, lc, lr: L.dpo_loss(pc, pr, rc, rr)),
    (
        "ipo",
        lambda pc, pr, rc, rr, lc, lr: L.ipo_loss(pc, pr, rc, rr, chosen_lengths=lc, rejected_lengths=lr),
    ),
    ("simpo", lambda pc, pr, rc, rr, lc, lr: L.simpo_loss(pc, pr, chosen_lengths=lc, rejected_lengths=lr)),
    ("orpo", lambda pc, pr, rc, rr, lc, lr: L.orpo_loss(pc, pr, chosen_lengths=lc, rejected_lengths=lr)),
    ("robust", lambda pc, pr, rc, rr, lc, lr: L.robust_dpo_loss(pc, pr, rc, rr, epsilon=0.2)),
]


@pytest.mark.parametrize("name,loss_fn", PAIR_LOSSES, ids=[n for n, _ in PAIR_LOSSES])
def test_losses_run_unchanged_on_chunked_output(name, loss_fn) -> None:
    """Hidden states -> sequence log-probs (chunked vs naive) -> loss: loss and every gradient agree,
    with precomputed (constant) reference log-probs."""
    pairs, t_, h, v = 3, 11, 8, 67
    g = torch.Generator().manual_seed(9)
    hid = torch.randn(2 * pairs, t_, h, generator=g)
    w = torch.randn(v, h, generator=g) / h**0.5
    bias = torch.randn(v, generator=g) * 0.1
    labels = torch.randint(0, v, (2 * pairs, t_), generator=g)
    labels[:, :4] = IGN
    labels[1, 9:] = IGN
    ref = -torch.rand(2 * pairs, generator=g) * 5 - 20  # precomputed reference log-probs
    lengths = L.token_counts(labels).float()

    def run(chunked: bool):
        hh = hid.clone().requires_grad_(True)
        ww = w.clone().requires_grad_(True)
        bb = bias.clone().requires_grad_(True)
        if chunked:
            lp = L.sequence_logps_from_hidden(hh, ww, labels, bias=bb, chunk_rows=7, chunk_vocab=20)
        else:
            lp = L.sequence_logps(hh @ ww.T + bb, labels)
        loss = loss_fn(lp[:pairs], lp[pairs:], ref[:pairs], ref[pairs:], lengths[:pairs], lengths[pairs:])
        loss.backward()
        return loss.detach(), hh.grad, ww.grad, bb.grad

    got, want = run(True), run(False)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_kway_and_listwise_losses_run_on_chunked_output() -> None:
    bsz, k, t_, h, v = 2, 3, 6, 5, 29
    g = torch.Generator().manual_seed(10)
    hid = torch.randn(bsz * k, t_, h, generator=g)
    w = torch.randn(v, h, generator=g) / h**0.5
    labels = torch.randint(0, v, (bsz * k, t_), generator=g)
    labels[:, :2] = IGN
    ref = -torch.rand(bsz, k, generator=g) * 3 - 10
    rewards = torch.randn(bsz, k, generator=g)

    def run(chunked: bool, which: str):
        hh = hid.clone().requires_grad_(True)
        ww = w.clone().requires_grad_(True)
        if chunked:
            lp = L.sequence_logps_from_hidden(hh, ww, labels, chunk_rows=4, chunk_vocab=8)
        else:
            lp = L.sequence_logps(hh @ ww.T, labels)
        lp = lp.reshape(bsz, k)
        if which == "infonca":
            loss = L.infonca_loss(lp, ref, rewards)
        elif which == "nca":
            loss = L.nca_loss(lp, ref, rewards)
        else:
            loss = L.plackett_luce_dpo_loss(lp, ref)
        loss.backward()
        return loss.detach(), hh.grad, ww.grad

    for which in ("infonca", "nca", "pl"):
        for a, b in zip(run(True, which), run(False, which), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_chunked_cuda_matches_cpu() -> None:  # pragma: no cover - runs on GPU machines only
    hid, w, b, t = make_linear(37, 11, 53, True, seed=11)
    up = torch.randn(37)
    f = lambda hh, ww, bb, tt: L.chunked_token_logps(hh, ww, tt, bias=bb, chunk_rows=8, chunk_vocab=16)  # noqa: E731
    out_cpu, g_cpu = _grads(f, hid, w, b, t, up)
    out_gpu, g_gpu = _grads(f, hid.cuda(), w.cuda(), b.cuda(), t.cuda(), up.cuda())
    torch.testing.assert_close(out_gpu.cpu(), out_cpu, rtol=1e-4, atol=1e-4)
    for a, c in zip(g_gpu, g_cpu, strict=True):
        torch.testing.assert_close(a.cpu(), c, rtol=1e-3, atol=1e-4)


def test_chunked_errors() -> None:
    hid, w, b, t = make_linear(5, 3, 7, True, seed=12)
    with pytest.raises(PrefrankError, match="2-D"):
        L.chunked_token_logps(hid[None], w, t)
    with pytest.raises(PrefrankError, match="features"):
        L.chunked_token_logps(hid, w[:, :2], t)
    with pytest.raises(PrefrankError, match="dtype"):
        L.chunked_token_logps(hid.double(), w, t)
    with pytest.raises(PrefrankError, match="int64"):
        L.chunked_token_logps(hid, w, t.float())
    with pytest.raises(PrefrankError, match="shape"):
        L.chunked_token_logps(hid, w, t[:3])
    with pytest.raises(PrefrankError, match="bias"):
        L.chunked_token_logps(hid, w, t, bias=b[:3])
    with pytest.raises(PrefrankError, match="chunk_rows"):
        L.chunked_token_logps(hid, w, t, chunk_rows=0)
    bad = t.clone()
    bad[2] = 7
    with pytest.raises(PrefrankError, match="row 2: target 7 is outside the vocabulary"):
        L.chunked_token_logps(hid, w, bad)
    with pytest.raises(PrefrankError, match="3-D"):
        L.sequence_logps_from_hidden(hid, w, t)
    with pytest.raises(PrefrankError, match="does not match"):
        L.sequence_logps_from_hidden(hid[None], w, t[None, :4])
    with pytest.raises(PrefrankError, match="reduction"):
        L.sequence_logps_from_hidden(hid[None], w, t[None], reduction="max")


# ------------------------------------------------------------------------------------------------
# fused linear + preference loss (gradient in forward)
# ------------------------------------------------------------------------------------------------


def _fused_setup(seed=13, b=3, t=10, h=7, v=43, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    hid = torch.randn(2 * b, t, h, generator=g, dtype=torch.float64).to(dtype)
    w = (torch.randn(v, h, generator=g, dtype=torch.float64) / h**0.5).to(dtype)
    bias = (torch.randn(v, generator=g, dtype=torch.float64) * 0.1).to(dtype)
    labels = torch.randint(0, v, (2 * b, t), generator=g)
    labels[:, :3] = IGN
    labels[1, 7:] = IGN
    labels[2 * b - 1, 5:] = IGN
    ref = (-torch.rand(2 * b, generator=g, dtype=torch.float64) * 3 - 20).to(
        torch.float32 if dtype != torch.float64 else dtype
    )
    return hid, w, bias, labels, ref


FUSED_CASES = [
    ("dpo", L.dpo_loss, True, None),
    ("ipo_len", lambda *a, **k: L.ipo_loss(*a, beta=0.5, **k), True, "lengths"),
    ("robust_w", lambda *a, **k: L.robust_dpo_loss(*a, epsilon=0.2, **k), True, "weights"),
    ("simpo_free", lambda *a, **k: L.simpo_loss(*a, **k), False, "lengths"),
    ("lcpo", L.lcpo_loss, True, None),
]


@pytest.mark.parametrize("name,fn,use_ref,extra", FUSED_CASES, ids=[c[0] for c in FUSED_CASES])
@pytest.mark.parametrize("pairs_per_chunk", [1, 2, 5])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_fused_equals_naive(name, fn, use_ref, extra, pairs_per_chunk, reduction) -> None:
    hid, w, bias, labels, ref = _fused_setup()
    b = hid.shape[0] // 2
    counts = L.token_counts(labels).float()
    pair_kwargs = {"chosen_lengths": counts[:b], "rejected_lengths": counts[b:]} if extra == "lengths" else {}
    weights = torch.tensor([0.5, 2.0, 1.0]) if extra == "weights" else None
    refs = (ref[:b], ref[b:]) if use_ref else ()

    def run(fused: bool):
        hh = hid.clone().requires_grad_(True)
        ww = w.clone().requires_grad_(True)
        bb = bias.clone().requires_grad_(True)
        if fused:
            loss = L.fused_linear_preference_loss(
                hh, ww, labels, fn,
                ref_chosen_logps=refs[0] if refs else None,
                ref_rejected_logps=refs[1] if refs else None,
                bias=bb, weights=weights, pair_kwargs=pair_kwargs, reduction=reduction,
                pairs_per_chunk=pairs_per_chunk, chunk_vocab=16,
            )  # fmt: skip
        else:
            lp = L.sequence_logps(hh @ ww.T + bb, labels)
            loss = fn(lp[:b], lp[b:], *refs, weights=weights, reduction=reduction, **pair_kwargs)
        (2.5 * loss).backward()  # a non-unit upstream gradient
        return loss.detach(), hh.grad, ww.grad, bb.grad

    for a, c in zip(run(True), run(False), strict=True):
        torch.testing.assert_close(a, c, rtol=1e-4, atol=1e-6)
    with torch.no_grad():  # gradient-free forward path
        nograd = L.fused_linear_preference_loss(
            hid, w, labels, fn, ref_chosen_logps=refs[0] if refs else None,
            ref_rejected_logps=refs[1] if refs else None, bias=bias, weights=weights,
            pair_kwargs=pair_kwargs, reduction=reduction, chunk_vocab=8,
        )  # fmt: skip
    torch.testing.assert_close(nograd, run(False)[0], rtol=1e-5, atol=1e-6)


def test_fused_gradcheck_float64() -> None:
    hid, w, bias, labels, ref = _fused_setup(b=2, t=5, h=3, v=11, dtype=torch.float64)
    args = tuple(x.clone().requires_grad_(True) for x in (hid, w, bias))

    def f(hh, ww, bb):
        return L.fused_linear_preference_loss(
            hh, ww, labels, L.dpo_loss, ref_chosen_logps=ref[:2], ref_rejected_logps=ref[2:], bias=bb
        )

    assert torch.autograd.gradcheck(f, args)


def test_fused_bfloat16_close_to_naive() -> None:
    hid, w, _, labels, ref = _fused_setup(dtype=torch.bfloat16, v=64)
    b = hid.shape[0] // 2
    res = []
    for fused in (True, False):
        hh = hid.clone().requires_grad_(True)
        ww = w.clone().requires_grad_(True)
        if fused:
            loss = L.fused_linear_preference_loss(
                hh, ww, labels, L.dpo_loss, ref_chosen_logps=ref[:b], ref_rejected_logps=ref[b:],
                grad_accum_dtype=torch.float32, chunk_vocab=24,
            )  # fmt: skip
        else:
            lp = L.sequence_logps(hh @ ww.T, labels)
            loss = L.dpo_loss(lp[:b], lp[b:], ref[:b], ref[b:])
        loss.backward()
        res.append((loss.detach().float(), hh.grad.float(), ww.grad.float()))
    assert res[0][1].dtype == torch.float32
    for a, c in zip(*res, strict=True):
        torch.testing.assert_close(a, c, rtol=5e-2, atol=2e-2)


def test_fused_errors() -> None:
    hid, w, _, labels, ref = _fused_setup()
    with pytest.raises(PrefrankError, match=r"\[2B, T, H\]"):
        L.fused_linear_preference_loss(hid[:5], w, labels[:5], L.dpo_loss)
    with pytest.raises(PrefrankError, match="labels must have shape"):
        L.fused_linear_preference_loss(hid, w, labels[:, :4], L.dpo_loss)
    with pytest.raises(PrefrankError, match="weight"):
        L.fused_linear_preference_loss(hid, w[:, :3], labels, L.dpo_loss)
    with pytest.raises(PrefrankError, match="reduction"):
        L.fused_linear_preference_loss(hid, w, labels, L.dpo_loss, reduction="none")
    with pytest.raises(PrefrankError, match="pairs_per_chunk"):
        L.fused_linear_preference_loss(hid, w, labels, L.dpo_loss, pairs_per_chunk=0)
    with pytest.raises(PrefrankError, match="chunk_vocab"):
        L.fused_linear_preference_loss(hid, w, labels, L.dpo_loss, chunk_vocab=0)
    with pytest.raises(PrefrankError, match="both"):
        L.fused_linear_preference_loss(hid, w, labels, L.dpo_loss, ref_chosen_logps=ref[:3])
    with pytest.raises(PrefrankError, match="weights must be a tensor of shape"):
        L.fused_linear_preference_loss(hid, w, labels, L.dpo_loss, weights=torch.ones(2))
    with pytest.raises(ParameterError, match="positive, finite sum") as e:
        L.fused_linear_preference_loss(hid, w, labels, L.dpo_loss, weights=torch.zeros(3))
    assert e.value.param == "weights"
    bad = labels.clone()
    bad[4, 6] = 43
    with pytest.raises(PrefrankError, match=r"labels\[4, 6\] = 43"):
        L.fused_linear_preference_loss(hid, w, bad, L.dpo_loss)
    with pytest.raises(PrefrankError, match="one loss per pair"):
        L.fused_linear_preference_loss(hid.requires_grad_(True), w, labels, lambda c, r, reduction: (c - r).sum())
    with pytest.raises(PrefrankError, match="detach"):
        L.fused_linear_preference_loss(
            hid.requires_grad_(True), w, labels, L.dpo_loss,
            ref_chosen_logps=ref[:3].requires_grad_(True), ref_rejected_logps=ref[3:],
        )  # fmt: skip
