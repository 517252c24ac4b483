"""Benchmarks for prefrank.robust (issue 4): prefrank vs its pure-Python twin vs a peer, same data.

Speed targets (2 cores): robust recovery of 2,000 fully observed items <= 5 s; batched curation of
1,000,000 prompts x 8 responses x 3 judges <= 10 s. Default sizes are smaller so the suite stays
quick; set PREFRANK_BENCH_FULL=1 for the target sizes.

    PYTHONPATH=python python3 -m pytest benches/test_bench_robust.py --benchmark-only
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import prefrank as pr
import pytest
from prefrank import _core
from prefrank.reference import robust as ref

FULL = os.environ.get("PREFRANK_BENCH_FULL") == "1"


def _full_counts(n: int, per_pair: int = 20, seed: int = 0) -> tuple[_core.PairCounts, tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(seed)
    th = rng.normal(size=n)
    i, j = np.triu_indices(n, 1)
    p = 1 / (1 + np.exp(-(th[i] - th[j])))
    x = rng.binomial(per_pair, p).astype(float)
    y = per_pair - x
    # Corrupt 5% of the pairs (reversed).
    bad = rng.random(len(i)) < 0.05
    x[bad], y[bad] = y[bad], x[bad].copy()
    core = _core.PairCounts.from_cells(n, i.astype(np.uint32), j.astype(np.uint32), x, y, np.zeros(len(i)))
    return core, (i, j, x, y)


# ---- robust BTL recovery: prefrank vs reference twin vs plain BT (what a user would otherwise run)
N_ROBUST = 2000 if FULL else 500


@pytest.mark.benchmark(group="robust-btl")
def test_robust_btl_prefrank(benchmark: object) -> None:
    core, _ = _full_counts(N_ROBUST)
    out = benchmark(_core.robust_btl_fit, core)  # type: ignore[operator]
    assert out.corrupted.any()


@pytest.mark.benchmark(group="robust-btl")
def test_robust_btl_reference(benchmark: object) -> None:
    n = min(N_ROBUST, 300)  # the dense twin is O(n^3) per step
    _, (i, j, x, y) = _full_counts(n)
    out = benchmark.pedantic(ref.robust_btl, args=(n, i, j, x, y), rounds=1, iterations=1)  # type: ignore[attr-defined]
    assert out["corrupted"].any()


@pytest.mark.benchmark(group="robust-btl")
def test_robust_btl_peer_choix_bt(benchmark: object) -> None:
    choix = pytest.importorskip("choix")
    n = min(N_ROBUST, 300)
    _, (i, j, x, y) = _full_counts(n)
    # choix has no robust method: its plain BT (ILSR on pair counts) is the baseline a user has.
    mat = np.zeros((n, n))
    mat[i, j] = x
    mat[j, i] = y
    benchmark.pedantic(choix.ilsr_pairwise_dense, args=(mat,), kwargs={"alpha": 1e-6}, rounds=1, iterations=1)  # type: ignore[attr-defined]


# ---- batched curation: prefrank vs reference twin
P_CURATE = 1_000_000 if FULL else 100_000


def _scores(prompts: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(prompts, 8, 1))
    return q + rng.normal(size=(prompts, 8, 3)) * np.array([0.3, 1.0, 0.5])


@pytest.mark.benchmark(group="robust-curate")
def test_curate_prefrank(benchmark: object) -> None:
    s = _scores(P_CURATE)
    out = benchmark.pedantic(_core.robust_curate, args=(s,), rounds=3, iterations=1)  # type: ignore[attr-defined]
    assert out.converged


@pytest.mark.benchmark(group="robust-curate")
def test_curate_reference(benchmark: object) -> None:
    s = _scores(2000)
    out = benchmark.pedantic(ref.curate_scores, args=(s,), rounds=1, iterations=1)  # type: ignore[attr-defined]
    assert out["converged"]


# ---- batched curation from pairwise verdicts: 4 responses per prompt, all 6 pairs judged by 3 judges
# (18 verdict rows per prompt: 18 M rows at 1,000,000 prompts), vs the same fit from the score tensor the
# verdicts come from (same model, same result) and vs the reference twin.
P_PAIRS = 1_000_000 if FULL else 100_000


def _pair_verdicts(prompts: int, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Scores ``prompts x 4 x 3`` and the verdict table they imply (one row per judge per pair, shuffled)."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(prompts, 4, 1))
    s = q + rng.normal(size=(prompts, 4, 3)) * np.array([0.3, 1.0, 0.5])
    ia, ib = np.triu_indices(4, 1)
    # rows ordered (prompt, pair, judge)
    d = s[:, ia, :] - s[:, ib, :]
    n = d.size
    prompt = np.repeat(np.arange(prompts, dtype=np.uint32), 18)
    a = np.tile(np.repeat(ia, 3), prompts).astype(np.uint32)
    b = np.tile(np.repeat(ib, 3), prompts).astype(np.uint32)
    judge = np.tile(np.arange(3, dtype=np.uint32), prompts * 6)
    vote = np.sign(d).astype(np.int8).ravel()
    order = rng.permutation(n)
    cols = {"prompt": prompt, "a": a, "b": b, "judge": judge, "vote": vote}
    return s, {k: v[order] for k, v in cols.items()}


@pytest.mark.benchmark(group="robust-curate-pairs")
def test_curate_pairs_prefrank_kernel(benchmark: object) -> None:
    _, c = _pair_verdicts(P_PAIRS)
    args = (c["prompt"], c["a"], c["b"], c["judge"], c["vote"], P_PAIRS, 4, 3)
    out = benchmark.pedantic(_core.robust_curate_pairs, args=args, rounds=3, iterations=1)  # type: ignore[attr-defined]
    assert out.converged


@pytest.mark.benchmark(group="robust-curate-pairs")
def test_curate_pairs_prefrank_table(benchmark: object) -> None:
    # End to end from a table of numeric columns (outcome 1 = a won, 0 = b won): decoding + kernel + labels.
    _, c = _pair_verdicts(P_PAIRS)
    table = {"prompt": c["prompt"], "a": c["a"], "b": c["b"], "judge": c["judge"], "won": (c["vote"] > 0) * 1.0}
    kw = {"prompt": "prompt", "a": "a", "b": "b", "judge": "judge", "outcome": "won"}
    out = benchmark.pedantic(pr.robust.curate, args=(table,), kwargs=kw, rounds=3, iterations=1)  # type: ignore[attr-defined]
    assert out.converged


@pytest.mark.benchmark(group="robust-curate-pairs")
def test_curate_pairs_from_scores_same_data(benchmark: object) -> None:
    s, _ = _pair_verdicts(P_PAIRS)
    out = benchmark.pedantic(_core.robust_curate, args=(s,), rounds=3, iterations=1)  # type: ignore[attr-defined]
    assert out.converged


@pytest.mark.benchmark(group="robust-curate-pairs")
def test_curate_pairs_reference(benchmark: object) -> None:
    _, c = _pair_verdicts(2000)
    args = (c["prompt"], c["a"], c["b"], c["judge"], c["vote"], 3)
    out = benchmark.pedantic(ref.curate_pairs, args=args, rounds=1, iterations=1)  # type: ignore[attr-defined]
    assert out["converged"]


# ---- label-noise EM on real data (LLMFAO crowd, 124 workers) vs plain BT
CROWD = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "llmfao-crowd.csv")


def _crowd() -> pr.Comparisons:
    return pr.comparisons(
        CROWD,
        a="left",
        b="right",
        outcome="winner",
        judge="worker",
        outcomes={"left": "a", "right": "b", "tie": "tie"},
    )


@pytest.mark.benchmark(group="robust-label-noise")
def test_label_noise_prefrank(benchmark: object) -> None:
    c = _crowd()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = benchmark(pr.label_noise, c, alpha=0.01)  # type: ignore[operator]
    assert 0 < res.epsilon < 0.5


@pytest.mark.benchmark(group="robust-label-noise")
def test_label_noise_reference(benchmark: object) -> None:
    c = _crowd()
    args = (c.n_items, c.a, c.b, c.p, c.tie, None, c.judge, len(c.judges))
    res = benchmark.pedantic(ref.label_noise, args=args, kwargs={"alpha": 0.01, "tol": 1e-8}, rounds=1, iterations=1)  # type: ignore[attr-defined]
    assert 0 < res["epsilon"] < 0.5
