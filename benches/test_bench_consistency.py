"""Benchmarks of prefrank.consistency against the pure-Python reference and networkx.

Run: ``PYTHONPATH=python pytest benches/test_bench_consistency.py --benchmark-only``.
Sizes (environment variables): ``PREFRANK_BENCH_GROUPS`` (default 1,000,000 groups of 5 responses,
all 10 pairs judged = 10,000,000 judgments) for the full census; the per-group comparison with the
reference and networkx uses ``PREFRANK_BENCH_SMALL_GROUPS`` (default 2,000) groups of the same shape.
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import prefrank as pr
import pytest
from prefrank.reference import consistency as ref

G_FULL = int(os.environ.get("PREFRANK_BENCH_GROUPS", "1000000"))
G_SMALL = int(os.environ.get("PREFRANK_BENCH_SMALL_GROUPS", "2000"))


def _groups_of_five(n_groups: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Groups of 5 responses (model ids out of 50), all 10 pairs judged, verdicts a / b / tie."""
    rng = np.random.default_rng(seed)
    ii, jj = np.triu_indices(5, 1)
    pool = np.stack([rng.choice(50, 5, replace=False) for _ in range(1000)])
    sets = pool[rng.integers(0, 1000, n_groups)]
    return {
        "a": sets[:, ii].ravel(),
        "b": sets[:, jj].ravel(),
        "p": rng.choice([0.0, 0.5, 1.0], size=10 * n_groups, p=[0.45, 0.1, 0.45]),
        "g": np.repeat(np.arange(n_groups), 10),
    }


@pytest.fixture(scope="module")
def full() -> dict[str, np.ndarray]:
    return _groups_of_five(G_FULL)


@pytest.fixture(scope="module")
def small() -> dict[str, np.ndarray]:
    return _groups_of_five(G_SMALL, seed=1)


# -- the full 10M-judgment census -----------------------------------------------------------------


@pytest.mark.benchmark(group="census-full")
def test_census_full_numpy(benchmark, full):
    d = full
    res = benchmark.pedantic(
        lambda: pr.transitivity(a=d["a"], b=d["b"], outcome=d["p"], group=d["g"], bootstrap=0),
        rounds=3,
        iterations=1,
    )
    assert res.counts["triples"] == 10 * G_FULL


@pytest.mark.benchmark(group="census-full")
def test_census_full_prepared_table(benchmark, full):
    d = full
    tbl = pr.comparisons(a=d["a"], b=d["b"], outcome=d["p"], group=d["g"])
    res = benchmark.pedantic(lambda: pr.transitivity(tbl, bootstrap=0), rounds=3, iterations=1)
    assert res.counts["triples"] == 10 * G_FULL


@pytest.mark.benchmark(group="census-full")
def test_census_full_dataframe(benchmark, full):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": full["a"], "b": full["b"], "p": full["p"], "g": full["g"]})
    res = benchmark.pedantic(
        lambda: pr.transitivity(df, a="a", b="b", outcome="p", group="g", bootstrap=0), rounds=3, iterations=1
    )
    assert res.counts["triples"] == 10 * G_FULL


@pytest.mark.benchmark(group="census-full")
def test_census_full_with_default_bootstrap_1000(benchmark, full):
    d = full
    tbl = pr.comparisons(a=d["a"], b=d["b"], outcome=d["p"], group=d["g"])
    res = benchmark.pedantic(lambda: pr.transitivity(tbl), rounds=3, iterations=1)
    assert res.ci["circular"][0] <= res.rates["circular"]


# -- per-group comparison: prefrank vs reference vs networkx --------------------------------------


@pytest.mark.benchmark(group="census-per-group")
def test_census_small_prefrank(benchmark, small):
    d = small
    res = benchmark(lambda: pr.transitivity(a=d["a"], b=d["b"], outcome=d["p"], group=d["g"], bootstrap=0))
    assert res.counts["triples"] == 10 * G_SMALL


