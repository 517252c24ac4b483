"""Streaming the last entry points that read a source whole: the audit's score-consistency check
(API and CLI) and the attribution games built from tables (leaderboard slices, majority-label
agreement). Each run over a directory or glob read in tiny batches must equal the in-memory call on
the concatenated rows; errors name the file and the row within it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from prefrank import cli
from prefrank.attribution import majority_game, slice_attribution, slice_game
from support import BATCH, _judgments, _sources, _write_parts

AUDIT_COLS = dict(
    a="a",
    b="b",
    verdict="winner",
    weight="w",
    group="prompt",
    judge="judge",
    position="shown_first",
    score_a="score_a",
    score_b="score_b",
)


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    df = _judgments(seed=3)
    return df, _write_parts(df, tmp_path_factory.mktemp("judged"))


def _assert_same_scores(one: pr.ScoreConsistency | None, many: pr.ScoreConsistency | None) -> None:
    assert one is not None and many is not None
    assert many.to_dict() == one.to_dict()
    np.testing.assert_array_equal(many.table, one.table)
    if one._by_judge is not None:
        pd.testing.assert_frame_equal(many.by_judge(), one.by_judge())
    else:
        assert many._by_judge is None


# --------------------------------------------------------------------------------------------------
# audit: score consistency


@pytest.mark.parametrize("tolerance", [0.0, 0.25])
def test_streamed_audit_checks_scores_like_the_concatenated_table(judged, tolerance):
    df, root = judged
    one = pr.audit(df, tolerance=tolerance, bootstrap=50, **AUDIT_COLS)
    assert one.score_consistency is not None and one.score_consistency.n_pairs > 0
    assert len(one.score_consistency.by_judge()) == 4
    for src in _sources(root):
        many = pr.audit(src, tolerance=tolerance, bootstrap=50, batch_rows=BATCH, **AUDIT_COLS)
        _assert_same_scores(one.score_consistency, many.score_consistency)
        assert many.n_rows == one.n_rows
        assert many.transitivity is not None and one.transitivity is not None
        assert many.transitivity.counts == one.transitivity.counts
        assert many.to_dict()["score_consistency"] == one.to_dict()["score_consistency"]
        assert not any("score" in n for n in many.notes)


def test_streamed_audit_scores_without_judge_or_weight(judged, tmp_path):
    df, root = judged
    cols = {k: v for k, v in AUDIT_COLS.items() if k not in {"judge", "weight"}}
    one = pr.audit(df, bootstrap=20, **cols)
    # A single file with batch_rows= streams too.
    df.to_parquet(tmp_path / "all.parquet", index=False)
    for src in (str(root), str(tmp_path / "all.parquet")):
        many = pr.audit(src, bootstrap=20, batch_rows=BATCH, **cols)
        _assert_same_scores(one.score_consistency, many.score_consistency)
        with pytest.raises(pr.PrefrankError, match="needs judge="):
            many.score_consistency.by_judge()  # type: ignore[union-attr]


def test_streamed_audit_score_errors(judged, tmp_path):
    df = judged[0].copy()
    df["score_b"] = df["score_b"].astype(object)
    df.loc[300, "score_b"] = "high"
    root = _write_parts(df, tmp_path / "bad", kinds=("csv", "csv"))
    # Rows 0..249 are in part-0, so row 300 is row 50 of part-1.
    with pytest.raises(pr.PrefrankError, match=r"part-1\.csv: row 50: score_b value 'high' is not a number"):
        pr.audit(root, bootstrap=10, batch_rows=BATCH, **AUDIT_COLS)
    df = judged[0].copy()
    df.loc[260, "score_a"] = np.nan
    root = _write_parts(df, tmp_path / "nan", kinds=("parquet", "parquet"))
    with pytest.raises(pr.PrefrankError, match=r"part-1\.parquet: row 10: score_a value nan is not a finite number"):
        pr.audit(root, bootstrap=10, batch_rows=BATCH, **AUDIT_COLS)
    # Scores of a streamed source must be columns; they are refused before the source is read.
    with pytest.raises(pr.PrefrankError, match="score_a= must name a column"):
        pr.audit(root, **{**AUDIT_COLS, "score_a": df["score_a"].to_numpy()})
    with pytest.raises(pr.PrefrankError, match=r"part-0\.parquet: column 'nope' not found"):
        pr.audit(root, bootstrap=10, **{**AUDIT_COLS, "score_b": "nope"})
    # Merged statistics hold no scores.
    stats = pr.ComparisonStats.accumulate(judged[0], a="a", b="b", outcome="winner", group="prompt")
    with pytest.raises(pr.PrefrankError, match="score consistency needs the rows themselves"):
        pr.audit(stats, score_a="score_a", score_b="score_b")


def _cli_audit_args(src: str) -> list[str]:
    return [
        "audit",
        src,
        "--a",
        "a",
        "--b",
        "b",
        "--verdict",
        "winner",
        "--group",
        "prompt",
        "--judge",
        "judge",
        "--score-a",
        "score_a",
        "--score-b",
        "score_b",
        "--tolerance",
        "0.2",
        "--bootstrap",
        "20",
        "--no-progress",
    ]


def test_cli_audit_streams_score_columns(judged, tmp_path, capsys):
    df, root = judged
    whole = tmp_path / "all.csv"
    df.to_csv(whole, index=False)
    assert cli.main(_cli_audit_args(str(whole))) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["score_consistency"]["n_pairs"] == len(df)
    for src in _sources(root):
        assert cli.main([*_cli_audit_args(src), "--batch-rows", str(BATCH)]) == 0
        many = json.loads(capsys.readouterr().out)
        assert many["score_consistency"] == one["score_consistency"]
        assert many["transitivity"] == one["transitivity"]
    assert cli.main([*_cli_audit_args(str(root)), "--score-b", "nope"]) == 1
    assert "column 'nope' not found" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# Attribution: leaderboard slices

SLICE_COLS = dict(a="a", b="b", outcome="winner", slice="judge")
TARGETS = [
    dict(target="score", item="m3"),
    dict(target="rank", item="m2"),
    dict(target="gap", item="m4", other="m1"),
    dict(target="kendall_tau", reference={f"m{k}": float(k) for k in range(6)}),
]


@pytest.mark.parametrize("target", TARGETS, ids=[t["target"] for t in TARGETS])
@pytest.mark.parametrize("weight", [None, "w"])
def test_streamed_slice_game_equals_the_in_memory_game(judged, target, weight):
    df, root = judged
    one = slice_game(df, weight=weight, **SLICE_COLS, **target)
    exact = pr.shapley(one)
    banz = pr.banzhaf(one)
    for src in _sources(root):
        many = slice_game(src, weight=weight, batch_rows=BATCH, **SLICE_COLS, **target)
        assert many.players == one.players
        assert dict(many.extra) == dict(one.extra)
        np.testing.assert_allclose(many.table(), one.table(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(pr.shapley(many).raw, exact.raw, rtol=0, atol=1e-12)
        np.testing.assert_allclose(pr.banzhaf(many).raw, banz.raw, rtol=0, atol=1e-12)


def test_streamed_slice_attribution_by_prompt_and_sampled(judged):
    df, root = judged
    cols = dict(a="a", b="b", outcome="winner", weight="w", slice="prompt", target="score", item="m5")
    # 25 prompts: sampled, with the same seed over the same game.
    one = slice_attribution(df, method="permutation", max_evaluations=400, seed=7, **cols)
    many = slice_attribution(
        str(root / "part-*"), method="permutation", max_evaluations=400, seed=7, batch_rows=BATCH, **cols
    )
    assert many.players == one.players
    np.testing.assert_allclose(many.raw, one.raw, rtol=0, atol=1e-12)
    np.testing.assert_allclose(many.raw_stderr, one.raw_stderr, rtol=0, atol=1e-12)


def test_streamed_slice_game_drop_self_counts_rows(judged, tmp_path):
    df = judged[0].copy()
    df.loc[[5, 280, 281], "b"] = df.loc[[5, 280, 281], "a"]
    root = _write_parts(df, tmp_path / "self", kinds=("csv", "parquet"))
    for weight in (None, "w"):
        one = slice_game(df, drop_self=True, weight=weight, **SLICE_COLS, target="score", item="m0")
        many = slice_game(
            root, drop_self=True, weight=weight, batch_rows=BATCH, **SLICE_COLS, target="score", item="m0"
        )
        assert many.extra["n_comparisons"] == one.extra["n_comparisons"] == len(df) - 3
        np.testing.assert_allclose(pr.shapley(many).raw, pr.shapley(one).raw, rtol=0, atol=1e-12)
    with pytest.raises(pr.PrefrankError, match=r"part-0\.csv: row 5: item 'm\d' is compared with itself"):
        slice_game(root, batch_rows=BATCH, **SLICE_COLS, target="score", item="m0")


def test_streamed_slice_game_errors(judged, tmp_path):
    df = judged[0].copy()
    df.loc[420, "winner"] = "maybe"
    root = _write_parts(df, tmp_path / "bad", kinds=("csv", "csv"))
    with pytest.raises(pr.PrefrankError, match=r"part-1\.csv: row 170: outcome 'maybe'"):
        slice_game(root, batch_rows=BATCH, **SLICE_COLS, target="score", item="m0")
    with pytest.raises(pr.PrefrankError, match=r"part-1\.csv: row 170: outcome 'maybe'"):
        slice_attribution(str(root / "*.csv"), **SLICE_COLS, target="score", item="m0")
    good = judged[1]
    with pytest.raises(pr.PrefrankError, match="slice= must name a column"):
        slice_game(good, **{**SLICE_COLS, "slice": df["judge"].to_numpy()}, target="score", item="m0")
    with pytest.raises(pr.PrefrankError, match="column 'nope' not found"):
        slice_game(good, **{**SLICE_COLS, "slice": "nope"}, target="score", item="m0")
    with pytest.raises(pr.PrefrankError, match="item='zz' is not an item"):
        slice_game(good, **SLICE_COLS, target="score", item="zz")
    with pytest.raises(pr.PrefrankError, match=r"batch_rows must be a positive integer.*got 0"):
        slice_game(good, batch_rows=0, **SLICE_COLS, target="score", item="m0")


# --------------------------------------------------------------------------------------------------
# Attribution: majority-label agreement


def _ratings(seed: int = 0, n: int = 600) -> tuple[pd.DataFrame, dict[int, str]]:
    rng = np.random.default_rng(seed)
    truth = rng.choice(["good", "bad", "meh"], 80)
    unit = rng.integers(0, 80, n)
    rater = rng.integers(0, 6, n)
    noisy = rng.random(n) < 0.15 + 0.08 * rater
    label = np.where(noisy, rng.choice(["good", "bad", "meh"], n), truth[unit])
    df = pd.DataFrame({"unit": unit, "rater": [f"r{k}" for k in rater], "label": label})
    # Some units have no reference; some reference units are never rated.
    reference = {int(u): str(truth[u]) for u in range(80) if u % 9} | {500: "good"}
    return df, reference


@pytest.fixture(scope="module")
def rated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[int, str], Path]:
    df, reference = _ratings()
    return df, reference, _write_parts(df, tmp_path_factory.mktemp("rated"))


def test_streamed_majority_game_equals_the_in_memory_game(rated):
    df, reference, root = rated
    one = majority_game(df, reference=reference)
    exact = pr.shapley(one)
    assert np.ptp(exact.raw) > 0
    for src in _sources(root):
        many = majority_game(src, reference=reference, batch_rows=BATCH)
        assert many.players == one.players
        assert dict(many.extra) == dict(one.extra)
        np.testing.assert_allclose(many.table(), one.table(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(pr.shapley(many).raw, exact.raw, rtol=0, atol=1e-12)
    # Default batches (one per file) and a Series reference give the same game.
    many = majority_game(root, reference=pd.Series(reference))
    np.testing.assert_allclose(pr.shapley(many).raw, exact.raw, rtol=0, atol=1e-12)


def test_streamed_majority_game_counts_repeated_ratings(tmp_path):
    # A rater who labels a unit twice counts twice, whichever batch each rating falls in.
    df = pd.DataFrame(
        {
            "unit": ["u1", "u1", "u1", "u2", "u2", "u1"],
            "rater": ["r1", "r2", "r3", "r1", "r2", "r2"],
            "label": ["x", "y", "x", "y", "y", "y"],
        }
    )
    ref = {"u1": "y", "u2": "y"}
    root = _write_parts(df, tmp_path / "rep", kinds=("jsonl", "csv"))
    one = majority_game(df, reference=ref)
    many = majority_game(root, reference=ref, batch_rows=2)
    np.testing.assert_array_equal(many.table(), one.table())
    # {r1, r2}: u1 has x once and y twice (majority y), u2 has y twice -> both agree.
    assert one.table()[0b011] == 1.0


def test_streamed_majority_game_errors(rated, tmp_path):
    df, reference, _ = rated
    bad = df.copy()
    bad["label"] = bad["label"].astype(object)
    bad.loc[410, "label"] = None
    root = _write_parts(bad, tmp_path / "missing", kinds=("parquet", "jsonl"))
    # Rows 0..299 are in part-0, so row 410 is row 110 of part-1.
    with pytest.raises(pr.PrefrankError, match=r"row 410: column 'label' is missing a label"):
        majority_game(bad, reference=reference)
    with pytest.raises(pr.PrefrankError, match=r"part-1\.jsonl: row 110: column 'label' is missing a label"):
        majority_game(root, reference=reference, batch_rows=BATCH)
    good = str(_write_parts(df, tmp_path / "good", kinds=("parquet", "parquet")))
    with pytest.raises(pr.PrefrankError, match="rater= must name a column"):
        majority_game(good, rater=df["rater"].to_numpy(), reference=reference)
    with pytest.raises(pr.PrefrankError, match=r"part-0\.parquet: column 'annotator' not found"):
        majority_game(good, rater="annotator", reference=reference)
    with pytest.raises(pr.PrefrankError, match="no rated unit has a reference label"):
        majority_game(good, reference={"nobody": "good"}, batch_rows=BATCH)
    with pytest.raises(pr.PrefrankError, match="the pattern matches no files"):
        majority_game(str(tmp_path / "none-*.csv"), reference=reference)


def test_batch_rows_must_be_positive(judged, rated):
    root = judged[1]
    with pytest.raises(pr.PrefrankError, match=r"batch_rows must be a positive integer.*got 0"):
        pr.audit(root, batch_rows=0, **AUDIT_COLS)
    with pytest.raises(pr.PrefrankError, match=r"batch_rows must be a positive integer.*got -5"):
        majority_game(rated[2], reference=rated[1], batch_rows=-5)


def test_streamed_entry_points_never_read_a_source_whole(judged, rated, monkeypatch):
    import sys

    import prefrank.io

    def whole(*args, **kwargs):
        raise AssertionError("read whole")

    # Every module that bound one of the whole-source readers gets the patch.
    readers = {prefrank.io.read_all, prefrank.io.read_table}
    for name, mod in list(sys.modules.items()):
        if name == "prefrank" or name.startswith("prefrank."):
            for attr in ("read_all", "read_table"):
                if getattr(mod, attr, None) in readers:
                    monkeypatch.setattr(mod, attr, whole)
    root = judged[1]
    res = pr.audit(root, bootstrap=5, batch_rows=BATCH, **AUDIT_COLS)
    assert res.score_consistency is not None
    slice_game(str(root / "part-*"), batch_rows=BATCH, weight="w", **SLICE_COLS, target="score", item="m1")
    majority_game(rated[2], reference=rated[1])
    # The patch is in force: a call that does not stream reads the directory whole.
    with pytest.raises(AssertionError, match="read whole"):
        pr.comparisons(str(root), a="a", b="b", outcome="winner")
