"""Streaming the statistics whose exact state needs every row (or a second pass): Elo over shuffles,
label noise, fragility, per-group / contextual Bradley-Terry, Plackett-Luce, score consistency and
judge agreement. Each run over a directory or glob read in tiny batches must give the same result as
the in-memory call on the concatenated rows."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from prefrank.data.comparison_rows import comparison_rows
from prefrank.robust import fragility
from support import BATCH, ITEMS, _judgments, _sources, _write_parts


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    df = _judgments()
    return df, _write_parts(df, tmp_path_factory.mktemp("judged"))


COLS = dict(a="a", b="b", outcome="winner")


# --------------------------------------------------------------------------------------------------
# Coded rows


def test_comparison_rows_equal_the_concatenated_table(judged):
    df, root = judged
    cols = dict(COLS, weight="w", group="prompt", judge="judge", position="shown_first")
    one = pr.comparisons(df, **cols)
    many, x = comparison_rows(root, batch_rows=BATCH, extra={"score_a": "score_a", "len": "len_diff"}, **cols)
    for name in ("a", "b", "p", "tie", "items", "weight", "group", "groups", "judge", "judges", "first"):
        np.testing.assert_array_equal(getattr(many, name), getattr(one, name), err_msg=name)
        assert getattr(many, name).dtype == getattr(one, name).dtype, name
    np.testing.assert_array_equal(x, df[["score_a", "len_diff"]].to_numpy())


def test_comparison_rows_errors_name_file_and_row(tmp_path, judged):
    df = judged[0].copy()
    df["score_a"] = df["score_a"].astype(object)
    df.loc[300, "score_a"] = "high"
    root = _write_parts(df, tmp_path / "bad", kinds=("csv", "csv"))
    # The first file holds rows 0..249, so row 300 is row 50 of the second file.
    with pytest.raises(pr.PrefrankError, match=r"part-1\.csv: row 50: score_a value 'high' is not a number"):
        pr.score_consistency(root, score_a="score_a", score_b="score_b", batch_rows=BATCH, **COLS)
    df = judged[0].copy()
    df.loc[260, "len_diff"] = np.inf
    root = _write_parts(df, tmp_path / "inf", kinds=("parquet", "parquet"))
    with pytest.raises(pr.PrefrankError, match=r"part-1\.parquet: row 10: covariate 'len_diff' value inf is not"):
        pr.contextual_bradley_terry(root, covariates=["len_diff"], batch_rows=BATCH, **COLS)
    with pytest.raises(pr.PrefrankError, match="cannot be combined with per-row columns"):
        comparison_rows(root, extra={"s": "score_a"}, drop_self=True, **COLS)
    with pytest.raises(pr.PrefrankError, match="score_a= must name a column"):
        pr.score_consistency(root, score_a=df["score_a"], score_b="score_b", **COLS)


@pytest.mark.parametrize(
    "call",
    [
        lambda src: pr.elo(src, shuffles=3, batch_rows=BATCH, **COLS),
        lambda src: pr.label_noise(src, judge="judge", batch_rows=BATCH, **COLS),
        lambda src: pr.bradley_terry_groups(src, group="prompt", batch_rows=BATCH, **COLS),
        lambda src: fragility(src, batch_rows=BATCH, **COLS),
        lambda src: pr.score_consistency(src, score_a="score_a", score_b="score_b", batch_rows=BATCH, **COLS),
        lambda src: pr.contextual_bradley_terry(src, covariates="len_diff", batch_rows=BATCH, **COLS),
    ],
    ids=["elo", "label_noise", "bt_groups", "fragility", "score_consistency", "contextual"],
)
def test_bad_verdict_names_file_and_row(tmp_path_factory, judged, call):
    root = tmp_path_factory.getbasetemp() / "bad-verdict"
    if not root.exists():
        df = judged[0].copy()
        df.loc[420, "winner"] = "maybe"
        _write_parts(df, root, kinds=("csv", "csv"))
    with pytest.raises(pr.PrefrankError, match=r"part-1\.csv: row 170: outcome 'maybe'"):
        call(str(root))


# --------------------------------------------------------------------------------------------------
# Rankings


def _assert_ranking_equal(many: pr.Ranking, one: pr.Ranking) -> None:
    np.testing.assert_array_equal(many.items, one.items)
    np.testing.assert_array_equal(many.theta, one.theta)
    if one.games is not None:
        np.testing.assert_array_equal(many.games, one.games)
        np.testing.assert_array_equal(many.wins, one.wins)


def test_elo_with_shuffles_streams(judged):
    df, root = judged
    one = pr.elo(df, weight="w", shuffles=7, seed=3, **COLS)
    for src in _sources(root):
        _assert_ranking_equal(pr.elo(src, weight="w", shuffles=7, seed=3, batch_rows=BATCH, **COLS), one)
    # A single file with batch_rows= streams too.
    first = root / "part-0.parquet"
    part = pd.read_parquet(first)
    _assert_ranking_equal(pr.elo(first, shuffles=5, batch_rows=BATCH, **COLS), pr.elo(part, shuffles=5, **COLS))


@pytest.mark.parametrize("per_judge", [True, False])
def test_label_noise_streams_judge_cells(judged, per_judge):
    df, root = judged
    one = pr.label_noise(df, judge="judge", weight="w", per_judge=per_judge, **COLS)
    # Each (judge, pair, verdict) cell row gets the posterior of the rows in it.
    lo, hi = np.minimum(df["a"], df["b"]), np.maximum(df["a"], df["b"])
    lo_won = np.where(df["a"] == lo, df["winner"] == "a", df["winner"] == "b")
    verdict = np.where(df["winner"] == "tie", "tie", np.where(lo_won, "lo", "hi"))
    keys = list(zip(df["judge"], lo, hi, verdict, strict=True))
    for src in _sources(root):
        many = pr.label_noise(src, judge="judge", weight="w", per_judge=per_judge, batch_rows=BATCH, **COLS)
        np.testing.assert_array_equal(many.theta, one.theta)
        np.testing.assert_array_equal(many.judge_epsilon, one.judge_epsilon)
        np.testing.assert_array_equal(many.judge_ci, one.judge_ci)
        np.testing.assert_array_equal(many.judge_weight, one.judge_weight)
        assert (many.epsilon, many.epsilon_ci, many.loglik) == (one.epsilon, one.epsilon_ci, one.loglik)
        assert (many.iterations, many.joint_intervals) == (one.iterations, one.joint_intervals)
        _assert_ranking_equal(many.ranking, one.ranking)
        cells = many.to_pandas()
        assert cells["weight"].sum() == df["w"].sum() and len(cells) < len(df)
        cell_verdict = np.where(cells["tie"], "tie", np.where(cells["p_a"] == 1.0, "lo", "hi"))
        posterior = dict(
            zip(zip(cells["judge"], cells["a"], cells["b"], cell_verdict, strict=True), cells["p_correct"])
        )
        np.testing.assert_array_equal([posterior[k] for k in keys], one.posterior)


def test_label_noise_cells_without_judge_and_with_zero_weights(tmp_path, judged):
    df = judged[0].assign(w=judged[0]["w"] - 1)  # a third of the rows weigh nothing
    root = _write_parts(df, tmp_path / "zero")
    one = pr.label_noise(df, weight="w", **COLS)
    many = pr.label_noise(str(root / "*"), weight="w", batch_rows=BATCH, **COLS)
    np.testing.assert_array_equal(many.theta, one.theta)
    assert (many.epsilon, many.epsilon_ci, many.loglik) == (one.epsilon, one.epsilon_ci, one.loglik)
    assert many.judges is None and len(many.comparisons) <= 3 * 15


def test_bradley_terry_groups_streams_groups_split_across_batches(judged):
    df, root = judged
    one = pr.bradley_terry_groups(df, group="prompt", **COLS)
    # Every prompt has rows in several files (and so in several batches).
    part = np.repeat(np.arange(4), [len(x) for x in np.array_split(np.arange(len(df)), 4)])
    assert df.assign(part=part).groupby("prompt")["part"].nunique().min() >= 2
    for src in _sources(root):
        many = pr.bradley_terry_groups(src, group="prompt", batch_rows=BATCH, **COLS)
        pd.testing.assert_frame_equal(many.to_pandas(), one.to_pandas(), check_exact=True)
        pd.testing.assert_frame_equal(many.flags(), one.flags(), check_exact=True)
    with pytest.raises(pr.PrefrankError, match="missing group="):
        pr.bradley_terry_groups(root, batch_rows=BATCH, **COLS)


@pytest.mark.parametrize("ties", ["half", "drop"])
def test_bradley_terry_groups_cells_keep_soft_outcomes_and_zero_weights(tmp_path, judged, ties):
    df = judged[0].copy()
    rng = np.random.default_rng(5)
    # Soft verdicts (dyadic, so sums in any order are exact), ties, and rows that weigh nothing but
    # still name their items in the group.
    df["soft"] = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], len(df))
    df["w"] = df["w"] - 1
    root = _write_parts(df, tmp_path / "soft")
    kw = dict(a="a", b="b", outcome="soft", weight="w", group="prompt", ties=ties, alpha=0.05)
    one = pr.bradley_terry_groups(df, **kw)
    many = pr.bradley_terry_groups(root, batch_rows=BATCH, **kw)
    pd.testing.assert_frame_equal(many.to_pandas(), one.to_pandas(), check_exact=True)
    pd.testing.assert_frame_equal(many.flags(), one.flags(), check_exact=True)
    assert one.flags()["items"].sum() == df.groupby("prompt").apply(lambda g: len(set(g["a"]) | set(g["b"]))).sum()


def test_contextual_bradley_terry_streams(judged):
    df, root = judged
    one = pr.contextual_bradley_terry(df, covariates=["len_diff"], weight="w", **COLS)
    for src in _sources(root):
        many = pr.contextual_bradley_terry(src, covariates="len_diff", weight="w", batch_rows=BATCH, **COLS)
        _assert_ranking_equal(many.ranking, one.ranking)
        pd.testing.assert_series_equal(many.coefficients, one.coefficients, check_exact=True)
    with pytest.raises(pr.PrefrankError, match="covariates= must name columns"):
        pr.contextual_bradley_terry(root, covariates=df[["len_diff"]].to_numpy(), **COLS)
    with pytest.raises(pr.PrefrankError, match="named more than once"):
        pr.contextual_bradley_terry(root, covariates=["len_diff", "len_diff"], **COLS)


# --------------------------------------------------------------------------------------------------
# Consistency


@pytest.mark.parametrize("aggregate", [None, "majority", "probability", "unanimous"])
@pytest.mark.parametrize("by", [{"judge": "judge", "group": "prompt"}, {"weight": "w"}])
def test_score_consistency_streams(judged, aggregate, by):
    df, root = judged
    kw = dict(COLS, score_a="score_a", score_b="score_b", aggregate=aggregate, tolerance=0.25, **by)
    one = pr.score_consistency(df, **kw)
    assert 0 < one.conflict_rate < 1
    for src in _sources(root):
        many = pr.score_consistency(src, batch_rows=BATCH, **kw)
        assert many.to_dict() == one.to_dict()
        np.testing.assert_array_equal(many.table, one.table)
        assert many.table.dtype == one.table.dtype
        if "judge" in by:
            pd.testing.assert_frame_equal(many.by_judge(), one.by_judge(), check_exact=True)


# --------------------------------------------------------------------------------------------------
# Fragility: pair counts, then a second pass for the rows


def test_fragility_streams_with_a_second_pass(judged):
    df, root = judged
    for kw in ({}, {"pair": ("m4", "m5")}):
        one = fragility(df, weight="w", **kw, **COLS)
        assert one.found and one.size > 0
        for src in _sources(root):
            many = fragility(src, weight="w", batch_rows=BATCH, **kw, **COLS)
            assert many.to_dict() == one.to_dict()
            pd.testing.assert_frame_equal(many.removed, one.removed, check_exact=True)
            np.testing.assert_array_equal(many.theta_after, one.theta_after)
    # The rows number the concatenated files, and each removed row has the reported outcome.
    rows = df.iloc[one.rows]
    won = np.where(rows["winner"] == "a", rows["a"], rows["b"])
    assert list(won) == list(one.winner) and (rows["winner"] != "tie").all()


def test_fragility_streams_positional_verdicts(tmp_path):
    crowd = pd.read_csv(Path(__file__).resolve().parents[1] / "fixtures" / "llmfao-crowd.csv", dtype=str)
    root = _write_parts(crowd, tmp_path / "crowd", kinds=("parquet", "csv"))
    kw = dict(a="left", b="right", outcome="winner", position="left")
    one = fragility(crowd, **kw)
    many = fragility(str(root / "*"), batch_rows=1000, **kw)
    assert one.found and many.to_dict() == one.to_dict()


def test_fragility_stream_rejects_fractional_weights(tmp_path, judged):
    df = judged[0].assign(w=judged[0]["w"].astype(float))
    df.loc[400, "w"] = 1.5
    root = _write_parts(df, tmp_path / "frac", kinds=("parquet", "parquet"))
    with pytest.raises(pr.PrefrankError, match=r"part-1\.parquet: fragility removes whole comparisons"):
        fragility(root, weight="w", batch_rows=BATCH, **COLS)


# --------------------------------------------------------------------------------------------------
# Plackett-Luce


def _rankings(n_groups: int = 60, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strength = np.linspace(0.0, 2.0, len(ITEMS))
    rows = []
    for g in range(n_groups):
        for annotator in range(1 + g % 3):
            members = rng.choice(len(ITEMS), size=int(rng.integers(3, 6)), replace=False)
            order = members[np.argsort(-(strength[members] + rng.gumbel(size=len(members))))]
            top_k = len(order) if g % 4 else 2  # some top-2 rankings: the rest unranked
            for r, k in enumerate(order):
                rank = float(r + 1) if r < top_k else np.nan
                rows.append((f"g{g:02d}", f"r{annotator}", ITEMS[k], rank, 1 + g % 2))
    df = pd.DataFrame(rows, columns=["prompt", "annotator", "item", "rank", "w"])
    df["obs"] = df["prompt"] + "/" + df["annotator"]
    # Shuffled, so that observations are split across files and batches.
    return df.sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    df = _rankings()
    return df, _write_parts(df, tmp_path_factory.mktemp("ranked"))


def test_plackett_luce_streams_observations_split_across_files(ranked):
    df, root = ranked
    one = pr.plackett_luce(df, group="obs", weight="w")
    for src in _sources(root):
        many = pr.plackett_luce(src, group="obs", weight="w", batch_rows=BATCH)
        _assert_ranking_equal(many, one)
        assert (many.loglik, many.iterations) == (one.loglik, one.iterations)


@pytest.mark.parametrize("fit", [pr.lsr_rankings, pr.ilsr_rankings])
def test_spectral_rankings_stream_like_plackett_luce(ranked, fit):
    df, root = ranked
    one = fit(df, group="obs", weight="w")
    for src in _sources(root):
        _assert_ranking_equal(fit(src, group="obs", weight="w", batch_rows=BATCH), one)


def test_plackett_luce_groups_streams(ranked):
    df, root = ranked
    one = pr.plackett_luce_groups(df, group="prompt", ranking="annotator")
    for src in _sources(root):
        many = pr.plackett_luce_groups(src, group="prompt", ranking="annotator", batch_rows=BATCH)
        pd.testing.assert_frame_equal(many.to_pandas(), one.to_pandas(), check_exact=True)
        pd.testing.assert_frame_equal(many.flags(), one.flags(), check_exact=True)
    single = pr.plackett_luce_groups(df, group="obs")
    many = pr.plackett_luce_groups(str(root), group="obs", batch_rows=BATCH)
    pd.testing.assert_frame_equal(many.to_pandas(), single.to_pandas(), check_exact=True)


def test_plackett_luce_stream_errors(tmp_path, ranked):
    df = ranked[0].copy()
    df["rank"] = df["rank"].fillna(9.0).astype(object)
    df.loc[len(df) - 3, "rank"] = "first"
    root = _write_parts(df, tmp_path / "text", kinds=("csv", "csv"))
    row = len(df) - 3 - len(np.array_split(np.arange(len(df)), 2)[0])
    with pytest.raises(pr.PrefrankError, match=rf"part-1\.csv: row {row}: rank 'first' in column 'rank' is not"):
        pr.plackett_luce(root, group="prompt", batch_rows=BATCH)
    df = ranked[0].copy()
    df.loc[5, "rank"] = np.inf
    root = _write_parts(df, tmp_path / "inf", kinds=("parquet",))
    with pytest.raises(pr.PrefrankError, match=r"part-0\.parquet: row 5: rank inf in column 'rank' is not finite"):
        pr.plackett_luce_groups(root, group="prompt", ranking="annotator", batch_rows=BATCH)
    df = ranked[0].assign(w="heavy")
    root = _write_parts(df, tmp_path / "w", kinds=("parquet",))
    with pytest.raises(pr.PrefrankError, match=r"column 'w' \(weight\) is not numeric"):
        pr.plackett_luce(root, group="prompt", weight="w", batch_rows=BATCH)
    with pytest.raises(pr.PrefrankError, match="group= must name a column"):
        pr.plackett_luce(root, group=df["prompt"].to_numpy(), batch_rows=BATCH)
    # A duplicate within an observation split across files and batches is still found, by label.
    dup = pd.concat([ranked[0].iloc[:1], ranked[0]]).reset_index(drop=True)
    root = _write_parts(dup, tmp_path / "dup", kinds=("csv", "parquet"))
    with pytest.raises(pr.PrefrankError) as whole:
        pr.plackett_luce(dup, group="obs")
    assert f"group {dup['obs'][0]!r}" in str(whole.value)
    with pytest.raises(pr.PrefrankError) as streamed:
        pr.plackett_luce(root, group="obs", batch_rows=BATCH)
    assert str(streamed.value) == str(whole.value)


# --------------------------------------------------------------------------------------------------
# Judge agreement


def _agreement_tables(seed: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    units = [f"u{k:03d}" for k in range(80)]
    truth = rng.choice(["a", "b", "tie"], len(units), p=[0.45, 0.45, 0.1])
    humans, judgments = [], []
    for u, t in zip(units, truth, strict=True):
        for r in rng.choice(5, size=int(rng.integers(1, 5)), replace=False):
            humans.append((u, f"r{r}", t if rng.random() < 0.75 else rng.choice(["a", "b", "tie"])))
        for j, acc in (("J1", 0.8), ("J2", 0.6)):
            for _ in range(int(rng.integers(1, 3))):
                judgments.append((u, j, t if rng.random() < acc else rng.choice(["a", "b", "tie"])))
    return (
        pd.DataFrame(judgments, columns=["unit", "judge", "verdict"]),
        pd.DataFrame(humans, columns=["unit", "rater", "label"]),
    )


def test_judge_agreement_streams_either_table(tmp_path):
    jdf, hdf = _agreement_tables()
    jroot = _write_parts(jdf, tmp_path / "judgments")
    hroot = _write_parts(hdf, tmp_path / "humans", kinds=("csv", "parquet"))
    kw = dict(unit="unit", verdict="verdict", judge="judge", rater="rater", human_verdict="label")
    one = pr.judge_agreement(jdf, hdf, **kw)
    assert one.units_with_majority > 0 and len(one.judges) == 2 and len(one.annotators) == 5
    for jsrc, hsrc in ((str(jroot), str(hroot / "*")), (str(jroot / "part-*"), hdf), (jdf, str(hroot))):
        many = pr.judge_agreement(jsrc, hsrc, batch_rows=BATCH, **kw)
        pd.testing.assert_frame_equal(many.judges, one.judges, check_exact=True)
        pd.testing.assert_frame_equal(many.annotators, one.annotators, check_exact=True)
        assert many.to_dict() == one.to_dict()


def test_judge_agreement_stream_errors(tmp_path):
    jdf, hdf = _agreement_tables()
    hdf.loc[150, "label"] = None
    hroot = _write_parts(hdf, tmp_path / "humans", kinds=("parquet", "parquet"))
    row = 150 - len(np.array_split(np.arange(len(hdf)), 2)[0])
    kw = dict(unit="unit", verdict="verdict", judge="judge", human_verdict="label")
    with pytest.raises(pr.PrefrankError, match=rf"part-1\.parquet: humans: row {row}: verdict is missing"):
        pr.judge_agreement(jdf, hroot, batch_rows=BATCH, **kw)
    with pytest.raises(pr.PrefrankError, match="column 'nope' not found"):
        pr.judge_agreement(jdf, hroot, batch_rows=BATCH, **dict(kw, human_verdict="nope"))


def test_judge_agreement_stream_drops_and_counts_missing_judge_verdicts(tmp_path):
    jdf, hdf = _agreement_tables()
    jdf.loc[[3, 90, 91], "verdict"] = None
    jroot = _write_parts(jdf, tmp_path / "judgments", kinds=("parquet", "parquet"))
    kw = dict(unit="unit", verdict="verdict", judge="judge", rater="rater", human_verdict="label")
    one = pr.judge_agreement(jdf, hdf, **kw)
    many = pr.judge_agreement(jroot, hdf, batch_rows=BATCH, **kw)
    pd.testing.assert_frame_equal(many.judges, one.judges, check_exact=True)
    # A missing verdict is left out of every statistic (issue 16) and counted, read whole or in batches.
    votes = pd.crosstab(hdf["unit"], hdf["label"])
    majority = votes.index[votes.max(axis=1) > votes.sum(axis=1) / 2]
    known = jdf["verdict"].notna()
    assert many.judges["units"].sum() == (jdf["unit"].isin(majority) & known).sum()
    assert many.dropped == one.dropped and many.dropped["judgments: missing outcome"] == 3


@pytest.mark.parametrize("fit", [pr.rank_centrality, pr.lsr_pairwise, pr.ilsr_pairwise])
def test_pairwise_spectral_fits_stream_files_in_batches(tmp_path, judged, fit):
    df, root = judged
    one = fit(df, **COLS)
    single = tmp_path / "all.csv"
    df.to_csv(single, index=False)
    for src, rows in ((str(root), None), (str(root / "part-*"), BATCH), (str(single), BATCH)):
        _assert_ranking_equal(fit(src, batch_rows=rows, **COLS), one)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_batch_rows_must_be_a_positive_integer_everywhere(judged, bad):
    # A bad count is an error, never silently the default, whatever the input.
    df, root = judged
    for call in (
        lambda: pr.bradley_terry(root, batch_rows=bad, **COLS),
        lambda: pr.bradley_terry(df, batch_rows=bad, **COLS),
        lambda: pr.lsr_pairwise(root, batch_rows=bad, **COLS),
        lambda: pr.transitivity(root, batch_rows=bad, **COLS),
        lambda: pr.elo(root, batch_rows=bad, shuffles=2, **COLS),
    ):
        with pytest.raises(
            pr.PrefrankError, match=rf"batch_rows must be a positive integer.*got {re.escape(repr(bad))}"
        ):
            call()
