"""Benchmarks of prefrank.attribution against shap, shapiq and the pure-Python reference.

Run: ``PYTHONPATH=python pytest benches/test_bench_attribution.py --benchmark-only``.
Peers (``pip install shap shapiq``) are optional; their benchmarks are skipped without them.
The large sizes (n = 24 and 28 from a table, the 1,000,000-comparison slices game) run only with
``PREFRANK_BENCH_LARGE=1``.

All players' games here are the same table game: ``v(S) = table[mask(S)]`` (bit k = player k).
shap's explainers see it as a model of a 0/1 input vector with an all-ones sample and an all-zeros
background, so the masked input *is* the coalition's membership vector.
"""

from __future__ import annotations

import os

import numpy as np
import prefrank as pr
import pytest
from prefrank.reference import attribution as ref

LARGE = os.environ.get("PREFRANK_BENCH_LARGE") == "1"


def _table(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sizes = np.array([bin(s).count("1") for s in range(2**n)], dtype=float) if n <= 20 else None
    t = rng.normal(size=2**n)
    if sizes is not None:
        t += np.sqrt(sizes)
    return t


def _model(table: np.ndarray, n: int):  # type: ignore[no-untyped-def]
    powers = (1 << np.arange(n)).astype(np.int64)
    return lambda x: table[np.rint(np.asarray(x)).astype(np.int64) @ powers]


def _shapiq_exact(table: np.ndarray, n: int) -> np.ndarray:
    import shapiq

    powers = (1 << np.arange(n)).astype(np.int64)
    comp = shapiq.ExactComputer(n_players=n, game=lambda c: table[c.astype(np.int64) @ powers])
    d = comp("SV").dict_values
    return np.array([d[(i,)] for i in range(n)])


def _shap_exact(table: np.ndarray, n: int) -> np.ndarray:
    import shap

    masker = shap.maskers.Independent(np.zeros((1, n)))
    ex = shap.explainers.ExactExplainer(_model(table, n), masker)
    return np.asarray(ex(np.ones((1, n)), max_evals=2**n + 10).values[0])


# --------------------------------------------------------------------------------------------------
# Exact values from a table


@pytest.mark.benchmark(group="exact shapley, table n=14")
@pytest.mark.parametrize("impl", ["prefrank", "reference", "shap-exact", "shapiq-exact"])
def test_exact_n14(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    n = 14
    t = _table(n)
    want = pr.shapley(t).raw
    if impl == "prefrank":
        got = benchmark(lambda: pr.shapley(t).raw)
    elif impl == "reference":
        got = benchmark.pedantic(lambda: np.array(ref.semivalues(t.tolist())), rounds=1, iterations=1)
    elif impl == "shap-exact":
        pytest.importorskip("shap")
        got = benchmark.pedantic(lambda: _shap_exact(t, n), rounds=3, iterations=1)
    else:
        pytest.importorskip("shapiq")
        got = benchmark.pedantic(lambda: _shapiq_exact(t, n), rounds=3, iterations=1)
    np.testing.assert_allclose(got, want, atol=1e-8)


@pytest.mark.benchmark(group="exact shapley, table n=18")
@pytest.mark.parametrize("impl", ["prefrank", "shapiq-exact"])
def test_exact_n18(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    n = 18
    t = _table(n)
    want = pr.shapley(t).raw
    if impl == "prefrank":
        got = benchmark(lambda: pr.shapley(t).raw)
    else:
        pytest.importorskip("shapiq")
        got = benchmark.pedantic(lambda: _shapiq_exact(t, n), rounds=1, iterations=1)
    np.testing.assert_allclose(got, want, atol=1e-8)


@pytest.mark.benchmark(group="exact semivalues, table n=20")
@pytest.mark.parametrize("kind", ["shapley", "banzhaf", "beta(16,1)"])
def test_semivalues_n20(benchmark, kind: str) -> None:  # type: ignore[no-untyped-def]
    t = _table(20)
    fn = {
        "shapley": lambda: pr.shapley(t),
        "banzhaf": lambda: pr.banzhaf(t),
        "beta(16,1)": lambda: pr.semivalue(t, alpha=16, beta=1),
    }[kind]
    res = benchmark(fn)
    assert np.all(np.isfinite(res.raw))


@pytest.mark.skipif(not LARGE, reason="set PREFRANK_BENCH_LARGE=1")
@pytest.mark.benchmark(group="exact shapley, table n=24 and n=28")
@pytest.mark.parametrize("n", [24, 28])
def test_exact_large(benchmark, n: int) -> None:  # type: ignore[no-untyped-def]
    t = _table(n)
    res = benchmark.pedantic(lambda: pr.shapley(t), rounds=3, iterations=1)
    assert abs(res.efficiency_residual) < 1e-6


# --------------------------------------------------------------------------------------------------
# From a callable (every coalition once)


@pytest.mark.benchmark(group="exact shapley, batch callable n=16")
def test_exact_callable_n16(benchmark) -> None:  # type: ignore[no-untyped-def]
    n = 16
    t = _table(n)
    powers = (1 << np.arange(n)).astype(np.int64)
    res = benchmark(lambda: pr.shapley(lambda c: t[c.astype(np.int64) @ powers], n_players=n))
    np.testing.assert_allclose(res.raw, pr.shapley(t).raw, atol=1e-10)


# --------------------------------------------------------------------------------------------------
# Sampling (same game, same budget of evaluations)

N_SAMPLED = 40
BUDGET = 2 * N_SAMPLED * 200


def _sampled_game():  # type: ignore[no-untyped-def]
    w = np.linspace(0.1, 2.0, N_SAMPLED)
    return lambda x: np.sqrt(np.asarray(x, dtype=float) @ w) + (np.asarray(x)[:, :5].sum(1) >= 3)


@pytest.mark.benchmark(group=f"sampled shapley, n={N_SAMPLED}, {BUDGET} evaluations")
@pytest.mark.parametrize("impl", ["prefrank", "shap-permutation"])
def test_sampled(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    f = _sampled_game()
    if impl == "prefrank":
        res = benchmark(lambda: pr.shapley(f, n_players=N_SAMPLED, method="permutation", max_evaluations=BUDGET))
        vals = res.raw
    else:
        shap = pytest.importorskip("shap")
        masker = shap.maskers.Independent(np.zeros((1, N_SAMPLED)))
        ex = shap.explainers.PermutationExplainer(f, masker, seed=0)
        vals = benchmark.pedantic(
            lambda: np.asarray(ex(np.ones((1, N_SAMPLED)), max_evals=BUDGET, silent=True).values[0]),
            rounds=3,
            iterations=1,
        )
    ones, zeros = np.ones((1, N_SAMPLED)), np.zeros((1, N_SAMPLED))
    assert abs(vals.sum() - (f(ones)[0] - f(zeros)[0])) < 1e-6


# --------------------------------------------------------------------------------------------------
# Built-in games


@pytest.mark.benchmark(group="shift game, 16 mechanisms x 20,000 samples")
def test_shift_game(benchmark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    n, k = 20_000, 16
    metric = rng.integers(0, 2, n).astype(float)
    ratios = rng.uniform(0.5, 1.5, (n, k))
    res = benchmark.pedantic(lambda: pr.shift_attribution(metric, ratios), rounds=3, iterations=1)
    assert abs(res.efficiency_residual) < 1e-9


@pytest.mark.skipif(not LARGE, reason="set PREFRANK_BENCH_LARGE=1")
@pytest.mark.benchmark(group="leaderboard slices, 12 slices x 1,000,000 comparisons x 100 models")
def test_slices_large(benchmark) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    n, m = 1_000_000, 100
    s = rng.normal(size=m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    pa = 1 / (1 + np.exp(s[b] - s[a]))
    u = rng.random(n)
    winner = np.where(u < 0.1, "tie", np.where(u < 0.1 + 0.9 * pa, "a", "b"))
    comps = pr.comparisons(
        {"a": a, "b": b, "winner": winner, "slice": rng.integers(0, 12, n)},
        a="a",
        b="b",
        outcome="winner",
        group="slice",
    )
    top = int(np.argmax(s))
    res = benchmark.pedantic(lambda: pr.slice_attribution(comps, slice="group", item=top), rounds=1, iterations=1)
    assert abs(res.efficiency_residual) < 1e-9
