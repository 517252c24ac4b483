"""Bradley-Terry on 1,000,000 comparisons over 200 items from numpy int arrays, end to end from the Python
call: prefrank vs evalica.bradley_terry vs choix.ilsr_pairwise vs the reference (MM, on a slice); bootstrap;
the sparse path (100,000 items, 5,000,000 comparisons)."""

from __future__ import annotations

import os

import numpy as np
import prefrank as pr
import pytest
from prefrank.reference import ranking as ref

M = int(os.environ.get("PREFRANK_BENCH_BT_ROWS", 1_000_000))
N = 200


@pytest.fixture(scope="module")
def bt_data():
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 1, N)
    a = rng.integers(0, N, M)
    b = (a + rng.integers(1, N, M)) % N
    wins = rng.random(M) < 1 / (1 + np.exp(theta[b] - theta[a]))
    winner = np.where(wins, a, b)
    loser = np.where(wins, b, a)
    return a, b, wins.astype(np.float64), winner, loser


@pytest.mark.benchmark(group="bt-1e6x200")
def test_prefrank_bt(benchmark, bt_data):
    a, b, y, _, _ = bt_data
    r = benchmark.pedantic(lambda: pr.bradley_terry(a=a, b=b, outcome=y, scale="log"), rounds=7, warmup_rounds=1)
    assert r.converged


@pytest.mark.benchmark(group="bt-1e6x200")
def test_evalica_bt(benchmark, bt_data):
    evalica = pytest.importorskip("evalica")
    _, _, _, winner, loser = bt_data
    wins = [evalica.Winner.X] * len(winner)
    res = benchmark.pedantic(
        lambda: evalica.bradley_terry(winner, loser, wins, tolerance=1e-10, limit=1000),
        rounds=3,
        iterations=1,
    )
    assert len(res.scores) == N


@pytest.mark.benchmark(group="bt-1e6x200")
def test_choix_ilsr(benchmark, bt_data):
    choix = pytest.importorskip("choix")
    _, _, _, winner, loser = bt_data
    data = list(zip(winner.tolist(), loser.tolist()))
    params = benchmark.pedantic(lambda: choix.ilsr_pairwise(N, data, alpha=0.0, tol=1e-8), rounds=1, iterations=1)
    assert len(params) == N


@pytest.mark.benchmark(group="bt-1e6x200")
def test_reference_mm_slice(benchmark, bt_data):
    a, b, y, _, _ = bt_data
    k = min(M, 100_000)
    rows = list(zip(a[:k].tolist(), b[:k].tolist(), y[:k].tolist()))
    benchmark.extra_info["rows"] = k
    theta = benchmark.pedantic(lambda: ref.bt_mm(N, rows, tol=1e-8), rounds=1, iterations=1)
    assert len(theta) == N


@pytest.mark.benchmark(group="bt-bootstrap-1000")
def test_prefrank_bootstrap_1000(benchmark, bt_data):
    a, b, y, _, _ = bt_data
    counts = pr.comparisons(a=a, b=b, outcome=y).pair_counts()
    r = benchmark.pedantic(lambda: pr.bradley_terry(counts, bootstrap=1000, seed=0, progress=False), rounds=3)
    assert r.bootstrap_theta.shape == (1000, N)


@pytest.mark.benchmark(group="bt-sparse-1e5x5e6")
def test_prefrank_sparse(benchmark):
    rng = np.random.default_rng(1)
    n, m = 100_000, int(os.environ.get("PREFRANK_BENCH_SPARSE_ROWS", 5_000_000))
    theta = rng.normal(0, 1, n)
    ring = np.arange(n)
    a = np.concatenate([ring, (ring + 1) % n, rng.integers(0, n, m - 2 * n)])
    b = np.concatenate([(ring + 1) % n, ring, rng.integers(0, n, m - 2 * n)])
    b = np.where(a == b, (b + 1) % n, b)
    y = (rng.random(m) < 1 / (1 + np.exp(theta[b] - theta[a]))).astype(np.float64)
    y[: 2 * n] = 1.0
    r = benchmark.pedantic(lambda: pr.bradley_terry(a=a, b=b, outcome=y, scale="log"), rounds=3, iterations=1)
    assert r.converged
