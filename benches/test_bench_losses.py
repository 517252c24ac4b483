"""pytest-benchmark (CPU): DPO from hidden states by the naive, chunked and fused paths; the loss zoo.

Run: ``PYTHONPATH=python pytest benches/test_bench_losses.py --benchmark-only``. GPU timings (the ones that
matter for training) are in ``benches/gpu/losses.py``.
"""

from __future__ import annotations

import functools

import pytest

torch = pytest.importorskip("torch")

import prefrank.losses as L  # noqa: E402

B, T, H, V = 2, 128, 128, 4096
IGN = -100


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: on a small shared machine, more threads mostly measure contention."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def inputs():
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(2 * B, T, H, generator=g)
    weight = torch.randn(V, H, generator=g) / H**0.5
    labels = torch.randint(0, V, (2 * B, T), generator=g)
    labels[:, : T // 4] = IGN
    ref = -torch.rand(2 * B, generator=g) * 10 - T
    return hidden, weight, labels, ref


def _naive(hidden, weight, labels, ref):
    lp = L.sequence_logps(hidden @ weight.T, labels)
    return L.dpo_loss(lp[:B], lp[B:], ref[:B], ref[B:])


def _chunked(hidden, weight, labels, ref):
    lp = L.sequence_logps_from_hidden(hidden, weight, labels, chunk_vocab=1024)
    return L.dpo_loss(lp[:B], lp[B:], ref[:B], ref[B:])


def _fused(hidden, weight, labels, ref):
    return L.fused_linear_preference_loss(
        hidden,
        weight,
        labels,
        functools.partial(L.dpo_loss),
        ref_chosen_logps=ref[:B],
        ref_rejected_logps=ref[B:],
    )


PATHS = {"naive": _naive, "chunked": _chunked, "fused": _fused}


@pytest.mark.benchmark(group="losses: DPO from hidden states, forward+backward (CPU)")
@pytest.mark.parametrize("path", list(PATHS))
def test_bench_dpo_from_hidden_fwd_bwd(benchmark, inputs, path) -> None:
    hidden, weight, labels, ref = inputs
    h = hidden.clone().requires_grad_(True)
    w = weight.clone().requires_grad_(True)

    def run():
        h.grad = None
        w.grad = None
        loss = PATHS[path](h, w, labels, ref)
        loss.backward()
        return loss

    loss = benchmark(run)
    assert torch.isfinite(loss)


@pytest.mark.benchmark(group="losses: DPO from hidden states, forward only (CPU)")
@pytest.mark.parametrize("path", list(PATHS))
def test_bench_dpo_from_hidden_fwd(benchmark, inputs, path) -> None:
    hidden, weight, labels, ref = inputs

    def run():
        with torch.no_grad():
            return PATHS[path](hidden, weight, labels, ref)

    assert torch.isfinite(benchmark(run))


@pytest.mark.benchmark(group="losses: pairwise loss zoo, 4096 pairs fwd+bwd (CPU)")
@pytest.mark.parametrize(
    "name", ["dpo_loss", "robust_dpo_loss", "ipo_loss", "discopop_loss", "exo_pair_loss", "lcpo_loss"]
)
def test_bench_pair_losses(benchmark, name) -> None:
    g = torch.Generator().manual_seed(1)
    xs = [-(torch.rand(4096, generator=g) * 50 + 1) for _ in range(4)]
    fn = getattr(L, name)

    def run():
        leaves = [x.clone().requires_grad_(True) for x in xs]
        loss = fn(*leaves)
        loss.backward()
        return loss

    assert torch.isfinite(benchmark(run))
