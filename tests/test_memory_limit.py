"""The memory limit (issue 16, item 1): every allocation whose size depends on the input is checked
first, and a request beyond the limit is a TooLargeError naming the size, the limit and what to use
instead, never a process abort. Each case below aborted the process before the check existed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import prefrank as pr
import pytest

N = 100_000  # items: a dense n x n float64 matrix is 80 GB


@pytest.fixture
def limit() -> Iterator[None]:
    """Restore the default limit after a test that sets one."""
    yield
    pr.set_memory_limit(None)


def ring(n: int) -> dict[str, np.ndarray]:
    """Each item beats the next and loses to it once: strongly connected, 2n rows."""
    i = np.arange(n)
    j = (i + 1) % n
    return {"a": np.concatenate([i, j]), "b": np.concatenate([j, i]), "outcome": np.ones(2 * n)}


def test_dense_pair_counts_of_many_items_are_too_large() -> None:
    comps = pr.comparisons(**ring(N))
    with pytest.raises(pr.TooLargeError, match="dense=False") as info:
        comps.pair_counts(dense=True)
    e = info.value
    assert e.requested > e.limit == pr.get_memory_limit() or e.requested > e.limit
    assert "dense pair table of 100000 items" in str(e)
    # The default picks the sparse table.
    assert comps.pair_counts().n_items == N


def test_newton_hessian_of_many_items_is_too_large_and_names_mm() -> None:
    with pytest.raises(pr.TooLargeError, match="method='mm'") as info:
        pr.bradley_terry(**ring(N), method="newton")
    assert info.value.requested >= 8 * N * N


def test_plackett_luce_newton_of_many_items_is_too_large() -> None:
    rankings = [[f"i{k}", f"i{(k + 1) % N}"] for k in range(N)] + [[f"i{(k + 1) % N}", f"i{k}"] for k in range(N)]
    with pytest.raises(pr.TooLargeError, match="lbfgs"):
        pr.plackett_luce(rankings, method="newton")


def test_one_large_group_is_fitted_sparsely() -> None:
    n = N
    data = ring(n)
    # Before: a dense n x n table and Newton Hessian per group (160 GB). Now the cells are gathered
    # sparsely and the group is fitted by a solver whose memory is linear in the items.
    res = pr.bradley_terry_groups(**data, group=np.zeros(2 * n, np.int64))
    df = res.to_pandas()
    assert len(df) == n
    assert np.isfinite(df.select_dtypes("number").to_numpy()).all()


def test_a_set_limit_switches_the_default_solver(limit: None) -> None:
    data = ring(600)
    exact = pr.bradley_terry(**data)
    pr.set_memory_limit(1 << 20)  # 1 MiB: no room for a 600 x 600 Hessian (2.9 MB)
    assert pr.get_memory_limit() == 1 << 20
    lean = pr.bradley_terry(**data)
    assert lean.method != "newton"
    assert np.allclose(lean.scores.to_numpy(), exact.scores.to_numpy(), atol=1e-3)
    with pytest.raises(pr.TooLargeError, match="set_memory_limit"):
        pr.bradley_terry(**data, method="newton")
    pr.set_memory_limit(None)
    assert pr.get_memory_limit() > 1 << 20


def test_set_memory_limit_validates(limit: None) -> None:
    for bad in (-1, 1.5, "8G", True):
        with pytest.raises(pr.ParameterError) as info:
            pr.set_memory_limit(bad)
        assert info.value.param == "limit"


def test_max_memory_and_the_limit_agree(limit: None) -> None:
    f = lambda c: np.asarray(c, float).sum(axis=1)  # noqa: E731
    with pytest.raises(pr.TooLargeError, match="max_memory") as info:
        pr.shapley(f, n_players=20, method="exact", max_memory=1 << 20)
    assert info.value.limit == 1 << 20
    pr.set_memory_limit(1 << 20)
    with pytest.raises(pr.TooLargeError, match="set_memory_limit") as info:
        pr.shapley(f, n_players=20, method="exact", max_memory=1 << 30)
    assert info.value.limit == 1 << 20


def test_many_categories_are_too_large() -> None:
    # 2 raters x 100,000 units, every value distinct: 200,000 categories, a 320 GB coincidence matrix.
    values = np.arange(2 * N, dtype=float).reshape(2, N) + 0.5
    with pytest.raises(pr.TooLargeError, match="fewer categories"):
        pr.krippendorff_alpha(values, metric="interval")


def test_many_models_are_too_large() -> None:
    with pytest.raises(pr.TooLargeError, match="fewer models"):
        pr.model_disagreement(np.zeros((N, 1), np.int64))


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    python = str(Path(pr.__file__).parent.parent)
    full = {**os.environ, "PYTHONPATH": python, **env}
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, check=False)


def test_the_environment_variable_sets_the_limit() -> None:
    out = _run("import prefrank as pr; print(pr.get_memory_limit())", {"PREFRANK_MEMORY_LIMIT": "1G"})
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == 1 << 30
    code = "import prefrank as pr\ntry:\n    pr.get_memory_limit()\nexcept pr.ParameterError as e:\n    print(e.param)"
    bad = _run(code, {"PREFRANK_MEMORY_LIMIT": "lots"})
    assert bad.stdout.strip() == "PREFRANK_MEMORY_LIMIT", bad.stderr


def test_the_sparse_group_cells_equal_the_dense_ones(limit: None) -> None:
    rng = np.random.default_rng(1)
    n_rows, m = 3000, 30
    a = rng.integers(0, m, n_rows)
    b = (a + rng.integers(1, m, n_rows)) % m
    data = {"a": a, "b": b, "outcome": rng.integers(0, 2, n_rows).astype(float), "weight": rng.uniform(0.5, 2, n_rows)}
    group = rng.integers(0, 3, n_rows)
    dense = pr.bradley_terry_groups(**data, group=group).to_pandas()
    # 10 kB: a group's dense 30 x 30 table (14 kB) no longer fits, its 31 x 31 Newton Hessian does.
    pr.set_memory_limit(10_000)
    sparse = pr.bradley_terry_groups(**data, group=group).to_pandas()
    assert dense.equals(sparse)
