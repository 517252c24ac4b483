"""The result contract (prefrank._results.Result) on every public result type, built from small data."""

from __future__ import annotations

import functools
import inspect
import json
import math
import pickle
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from prefrank import agreement as ag
from prefrank import attribution as at
from prefrank import consistency as cs
from prefrank import data, ranking, robust, stats
from prefrank._results import Result, to_jsonable, whole
from prefrank.datasets import arena_2023_path
from support import _judgments

DATA = Path(__file__).resolve().parent / "fixtures"
COLS = {"a": "a", "b": "b", "outcome": "winner"}

# Exported classes that are not results: inputs and mergeable states (they have to_bytes/merge,
# not a result's table), and a game definition (an input to shapley, called on coalitions).
NOT_RESULTS = {
    data.Comparisons,
    data.PairCounts,
    stats.ComparisonStats,
    stats.RatingsStats,
    at.Game,
}


@functools.lru_cache(maxsize=1)
def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    crowd = pd.read_csv(DATA / "llmfao-crowd.csv")
    gpt4 = pd.read_csv(DATA / "llmfao-gpt4.csv")
    return _judgments(400, 0), crowd, gpt4


def _attribution(sampled: bool) -> at.Attribution:
    rng = np.random.default_rng(0)
    n = 500
    metric = rng.integers(0, 2, n).astype(float)
    ratios = {"prompts": rng.uniform(0.2, 2, n), "judge": rng.uniform(0.5, 1.5, n), "noop": np.ones(n)}
    if sampled:
        return pr.shift_attribution(metric, ratios, method="permutation", max_evaluations=3000)
    return pr.shift_attribution(metric, ratios)


def _builders() -> dict[str, Callable[[], Any]]:
    def j() -> pd.DataFrame:
        return _frames()[0]

    def crowd() -> pd.DataFrame:
        return _frames()[1]

    rcols = {"unit": "id", "rater": "worker", "value": "winner"}
    rng = np.random.default_rng(0)
    preds = rng.integers(0, 3, (4, 30)).astype(np.uint8)
    p, h = rng.dirichlet(np.ones(3), 10), rng.dirichlet(np.ones(3), 10)
    audit_cols = {"group": "prompt", "judge": "judge", "position": "shown_first"}
    return {
        "Ranking": lambda: pr.bradley_terry(j(), **COLS, bootstrap=30, seed=0, progress=False),
        "Ranking(arena, elo)": lambda: pr.elo(arena_2023_path(), a="model_a", b="model_b", outcome="winner"),
        "Ranking(weighted)": lambda: pr.bradley_terry(j(), **COLS, weight="w"),
        "GroupRankings": lambda: pr.bradley_terry_groups(j(), **COLS, group="judge"),
        "ContextualRanking": lambda: pr.contextual_bradley_terry(j(), **COLS, covariates=j()[["len_diff"]]),
        "RobustRanking": lambda: robust.robust_ranking(j(), **COLS),
        "LabelNoise": lambda: robust.label_noise(j(), **COLS, judge="judge"),
        "Curation": lambda: robust.curate(j(), prompt="prompt", **COLS, judge="judge"),
        "Fragility": lambda: robust.fragility(j(), **COLS),
        "Transitivity": lambda: cs.transitivity(j(), **COLS, group="prompt", judge="judge", bootstrap=50),
        "TournamentStats": lambda: cs.tournament(j(), **COLS),
        "PositionBias": lambda: cs.position_bias(j(), **COLS, position="shown_first", judge="judge"),
        "PositionBias(pooled)": lambda: cs.position_bias(j(), **COLS, position="shown_first"),
        "ScoreConsistency": lambda: cs.score_consistency(j(), **COLS, score_a="score_a", score_b="score_b"),
        "Audit": lambda: cs.audit(j(), **COLS, **audit_cols, score_a="score_a", score_b="score_b", bootstrap=50),
        "JudgeAgreement": lambda: ag.judge_agreement(
            _frames()[2], crowd(), unit="id", verdict="winner", rater="worker"
        ),
        "AlphaResult": lambda: ag.krippendorff_alpha(crowd(), **rcols, bootstrap=100),
        "AgreementResult": lambda: ag.fleiss_kappa(crowd(), **rcols),
        "AgreementResult(pairwise)": lambda: ag.cohen_kappa(crowd(), **rcols),
        "CoincidenceMatrix": lambda: ag.coincidence(crowd(), **rcols),
        "RaterMatrix": lambda: ag.rater_agreement(crowd(), **rcols),
        "ItemDisagreement": lambda: ag.item_disagreement(crowd(), **rcols),
        "ModelDisagreement": lambda: ag.model_disagreement(preds, models=list("wxyz")),
        "SoftLabelScores": lambda: ag.soft_label_scores(p, h),
        "Attribution": lambda: _attribution(sampled=False),
        "Attribution(sampled)": lambda: _attribution(sampled=True),
    }


