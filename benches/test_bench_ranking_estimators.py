"""Benchmarks: Plackett-Luce, spectral estimates, per-group Bradley-Terry and contextual Bradley-Terry.

Run: ``PYTHONPATH=python python3 -m pytest benches/test_bench_ranking_estimators.py --benchmark-only``.
Each group times prefrank, its pure-Python reference twin and the peer a user would otherwise pick
(choix, scikit-learn) on the same data. ``PREFRANK_BENCH_GROUPS`` sets the number of groups of the
batched benchmark (default 1,000,000, the issue's target size).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from prefrank.reference import ranking as ref

choix = pytest.importorskip("choix")


def _pl_data(n: int, rows: int, size: int, seed: int = 0) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    out = []
    for _ in range(rows):
        members = rng.choice(n, size, replace=False)
        out.append([int(v) for v in members[np.argsort(-(s[members] + rng.gumbel(size=size)))]])
    return out


PL_SMALL = _pl_data(10, 1_000, 4)
PL_LARGE = _pl_data(50, 100_000, 5, seed=1)


@pytest.mark.benchmark(group="pl-rankings-1k")
def test_pl_small_prefrank(benchmark: Any) -> None:
    r = benchmark(pr.plackett_luce, PL_SMALL, scale="log")
    assert r.converged


@pytest.mark.benchmark(group="pl-rankings-1k")
def test_pl_small_choix(benchmark: Any) -> None:
    benchmark(choix.ilsr_rankings, 10, PL_SMALL, tol=1e-10)


@pytest.mark.benchmark(group="pl-rankings-1k")
def test_pl_small_reference(benchmark: Any) -> None:
    obs = [(r, len(r)) for r in PL_SMALL]
    benchmark.pedantic(ref.plackett_luce, args=(10, obs), rounds=1, iterations=1)


@pytest.mark.benchmark(group="pl-rankings-100k")
def test_pl_large_prefrank(benchmark: Any) -> None:
    r = benchmark.pedantic(pr.plackett_luce, args=(PL_LARGE,), kwargs={"scale": "log"}, rounds=3, iterations=1)
    assert r.converged


@pytest.mark.benchmark(group="pl-rankings-100k")
def test_pl_large_choix(benchmark: Any) -> None:
    benchmark.pedantic(choix.ilsr_rankings, args=(50, PL_LARGE), kwargs={"tol": 1e-10}, rounds=1, iterations=1)


# LSR / ILSR on rankings (same data as the Plackett-Luce groups). choix's ILSR stops at an L1 change
# of tol * n_items, prefrank's at tol: prefrank gets tol * n_items so both stop at the same test.
PL_SMALL_OBS = [(r, len(r)) for r in PL_SMALL]
PL_LARGE_OBS = [(r, len(r)) for r in PL_LARGE]


@pytest.mark.benchmark(group="lsr-rankings-1k")
def test_lsr_rankings_small_prefrank(benchmark: Any) -> None:
    benchmark(pr.lsr_rankings, PL_SMALL, scale="log")


@pytest.mark.benchmark(group="lsr-rankings-1k")
def test_lsr_rankings_small_choix(benchmark: Any) -> None:
    benchmark(choix.lsr_rankings, 10, PL_SMALL)


@pytest.mark.benchmark(group="lsr-rankings-1k")
def test_lsr_rankings_small_reference(benchmark: Any) -> None:
    benchmark.pedantic(ref.lsr_rankings, args=(10, PL_SMALL_OBS), rounds=3, iterations=1)


@pytest.mark.benchmark(group="ilsr-rankings-1k")
def test_ilsr_rankings_small_prefrank(benchmark: Any) -> None:
    r = benchmark(pr.ilsr_rankings, PL_SMALL, scale="log", tol=1e-10 * 10)
    assert r.converged


@pytest.mark.benchmark(group="ilsr-rankings-1k")
def test_ilsr_rankings_small_choix(benchmark: Any) -> None:
    benchmark(choix.ilsr_rankings, 10, PL_SMALL, tol=1e-10)


@pytest.mark.benchmark(group="ilsr-rankings-1k")
def test_ilsr_rankings_small_reference(benchmark: Any) -> None:
    benchmark.pedantic(ref.ilsr_rankings, args=(10, PL_SMALL_OBS), kwargs={"tol": 1e-9}, rounds=1, iterations=1)


@pytest.mark.benchmark(group="lsr-rankings-100k")
def test_lsr_rankings_large_prefrank(benchmark: Any) -> None:
    benchmark.pedantic(pr.lsr_rankings, args=(PL_LARGE,), kwargs={"scale": "log"}, rounds=3, iterations=1)


@pytest.mark.benchmark(group="lsr-rankings-100k")
def test_lsr_rankings_large_choix(benchmark: Any) -> None:
    benchmark.pedantic(choix.lsr_rankings, args=(50, PL_LARGE), rounds=3, iterations=1)


@pytest.mark.benchmark(group="lsr-rankings-100k")
def test_lsr_rankings_large_reference(benchmark: Any) -> None:
    benchmark.pedantic(ref.lsr_rankings, args=(50, PL_LARGE_OBS), rounds=1, iterations=1)


@pytest.mark.benchmark(group="ilsr-rankings-100k")
def test_ilsr_rankings_large_prefrank(benchmark: Any) -> None:
    r = benchmark.pedantic(
        pr.ilsr_rankings, args=(PL_LARGE,), kwargs={"scale": "log", "tol": 1e-10 * 50}, rounds=3, iterations=1
    )
    assert r.converged


@pytest.mark.benchmark(group="ilsr-rankings-100k")
def test_ilsr_rankings_large_choix(benchmark: Any) -> None:
    benchmark.pedantic(choix.ilsr_rankings, args=(50, PL_LARGE), kwargs={"tol": 1e-10}, rounds=1, iterations=1)


def _pairs(n: int, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    a = rng.integers(0, n, rows)
    b = (a + rng.integers(1, n, rows)) % n
    win = rng.random(rows) < 1 / (1 + np.exp(s[b] - s[a]))
    return np.where(win, a, b), np.where(win, b, a)


WIN, LOSE = _pairs(200, 100_000)
PAIRS = list(zip(WIN.tolist(), LOSE.tolist(), strict=True))


@pytest.mark.benchmark(group="rank-centrality-100k")
def test_rc_prefrank(benchmark: Any) -> None:
    benchmark(pr.rank_centrality, a=WIN, b=LOSE, outcome=np.ones(len(WIN)))


@pytest.mark.benchmark(group="rank-centrality-100k")
def test_rc_choix(benchmark: Any) -> None:
    benchmark.pedantic(choix.rank_centrality, args=(200, PAIRS), rounds=3, iterations=1)


@pytest.mark.benchmark(group="rank-centrality-100k")
def test_rc_reference(benchmark: Any) -> None:
    wins = np.zeros((200, 200))
    np.add.at(wins, (WIN, LOSE), 1.0)
    benchmark(ref.rank_centrality, 200, wins)


@pytest.mark.benchmark(group="ilsr-pairwise-100k")
def test_ilsr_prefrank(benchmark: Any) -> None:
    benchmark(pr.ilsr_pairwise, a=WIN, b=LOSE, outcome=np.ones(len(WIN)), tol=1e-8)


@pytest.mark.benchmark(group="ilsr-pairwise-100k")
def test_ilsr_choix(benchmark: Any) -> None:
    benchmark.pedantic(choix.ilsr_pairwise, args=(200, PAIRS), kwargs={"tol": 1e-8}, rounds=1, iterations=1)


def _groups(g: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    ii, jj = np.triu_indices(4, 1)
    group = np.repeat(np.arange(g), 6)
    a = np.tile(ii, g) + 4 * group
    b = np.tile(jj, g) + 4 * group
    s = rng.normal(size=4 * g)
    out = (rng.random(6 * g) < 1 / (1 + np.exp(s[b] - s[a]))).astype(np.float64)
    return group, a, b, out


N_GROUPS = int(os.environ.get("PREFRANK_BENCH_GROUPS", "1000000"))
GROUPS = _groups(N_GROUPS)
GROUPS_SMALL = _groups(1_000, seed=1)


@pytest.mark.benchmark(group="bt-groups-1M-x4")
def test_groups_prefrank_end_to_end(benchmark: Any) -> None:
    g, a, b, out = GROUPS
    r = benchmark.pedantic(
        pr.bradley_terry_groups, kwargs={"a": a, "b": b, "outcome": out, "group": g}, rounds=3, iterations=1
    )
    assert r.converged.all()


@pytest.mark.benchmark(group="bt-groups-1M-x4")
def test_groups_prefrank_fit_only(benchmark: Any) -> None:
    g, a, b, out = GROUPS
    c = pr.comparisons(a=a, b=b, outcome=out, group=g)
    benchmark.pedantic(pr.bradley_terry_groups, args=(c,), rounds=3, iterations=1)


@pytest.mark.benchmark(group="bt-groups-1k-x4")
def test_groups_small_prefrank(benchmark: Any) -> None:
    g, a, b, out = GROUPS_SMALL
    benchmark(pr.bradley_terry_groups, a=a, b=b, outcome=out, group=g)


@pytest.mark.benchmark(group="bt-groups-1k-x4")
def test_groups_small_reference(benchmark: Any) -> None:
    g, a, b, out = GROUPS_SMALL
    tie = np.zeros(len(a), np.uint8)
    benchmark.pedantic(ref.bradley_terry_groups, args=(g, a, b, out, tie), rounds=1, iterations=1)


@pytest.mark.benchmark(group="bt-groups-1k-x4")
def test_groups_small_choix_loop(benchmark: Any) -> None:
    # What a user does without a batched API: one regularised choix fit per group.
    _g, a, b, out = GROUPS_SMALL
    w = np.where(out == 1, a, b) % 4
    lo = np.where(out == 1, b, a) % 4
    per = [list(zip(w[k * 6 : k * 6 + 6].tolist(), lo[k * 6 : k * 6 + 6].tolist(), strict=True)) for k in range(1_000)]

    def run() -> None:
        for data in per:
            choix.ilsr_pairwise(4, data, alpha=0.01)

    benchmark.pedantic(run, rounds=1, iterations=1)


def _contextual(rows: int, n: int = 20, d: int = 3, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, rows)
    b = (a + rng.integers(1, n, rows)) % n
    x = rng.normal(size=(rows, d))
    s = rng.normal(size=n)
    z = s[a] - s[b] + x @ np.linspace(0.5, -0.5, d)
    out = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(np.float64)
    return a, b, x, out


CTX = _contextual(200_000)


@pytest.mark.benchmark(group="contextual-200k")
def test_contextual_prefrank(benchmark: Any) -> None:
    a, b, x, out = CTX
    benchmark(pr.contextual_bradley_terry, a=a, b=b, outcome=out, covariates=x, alpha=1.0)


@pytest.mark.benchmark(group="contextual-200k")
def test_contextual_sklearn(benchmark: Any) -> None:
    sk = pytest.importorskip("sklearn.linear_model")
    a, b, x, out = CTX
    rows = len(a)

    def run() -> None:
        design = np.zeros((rows, 20 + x.shape[1]))
        design[np.arange(rows), a] += 1
        design[np.arange(rows), b] -= 1
        design[:, 20:] = x
        sk.LogisticRegression(C=1.0, fit_intercept=False, tol=1e-8).fit(design, out)

    benchmark.pedantic(run, rounds=3, iterations=1)


@pytest.mark.benchmark(group="contextual-200k")
def test_contextual_reference(benchmark: Any) -> None:
    a, b, x, out = CTX
    benchmark.pedantic(
        ref.contextual_bradley_terry,
        args=(20, a, b, out, x),
        kwargs={"alpha": 1.0, "alpha_beta": 1.0},
        rounds=1,
        iterations=1,
    )


def test_data_shapes() -> None:
    assert len(pd.unique(GROUPS[0])) == N_GROUPS


def _pl_groups(g: int, annotators: int = 3, m: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(g, 1, m))
    noisy = s + rng.gumbel(size=(g, annotators, m))
    ranks = (-noisy).argsort(axis=2).argsort(axis=2) + 1.0
    return pd.DataFrame(
        {
            "prompt": np.repeat(np.arange(g), annotators * m),
            "annotator": np.tile(np.repeat(np.arange(annotators), m), g),
            "item": np.tile(np.arange(m), g * annotators),
            "rank": ranks.ravel(),
        }
    )


PL_GROUPS = _pl_groups(int(os.environ.get("PREFRANK_BENCH_PL_GROUPS", "100000")))


@pytest.mark.benchmark(group="pl-groups-100k-x3x4")
def test_pl_groups_prefrank(benchmark: Any) -> None:
    r = benchmark.pedantic(
        pr.plackett_luce_groups,
        args=(PL_GROUPS,),
        kwargs={"group": "prompt", "ranking": "annotator"},
        rounds=3,
        iterations=1,
    )
    assert r.converged.all()


@pytest.mark.benchmark(group="pl-groups-1k-x3x4")
def test_pl_groups_small_prefrank(benchmark: Any) -> None:
    df = PL_GROUPS[PL_GROUPS.prompt < 1_000]
    benchmark(pr.plackett_luce_groups, df, group="prompt", ranking="annotator")


@pytest.mark.benchmark(group="pl-groups-1k-x3x4")
def test_pl_groups_small_choix_loop(benchmark: Any) -> None:
    df = PL_GROUPS[PL_GROUPS.prompt < 1_000].sort_values(["prompt", "annotator", "rank"])
    per = [[tuple(x.item.tolist()) for _, x in sub.groupby("annotator")] for _, sub in df.groupby("prompt")]

    def run() -> None:
        for data in per:
            choix.ilsr_rankings(4, data, alpha=0.01)

    benchmark.pedantic(run, rounds=1, iterations=1)