@pytest.mark.benchmark(group="census-per-group")
def test_census_small_reference(benchmark, small):
    d = small
    tie = d["p"] == 0.5
    out = benchmark.pedantic(
        lambda: ref.triad_census(d["a"].tolist(), d["b"].tolist(), d["p"].tolist(), tie.tolist(), d["g"].tolist()),
        rounds=1,
        iterations=1,
    )
    assert sum(v["triples"] for v in out.values()) == 10 * G_SMALL


@pytest.mark.benchmark(group="census-per-group")
def test_census_small_networkx(benchmark, small):
    """networkx per group: build the DiGraph of strict verdicts and count 3-cycles (ties ignored)."""
    nx = pytest.importorskip("networkx")
    d = small
    a, b, p, g = d["a"].tolist(), d["b"].tolist(), d["p"].tolist(), d["g"].tolist()

    def run() -> int:
        total = 0
        for k in range(G_SMALL):
            G = nx.DiGraph()
            for r in range(10 * k, 10 * k + 10):
                if p[r] == 1.0:
                    G.add_edge(a[r], b[r])
                elif p[r] == 0.0:
                    G.add_edge(b[r], a[r])
            total += sum(1 for c in nx.simple_cycles(G, length_bound=3) if len(c) == 3)
            assert g[10 * k] == k
        return total

    n_cycles = benchmark.pedantic(run, rounds=1, iterations=1)
    res = pr.transitivity(a=d["a"], b=d["b"], outcome=d["p"], group=d["g"], bootstrap=0)
    assert n_cycles == res.counts["circular"]


# -- whole tournaments ----------------------------------------------------------------------------


def _complete(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    up = np.triu(np.ones((n, n), bool), 1)
    beat = (rng.random((n, n)) < 0.5) & up
    w = np.zeros((n, n))
    w[beat] = 1
    w.T[up & ~beat] = 1
    return w


def _incomplete(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    keep = rng.random(len(i)) < 0.5
    i, j = i[keep], j[keep]
    p = rng.choice([1.0, 0.0, 0.5], size=len(i), p=[0.45, 0.45, 0.1])
    return i, j, p


@pytest.mark.benchmark(group="tournament-complete-5000")
def test_tournament_complete_5000(benchmark):
    w = _complete(5000)
    res = benchmark.pedantic(lambda: pr.tournament(wins=w, order=False), rounds=3, iterations=1)
    assert res.complete and 0 <= res.zeta <= 1


@pytest.mark.benchmark(group="tournament-incomplete-2000")
def test_tournament_incomplete_2000(benchmark):
    i, j, p = _incomplete(2000)
    tbl = pr.comparisons(a=i, b=j, outcome=p)
    res = benchmark.pedantic(lambda: pr.tournament(tbl, order=False), rounds=3, iterations=1)
    assert not res.complete and res.circular > 0


@pytest.mark.benchmark(group="tournament-3cycles-200")
def test_tournament_200_prefrank(benchmark):
    w = _complete(200, seed=3)
    res = benchmark(lambda: pr.tournament(wins=w, order=False))
    assert res.circular > 0


@pytest.mark.benchmark(group="tournament-3cycles-200")
def test_tournament_200_networkx(benchmark):
    nx = pytest.importorskip("networkx")
    w = _complete(200, seed=3)
    G = nx.DiGraph(list(zip(*np.nonzero(w), strict=True)))
    n = benchmark.pedantic(
        lambda: sum(1 for c in nx.simple_cycles(G, length_bound=3) if len(c) == 3), rounds=1, iterations=1
    )
    assert n == pr.tournament(wins=w, order=False).circular


@pytest.mark.benchmark(group="tournament-3cycles-200")
def test_tournament_200_reference(benchmark):
    w = _complete(200, seed=3)
    arcs = {(int(x), int(y)) for x, y in zip(*np.nonzero(w), strict=True)}
    n = benchmark.pedantic(lambda: len(ref.three_cycles(200, arcs)), rounds=1, iterations=1)
    assert n == pr.tournament(wins=w, order=False).circular


def test_groups_shape():
    d = _groups_of_five(3)
    pairs = {tuple(sorted(x)) for x in zip(d["a"][:10].tolist(), d["b"][:10].tolist(), strict=True)}
    assert len(pairs) == 10 == len(list(itertools.combinations(range(5), 2)))