BUILDERS = _builders()
# Results with intervals (ci() gives a table); the others raise PrefrankError.
WITH_INTERVALS = {
    "Ranking",
    "LabelNoise",
    "Transitivity",
    "PositionBias",
    "PositionBias(pooled)",
    "Audit",
    "AlphaResult",
    "Attribution(sampled)",
}
# Count columns of the main table (or of to_dict) that must be integers on these data.
COUNTS: dict[str, list[str]] = {
    "Ranking": ["games"],
    "Ranking(arena, elo)": ["games"],
    "Ranking(weighted)": ["games"],  # integer weights: whole counts
    "GroupRankings": ["rank"],
    "RobustRanking": ["games", "corrupted_pairs"],
    "Transitivity": ["triples", "circular", "non_transitive"],
    "TournamentStats": ["wins"],
    "PositionBias": ["n_decisive", "n_ties", "swapped_pairs"],
    "PositionBias(pooled)": ["n_decisive", "n_ties", "swapped_pairs"],
    "ScoreConsistency": ["verdict a", "verdict tie", "verdict b"],
    "JudgeAgreement": ["units"],
    "ItemDisagreement": ["n", "distinct"],
}


@functools.cache
def _built(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BUILDERS[name]()


def _exported_classes() -> set[type]:
    out = set()
    for mod in (pr, ranking, robust, cs, ag, at, stats, data):
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isclass(obj) and not issubclass(obj, (Exception, Warning)):
                out.add(obj)
    return out


def test_every_exported_result_type_uses_the_base():
    classes = _exported_classes()
    results = classes - NOT_RESULTS
    assert results, "no result classes found"
    missing = sorted(c.__name__ for c in results if not issubclass(c, Result))
    assert not missing, f"result types not derived from prefrank._results.Result: {missing}"
    # ... and every one of them is built below, so the contract tests reach it.
    built = {type(_built(n)) for n in BUILDERS}
    assert results <= built, sorted(c.__name__ for c in results - built)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_contract(name):
    res = _built(name)
    assert isinstance(res, Result)
    text = repr(res)
    assert isinstance(text, str) and text.startswith(type(res).__name__)
    html = res._repr_html_()
    assert "<table" in html and type(res).__name__ in html
    df = res.to_pandas()
    assert isinstance(df, pd.DataFrame)
    pl = res.to_polars()
    assert pl.height == len(df)
    arrow = res.to_arrow()
    assert arrow.num_rows == len(df)
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert to_jsonable(d) == d  # already plain


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_ci(name):
    res = _built(name)
    if name not in WITH_INTERVALS:
        with pytest.raises(pr.PrefrankError):
            res.ci()
        return
    ci = res.ci()
    assert isinstance(ci, pd.DataFrame) and len(ci) > 0
    assert list(ci.columns) == ["estimate", "lower", "upper"]
    ok = ci.dropna()
    assert len(ok) > 0 and (ok["lower"] <= ok["upper"]).all()
    assert (ok["lower"] <= ok["estimate"] + 1e-12).all() and (ok["estimate"] <= ok["upper"] + 1e-12).all()
    with pytest.raises(pr.PrefrankError, match="level"):
        res.ci(1.5)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts_are_integers(name):
    df = _built(name).to_pandas()
    for col in COUNTS[name]:
        assert pd.api.types.is_integer_dtype(df[col]), (name, col, df[col].dtype)


def test_counts_in_dicts_are_integers():
    assert isinstance(_built("AlphaResult").to_dict()["n_pairable_values"], int)
    assert isinstance(_built("AgreementResult").to_dict()["n_units"], int)
    assert isinstance(_built("PositionBias").to_dict()["n_decisive"], int)


def test_fractional_weights_keep_float_counts():
    j = _frames()[0].assign(w=lambda d: d["w"] / 2)
    board = pr.bradley_terry(j, **COLS, weight="w").to_pandas()
    assert board["games"].dtype == np.float64 and (board["games"] % 1 != 0).any()


# --------------------------------------------------------------------------------------------------
# Older interval accessors stay and agree with ci()


def test_transitivity_ci_dict_is_ci():
    t = _built("Transitivity")
    frame = t.ci()
    assert isinstance(t.ci, dict) and set(t.ci) == set(frame.index)
    lo, hi = t.ci["non_transitive"]
    assert (frame.loc["non_transitive", "lower"], frame.loc["non_transitive", "upper"]) == (lo, hi)
    assert frame.loc["non_transitive", "estimate"] == t.rates["non_transitive"]
    assert t.ci(t.level).equals(frame)
    with pytest.raises(pr.PrefrankError, match=r"level=0\.8"):
        t.ci(0.8)
    back = pickle.loads(pickle.dumps(t))
    assert back.ci == t.ci and back.ci().equals(frame)


def test_transitivity_without_bootstrap_has_no_ci():
    t = cs.transitivity(_frames()[0], **COLS, group="prompt", bootstrap=0)
    assert all(math.isnan(v[0]) for v in t.ci.values())
    with pytest.raises(pr.PrefrankError, match="bootstrap"):
        t.ci()


def test_position_bias_tuple_is_ci_and_other_levels_recompute():
    b = _built("PositionBias")
    lo, hi = b.ci
    frame = b.ci()
    assert (frame.loc["(all)", "lower"], frame.loc["(all)", "upper"]) == (lo, hi)
    per = b.by_judge()
    np.testing.assert_allclose(frame.loc[per.index, "lower"], per["lo"])
    narrow = b.ci(0.5)
    assert ((narrow["upper"] - narrow["lower"]) < (frame["upper"] - frame["lower"])).all()
    again = cs.position_bias(_frames()[0], **COLS, position="shown_first", level=0.5)
    assert narrow.loc["(all)", "lower"] == pytest.approx(again.ci[0])
    back = pickle.loads(pickle.dumps(b))
    assert tuple(back.ci) == tuple(b.ci) and back.ci().equals(frame)


def test_label_noise_ci_matches_attributes():
    n = _built("LabelNoise")
    frame = n.ci()
    assert tuple(frame.loc["(all)", ["lower", "upper"]]) == n.epsilon_ci
    np.testing.assert_array_equal(frame.loc[n.judges.tolist(), ["lower", "upper"]].to_numpy(), n.judge_ci)
    with pytest.raises(pr.PrefrankError, match="label_noise"):
        n.ci(0.5)


def test_ranking_ci_estimate_is_the_score_and_any_level_works():
    r = _built("Ranking")
    frame = r.ci()
    pd.testing.assert_series_equal(frame["estimate"], r.scores, check_names=False)
    assert frame.equals(r.ci(0.95))
    narrow = r.ci(0.5)
    assert ((narrow["upper"] - narrow["lower"]) <= (frame["upper"] - frame["lower"])).all()


def test_sampled_attribution_ci_from_stderr():
    s = _built("Attribution(sampled)")
    frame = s.ci(0.9)
    half = frame["upper"] - frame["estimate"]
    np.testing.assert_allclose(half, 1.6448536269514722 * s.stderr.loc[frame.index], rtol=1e-9)


# --------------------------------------------------------------------------------------------------
# The JSON converter


def test_to_jsonable():
    x = {
        1: np.float32(1.5),
        "nan": float("nan"),
        "inf": np.array([np.inf, -1.0]),
        "ints": np.arange(3, dtype=np.uint32),
        "flag": np.bool_(True),
        np.str_("label"): pd.Series([1.0, np.nan], index=["a", "b"]),
        "frame": pd.DataFrame({"v": [np.int64(2)]}, index=pd.Index(["x"], name="item")),
        "scalar": np.array(4.0),
        "na": pd.NA,
    }
    got = to_jsonable(x)
    assert got == {
        "1": 1.5,
        "nan": None,
        "inf": [None, -1.0],
        "ints": [0, 1, 2],
        "flag": True,
        "label": {"a": 1.0, "b": None},
        "frame": [{"item": "x", "v": 2}],
        "scalar": 4.0,
        "na": None,
    }
    json.dumps(got, allow_nan=False)


def test_whole():
    assert whole(np.array([1.0, 2.0])).dtype == np.int64
    assert whole(np.array([1.5, 2.0])).dtype == np.float64
    assert whole(np.array([np.nan, 2.0])).dtype == np.float64
    assert whole(3.0) == 3 and isinstance(whole(3.0), int)
    assert whole(2.5) == 2.5


# --------------------------------------------------------------------------------------------------
# Rank intervals in O(rounds x items) memory give the rounds x items x items formula's results


def _rank_intervals_oracle(boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The formula Ranking.rank_intervals used to compute (a rounds x items x items array)."""
    ranks = 1 + (boot[:, None, :] > boot[:, :, None]).sum(axis=2)
    q = (1.0 - level) / 2.0
    lo, hi = np.quantile(ranks, [q, 1.0 - q], axis=0, method="lower")
    return lo.astype(int), hi.astype(int)


@st.composite
def _draws(draw: Any) -> np.ndarray:
    rounds = draw(st.integers(1, 40))
    items = draw(st.integers(1, 9))
    # Few distinct values, so that ties within a round are common; NaN and infinities included.
    pool = draw(st.lists(st.sampled_from([-np.inf, -1.0, -0.0, 0.0, 0.5, 2.0, np.inf, np.nan]), min_size=1))
    elems = st.sampled_from(pool) if draw(st.booleans()) else st.floats(-3, 3) | st.just(np.nan)
    return draw(hnp.arrays(np.float64, (rounds, items), elements=elems))


@settings(max_examples=300, deadline=None)
@given(boot=_draws(), level=st.floats(0.01, 0.99))
def test_rank_intervals_match_the_cubic_formula(boot, level):
    n = boot.shape[1]
    r = ranking.Ranking(
        method="test",
        items=np.array([f"i{k}" for k in range(n)], dtype=object),
        theta=np.linspace(1.0, 0.0, n),
        bootstrap_theta=boot,
    )
    got = r.rank_intervals(level).loc[r.items.tolist()]
    lo, hi = _rank_intervals_oracle(boot, level)
    np.testing.assert_array_equal(got["rank_lower"].to_numpy(), lo)
    np.testing.assert_array_equal(got["rank_upper"].to_numpy(), hi)


@pytest.mark.parametrize("method", ["to_arrow", "to_polars"])
def test_mixed_type_labels_to_arrow_and_polars_name_the_column(method: str) -> None:
    # Found by the fuzz suite: labels of mixed types ("m0", 1, 2.5) made to_arrow() raise pyarrow's
    # ArrowTypeError and to_polars() a TypeError; now an InputError naming the column.
    r = pr.bradley_terry(a=["m0", 1, "m0"], b=[1, 2.5, 2.5], outcome=["a", "b", "a"], alpha=0.1)
    assert r.to_pandas()["item"].tolist() == ["m0", 2.5, 1]
    with pytest.raises(pr.InputError, match=r"column 'item' holds values of mixed types \(float, int, str\)") as e:
        getattr(r, method)()
    assert e.value.column == "item"
    same = pr.bradley_terry(a=["m0", "m1", "m0"], b=["m1", "m2", "m2"], outcome=["a", "b", "a"], alpha=0.1)
    assert len(getattr(same, method)()) == 3
