"""Plackett-Luce, spectral estimates, per-group Bradley-Terry and contextual Bradley-Terry:
values against the reference twins, input forms, properties and every error path."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import prefrank as pr
import prefrank.ranking as rm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, PrefrankError
from prefrank.reference import ranking as ref

# --------------------------------------------------------------------------------------------------
# Plackett-Luce


def _long(obs: list[tuple[list[int], int]], labels: list[str] | None = None) -> pd.DataFrame:
    rows = []
    for g, (members, k) in enumerate(obs):
        for pos, it in enumerate(members):
            lab = labels[it] if labels else it
            rows.append((f"g{g}", lab, float(pos + 1) if pos < k else np.nan))
    return pd.DataFrame(rows, columns=["group", "item", "rank"])


@st.composite
def pl_observations(draw: st.DrawFn) -> tuple[int, list[tuple[list[int], int]]]:
    n = draw(st.integers(2, 6))
    obs = []
    for _ in range(draw(st.integers(1, 25))):
        m = draw(st.integers(2, n))
        members = draw(st.permutations(range(n)))[:m]
        k = draw(st.integers(1, m))
        obs.append((list(members), k))
    # A cycle through all items keeps the MLE finite.
    obs += [([k, (k + 1) % n], 1) for k in range(n)]
    return n, obs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pl_observations(), st.sampled_from([0.0, 0.3]))
def test_pl_matches_reference(case: tuple[int, list[tuple[list[int], int]]], alpha: float) -> None:
    n, obs = case
    got = rm.plackett_luce(_long(obs), alpha=alpha, scale="log")
    want = ref.plackett_luce(n, obs, alpha=alpha)
    np.testing.assert_allclose(got.theta, want, atol=1e-6)
    assert got.converged
    assert got.loglik == pytest.approx(ref.plackett_luce_loglik(n, obs, got.theta), rel=1e-9, abs=1e-9)


def test_pl_list_input_equals_long_form_and_labels() -> None:
    labs = ["ant", "bee", "cat", "dog"]
    obs = [([0, 1, 2, 3], 4), ([2, 1, 0], 3), ([3, 0, 2, 1], 4), ([1, 3], 2), ([0, 3, 2], 3)]
    lists = [[labs[i] for i in m] for m, _ in obs]
    a = rm.plackett_luce(lists, scale="log")
    b = rm.plackett_luce(_long(obs, labs), scale="log")
    np.testing.assert_allclose(a.theta, b.theta, atol=1e-12)
    assert list(a.scores.index) == list(b.scores.index)
    assert set(a.scores.index) == set(labs)
    # Row order and the order of unranked members do not matter.
    df = _long(obs, labs).sample(frac=1.0, random_state=3)
    np.testing.assert_allclose(rm.plackett_luce(df, scale="log").theta, b.theta, atol=1e-10)


def test_pl_weights_equal_duplication_and_dedup() -> None:
    obs = [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1]]
    dup = [*obs, obs[0], obs[0], obs[3]]
    w = rm.plackett_luce(obs, weight=[3.0, 1.0, 1.0, 2.0], scale="log")
    d = rm.plackett_luce(dup, scale="log")
    np.testing.assert_allclose(w.theta, d.theta, atol=1e-10)
    assert w.loglik == pytest.approx(d.loglik)
    # Long-form weight column, constant within groups.
    df = _long([(o, 3) for o in obs])
    df["w"] = df["group"].map({"g0": 3.0, "g1": 1.0, "g2": 1.0, "g3": 2.0})
    np.testing.assert_allclose(rm.plackett_luce(df, weight="w", scale="log").theta, w.theta, atol=1e-10)


def test_pl_pairs_equal_bradley_terry() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 5, 300)
    b = (a + rng.integers(1, 5, 300)) % 5
    win = rng.random(300) < 0.6
    bt = pr.bradley_terry(a=a, b=b, outcome=win.astype(float), ties="drop", scale="log")
    rankings = [[int(x), int(y)] if w else [int(y), int(x)] for x, y, w in zip(a, b, win, strict=False)]
    pl = rm.plackett_luce(rankings, scale="log")
    np.testing.assert_allclose(pl.theta, bt.theta, atol=1e-7)


def test_pl_top_k_and_choice_sets_use_only_ranked_stages() -> None:
    # A top-1 of a 3-set contributes exp(t0)/(sum of all three); an observation with no ranked
    # member contributes nothing.
    obs = [([0, 1, 2], 1), ([1, 0, 2], 1), ([2, 1, 0], 1), ([0, 2, 1], 2)]
    df = _long(obs)
    df = pd.concat([df, pd.DataFrame({"group": ["z", "z"], "item": [0, 1], "rank": [np.nan, np.nan]})])
    r = rm.plackett_luce(df, scale="log")
    np.testing.assert_allclose(r.theta, ref.plackett_luce(3, obs), atol=1e-7)
    # Wins count stages won, games count appearances in observations with a choice stage.
    assert r.wins.tolist() == [2.0, 1.0, 2.0]
    assert r.games.tolist() == [4.0, 4.0, 4.0]


def test_pl_scale_and_anchor() -> None:
    obs = [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1]]
    r = rm.plackett_luce(obs, anchor=(1, 1114.0))
    assert r.scores[1] == pytest.approx(1114.0)
    elo = rm.plackett_luce(obs)
    np.testing.assert_allclose(elo.score_array, 1000 + 400 / np.log(10) * elo.theta)
    with pytest.raises(PrefrankError, match="anchor item 9"):
        rm.plackett_luce(obs, anchor=(9, 1000.0))


def test_pl_not_identifiable_names_items() -> None:
    obs = [["a", "b", "c"], ["a", "c", "b"], ["b", "c"], ["c", "b"]]
    with pytest.raises(NotIdentifiableError, match=r"never ranked below another: 'a'"):
        rm.plackett_luce(obs)
    r = rm.plackett_luce(obs, alpha=0.1, scale="log")
    assert r.scores.index[0] == "a" and r.converged
    with pytest.raises(PrefrankError, match="MM iteration supports alpha = 0"):
        rm.plackett_luce(obs, alpha=0.1, method="mm")


@pytest.mark.parametrize(
    ("df", "kwargs", "match"),
    [
        (pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [1, 1]}), {}, "share rank 1"),
        (
            pd.DataFrame({"group": [1, 1], "item": ["a", "a"], "rank": [1, 2]}),
            {},
            "'a' appears more than once",
        ),
        (pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [1, np.inf]}), {}, "row 1: rank inf"),
        (pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": ["1", "x"]}), {}, "row 1: rank 'x'"),
        (pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "r": [1, 2]}), {}, "column 'rank'"),
        (
            pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [1, 2], "w": [1, 2]}),
            {"weight": "w"},
            "same on every row",
        ),
        (
            pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [1, 2], "w": [-1, -1]}),
            {"weight": "w"},
            "group 1: weight -1.0",
        ),
        (pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [1, 2]}), {"alpha": -1}, "alpha must be"),
        (pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [1, 2]}), {"method": "x"}, "method='x'"),
        (pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [1, 2]}), {"scale": "x"}, "scale='x'"),
    ],
)
def test_pl_input_errors(df: pd.DataFrame, kwargs: dict, match: str) -> None:
    with pytest.raises(PrefrankError, match=match):
        rm.plackett_luce(df, **kwargs)


def test_pl_more_errors() -> None:
    with pytest.raises(PrefrankError, match="no data"):
        rm.plackett_luce()
    with pytest.raises(PrefrankError, match="empty input"):
        rm.plackett_luce([[]])
    with pytest.raises(PrefrankError, match="weight has 1 values"):
        rm.plackett_luce([["a", "b"], ["b", "a"]], weight=[1.0])
    with pytest.raises(PrefrankError, match="ranking 0: item 'a' appears more than once"):
        rm.plackett_luce([["a", "a"]])
    with pytest.raises(NotIdentifiableError, match="no observation has a choice stage"):
        rm.plackett_luce(pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [np.nan, np.nan]}))


def test_pl_convergence_warning() -> None:
    obs = [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1], [0, 1, 2]]
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        r = rm.plackett_luce(obs, method="mm", max_iter=1)
    assert not r.converged


# --------------------------------------------------------------------------------------------------
# Spectral


def _pairs(seed: int, n: int = 6, rows: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, rows)
    b = (a + rng.integers(1, n, rows)) % n
    s = rng.normal(size=n)
    out = (rng.random(rows) < 1 / (1 + np.exp(s[b] - s[a]))).astype(float)
    out[rng.random(rows) < 0.1] = 0.5
    return a, b, out


@pytest.mark.parametrize("ties", ["drop", "half"])
def test_ilsr_equals_bradley_terry_mle(ties: str) -> None:
    a, b, out = _pairs(0)
    bt = pr.bradley_terry(a=a, b=b, outcome=out, ties=ties, scale="log")
    il = rm.ilsr_pairwise(a=a, b=b, outcome=out, ties=ties, scale="log", tol=1e-13)
    np.testing.assert_allclose(il.theta, bt.theta, atol=1e-8)
    assert il.converged and il.method == "ilsr"


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.0, 0.2]))
def test_spectral_match_reference(seed: int, alpha: float) -> None:
    a, b, out = _pairs(seed, n=5, rows=60)
    c = pr.comparisons(a=a, b=b, outcome=out)
    n = c.n_items
    wins = np.zeros((n, n))
    np.add.at(wins, (c.a, c.b), np.where(c.tie == 1, 0.5, c.p))
    np.add.at(wins, (c.b, c.a), np.where(c.tie == 1, 0.5, 1 - c.p))
    try:
        got = rm.rank_centrality(c, alpha=alpha, scale="log")
    except NotIdentifiableError:
        assert alpha == 0
        return
    np.testing.assert_allclose(got.theta, ref.rank_centrality(n, wins, alpha=alpha), atol=1e-8)
    np.testing.assert_allclose(
        rm.lsr_pairwise(c, alpha=alpha, scale="log").theta, ref.lsr_pairwise(n, wins, alpha=alpha), atol=1e-8
    )
    np.testing.assert_allclose(
        rm.ilsr_pairwise(c, alpha=alpha, scale="log", tol=1e-13).theta,
        ref.ilsr_pairwise(n, wins, alpha=alpha),
        atol=1e-7,
    )


def test_spectral_accepts_pair_counts_and_reports_games() -> None:
    a, b, out = _pairs(4)
    c = pr.comparisons(a=a, b=b, outcome=out)
    x = rm.rank_centrality(c.pair_counts(), scale="log")
    y = rm.rank_centrality(a=a, b=b, outcome=out, scale="log")
    np.testing.assert_allclose(x.theta, y.theta)
    assert y.games.sum() == pytest.approx(2 * len(a))
    assert y.win_rate().shape == (6, 6)


def test_spectral_errors() -> None:
    a = np.array(["x", "y", "y"])
    b = np.array(["y", "z", "z"])
    out = np.array([1.0, 1.0, 1.0])
    with pytest.raises(NotIdentifiableError, match="items with no wins: 'z'"):
        rm.rank_centrality(a=a, b=b, outcome=out)
    assert rm.rank_centrality(a=a, b=b, outcome=out, alpha=0.1).scores.index[0] == "x"
    with pytest.raises(PrefrankError, match="ties='davidson'"):
        rm.lsr_pairwise(a=a, b=b, outcome=out, ties="davidson")
    with pytest.raises(PrefrankError, match="alpha must be"):
        rm.ilsr_pairwise(a=a, b=b, outcome=out, alpha=float("nan"))


# --------------------------------------------------------------------------------------------------
# Per-group Bradley-Terry


def _groups(seed: int, n_groups: int = 40, max_items: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_groups):
        m = int(rng.integers(2, max_items + 1))
        s = rng.normal(size=m)
        for _ in range(int(rng.integers(1, 4 * m))):
            i, j = rng.choice(m, 2, replace=False)
            u = rng.random()
            out = "tie" if u < 0.1 else ("a" if rng.random() < 1 / (1 + np.exp(s[j] - s[i])) else "b")
            rows.append((f"p{g}", f"r{i}", f"r{j}", out, float(rng.integers(1, 3))))
    return pd.DataFrame(rows, columns=["prompt", "x", "y", "win", "w"])


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.5])
@pytest.mark.parametrize("ties", ["half", "drop"])
def test_groups_match_reference(alpha: float, ties: str) -> None:
    df = _groups(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        got = rm.bradley_terry_groups(
            df, a="x", b="y", outcome="win", group="prompt", weight="w", alpha=alpha, ties=ties
        )
    c = pr.comparisons(df, a="x", b="y", outcome="win", group="prompt", weight="w")
    want = ref.bradley_terry_groups(c.group, c.a, c.b, c.p, c.tie, c.weight, alpha=alpha, ties=ties)
    assert got.n_groups == len(want)
    for g, (items, theta, ident) in want.items():
        lo, hi = got.offsets[g], got.offsets[g + 1]
        assert got.item_codes[lo:hi].tolist() == items.tolist()
        assert bool(got.identifiable[g]) == ident
        np.testing.assert_allclose(got.theta[lo:hi], theta, atol=1e-7, equal_nan=True)


def test_groups_match_bradley_terry_per_group_and_large_groups() -> None:
    df = _groups(2, n_groups=5, max_items=5)
    # One group with 20 items takes the general solver.
    rng = np.random.default_rng(0)
    big = [
        ("big", f"r{i}", f"r{(i + k) % 20}", "a" if rng.random() < 0.5 else "b", 1.0)
        for i in range(20)
        for k in (1, 2, 3)
    ]
    df = pd.concat([df, pd.DataFrame(big, columns=df.columns)], ignore_index=True)
    got = rm.bradley_terry_groups(df, a="x", b="y", outcome="win", group="prompt", alpha=0.05)
    for g in got.groups:
        sub = df[df.prompt == g]
        bt = pr.bradley_terry(sub, a="x", b="y", outcome="win", alpha=0.05, scale="log")
        s = got.group(g)
        np.testing.assert_allclose(s.loc[bt.scores.index].to_numpy(), bt.scores.to_numpy(), atol=1e-7)
    assert got.flags().loc["big", "items"] == 20


def test_groups_flags_tables_and_nan() -> None:
    df = pd.DataFrame(
        {
            "g": ["p", "p", "p", "q", "q"],
            "a": ["x", "y", "z", "x", "y"],
            "b": ["y", "z", "x", "y", "x"],
            "o": ["a", "a", "a", "a", "a"],
        }
    )
    r = rm.bradley_terry_groups(df, a="a", b="b", outcome="o", group="g", alpha=0.0)
    assert r.identifiable.tolist() == [True, True] and r.converged.all()
    flags = r.flags()
    assert bool(flags.loc["p", "identifiable"])
    long = r.to_pandas()
    assert list(long.columns) == ["group", "item", "score", "rank", "converged", "identifiable"]
    assert np.allclose(long[long.group == "p"].score, 0.0)  # a perfect 3-cycle: equal strengths
    d = r.to_dict()
    assert set(d["p"]["scores"]) == {"x", "y", "z"}
    assert "GroupRankings(groups=2" in repr(r)
    # q: x beat y once, y beat x once -> identifiable. Make one that is not.
    df2 = df.iloc[:4]
    with pytest.warns(ConvergenceWarning, match="1 of 2 groups are not identifiable"):
        r2 = rm.bradley_terry_groups(df2, a="a", b="b", outcome="o", group="g", alpha=0.0)
    assert not r2.identifiable[1] and np.isnan(r2.group("q")).all()
    r3 = rm.bradley_terry_groups(df2, a="a", b="b", outcome="o", group="g")
    assert r3.group("q")["x"] > r3.group("q")["y"]


def test_groups_errors_and_comparisons_input() -> None:
    df = _groups(3, n_groups=3)
    with pytest.raises(PrefrankError, match="missing group="):
        rm.bradley_terry_groups(df, a="x", b="y", outcome="win")
    with pytest.raises(PrefrankError, match="no group column"):
        rm.bradley_terry_groups(pr.comparisons(df, a="x", b="y", outcome="win"))
    with pytest.raises(PrefrankError, match="ties='davidson'"):
        rm.bradley_terry_groups(df, a="x", b="y", outcome="win", group="prompt", ties="davidson")
    with pytest.raises(PrefrankError, match="alpha must be"):
        rm.bradley_terry_groups(df, a="x", b="y", outcome="win", group="prompt", alpha=-1)
    c = pr.comparisons(df, a="x", b="y", outcome="win", group="prompt")
    x = rm.bradley_terry_groups(c)
    y = rm.bradley_terry_groups(df, a="x", b="y", outcome="win", group="prompt")
    np.testing.assert_array_equal(x.theta, y.theta)


# --------------------------------------------------------------------------------------------------
# Contextual Bradley-Terry


def _ctx(seed: int, n: int = 5, rows: int = 300, d: int = 2) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, rows)
    b = (a + rng.integers(1, n, rows)) % n
    x = rng.normal(size=(rows, d))
    z = rng.normal(size=n)[a] - rng.normal(size=n)[b] + x @ np.linspace(0.5, -0.5, d)
    out = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(float)
    out[rng.random(rows) < 0.1] = 0.5
    return a, b, x, out


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([(0.0, 0.0), (0.5, 0.5), (0.0, 1.0)]))
def test_contextual_matches_reference(seed: int, alphas: tuple[float, float]) -> None:
    a, b, x, out = _ctx(seed)
    c = pr.comparisons(a=a, b=b, outcome=out)
    got = rm.contextual_bradley_terry(c, covariates=x, alpha=alphas[0], alpha_beta=alphas[1], scale="log")
    theta, beta = ref.contextual_bradley_terry(c.n_items, c.a, c.b, c.p, x, alpha=alphas[0], alpha_beta=alphas[1])
    np.testing.assert_allclose(got.ranking.theta, theta, atol=1e-6)
    np.testing.assert_allclose(got.coef, beta, atol=1e-6)


def test_contextual_without_covariate_effect_is_bradley_terry() -> None:
    a, b, _, out = _ctx(5)
    zero = np.zeros((len(a), 1))
    got = rm.contextual_bradley_terry(a=a, b=b, outcome=out, covariates=zero, scale="log")
    bt = pr.bradley_terry(a=a, b=b, outcome=out, scale="log")
    np.testing.assert_allclose(got.ranking.theta, bt.theta, atol=1e-7)
    assert got.coef[0] == pytest.approx(0.0, abs=1e-9)


def test_contextual_column_forms_and_outputs() -> None:
    a, b, x, out = _ctx(6)
    df = pd.DataFrame({"m1": a, "m2": b, "o": out, "len": x[:, 0], "md": x[:, 1]})
    r1 = rm.contextual_bradley_terry(df, a="m1", b="m2", outcome="o", covariates=["len", "md"])
    r2 = rm.contextual_bradley_terry(df, a="m1", b="m2", outcome="o", covariates=df[["len", "md"]])
    r3 = rm.contextual_bradley_terry(df, a="m1", b="m2", outcome="o", covariates={"len": x[:, 0], "md": x[:, 1]})
    for r in (r2, r3):
        np.testing.assert_allclose(r.coef, r1.coef)
    assert list(r1.coefficients.index) == ["len", "md"]
    assert r1.to_dict()["coefficients"].keys() == {"len", "md"}
    assert "coefficients: len=" in repr(r1)
    assert r1.to_pandas().iloc[0]["item"] == r1.scores.index[0]
    # ties="drop" ignores tie rows.
    keep = out != 0.5
    d1 = rm.contextual_bradley_terry(df, a="m1", b="m2", outcome="o", covariates=["len"], ties="drop")
    d2 = rm.contextual_bradley_terry(df[keep], a="m1", b="m2", outcome="o", covariates=["len"])
    np.testing.assert_allclose(d1.coef, d2.coef, atol=1e-9)


def test_contextual_errors() -> None:
    a, b, x, out = _ctx(7, rows=50)
    kw = {"a": a, "b": b, "outcome": out}
    with pytest.raises(PrefrankError, match="missing covariates"):
        rm.contextual_bradley_terry(**kw)
    with pytest.raises(PrefrankError, match="has 49"):
        rm.contextual_bradley_terry(**kw, covariates=x[:-1])
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(PrefrankError, match="row 3: covariate 'x1' value nan"):
        rm.contextual_bradley_terry(**kw, covariates=bad)
    with pytest.raises(PrefrankError, match="2-D"):
        rm.contextual_bradley_terry(**kw, covariates=np.zeros((50, 2, 2)))
    with pytest.raises(PrefrankError, match="alpha_beta must be"):
        rm.contextual_bradley_terry(**kw, covariates=x, alpha_beta=-1.0)
    with pytest.raises(NotIdentifiableError, match="no wins"):
        rm.contextual_bradley_terry(a=["p", "q"], b=["q", "r"], outcome=[1.0, 1.0], covariates=np.zeros((2, 1)))
    with pytest.raises(PrefrankError, match="not numeric"):
        rm.contextual_bradley_terry(**kw, covariates={"s": ["u"] * 50})


# --------------------------------------------------------------------------------------------------
# Per-group Plackett-Luce


def _pl_groups_table(seed: int, n_groups: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_groups):
        m = int(rng.integers(2, 6))
        s = rng.normal(size=m)
        for annot in range(int(rng.integers(1, 5))):
            size = int(rng.integers(2, m + 1))
            members = rng.choice(m, size, replace=False)
            order = members[np.argsort(-(s[members] + rng.gumbel(size=size)))]
            k = int(rng.integers(1, size + 1))
            for pos, it in enumerate(order):
                rows.append((f"prompt{g}", f"w{annot}", f"resp{it}", float(pos + 1) if pos < k else np.nan))
    return pd.DataFrame(rows, columns=["prompt", "annotator", "item", "rank"])


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_pl_groups_match_per_group_fits(alpha: float) -> None:
    df = _pl_groups_table(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        got = rm.plackett_luce_groups(df, group="prompt", ranking="annotator", alpha=alpha)
    assert got.n_groups == df.prompt.nunique()
    for g in got.groups:
        sub = df[df.prompt == g]
        s = got.group(g)
        try:
            one = rm.plackett_luce(sub, group="annotator", alpha=alpha, scale="log")
        except NotIdentifiableError:
            assert alpha == 0 and s.isna().all()
            assert not got.flags().loc[g, "identifiable"]
            continue
        np.testing.assert_allclose(s.loc[one.scores.index].to_numpy(), one.scores.to_numpy(), atol=1e-6)


def test_pl_groups_without_ranking_column_and_errors() -> None:
    df = pd.DataFrame({"g": [1, 1, 1, 2, 2], "item": ["a", "b", "c", "a", "b"], "rank": [1, 2, 3, 2, 1]})
    r = rm.plackett_luce_groups(df, group="g")
    assert r.group(1).index.tolist() == ["a", "b", "c"]
    assert r.group(2)["b"] > r.group(2)["a"]
    assert not r.identifiable.any()
    with pytest.warns(ConvergenceWarning, match="2 of 2 groups are not identifiable"):
        r0 = rm.plackett_luce_groups(df, group="g", alpha=0.0)
    assert np.isnan(r0.theta).all()
    with pytest.raises(PrefrankError, match="alpha must be"):
        rm.plackett_luce_groups(df, group="g", alpha=-1.0)
    with pytest.raises(PrefrankError, match="column 'nope'"):
        rm.plackett_luce_groups(df, group="nope")


def test_pl_accepts_dict_polars_and_csv(tmp_path: Any) -> None:
    d = {
        "group": [1, 1, 1, 2, 2, 2, 3, 3],
        "item": ["a", "b", "c", "a", "b", "c", "c", "a"],
        "rank": [1, 2, None, 2, 1, 3, 1, 2],
    }
    base = rm.plackett_luce(d, scale="log")
    obs = [([0, 1, 2], 2), ([1, 0, 2], 3), ([2, 0], 2)]
    np.testing.assert_allclose(base.theta, ref.plackett_luce(3, obs), atol=1e-7)
    pl = pytest.importorskip("polars")
    np.testing.assert_allclose(rm.plackett_luce(pl.DataFrame(d), scale="log").theta, base.theta)
    path = tmp_path / "r.csv"
    pd.DataFrame(d).to_csv(path, index=False)
    np.testing.assert_allclose(rm.plackett_luce(str(path), scale="log").theta, base.theta)
