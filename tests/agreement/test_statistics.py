"""prefrank.agreement: values against the pure-Python twins, inputs, edge cases and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import prefrank.agreement as ag
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank.exceptions import PrefrankError, UndefinedStatisticWarning
from prefrank.reference import agreement as ref

PUBLISHED = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)


@st.composite
def ratings(draw, min_raters=1, max_raters=6):
    """A raters x units matrix of category indices 0..k-1 with None for missing."""
    k = draw(st.integers(1, 5))
    r = draw(st.integers(min_raters, max_raters))
    u = draw(st.integers(1, 25))
    cell = st.one_of(st.none(), st.integers(0, k - 1))
    rows = draw(st.lists(st.lists(cell, min_size=u, max_size=u), min_size=r, max_size=r))
    return rows, k


def _arr(rows):
    return np.array([[np.nan if v is None else float(v) for v in row] for row in rows])


def _same(a: float, b: float, tol: float = 1e-9) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha


@settings(max_examples=120, deadline=None)
@given(ratings(), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_matches_reference(data, level):
    rows, k = data
    # Fix the value domain to 0..k-1 so the codes equal the reference indices; +1 keeps ratio > 0.
    levels = list(range(1, k + 1))
    shifted = [[None if v is None else v + 1 for v in row] for row in rows]
    got = ag.krippendorff_alpha(_arr(shifted), metric=level, levels=levels, undefined="nan").value
    want = ref.krippendorff_alpha(rows, k, level, values=[float(v) for v in levels])
    assert _same(got, want), (got, want)


def test_published_example_all_metrics_and_custom_distance():
    want = {"nominal": 0.743421, "ordinal": 0.815388, "interval": 0.849107, "ratio": 0.797403}
    for level, w in want.items():
        assert ag.krippendorff_alpha(PUBLISHED, metric=level).value == pytest.approx(w, abs=5e-7)
    v = np.arange(1, 6, dtype=float)
    d = (v[:, None] - v[None, :]) ** 2
    r = ag.krippendorff_alpha(PUBLISHED, distance=d)
    assert r.value == pytest.approx(0.849107, abs=5e-7)
    assert r.metric == "custom"
    assert r.n_units == 12 and r.n_pairable_units == 11
    assert r.to_pandas().shape == (5, 5)
    assert "alpha=0.849107" in repr(r)


def test_alpha_long_form_and_layouts_agree():
    raters, units = np.nonzero(~np.isnan(PUBLISHED))
    df = pd.DataFrame(
        {
            "coder": [f"c{i}" for i in raters],
            "item": [f"u{j:02d}" for j in units],
            "label": PUBLISHED[raters, units].astype(int),
        }
    )
    a = ag.krippendorff_alpha(df, unit="item", rater="coder", value="label", metric="interval").value
    b = ag.krippendorff_alpha(PUBLISHED.T, layout="units x raters", metric="interval").value
    c = ag.krippendorff_alpha(df.to_dict("list"), unit="item", rater="coder", value="label", metric="interval").value
    assert a == pytest.approx(0.849107, abs=5e-7)
    assert b == pytest.approx(a) and c == pytest.approx(a)
    wide = pd.DataFrame(PUBLISHED.T, columns=["A", "B", "C", "D"])
    assert ag.krippendorff_alpha(wide, layout="units x raters", metric="interval").value == pytest.approx(a)


def test_alpha_string_and_float_categories():
    s = [["a", "b", None, "a"], ["a", "b", "b", "a"], ["a", "a", "b", None]]
    codes = [[0, 1, None, 0], [0, 1, 1, 0], [0, 0, 1, None]]
    assert ag.krippendorff_alpha(s).value == pytest.approx(ref.krippendorff_alpha(codes, 2))
    f = _arr([[0.5, 1.25, None, 0.5], [0.5, 1.25, 1.25, 0.5], [0.5, 0.5, 1.25, None]])
    r = ag.krippendorff_alpha(f, metric="interval")
    assert list(r.categories) == [0.5, 1.25]
    assert r.value == pytest.approx(ref.krippendorff_alpha(codes, 2, "interval", values=[0.5, 1.25]))
    with pytest.raises(PrefrankError, match="numeric values"):
        ag.krippendorff_alpha(s, metric="interval")
    # ordinal over strings follows levels= order
    lv = ["b", "a"]
    assert ag.krippendorff_alpha(s, metric="ordinal", levels=lv).value == pytest.approx(
        ref.krippendorff_alpha([[None if v is None else 1 - v for v in r] for r in codes], 2, "ordinal")
    )


def test_value_counts_input_matches_matrix():
    vc = np.stack([(PUBLISHED == v).sum(axis=0) for v in range(1, 6)], axis=1)
    for level in ["nominal", "ordinal", "interval", "ratio"]:
        a = ag.krippendorff_alpha(value_counts=vc, levels=[1, 2, 3, 4, 5], metric=level).value
        assert a == pytest.approx(ag.krippendorff_alpha(PUBLISHED, metric=level).value, abs=1e-12)
    dfc = pd.DataFrame(vc, columns=[1, 2, 3, 4, 5])
    assert ag.krippendorff_alpha(value_counts=dfc, metric="interval").value == pytest.approx(0.849107, abs=5e-7)
    with pytest.raises(PrefrankError, match="non-negative whole number"):
        ag.krippendorff_alpha(value_counts=[[1, 0.5]])
    with pytest.raises(PrefrankError, match="2-D"):
        ag.krippendorff_alpha(value_counts=[1, 2])
    with pytest.raises(PrefrankError, match="levels"):
        ag.krippendorff_alpha(value_counts=vc, levels=[1, 2])
    with pytest.raises(PrefrankError, match="not both"):
        ag.krippendorff_alpha(PUBLISHED, value_counts=vc)


def test_coincidence_merges_over_unit_chunks():
    full = ag.coincidence(PUBLISHED, levels=[1, 2, 3, 4, 5])
    a = ag.coincidence(PUBLISHED[:, :5], levels=[1, 2, 3, 4, 5])
    b = ag.coincidence(PUBLISHED[:, 5:], levels=[1, 2, 3, 4, 5])
    merged = a.merge(b)
    np.testing.assert_allclose(merged.matrix, full.matrix, atol=1e-12)
    assert merged.alpha(metric="ordinal").value == pytest.approx(0.815388, abs=5e-7)
    back = ag.CoincidenceMatrix.from_bytes(merged.to_bytes(), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(back.matrix, merged.matrix)
    assert "units=12" in repr(back)
    assert back.to_pandas().loc[2, 2] == merged.matrix[1, 1]
    with pytest.raises(PrefrankError, match="different categories"):
        a.merge(ag.coincidence(PUBLISHED[:, :5]))  # categories 1..4 only
    with pytest.raises(PrefrankError):
        ag.CoincidenceMatrix.from_bytes(b"junk", [1])
    with pytest.raises(PrefrankError, match="categories"):
        ag.CoincidenceMatrix.from_bytes(merged.to_bytes(), [1, 2])


# --------------------------------------------------------------------------------------------------
# Edge cases (item 6): the documented table


EDGE = [
    ("all in one category", [[1, 1, 1], [1, 1, 1]], "no_variation"),
    ("no pairable unit", [[1, np.nan, 2], [np.nan, 3, np.nan]], "no_pairable_units"),
    ("one rater", [[1, 2, 3]], "one_rater"),
    ("all missing", [[np.nan, np.nan], [np.nan, np.nan]], "no_ratings"),
]


@pytest.mark.parametrize(("name", "data", "reason"), EDGE)
@pytest.mark.parametrize("fn", [ag.krippendorff_alpha, ag.fleiss_kappa, ag.gwet_ac])
def test_undefined_cases(name, data, reason, fn):
    with pytest.warns(UndefinedStatisticWarning, match=reason):
        r = fn(np.asarray(data, dtype=float))
    assert math.isnan(r.value) and r.reason == reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(fn(np.asarray(data, dtype=float), undefined="nan").value)
        assert fn(np.asarray(data, dtype=float), undefined=1.0).value == 1.0
        assert fn(np.asarray(data, dtype=float), undefined=0).value == 0.0
    with pytest.raises(PrefrankError, match=reason):
        fn(np.asarray(data, dtype=float), undefined="raise")


def test_unit_with_one_rating_is_not_pairable():
    with_single = np.array([[1, 2, 1, 5], [1, 2, 2, np.nan]])
    without = with_single[:, :3]
    r = ag.krippendorff_alpha(with_single)
    assert r.value == pytest.approx(ag.krippendorff_alpha(without, levels=[1, 2, 5]).value)
    assert r.n_pairable_units == 3 and r.n_units == 4


def test_undefined_option_validated_and_cohen_one_rater():
    with pytest.raises(PrefrankError, match="undefined="):
        ag.krippendorff_alpha(PUBLISHED, undefined="zero")
    with pytest.warns(UndefinedStatisticWarning):
        assert ag.cohen_kappa([[1, 2, 3]]).reason == "one_rater"
    with pytest.warns(UndefinedStatisticWarning):
        r = ag.cohen_kappa([["x", "x"], ["x", "x"]])
    assert r.reason == "no_variation"


# --------------------------------------------------------------------------------------------------
# Kappas


@settings(max_examples=120, deadline=None)
@given(
    ratings(min_raters=2, max_raters=2),
    st.sampled_from(["cohen", "scott", "gwet", "brennan_prediger", "percent"]),
    st.sampled_from([None, "linear", "quadratic"]),
)
def test_pairwise_matches_reference(data, statistic, weights):
    rows, k = data
    levels = list(range(k))
    want = ref.pairwise(statistic, rows[0], rows[1], k, weights)
    got = ag.rater_agreement(_arr(rows), statistic=statistic, weights=weights, levels=levels).values[0, 1]
    assert _same(got, want), (got, want)
    fn = {"cohen": ag.cohen_kappa, "scott": ag.scott_pi}.get(statistic)
    if fn is not None:
        assert _same(fn(_arr(rows), weights=weights, levels=levels, undefined="nan").value, want)


@settings(max_examples=120, deadline=None)
@given(
    ratings(),
    st.sampled_from(["fleiss", "gwet", "brennan_prediger", "percent"]),
    st.sampled_from([None, "linear", "quadratic"]),
)
def test_multi_rater_matches_reference(data, statistic, weights):
    rows, k = data
    fn = {
        "fleiss": ag.fleiss_kappa,
        "gwet": ag.gwet_ac,
        "brennan_prediger": ag.brennan_prediger,
        "percent": ag.percent_agreement,
    }[statistic]
    got = fn(_arr(rows), weights=weights, levels=list(range(k)), undefined="nan").value
    assert _same(got, ref.multi(statistic, rows, k, weights)), (got, ref.multi(statistic, rows, k, weights))


def test_many_raters_cohen_is_mean_of_pairs_with_labelled_matrix():
    raters, units = np.nonzero(~np.isnan(PUBLISHED))
    df = pd.DataFrame({"r": np.array(["ann", "bob", "cy", "dee"])[raters], "u": units, "v": PUBLISHED[raters, units]})
    res = ag.cohen_kappa(df, unit="u", rater="r", value="v")
    assert res.matrix is not None
    m = res.matrix.to_pandas()
    assert list(m.index) == ["ann", "bob", "cy", "dee"]
    off = m.to_numpy()[~np.eye(4, dtype=bool)]
    assert res.value == pytest.approx(off.mean())
    pair = ag.cohen_kappa(df[df.r.isin(["ann", "cy"])], unit="u", rater="r", value="v", levels=[1, 2, 3, 4, 5])
    assert m.loc["ann", "cy"] == pytest.approx(pair.value)
    assert res.matrix.n_units[0, 2] == pair.n_units
    assert "RaterMatrix" in repr(res.matrix) and res.to_pandas().shape == (4, 4)


def test_weights_matrix_and_errors():
    y = np.array([[0, 1, 2, 2, 1], [0, 2, 2, 1, 1]])
    lin = 1 - np.abs(np.subtract.outer(np.arange(3), np.arange(3))) / 2
    assert ag.cohen_kappa(y, weights=lin).value == pytest.approx(ag.cohen_kappa(y, weights="linear").value)
    assert ag.gwet_ac(y, weights=lin).value == pytest.approx(ag.gwet_ac(y, weights="linear").value)
    with pytest.raises(PrefrankError, match="weights"):
        ag.cohen_kappa(y, weights="cubic")
    with pytest.raises(PrefrankError, match="3 x 3"):
        ag.cohen_kappa(y, weights=np.eye(2))
    with pytest.raises(PrefrankError, match="diagonal"):
        ag.cohen_kappa(y, weights=np.zeros((3, 3)))
    with pytest.raises(PrefrankError, match="statistic"):
        ag.rater_agreement(y, statistic="kendall")
    r = ag.fleiss_kappa(y)
    assert r.p_o == pytest.approx(3 / 5) and "fleiss=" in repr(r)
    assert r.to_dict()["statistic"] == "fleiss"


# --------------------------------------------------------------------------------------------------
# Input errors


def test_ambiguous_and_bad_inputs():
    with pytest.raises(PrefrankError, match="2-D"):
        ag.krippendorff_alpha([1, 2, 3])
    with pytest.raises(PrefrankError, match="2-D"):
        ag.krippendorff_alpha(np.zeros((2, 2, 2)))
    with pytest.raises(PrefrankError, match="ambiguous"):
        ag.krippendorff_alpha({"unit": [1], "rater": [1], "value": [1]})
    with pytest.raises(PrefrankError, match="all three"):
        ag.krippendorff_alpha({"u": [1]}, unit="u")
    with pytest.raises(PrefrankError, match="empty"):
        ag.krippendorff_alpha(np.zeros((0, 3)))
    with pytest.raises(PrefrankError, match="no ratings given"):
        ag.krippendorff_alpha()
    with pytest.raises(PrefrankError, match="layout"):
        ag.krippendorff_alpha(PUBLISHED, layout="sideways")
    with pytest.raises(PrefrankError, match="metric="):
        ag.krippendorff_alpha(PUBLISHED, metric="circular")
    with pytest.raises(PrefrankError, match="5 x 5"):
        ag.krippendorff_alpha(PUBLISHED, distance=np.zeros((2, 2)))
    with pytest.raises(PrefrankError, match="symmetric"):
        ag.krippendorff_alpha(PUBLISHED, distance=np.triu(np.ones((5, 5)), 1))
    with pytest.raises(PrefrankError, match="not one of levels"):
        ag.krippendorff_alpha(PUBLISHED, levels=[1, 2, 3])
    with pytest.raises(PrefrankError, match="duplicate"):
        ag.krippendorff_alpha(PUBLISHED, levels=[1, 1, 2, 3, 4, 5])
    with pytest.raises(PrefrankError, match="not a finite"):
        ag.krippendorff_alpha(np.array([[1.0, np.inf], [1.0, 2.0]]))
    with pytest.raises(PrefrankError, match="more than once"):
        ag.krippendorff_alpha({"u": [1, 1], "r": ["a", "a"], "v": [1, 2]}, unit="u", rater="r", value="v")
    with pytest.raises(PrefrankError, match="not found"):
        ag.krippendorff_alpha({"u": [1]}, unit="u", rater="r", value="v")
    with pytest.raises(PrefrankError, match="ratio"):
        ag.krippendorff_alpha([[-1, 2], [1, 2]], metric="ratio")
    with pytest.raises(PrefrankError, match="bootstrap"):
        ag.krippendorff_alpha(PUBLISHED, bootstrap=-1)
    with pytest.raises(PrefrankError, match="method"):
        ag.krippendorff_alpha(PUBLISHED, bootstrap=10, method="jackknife")
    with pytest.raises(PrefrankError, match="level"):
        ag.krippendorff_alpha(PUBLISHED, level=1.5)


# --------------------------------------------------------------------------------------------------
# Bootstrap


@pytest.mark.parametrize("method", ["units", "krippendorff"])
def test_bootstrap_seeded_and_sane(method):
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 4, 300)
    x = np.where(rng.random((5, 300)) < 0.7, truth, rng.integers(0, 4, (5, 300))).astype(float)
    x[rng.random(x.shape) < 0.3] = np.nan
    a = ag.krippendorff_alpha(x, metric="interval", bootstrap=400, method=method, seed=3)
    b = ag.krippendorff_alpha(x, metric="interval", bootstrap=400, method=method, seed=3)
    c = ag.krippendorff_alpha(x, metric="interval", bootstrap=400, method=method, seed=4)
    assert a.bootstrap is not None and b.bootstrap is not None and c.bootstrap is not None
    np.testing.assert_array_equal(a.bootstrap, b.bootstrap)
    assert not np.array_equal(a.bootstrap, c.bootstrap)
    assert a.ci_low is not None and a.ci_high is not None
    assert a.ci_low < a.value < a.ci_high
    assert a.ci_high - a.ci_low < 0.2
    # ci() is the result contract's DataFrame; interval() keeps the (lower, upper) tuple it used to return.
    half = a.ci(0.5).loc["alpha"]
    assert half["upper"] - half["lower"] < a.ci_high - a.ci_low
    assert a.interval(0.5) == (half["lower"], half["upper"])
    assert a.interval() == (a.ci_low, a.ci_high)
    assert 0.0 <= a.prob_below(a.value) <= 1.0
    assert a.bootstrap_method == method and a.to_dict()["ci_low"] == a.ci_low
    with pytest.raises(PrefrankError, match="no bootstrap"):
        ag.krippendorff_alpha(x).ci()


# --------------------------------------------------------------------------------------------------
# Per-item statistics


@settings(max_examples=80, deadline=None)
@given(ratings())
def test_item_stats_match_reference(data):
    rows, k = data
    res = ag.item_disagreement(_arr(rows), levels=list(range(k)))
    want = ref.item_stats(ref.unit_counts(rows, k))
    for i, w in enumerate(want):
        assert res.n[i] == w["n"]
        assert res.distinct[i] == w["distinct"]
        assert bool(res.split[i]) == w["split"]
        assert (res.majority[i] == ag.MISSING) if w["majority"] is None else res.majority[i] == w["majority"]
        for key in ["share", "entropy", "entropy_norm"]:
            assert _same(float(getattr(res, key)[i]), float(w[key]))  # type: ignore[arg-type]


def test_item_stats_labels():
    df = pd.DataFrame(
        {
            "pair": [7, 7, 7, 8, 8, 9],
            "worker": ["a", "b", "c", "a", "b", "a"],
            "winner": ["left", "left", "tie", "left", "right", "tie"],
        }
    )
    t = ag.item_disagreement(df, unit="pair", rater="worker", value="winner").to_pandas()
    assert list(t.index) == [7, 8, 9]
    assert t.loc[7, "majority"] == "left" and t.loc[7, "share"] == pytest.approx(2 / 3)
    assert bool(t.loc[8, "split"]) and t.loc[8, "distinct"] == 2
    assert t.loc[9, "n"] == 1 and t.loc[9, "entropy"] == 0
    assert "ItemDisagreement(units=3" in repr(ag.item_disagreement(df, unit="pair", rater="worker", value="winner"))


# --------------------------------------------------------------------------------------------------
# Model disagreement


def test_model_disagreement_paths_agree_with_reference():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (5, 1000)).astype(np.uint8)
    fast = ag.model_disagreement(labels, models=list("abcde"))
    slow = ag.model_disagreement(labels.astype(np.int64), models=list("abcde"))
    want = np.array(ref.model_disagreement(labels.tolist()))
    np.testing.assert_allclose(fast.rate, want, atol=1e-15)
    np.testing.assert_allclose(slow.rate, want, atol=1e-15)
    assert fast.to_pandas().loc["a", "b"] == pytest.approx(want[0, 1])
    strs = {"m1": ["x", "y", None, "x"], "m2": ["x", "x", "y", None]}
    r = ag.model_disagreement(strs)
    assert r.rate[0, 1] == pytest.approx(0.5) and r.n_items is not None and r.n_items[0, 1] == 2
    pairs = fast.to_pandas("pairs")
    assert len(pairs) == 10 and set(pairs.columns) >= {"model_a", "model_b", "rate"}


def test_model_disagreement_probabilities_and_line():
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(3), size=(4, 50))
    r = ag.model_disagreement(p)
    ed, tv, js = ref.prob_disagreement(p.tolist())
    np.testing.assert_allclose(r.rate, ed, atol=1e-12)
    np.testing.assert_allclose(r.total_variation, tv, atol=1e-12)
    np.testing.assert_allclose(r.jensen_shannon, js, atol=1e-12)
    src = rng.integers(0, 4, (6, 400)).astype(np.uint8)
    tgt = src.copy()
    tgt[:, :200] = rng.integers(0, 4, (6, 200))
    line = ag.model_disagreement(src, target=tgt)
    assert line.line is not None and line.line["pairs"] == 15
    i, j = np.triu_indices(6, 1)
    slope, intercept = np.polyfit(line.rate[i, j], line.target_rate[i, j], 1)  # type: ignore[index]
    assert line.line["slope"] == pytest.approx(slope) and line.line["intercept"] == pytest.approx(intercept)
    assert "line=" in repr(line) and "target_rate" in line.to_dict()
    with pytest.raises(PrefrankError, match="sum to"):
        ag.model_disagreement(np.full((2, 3, 2), 0.7))
    with pytest.raises(PrefrankError, match="models x items"):
        ag.model_disagreement(np.zeros(4))
    with pytest.raises(PrefrankError, match="model names"):
        ag.model_disagreement(src, models=["a"])
    with pytest.raises(PrefrankError, match="different numbers"):
        ag.model_disagreement({"a": [1, 2], "b": [1]})
    with pytest.raises(PrefrankError, match="target has"):
        ag.model_disagreement(src, target=src[:3])


# --------------------------------------------------------------------------------------------------
# Soft labels


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20), st.integers(2, 6), st.integers(0, 10_000))
def test_soft_label_scores_match_reference(n, k, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=n)
    h = rng.dirichlet(np.ones(k) * 0.5, size=n)
    h[0] = 0.0
    h[0, 0] = 1.0
    got = ag.soft_label_scores(p, h)
    want = ref.soft_scores(p.tolist(), h.tolist())
    for key in ["cross_entropy", "jensen_shannon", "manhattan", "wasserstein"]:
        np.testing.assert_allclose(getattr(got, key), [w[key] for w in want], atol=1e-12)


def test_soft_label_scores_counts_and_errors():
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import wasserstein_distance

    p = np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
    counts = pd.DataFrame([[1, 3, 1], [0, 0, 5]], index=["q1", "q2"])
    s = ag.soft_label_scores(p, counts, human_counts=True)
    h = counts.to_numpy() / counts.to_numpy().sum(axis=1, keepdims=True)
    assert s.jensen_shannon[0] == pytest.approx(jensenshannon(p[0], h[0]))
    assert s.wasserstein[0] == pytest.approx(wasserstein_distance([0, 1, 2], [0, 1, 2], p[0], h[0]))
    assert list(s.to_pandas().index) == ["q1", "q2"]
    assert s.mean()["manhattan"] == pytest.approx(np.abs(p - h).sum(axis=1).mean())
    with pytest.raises(PrefrankError, match="shape"):
        ag.soft_label_scores(p, h[:, :2])
    with pytest.raises(PrefrankError, match="sum to"):
        ag.soft_label_scores(p, counts.to_numpy())
    with pytest.raises(PrefrankError, match="no human annotation"):
        ag.soft_label_scores(p, [[0, 0, 0], [1, 1, 1]], human_counts=True)
    with pytest.raises(PrefrankError, match="negative"):
        ag.soft_label_scores([[1.2, -0.2]], [[0.5, 0.5]])


@settings(max_examples=80, deadline=None)
@given(ratings(), st.sampled_from(["nominal", "ordinal", "interval"]), st.sampled_from([1.0, 0.5, 1000.0]))
def test_float_fast_path_equals_coded_path(data, level, scale):
    """A numeric numpy matrix takes the fused Rust path; an object array takes the coding path."""
    rows, _ = data
    x = _arr(rows) * scale - 3.0
    obj = np.array([[None if np.isnan(v) else float(v) for v in r] for r in x], dtype=object)
    a = ag.krippendorff_alpha(x, metric=level, undefined="nan")
    b = ag.krippendorff_alpha(obj, metric=level, undefined="nan")
    assert _same(a.value, b.value) and a.reason == b.reason
    np.testing.assert_array_equal(np.asarray(a.categories, dtype=float), np.asarray(b.categories, dtype=float))
    for fn in (ag.fleiss_kappa, ag.gwet_ac, ag.brennan_prediger, ag.percent_agreement):
        assert _same(fn(x, undefined="nan").value, fn(obj, undefined="nan").value)
