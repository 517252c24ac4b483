"""Ingestion: 10,000,000 comparisons over 1,000 string labels into the pair-count table.

Group ``ingest-pandas``: prefrank from a pandas DataFrame (pandas' default string dtype) vs the pandas
route (factorize + groupby counts) vs the pure-Python reference. Group ``ingest-numpy``: the same from
numpy object arrays. Sizes can be reduced with PREFRANK_BENCH_ROWS for a quick run.
"""

from __future__ import annotations

import os

import numpy as np
import prefrank as pr
import pytest
from prefrank import reference

ROWS = int(os.environ.get("PREFRANK_BENCH_ROWS", 10_000_000))
ITEMS = 1_000
REF_ROWS = min(ROWS, 1_000_000)  # the reference is timed on a slice and scaled (see RESULTS.md)


@pytest.fixture(scope="module")
def raw():
    rng = np.random.default_rng(0)
    labels = np.array([f"model-{i:04d}" for i in range(ITEMS)], dtype=object)
    ia = rng.integers(0, ITEMS, ROWS)
    ib = (ia + rng.integers(1, ITEMS, ROWS)) % ITEMS
    out = rng.choice(np.array(["a", "b", "tie"], dtype=object), ROWS, p=[0.45, 0.45, 0.1])
    return labels[ia], labels[ib], out


@pytest.fixture(scope="module")
def frame(raw):
    pd = pytest.importorskip("pandas")
    a, b, o = raw
    return pd.DataFrame({"a": a, "b": b, "outcome": o})


def prefrank_ingest(data=None, **cols):
    return pr.comparisons(data, **cols).pair_counts()


def pandas_route(df):
    import pandas as pd

    codes, _ = pd.factorize(pd.concat([df["a"], df["b"]], ignore_index=True))
    n = len(df)
    return (
        pd.DataFrame({"a": codes[:n], "b": codes[n:], "o": df["outcome"].to_numpy()})
        .groupby(["a", "b", "o"], sort=False)
        .size()
    )


def reference_ingest(a, b, o):
    (ca, cb), _ = reference.code_labels(a, b)
    vocab = {"a": (1.0, False), "b": (0.0, False), "tie": (0.5, True)}
    p = [vocab[x][0] for x in o]
    t = [vocab[x][1] for x in o]
    return reference.pair_counts(ca, cb, p, t)


@pytest.mark.benchmark(group="ingest-pandas")
def test_prefrank_from_pandas(benchmark, frame):
    pc = benchmark.pedantic(
        prefrank_ingest,
        args=(frame,),
        kwargs=dict(a="a", b="b", outcome="outcome"),
        rounds=5,
        iterations=1,
        warmup_rounds=1,
    )
    assert pc.total() == ROWS


@pytest.mark.benchmark(group="ingest-pandas")
def test_pandas_factorize_groupby(benchmark, frame):
    counts = benchmark.pedantic(pandas_route, args=(frame,), rounds=3, iterations=1)
    assert counts.sum() == ROWS


@pytest.mark.benchmark(group="ingest-pandas")
def test_reference_from_lists(benchmark, raw):
    a, b, o = (x[:REF_ROWS].tolist() for x in raw)
    benchmark.extra_info["rows"] = REF_ROWS
    benchmark.extra_info["scale_to_rows"] = ROWS
    cells = benchmark.pedantic(reference_ingest, args=(a, b, o), rounds=1, iterations=1)
    assert sum(sum(v) for v in cells.values()) == REF_ROWS


@pytest.mark.benchmark(group="ingest-numpy")
def test_prefrank_from_numpy(benchmark, raw):
    a, b, o = raw
    pc = benchmark.pedantic(prefrank_ingest, kwargs=dict(a=a, b=b, outcome=o), rounds=5, iterations=1, warmup_rounds=1)
    assert pc.total() == ROWS


@pytest.mark.benchmark(group="ingest-numpy")
def test_pandas_route_from_numpy(benchmark, raw):
    pd = pytest.importorskip("pandas")
    a, b, o = raw

    def run():
        return pandas_route(pd.DataFrame({"a": a, "b": b, "outcome": o}))

    counts = benchmark.pedantic(run, rounds=3, iterations=1)
    assert counts.sum() == ROWS
