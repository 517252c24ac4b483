"""Merging two label tables: ``prefrank.data.union_labels`` (vectorised for str / int tables) vs the
generic path it used before (a Python sort with the type-name key), on two sorted tables of 200,000
labels each that share half their labels (as two batches of prompt ids do when merged).

Group ``union-str``: object arrays of str (what the Rust coders return). Group ``union-int``: int64
tables. Size: PREFRANK_BENCH_UNION_LABELS (default 200,000 per side).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from prefrank.data import union_labels
from prefrank.data.coding import _union_labels_generic

LABELS = int(os.environ.get("PREFRANK_BENCH_UNION_LABELS", 200_000))


def _sides(pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(pool))
    half = LABELS // 2
    x = np.sort(pool[perm[:LABELS]])
    y = np.sort(np.concatenate([pool[perm[:half]], pool[perm[LABELS : LABELS + LABELS - half]]]))
    return x, y


@pytest.fixture(scope="module")
def str_tables() -> tuple[np.ndarray, np.ndarray]:
    ids = np.random.default_rng(2).choice(10**9, 2 * LABELS, replace=False)
    return _sides(np.array([f"prompt-{i:09d}" for i in ids.tolist()], dtype=object))


@pytest.fixture(scope="module")
def int_tables() -> tuple[np.ndarray, np.ndarray]:
    pool = np.unique(np.random.default_rng(1).integers(-(10**15), 10**15, 3 * LABELS))[: 2 * LABELS]
    return _sides(pool)


def _check(tables: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = tables
    fast, slow = union_labels(x, y), _union_labels_generic(x, y)
    assert fast[0].tolist() == slow[0].tolist()
    assert all(f is not None and s is not None and np.array_equal(f, s) for f, s in zip(fast[1:], slow[1:]))


@pytest.mark.benchmark(group="union-str")
def test_union_str_prefrank(benchmark, str_tables):
    _check(str_tables)
    labels, _, _ = benchmark(union_labels, *str_tables)
    assert len(labels) == len(set(str_tables[0].tolist()) | set(str_tables[1].tolist()))


@pytest.mark.benchmark(group="union-str")
def test_union_str_generic(benchmark, str_tables):
    labels, _, _ = benchmark.pedantic(_union_labels_generic, args=str_tables, rounds=3, iterations=1)
    assert len(labels) == len(set(str_tables[0].tolist()) | set(str_tables[1].tolist()))


@pytest.mark.benchmark(group="union-int")
def test_union_int_prefrank(benchmark, int_tables):
    _check(int_tables)
    labels, _, _ = benchmark(union_labels, *int_tables)
    assert len(labels) == len(np.union1d(*int_tables))


@pytest.mark.benchmark(group="union-int")
def test_union_int_generic(benchmark, int_tables):
    labels, _, _ = benchmark.pedantic(_union_labels_generic, args=int_tables, rounds=3, iterations=1)
    assert len(labels) == len(np.union1d(*int_tables))


# --------------------------------------------------------------------------------------------------
# End to end (opt-in: PREFRANK_BENCH_UNION_E2E=1): the streamed per-prompt fit of docs/scale.md
# (4,000,000 judgments of 50 models, 200,000 prompts, 4 Parquet files, batches of 250,000 rows),
# whose cell merges unite ~200,000 prompt labels each, with union_labels and with the generic path.

E2E = os.environ.get("PREFRANK_BENCH_UNION_E2E") == "1"
E2E_ROWS = int(os.environ.get("PREFRANK_BENCH_UNION_E2E_ROWS", 4_000_000))


@pytest.fixture(scope="module")
def prompts_dir(tmp_path_factory):
    if not E2E:
        pytest.skip("set PREFRANK_BENCH_UNION_E2E=1 to run the end-to-end merge benchmark")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    models = np.array([f"model-{i:02d}" for i in range(50)], dtype=object)
    a = rng.integers(0, 50, E2E_ROWS)
    b = (a + rng.integers(1, 50, E2E_ROWS)) % 50
    df = pd.DataFrame(
        {
            "a": models[a],
            "b": models[b],
            "winner": rng.choice(np.array(["a", "b", "tie"], dtype=object), E2E_ROWS, p=[0.45, 0.45, 0.1]),
            "prompt": np.char.add("prompt-", rng.integers(0, 200_000, E2E_ROWS).astype(str)).astype(object),
        }
    )
    root = tmp_path_factory.mktemp("prompts")
    for k, idx in enumerate(np.array_split(np.arange(E2E_ROWS), 4)):
        df.iloc[idx].to_parquet(root / f"part-{k}.parquet", index=False)
    return str(root), df["prompt"].nunique()


def _groups(root):
    import prefrank as pr

    return pr.bradley_terry_groups(root, a="a", b="b", outcome="winner", group="prompt", batch_rows=250_000)


@pytest.mark.benchmark(group="union-e2e-groups")
def test_union_e2e_prefrank(benchmark, prompts_dir):
    root, n_prompts = prompts_dir
    res = benchmark.pedantic(_groups, args=(root,), rounds=1, iterations=1)
    assert res.n_groups == n_prompts


@pytest.mark.benchmark(group="union-e2e-groups")
def test_union_e2e_generic(benchmark, prompts_dir, monkeypatch):
    import sys

    slow = _union_labels_generic

    def generic(x, y):
        if len(x) == len(y) and np.array_equal(x, y):
            return x, None, None
        return slow(x, y)

    # Every module that bound union_labels gets the generic one.
    for name, mod in list(sys.modules.items()):
        if name.startswith("prefrank") and getattr(mod, "union_labels", None) is union_labels:
            monkeypatch.setattr(mod, "union_labels", generic)
    root, n_prompts = prompts_dir
    res = benchmark.pedantic(_groups, args=(root,), rounds=1, iterations=1)
    assert res.n_groups == n_prompts
