"""Agreement benchmarks: prefrank vs the pure-Python reference vs the peer a user would pick.

Default sizes run in a few minutes on 2 cores. The issue's sizes (20 raters x 1,000,000 units, 100 models x
1,000,000 items) run with ``PREFRANK_BENCH_FULL=1``:

    PREFRANK_BENCH_FULL=1 PYTHONPATH=python pytest benches/test_bench_agreement.py --benchmark-only
"""

from __future__ import annotations

import os

import numpy as np
import prefrank.agreement as ag
import pytest
from prefrank.reference import agreement as ref

FULL = os.environ.get("PREFRANK_BENCH_FULL") == "1"
UNITS = 1_000_000 if FULL else 100_000
RATERS = 20
MODELS, ITEMS = (100, 1_000_000) if FULL else (100, 100_000)


def _ratings(raters: int, units: int, k: int = 5, seed: int = 0) -> np.ndarray:
    """raters x units, values 1..k, 70% agreeing with a hidden truth, half missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, k + 1, units)
    x = np.where(rng.random((raters, units)) < 0.7, truth, rng.integers(1, k + 1, (raters, units))).astype(float)
    x[rng.random((raters, units)) < 0.5] = np.nan
    return x


@pytest.fixture(scope="module")
def big() -> np.ndarray:
    return _ratings(RATERS, UNITS)


@pytest.mark.parametrize("level", ["nominal", "interval"])
@pytest.mark.parametrize("impl", ["prefrank", "krippendorff", "evalica"])
def test_alpha(benchmark, big, level, impl):
    benchmark.group = f"alpha-{level} {RATERS}x{UNITS} half missing"
    if impl == "prefrank":
        got = benchmark(lambda: ag.krippendorff_alpha(big, level=level).value)
    elif impl == "krippendorff":
        krippendorff = pytest.importorskip("krippendorff")
        got = benchmark.pedantic(lambda: krippendorff.alpha(big, level_of_measurement=level), rounds=3, iterations=1)
    else:
        evalica = pytest.importorskip("evalica")
        pd = pytest.importorskip("pandas")
        df = pd.DataFrame(big)
        got = benchmark.pedantic(lambda: evalica.alpha(df, distance=level).alpha, rounds=3, iterations=1)
    assert got == pytest.approx(ag.krippendorff_alpha(big, level=level).value, abs=1e-9)


@pytest.mark.parametrize("impl", ["prefrank", "reference", "krippendorff"])
def test_alpha_small(benchmark, impl):
    """The pure-Python twin is only timed on a small matrix."""
    x = _ratings(10, 2_000)
    benchmark.group = "alpha-nominal 10x2000 (with reference)"
    if impl == "prefrank":
        got = benchmark(lambda: ag.krippendorff_alpha(x).value)
    elif impl == "reference":
        rows = [[None if np.isnan(v) else int(v) - 1 for v in r] for r in x]
        got = benchmark.pedantic(lambda: ref.krippendorff_alpha(rows, 5), rounds=3, iterations=1)
    else:
        krippendorff = pytest.importorskip("krippendorff")
        got = benchmark(lambda: krippendorff.alpha(x, level_of_measurement="nominal"))
    assert got == pytest.approx(ag.krippendorff_alpha(x).value, abs=1e-9)


@pytest.fixture(scope="module")
def complete() -> np.ndarray:
    x = _ratings(RATERS, UNITS, seed=1)
    return np.where(np.isnan(x), 1.0, x)


@pytest.mark.parametrize("impl", ["prefrank", "prefrank-counts", "statsmodels", "statsmodels-table"])
def test_fleiss(benchmark, complete, impl):
    """From the raters x units matrix (statsmodels needs aggregate_raters first), and from the
    units x categories table both take."""
    inter = pytest.importorskip("statsmodels.stats.inter_rater")
    benchmark.group = f"fleiss {UNITS} units x {RATERS} raters"
    table = inter.aggregate_raters(complete.T)[0].astype(float)
    if impl == "prefrank":
        got = benchmark(lambda: ag.fleiss_kappa(complete).value)
    elif impl == "prefrank-counts":
        got = benchmark(lambda: ag.fleiss_kappa(value_counts=table).value)
    elif impl == "statsmodels":
        got = benchmark.pedantic(
            lambda: inter.fleiss_kappa(inter.aggregate_raters(complete.T)[0]), rounds=3, iterations=1
        )
    else:
        got = benchmark(lambda: inter.fleiss_kappa(table))
    assert got == pytest.approx(ag.fleiss_kappa(complete).value, abs=1e-9)


@pytest.mark.parametrize("method", ["units", "krippendorff"])
def test_alpha_bootstrap(benchmark, method):
    x = _ratings(RATERS, 100_000, seed=2)
    benchmark.group = "alpha bootstrap 1000 rounds, 20x100000"
    r = benchmark.pedantic(
        lambda: ag.krippendorff_alpha(x, bootstrap=1000, method=method, seed=0), rounds=1, iterations=1
    )
    assert r.ci_low < r.value < r.ci_high


@pytest.fixture(scope="module")
def predictions() -> np.ndarray:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 4, ITEMS).astype(np.uint8)
    p = np.repeat(truth[None, :], MODELS, axis=0)
    flip = rng.random((MODELS, ITEMS)) < rng.uniform(0.05, 0.4, (MODELS, 1))
    p[flip] = rng.integers(0, 4, int(flip.sum())).astype(np.uint8)
    return p


@pytest.mark.parametrize("impl", ["prefrank", "numpy"])
def test_model_disagreement(benchmark, predictions, impl):
    benchmark.group = f"model disagreement {MODELS} models x {ITEMS} items uint8"
    if impl == "prefrank":
        got = benchmark(lambda: ag.model_disagreement(predictions).rate)
    else:

        def numpy_rates() -> np.ndarray:
            n = predictions.shape[0]
            out = np.zeros((n, n))
            for i in range(n):
                out[i] = (predictions != predictions[i]).mean(axis=1)
            return out

        got = benchmark.pedantic(numpy_rates, rounds=1, iterations=1)
    np.testing.assert_allclose(got, ag.model_disagreement(predictions).rate, atol=1e-12)
    benchmark.extra_info["bytes"] = predictions.nbytes


@pytest.mark.parametrize("impl", ["prefrank", "sklearn"])
def test_cohen(benchmark, impl):
    rng = np.random.default_rng(4)
    y1 = rng.integers(0, 5, UNITS)
    y2 = np.where(rng.random(UNITS) < 0.6, y1, rng.integers(0, 5, UNITS))
    y = np.stack([y1, y2])
    benchmark.group = f"cohen quadratic {UNITS} units"
    if impl == "prefrank":
        got = benchmark(lambda: ag.cohen_kappa(y, weights="quadratic").value)
    else:
        metrics = pytest.importorskip("sklearn.metrics")
        got = benchmark(lambda: metrics.cohen_kappa_score(y1, y2, weights="quadratic"))
    assert got == pytest.approx(ag.cohen_kappa(y, weights="quadratic").value, abs=1e-9)
