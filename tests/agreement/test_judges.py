"""Judge vs human agreement (issue: audit, item 5)."""

from __future__ import annotations

import pandas as pd
import pytest
from prefrank import PrefrankError
from prefrank.agreement.judges import judge_agreement

HUMANS = pd.DataFrame(
    {
        "pair": [1, 1, 1, 2, 2, 3, 3, 4, 4, 4],
        "worker": ["r1", "r2", "r3", "r1", "r2", "r1", "r2", "r1", "r2", "r3"],
        "winner": ["a", "a", "b", "b", "b", "a", "b", "tie", "tie", "a"],
    }
)
JUDGES = pd.DataFrame(
    {
        "pair": [1, 2, 3, 4, 1, 2, 4],
        "judge": ["J1"] * 4 + ["J2"] * 3,
        "winner": ["a", "b", "a", "a", "b", "b", "tie"],
    }
)


def test_hand_computed_example():
    r = judge_agreement(JUDGES, HUMANS, unit="pair", outcome="winner", judge="judge", rater="worker")
    # Majorities: pair 1 -> a, pair 2 -> b, pair 3 none (1-1), pair 4 -> tie.
    assert (r.units_with_majority, r.units_without_majority) == (3, 1)
    assert r.judges.loc["J1", "units"] == 3 and r.judges.loc["J2", "units"] == 3
    assert r.judges.loc["J1", "accuracy"] == pytest.approx(2 / 3)
    assert r.judges.loc["J2", "accuracy"] == pytest.approx(2 / 3)
    # p_o = 2/3, p_e = 1/3 for both judges: kappa = 0.5.
    assert r.judges.loc["J1", "kappa"] == pytest.approx(0.5)
    assert r.judges.loc["J2", "kappa"] == pytest.approx(0.5)
    # Leave-one-out majorities: r1 and r2 agree on pair 2, disagree on pair 3; r3 disagrees on pairs 1 and 4.
    assert r.annotators.loc["r1"].tolist() == [2, 0.5]
    assert r.annotators.loc["r2"].tolist() == [2, 0.5]
    assert r.annotators.loc["r3"].tolist() == [2, 0.0]
    assert "JudgeAgreement(judges=2" in repr(r)
    assert r.to_dict()["units_with_majority"] == 3


def test_llmfao_gpt4_against_the_crowd(data_dir):
    crowd = pd.read_csv(data_dir / "llmfao-crowd.csv")
    gpt4 = pd.read_csv(data_dir / "llmfao-gpt4.csv")
    r = judge_agreement(gpt4, crowd, unit="id", verdict="winner", rater="worker")
    assert r.units_with_majority + r.units_without_majority == crowd.id.nunique()
    row = r.judges.loc["judge"]
    assert row["units"] == r.units_with_majority
    assert 0.3 < row["accuracy"] < 0.8 and 0.0 < row["kappa"] < 1.0
    assert len(r.annotators) == crowd.worker.nunique()


def test_errors():
    with pytest.raises(PrefrankError, match="judgments: column 'verdict' not found"):
        judge_agreement(JUDGES, HUMANS, unit="pair", verdict="verdict")
    with pytest.raises(PrefrankError, match="humans: column 'annotator' not found"):
        judge_agreement(JUDGES, HUMANS, unit="pair", verdict="winner", rater="annotator")
    with pytest.raises(PrefrankError, match="non-empty"):
        judge_agreement(JUDGES.iloc[:0], HUMANS, unit="pair", verdict="winner")
    bad = HUMANS.copy()
    bad.loc[3, "winner"] = None
    with pytest.raises(PrefrankError, match="humans: row 3: verdict is missing"):
        judge_agreement(JUDGES, bad, unit="pair", verdict="winner")


def test_missing_values_are_dropped_from_every_statistic_and_counted():
    # Issue 16: a missing judge or unit was dropped silently; a missing verdict counted as wrong for
    # accuracy but was ignored by kappa. Now every such row is left out of every statistic and counted.
    extra = pd.DataFrame(
        {
            "pair": [1, None, 2, 9, 3],
            "judge": ["J1", "J1", None, "J1", "J2"],
            "winner": [None, "a", "b", "a", "a"],
        }
    )
    dirty = pd.concat([JUDGES, extra], ignore_index=True)
    r = judge_agreement(dirty, HUMANS, unit="pair", outcome="winner", judge="judge", rater="worker")
    clean = judge_agreement(JUDGES, HUMANS, unit="pair", outcome="winner", judge="judge", rater="worker")
    pd.testing.assert_frame_equal(r.judges, clean.judges)
    pd.testing.assert_frame_equal(r.annotators, clean.annotators)
    assert r.dropped == {
        "judgments: missing unit": 1,
        "judgments: missing judge": 1,
        "judgments: missing outcome": 1,
        "judgments: unit has no human label": 1,
        # J1's judgment of pair 3 (no human majority) in JUDGES, and J2's added one.
        "judgments: unit has no human majority": 2,
    }
    assert r.n_dropped == 6
    assert clean.dropped == {"judgments: unit has no human majority": 1} and clean.n_dropped == 1
    assert "n_dropped=6" in repr(r)
    assert r.to_dict()["dropped"]["judgments: missing outcome"] == 1


def test_humans_rows_with_a_missing_unit_or_rater_are_dropped_and_counted():
    extra = pd.DataFrame({"pair": [None, 2], "worker": ["r1", None], "winner": ["a", "a"]})
    r = judge_agreement(
        JUDGES,
        pd.concat([HUMANS, extra], ignore_index=True),
        unit="pair",
        outcome="winner",
        judge="judge",
        rater="worker",
    )
    clean = judge_agreement(JUDGES, HUMANS, unit="pair", outcome="winner", judge="judge", rater="worker")
    pd.testing.assert_frame_equal(r.judges, clean.judges)
    pd.testing.assert_frame_equal(r.annotators, clean.annotators)
    assert r.dropped == {**clean.dropped, "humans: missing unit": 1, "humans: missing rater": 1}
