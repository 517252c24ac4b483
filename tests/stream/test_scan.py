"""Scale-out: streaming files in batches, mergeable statistics, and the Dask driver.

The claim under test: a run over batches or partitions gives the same result as one call on all
the rows (integer weights: identical, bootstrap included)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank import cli
from prefrank.io import scan, source_files
from prefrank.stats import ComparisonStats, RatingsStats, accumulate_comparisons
from support import _split_files

DATA = Path(__file__).resolve().parents[1] / "fixtures"
CROWD = DATA / "llmfao-crowd.csv"
COLS = dict(a="left", b="right", outcome="winner", group="prompt", judge="worker", position="left")


@pytest.fixture(scope="module")
def crowd() -> pd.DataFrame:
    return pd.read_csv(CROWD, dtype={"prompt": str, "worker": str, "left": str, "right": str})


# --------------------------------------------------------------------------------------------------
# Reading in batches


def test_scan_reads_every_row_in_bounded_batches(tmp_path, crowd):
    root = _split_files(crowd, tmp_path / "d")
    sizes, firsts = [], []
    for path, first, table in scan(root, batch_rows=1000, columns=["left", "right", "winner"]):
        sizes.append(table.num_rows)
        firsts.append((path.name, first))
        assert table.column_names == ["left", "right", "winner"]
    assert sum(sizes) == len(crowd)
    assert max(sizes) == 1000
    assert ("part-1.csv", 0) in firsts and ("part-1.csv", 1000) in firsts
    # A glob and the directory name the same files, sorted.
    assert source_files(str(root / "part-*")) == source_files(root) == sorted(root.iterdir())


def test_scan_errors(tmp_path):
    with pytest.raises(pr.PrefrankError, match="matches no files"):
        list(scan(str(tmp_path / "*.parquet")))
    with pytest.raises(pr.PrefrankError, match="holds no"):
        list(scan(tmp_path))
    (tmp_path / "x.xlsx").write_text("a")
    with pytest.raises(pr.PrefrankError, match=r"unknown file type '\.xlsx'"):
        list(scan(str(tmp_path / "x.*")))
    (tmp_path / "ok.csv").write_text("a,b\n1,2\n")
    with pytest.raises(pr.PrefrankError, match=r"batch_rows must be a positive integer.*got 0"):
        list(scan(tmp_path / "ok.csv", batch_rows=0))
    with pytest.raises(pr.PrefrankError, match="column 'zzz' not found"):
        list(scan(tmp_path / "ok.csv", columns=["zzz"]))


def test_stream_error_names_file_and_row(tmp_path, crowd):
    df = crowd.copy()
    df.loc[6000, "winner"] = "maybe"
    root = _split_files(df, tmp_path / "bad", kinds=("csv", "csv"))
    # The first file holds rows 0..4465, so table row 6000 is row 1534 of the second file.
    with pytest.raises(pr.PrefrankError, match=r"part-1\.csv: .*row 1534\b.*'maybe'"):
        pr.transitivity(root, a="left", b="right", outcome="winner", position="left", batch_rows=1000)


def test_stream_requires_column_names(tmp_path, crowd):
    root = _split_files(crowd, tmp_path / "d")
    with pytest.raises(pr.PrefrankError, match="a= must name a column"):
        pr.bradley_terry(root, a=crowd["left"], b="right", outcome="winner")


# --------------------------------------------------------------------------------------------------
# Leaderboards


def test_bradley_terry_over_directory_equals_one_call(tmp_path, crowd):
    root = _split_files(crowd, tmp_path / "d")
    one = pr.bradley_terry(
        pr.comparisons(crowd, a="left", b="right", outcome="winner", position="left"), bootstrap=200, seed=3
    )
    counts = accumulate_comparisons(
        root, batch_rows=700, pairs_only=True, a="left", b="right", outcome="winner", position="left"
    )
    many = pr.bradley_terry(counts, bootstrap=200, seed=3)
    pd.testing.assert_series_equal(many.scores, one.scores)
    pd.testing.assert_frame_equal(many.ci(0.95), one.ci(0.95))


def test_bradley_terry_streams_a_glob_directly(tmp_path):
    arena = pd.read_csv(Path(pr.__file__).parent / "datasets" / "arena_2023.csv")
    root = tmp_path / "arena"
    root.mkdir()
    for k, idx in enumerate(np.array_split(np.arange(len(arena)), 3)):
        arena.iloc[idx].to_parquet(root / f"{k}.parquet", index=False)
    one = pr.bradley_terry(arena, a="model_a", b="model_b", outcome="winner")
    many = pr.bradley_terry(str(root / "*.parquet"), a="model_a", b="model_b", outcome="winner", batch_rows=5000)
    pd.testing.assert_series_equal(many.scores, one.scores)


# --------------------------------------------------------------------------------------------------
# Audit statistics


def test_comparison_stats_merge_of_batches_equals_whole(crowd):
    whole = ComparisonStats.accumulate(crowd, **COLS)
    halves = [ComparisonStats.accumulate(crowd.iloc[i::3], **COLS) for i in range(3)]
    merged = halves[0].merge(halves[1]).merge(halves[2])
    assert list(merged.items) == list(whole.items)
    assert list(merged.groups) == list(whole.groups) and list(merged.judges) == list(whole.judges)
    for k, v in whole.cells.items():
        np.testing.assert_array_equal(merged.cells[k], v, err_msg=k)
    assert merged.pairs == whole.pairs
    assert merged.n_rows == len(crowd)
    back = ComparisonStats.from_bytes(merged.to_bytes())
    for k, v in whole.cells.items():
        np.testing.assert_array_equal(back.cells[k], v)
    assert back.pairs == whole.pairs and list(back.groups) == list(whole.groups)


def test_audit_from_stats_equals_audit_from_rows(tmp_path, crowd):
    one = pr.audit(crowd, verdict="winner", **{k: v for k, v in COLS.items() if k != "outcome"}, bootstrap=200)
    root = _split_files(crowd, tmp_path / "d")
    many = pr.audit(
        root, verdict="winner", batch_rows=900, **{k: v for k, v in COLS.items() if k != "outcome"}, bootstrap=200
    )
    assert one.transitivity is not None and many.transitivity is not None
    assert many.transitivity.counts == one.transitivity.counts
    assert many.transitivity.ci == one.transitivity.ci
    pd.testing.assert_frame_equal(many.transitivity.by_judge(), one.transitivity.by_judge())
    assert one.tournament is not None and many.tournament is not None
    assert many.tournament.to_dict() == one.tournament.to_dict()
    assert one.position_bias is not None and many.position_bias is not None
    assert many.position_bias.to_dict() == one.position_bias.to_dict()
    pd.testing.assert_frame_equal(many.position_bias.by_judge(), one.position_bias.by_judge())
    assert many.n_rows == one.n_rows
    pd.testing.assert_frame_equal(many.worst_triples, one.worst_triples)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),  # a
            st.integers(0, 5),  # b
            st.sampled_from(["a", "b", "tie"]),
            st.integers(0, 3),  # group
            st.integers(0, 1),  # judge
            st.booleans(),  # a shown first
            st.integers(0, 3),  # weight
        ),
        min_size=1,
        max_size=60,
    ),
    st.integers(1, 4),
    st.sampled_from(["majority", "probability", "unanimous"]),
)
def test_stats_of_any_split_give_the_same_audit(rows, parts, aggregate):
    rows = [r for r in rows if r[0] != r[1]]
    if not rows:
        return
    df = pd.DataFrame(rows, columns=["a", "b", "outcome", "group", "judge", "first", "w"])
    df["a"] = "m" + df["a"].astype(str)
    df["b"] = "m" + df["b"].astype(str)
    df["position"] = np.where(df["first"], "a", "b")
    cols = dict(a="a", b="b", outcome="outcome", group="group", judge="judge", position="position", weight="w")
    stats = [ComparisonStats.accumulate(df.iloc[i::parts], **cols) for i in range(parts) if len(df.iloc[i::parts])]
    merged = stats[0]
    for s in stats[1:]:
        merged = merged.merge(s)
    t1 = pr.transitivity(df, **cols, aggregate=aggregate, bootstrap=50)
    t2 = pr.transitivity(merged, aggregate=aggregate, bootstrap=50)
    assert t2.counts == t1.counts
    assert t2.ci == t1.ci or all(math.isnan(x) for v in t1.ci.values() for x in v)
    p1, p2 = pr.position_bias(df, **cols), pr.position_bias(merged)
    assert p2.patterns == p1.patterns
    assert p2.n_decisive == p1.n_decisive and p2.n_ties == p1.n_ties
    assert p2.first_win_share == p1.first_win_share or (
        math.isnan(p1.first_win_share) and math.isnan(p2.first_win_share)
    )


def test_stats_errors(crowd):
    with_group = ComparisonStats.accumulate(crowd, **COLS)
    no_group = ComparisonStats.accumulate(crowd, a="left", b="right", outcome="winner", position="left")
    with pytest.raises(pr.PrefrankError, match="with and without group="):
        with_group.merge(no_group)
    with pytest.raises(pr.PrefrankError, match="cannot merge ComparisonStats with PairCounts"):
        with_group.merge(with_group.pairs)
    with pytest.raises(pr.PrefrankError, match="do not pass column options"):
        pr.transitivity(with_group, a="left")
    plain = ComparisonStats.accumulate({"a": ["x", "y"], "b": ["y", "z"], "o": ["a", "tie"]}, a="a", b="b", outcome="o")
    with pytest.raises(pr.PrefrankError, match="needs position="):
        pr.position_bias(plain)
    with pytest.raises(pr.InputError, match=r"^corrupt or incompatible prefrank statistics: not serialised"):
        ComparisonStats.from_bytes(b"nope")
    with pytest.raises(pr.PrefrankError, match="score consistency needs the rows"):
        pr.audit(with_group, score_a="x", score_b="y")


# --------------------------------------------------------------------------------------------------
# Agreement


def _ratings(rng: np.random.Generator, n_units: int = 300) -> pd.DataFrame:
    rows = []
    for u in range(n_units):
        truth = rng.integers(0, 4)
        for r in rng.choice(6, size=rng.integers(1, 5), replace=False):
            v = truth if rng.random() < 0.7 else rng.integers(0, 4)
            rows.append((f"u{u}", f"r{r}", int(v)))
    return pd.DataFrame(rows, columns=["unit", "rater", "value"]).sample(frac=1, random_state=1)


def test_ratings_stats_give_the_same_agreement(tmp_path):
    df = _ratings(np.random.default_rng(0))
    cols = dict(unit="unit", rater="rater", value="value")
    parts = [RatingsStats.accumulate(df.iloc[i::4], **cols) for i in range(4)]
    merged = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]))
    back = RatingsStats.from_bytes(merged.to_bytes())
    for fn, opts in (
        (pr.krippendorff_alpha, {"level": "ordinal"}),
        (pr.krippendorff_alpha, {"level": "interval", "bootstrap": 100}),
        (pr.fleiss_kappa, {}),
        (pr.cohen_kappa, {"weights": "quadratic"}),
    ):
        want = fn(df, **cols, **opts).to_dict()
        assert fn(merged, **opts).to_dict() == want, fn.__name__
        assert fn(back, **opts).to_dict() == want
    root = tmp_path / "r"
    root.mkdir()
    for k, idx in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[idx].to_csv(root / f"{k}.csv", index=False)
    assert pr.krippendorff_alpha(root, **cols).to_dict() == pr.krippendorff_alpha(df, **cols).to_dict()


def test_ratings_stats_duplicate_rating_is_named():
    df = pd.DataFrame({"unit": ["x", "x", "y"], "rater": ["r1", "r2", "r1"], "value": [1, 2, 1]})
    a = RatingsStats.accumulate(df, unit="unit", rater="rater", value="value")
    with pytest.raises(pr.PrefrankError, match="rater 'r1' rated unit 'x' more than once"):
        pr.krippendorff_alpha(a.merge(a))
    with pytest.raises(pr.InputError, match="written by an older prefrank"):
        RatingsStats.from_bytes(b"PFCS0000")


# --------------------------------------------------------------------------------------------------
# CLI


def test_cli_batch_rows_match_whole_file(tmp_path, capsys, crowd):
    base = ["--a", "left", "--b", "right", "--outcome", "winner", "--position", "left", "--format", "json"]
    assert cli.main(["leaderboard", str(CROWD), *base]) == 0
    one = json.loads(capsys.readouterr().out)
    root = _split_files(crowd, tmp_path / "d")
    assert cli.main(["leaderboard", str(root), *base, "--batch-rows", "1000"]) == 0
    many = json.loads(capsys.readouterr().out)
    assert many["leaderboard"] == one["leaderboard"]

    aud = [
        "--a",
        "left",
        "--b",
        "right",
        "--verdict",
        "winner",
        "--group",
        "prompt",
        "--position",
        "left",
        "--bootstrap",
        "50",
    ]
    assert cli.main(["audit", str(CROWD), *aud]) == 0
    one = json.loads(capsys.readouterr().out)
    assert cli.main(["audit", str(root / "part-*"), *aud, "--batch-rows", "500"]) == 0
    many = json.loads(capsys.readouterr().out)
    assert many["transitivity"] == one["transitivity"]
    assert many["position_bias"] == one["position_bias"]

    rat = ["--unit", "id", "--rater", "worker", "--value", "winner"]
    assert cli.main(["agreement", str(CROWD), *rat]) == 0
    one = json.loads(capsys.readouterr().out)
    assert cli.main(["agreement", str(CROWD), *rat, "--batch-rows", "999"]) == 0
    many = json.loads(capsys.readouterr().out)
    one.pop("file"), many.pop("file")
    assert many == one


# --------------------------------------------------------------------------------------------------
# Dask


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_dask_results_equal_single_process(client, crowd):
    dd = pytest.importorskip("dask.dataframe")
    from prefrank import distributed

    ddf = dd.from_pandas(crowd, npartitions=5)
    lb = distributed.leaderboard(
        ddf, a="left", b="right", outcome="winner", position="left", bootstrap=100, seed=1, split_every=2
    )
    one = pr.bradley_terry(
        pr.comparisons(crowd, a="left", b="right", outcome="winner", position="left"), bootstrap=100, seed=1
    )
    pd.testing.assert_series_equal(lb.scores, one.scores)
    pd.testing.assert_frame_equal(lb.ci(0.95), one.ci(0.95))

    cols = {k: v for k, v in COLS.items() if k != "outcome"}
    a1 = distributed.audit(ddf, verdict="winner", **cols, bootstrap=100)
    a0 = pr.audit(crowd, verdict="winner", **cols, bootstrap=100)
    assert a1.transitivity.counts == a0.transitivity.counts and a1.transitivity.ci == a0.transitivity.ci
    assert a1.position_bias.to_dict() == a0.position_bias.to_dict()
    assert a1.tournament.to_dict() == a0.tournament.to_dict()

    rcols = dict(unit="id", rater="worker", value="winner")
    assert distributed.krippendorff_alpha(ddf, **rcols).to_dict() == pr.krippendorff_alpha(crowd, **rcols).to_dict()
    assert distributed.fleiss_kappa(ddf, **rcols).to_dict() == pr.fleiss_kappa(crowd, **rcols).to_dict()
    assert distributed.cohen_kappa(ddf, **rcols).to_dict() == pr.cohen_kappa(crowd, **rcols).to_dict()


def test_dask_errors(client):
    from prefrank import distributed

    with pytest.raises(pr.PrefrankError, match="expected a dask DataFrame"):
        distributed.pair_counts(pd.DataFrame({"a": [1]}), a="a", b="b", outcome="o")
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.from_pandas(pd.DataFrame({"a": ["x"], "b": ["y"], "o": ["a"]}), npartitions=1)
    with pytest.raises(pr.PrefrankError, match="split_every=1"):
        distributed.pair_counts(ddf, a="a", b="b", outcome="o", split_every=1)
    with pytest.raises(pr.PrefrankError, match="unexpected option"):
        distributed.pair_counts(ddf, a="a", b="b", outcome="o", colour="red")


def test_non_streaming_entry_points_read_a_directory_whole(tmp_path, crowd):
    root = _split_files(crowd, tmp_path / "d")
    table = pr.read_table(root)
    assert table.num_rows == len(crowd)
    cols = dict(a="left", b="right", outcome="winner", position="left")
    one = pr.elo(pr.comparisons(crowd, **cols), seed=0)
    many = pr.elo(pr.comparisons(str(root / "*"), **cols), seed=0)
    pd.testing.assert_series_equal(many.scores, one.scores)


def test_robust_ranking_streams_pair_counts(tmp_path, crowd):
    root = _split_files(crowd, tmp_path / "d")
    cols = dict(a="left", b="right", outcome="winner")
    stats = ComparisonStats.scan(root, batch_rows=1000, position="left", **cols)
    one = pr.robust_ranking(pr.comparisons(crowd, position="left", **cols))
    many = pr.robust_ranking(stats)
    pd.testing.assert_series_equal(many.scores, one.scores)


def test_elo_streams_in_row_order(tmp_path, crowd):
    df = crowd.astype({"model_x": str, "model_y": str})
    root = _split_files(df, tmp_path / "d", kinds=("parquet", "csv"))
    cols = dict(a="model_x", b="model_y", outcome="winner", outcomes={"left": "a", "right": "b", "tie": "tie"})
    one = pr.elo(df, **cols)
    many = pr.elo(root, batch_rows=700, **cols)
    pd.testing.assert_series_equal(many.scores, one.scores)
    np.testing.assert_array_equal(np.asarray(many.games), np.asarray(one.games))
    bad = df.copy()
    bad.loc[4466 + 4, "winner"] = "??"  # row 4 of the second file
    with pytest.raises(pr.PrefrankError, match=r"part-1\.csv: row 4\b"):
        pr.elo(_split_files(bad, tmp_path / "bad", kinds=("parquet", "csv")), **cols)


@pytest.mark.parametrize("distinct", [True, False])
def test_comparison_stats_scan_is_the_same_for_every_batch_size(tmp_path, distinct):
    # A distinct prompt per row (the streaming-memory case of issue 16 item 7: every batch's
    # groups sort after the previous ones, so the merge appends) and repeated prompts (cells add
    # across batches): the statistic is bit-identical whatever the batch size.
    rng = np.random.default_rng(3)
    n = 600
    a = rng.integers(0, 7, n)
    df = pd.DataFrame(
        {
            "left": [f"m{i}" for i in a],
            "right": [f"m{i}" for i in (a + rng.integers(1, 7, n)) % 7],
            "winner": rng.choice(["left", "right", "tie"], n),
            "prompt": np.arange(n) if distinct else rng.integers(0, 40, n),
            "worker": rng.choice(["u", "v", "w"], n),
        }
    )
    path = tmp_path / "rows.parquet"
    df.to_parquet(path)
    # One batch is the whole file (read with the file's label types, so it is the reference).
    whole = ComparisonStats.scan(path, batch_rows=10**6, **COLS)
    assert whole.n_rows == n
    for batch_rows in (1, 7, 100, 599):
        stats = ComparisonStats.scan(path, batch_rows=batch_rows, **COLS)
        assert stats.n_cells == whole.n_cells
        assert stats.to_bytes() == whole.to_bytes(), batch_rows
        for key, col in whole.cells.items():
            np.testing.assert_array_equal(stats.cells[key], col)
    if distinct:
        assert whole.n_cells == n
