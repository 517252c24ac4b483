"""LSR / ILSR on rankings and choice sets: prefrank.lsr_rankings and prefrank.ilsr_rankings.

Golden values from choix live in tests/fixtures/spectral_rankings_golden.json (choix version and calls
recorded there; regenerate with ``python tests/fixtures/make/make_spectral_rankings_golden.py``). The tests
need no peer installed.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefrank import _core
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, PrefrankError
from prefrank.reference import ranking as ref

GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "spectral_rankings_golden.json").read_text())
FUNCS = {"lsr": pr.lsr_rankings, "ilsr": pr.ilsr_rankings}

Obs = list[tuple[list[int], int]]


def _table(obs: Obs, labels: list[str] | None = None) -> pd.DataFrame:
    """Long form: one row per member; the first k members get ranks 1..k, the others NaN."""
    sizes = [len(m) for m, _ in obs]
    pos = np.concatenate([np.arange(s) for s in sizes])
    ks = np.repeat([k for _, k in obs], sizes)
    items = [i for m, _ in obs for i in m]
    return pd.DataFrame(
        {
            "group": np.repeat([f"obs{g}" for g in range(len(obs))], sizes),
            "item": [labels[i] for i in items] if labels else items,
            "rank": np.where(pos < ks, pos + 1.0, np.nan),
        }
    )


def _golden_obs(case: dict) -> Obs:
    return [(list(o), int(k)) for k, o in case["observations"]]


# --------------------------------------------------------------------------------------------------
# choix parity


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: f"{c['kind']}-seed{c['seed']}-alpha{c['alpha']}")
@pytest.mark.parametrize("kind", ["lsr", "ilsr"])
def test_matches_choix(case: dict, kind: str) -> None:
    obs = _golden_obs(case)
    # Full rankings go in as a list of rankings (choix's own form); top-k and top-1 as a long table.
    data = [m for m, _ in obs] if case["kind"] == "rankings" else _table(obs)
    r = FUNCS[kind](data, alpha=case["alpha"], scale="log", tol=1e-13)
    assert list(r.items) == list(range(case["n_items"]))
    assert r.converged
    np.testing.assert_allclose(r.theta, case[kind], atol=1e-6)
    assert r.method == f"{kind}_rankings"


TOP1 = [c for c in GOLDEN["cases"] if c["kind"] == "top1"]


@pytest.mark.parametrize("case", TOP1, ids=lambda c: f"alpha{c['alpha']}")
@pytest.mark.parametrize("kind", ["lsr", "ilsr"])
def test_choix_top1_list_form(case: dict, kind: str) -> None:
    # choix's own top-1 form, [(winner, [losers]), ...], equals the long table and choix.
    data = [(m[0], m[1:]) for m, k in _golden_obs(case) if k == 1]
    assert len(data) == len(case["observations"])
    r = FUNCS[kind](data, alpha=case["alpha"], scale="log", tol=1e-13)
    np.testing.assert_allclose(r.theta, case[kind], atol=1e-6)
    pl = pr.plackett_luce(data, scale="log")
    np.testing.assert_allclose(pl.theta, pr.plackett_luce(_table(_golden_obs(case)), scale="log").theta, atol=1e-12)


def test_choice_lists_mix_with_rankings_and_check_duplicates() -> None:
    mixed = [["a", "b", "c"], ("b", ["a", "c"]), ("c", ("a",)), ["c", "a"]]
    long = pd.DataFrame(
        {
            "group": [0, 0, 0, 1, 1, 1, 2, 2, 3, 3],
            "item": ["a", "b", "c", "b", "a", "c", "c", "a", "c", "a"],
            "rank": [1, 2, 3, 1, np.nan, np.nan, 1, np.nan, 1, 2],
        }
    )
    np.testing.assert_allclose(
        pr.plackett_luce(mixed, scale="log").theta, pr.plackett_luce(long, scale="log").theta, atol=1e-12
    )
    with pytest.raises(pr.PrefrankError, match="ranking 1: item 'a' appears more than once"):
        pr.lsr_rankings([["a", "b"], ("a", ["a", "b"])])


def test_golden_covers_all_kinds() -> None:
    assert GOLDEN["peers"]["choix"]
    assert {(c["kind"], c["alpha"]) for c in GOLDEN["cases"]} == {
        (k, a) for k in ("rankings", "top_k", "top1") for a in (0.0, 0.5)
    }


# --------------------------------------------------------------------------------------------------
# ILSR is the Plackett-Luce MLE


@pytest.mark.parametrize("case", [c for c in GOLDEN["cases"] if c["alpha"] == 0.0], ids=lambda c: c["kind"])
def test_ilsr_equals_plackett_luce_mle(case: dict) -> None:
    t = _table(_golden_obs(case))
    il = pr.ilsr_rankings(t, scale="log", tol=1e-12)
    pl = pr.plackett_luce(t, scale="log")
    np.testing.assert_allclose(il.theta, pl.theta, atol=1e-6)
    assert il.loglik == pytest.approx(pl.loglik, rel=1e-10)
    np.testing.assert_array_equal(il.wins, pl.wins)
    np.testing.assert_array_equal(il.games, pl.games)
    # One LSR step is an estimate, not the MLE: its likelihood is lower.
    assert pr.lsr_rankings(t, scale="log").loglik < pl.loglik


def test_ilsr_equals_weighted_mle_on_the_elo_scale() -> None:
    obs = [[0, 1, 2, 3], [3, 2, 0], [1, 3, 0, 2], [2, 1], [0, 2, 3], [1, 0, 3]]
    w = [1.0, 2.5, 0.5, 1.0, 3.0, 1.0]
    il = pr.ilsr_rankings(obs, weight=w, anchor=(0, 1000.0))
    pl = pr.plackett_luce(obs, weight=w, anchor=(0, 1000.0))
    np.testing.assert_allclose(il.scores.loc[pl.scores.index], pl.scores, atol=1e-4)
    assert il.scores.loc[0] == pytest.approx(1000.0)


def test_sparse_power_path_matches_dense_solve() -> None:
    case = next(c for c in GOLDEN["cases"] if c["kind"] == "top_k" and c["alpha"] == 0.0)
    obs = _golden_obs(case)
    offsets = np.zeros(len(obs) + 1, np.uint64)
    offsets[1:] = np.cumsum([len(m) for m, _ in obs])
    members = np.array([i for m, _ in obs for i in m], np.uint32)
    k = np.array([k for _, k in obs], np.uint32)
    for kind in ("lsr", "ilsr"):
        dense = _core.spectral_rankings_fit(case["n_items"], offsets, members, k, kind, tol=1e-13, dense=True)
        sparse = _core.spectral_rankings_fit(case["n_items"], offsets, members, k, kind, tol=1e-13, dense=False)
        np.testing.assert_allclose(sparse.theta, dense.theta, atol=1e-8)
        np.testing.assert_allclose(dense.theta, case[kind], atol=1e-6)
    # With zero / fractional weights and alpha, merged (dedup) or not.
    w = np.resize([0.0, 1.0, 2.5], len(obs))
    for kind in ("lsr", "ilsr"):
        args = (case["n_items"], offsets, members, k, kind, w)
        dense = _core.spectral_rankings_fit(*args, alpha=0.2, tol=1e-13, dense=True, dedup=False)
        sparse = _core.spectral_rankings_fit(*args, alpha=0.2, tol=1e-13, dense=False)
        np.testing.assert_allclose(sparse.theta, dense.theta, atol=1e-8)
        kept = [o for o, wi in zip(obs, w, strict=True) if wi > 0]
        want = ref.lsr_rankings(case["n_items"], kept, weights=w[w > 0], alpha=0.2)
        if kind == "lsr":
            np.testing.assert_allclose(dense.theta, want, atol=1e-9)


# --------------------------------------------------------------------------------------------------
# Reference twin (hypothesis)


@st.composite
def observations(draw: st.DrawFn) -> tuple[int, Obs, list[float]]:
    n = draw(st.integers(2, 6))
    obs: Obs = []
    for _ in range(draw(st.integers(0, 20))):
        m = draw(st.integers(1, n))
        members = list(draw(st.permutations(range(n))))[:m]
        obs.append((members, draw(st.integers(0, m))))
    # A cycle through all items keeps the chain irreducible without alpha.
    obs += [([k, (k + 1) % n], 1) for k in range(n)]
    weights = [draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])) for _ in obs[:-n]] + [1.0] * n
    return n, obs, weights


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(observations(), st.sampled_from([0.0, 0.4]))
def test_matches_reference_twin(case: tuple[int, Obs, list[float]], alpha: float) -> None:
    n, obs, weights = case
    t = _table(obs)
    t["w"] = np.repeat(weights, [len(m) for m, _ in obs])
    lsr = pr.lsr_rankings(t, weight="w", alpha=alpha, scale="log")
    np.testing.assert_allclose(lsr.theta, ref.lsr_rankings(n, obs, weights=weights, alpha=alpha), atol=1e-9)
    ilsr = pr.ilsr_rankings(t, weight="w", alpha=alpha, scale="log", tol=1e-12)
    want = ref.ilsr_rankings(n, obs, weights=weights, alpha=alpha, tol=1e-12)
    np.testing.assert_allclose(ilsr.theta, want, atol=1e-7)
    assert ilsr.converged


def test_reference_twin_matches_choix_golden() -> None:
    for case in GOLDEN["cases"]:
        obs = _golden_obs(case)
        got = ref.lsr_rankings(case["n_items"], obs, alpha=case["alpha"])
        np.testing.assert_allclose(got, case["lsr"], atol=1e-9)


# --------------------------------------------------------------------------------------------------
# Properties


@pytest.mark.parametrize("kind", ["lsr", "ilsr"])
def test_relabelling_and_row_order_invariance(kind: str) -> None:
    case = next(c for c in GOLDEN["cases"] if c["kind"] == "top_k" and c["alpha"] == 0.5)
    obs = _golden_obs(case)
    base = FUNCS[kind](_table(obs), alpha=0.5, scale="log", tol=1e-12)
    rng = np.random.default_rng(0)
    labels = [f"model-{v}" for v in rng.permutation(100)[: case["n_items"]]]
    shuffled = _table(obs, labels).sample(frac=1.0, random_state=1)
    got = FUNCS[kind](shuffled, alpha=0.5, scale="log", tol=1e-12)
    s = got.scores
    np.testing.assert_allclose([s[labels[i]] for i in range(case["n_items"])], base.theta, atol=1e-9)


@pytest.mark.parametrize("kind", ["lsr", "ilsr"])
def test_weights_equal_repetition_and_list_equals_table(kind: str) -> None:
    obs = [["a", "b", "c"], ["c", "a", "b"], ["b", "c", "a"], ["a", "c", "b"], ["b", "a"]]
    w = FUNCS[kind](obs, weight=[3, 1, 1, 2, 1], scale="log")
    rep = FUNCS[kind]([*obs, obs[0], obs[0], obs[3]], scale="log")
    np.testing.assert_allclose(w.theta, rep.theta, atol=1e-10)
    codes = {"a": 0, "b": 1, "c": 2}
    tab = FUNCS[kind](_table([([codes[v] for v in o], len(o)) for o in obs], ["a", "b", "c"]), scale="log")
    unweighted = FUNCS[kind](obs, scale="log")
    np.testing.assert_allclose(tab.theta, unweighted.theta, atol=1e-12)
    assert list(tab.items) == ["a", "b", "c"]


def test_pairs_as_rankings_equal_lsr_pairwise() -> None:
    winners = np.array([0, 1, 2, 0, 2, 1, 0, 3, 3, 2])
    losers = np.array([1, 2, 0, 3, 3, 0, 2, 1, 0, 1])
    rankings = [[int(w), int(lo)] for w, lo in zip(winners, losers, strict=True)]
    ones = np.ones(len(winners))
    for ours, pairwise in ((pr.lsr_rankings, pr.lsr_pairwise), (pr.ilsr_rankings, pr.ilsr_pairwise)):
        a = ours(rankings, scale="log", alpha=0.2)
        b = pairwise(a=winners, b=losers, outcome=ones, scale="log", alpha=0.2)
        np.testing.assert_allclose(a.theta, b.theta, atol=1e-9)


def test_result_shape_and_outputs() -> None:
    r = pr.ilsr_rankings([["x", "y", "z"], ["y", "z", "x"], ["z", "x"]])
    assert r.scale == "elo"
    assert set(r.scores.index) == {"x", "y", "z"}
    assert r.to_dict()["method"] == "ilsr_rankings"
    assert "ilsr_rankings" in repr(r)
    assert r.to_pandas().shape[0] == 3


# --------------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("func", [pr.lsr_rankings, pr.ilsr_rankings])
def test_empty_inputs(func) -> None:
    with pytest.raises(PrefrankError, match="no data"):
        func()
    with pytest.raises(PrefrankError, match="empty input"):
        func([[], []])
    with pytest.raises(PrefrankError, match="empty input"):
        func(pd.DataFrame({"group": [], "item": [], "rank": []}))


@pytest.mark.parametrize("func", [pr.lsr_rankings, pr.ilsr_rankings])
def test_not_identifiable_names_items_and_alpha_fits(func) -> None:
    obs = [["top", "mid", "low"], ["top", "low", "mid"], ["mid", "low"], ["low", "mid"]]
    with pytest.raises(NotIdentifiableError, match=r"never ranked below another: 'top'.*regularisation"):
        func(obs)
    r = func(obs, alpha=0.5)
    assert r.scores.index[0] == "top"
    # Only choice sets of one member: no choice stage at all.
    with pytest.raises(NotIdentifiableError, match="no observation has a choice stage"):
        func([["a"], ["b"]])


@pytest.mark.parametrize("func", [pr.lsr_rankings, pr.ilsr_rankings])
@pytest.mark.parametrize("alpha", [-0.1, float("nan"), float("inf"), "0.5", None])
def test_bad_alpha(func, alpha) -> None:
    with pytest.raises(PrefrankError, match="alpha must be a finite number >= 0"):
        func([["a", "b"], ["b", "a"]], alpha=alpha)


def test_bad_arguments_name_the_value() -> None:
    good = [["a", "b"], ["b", "a"]]
    with pytest.raises(PrefrankError, match="scale"):
        pr.lsr_rankings(good, scale="points")
    with pytest.raises(PrefrankError, match="max_iter"):
        pr.ilsr_rankings(good, max_iter=0)
    with pytest.raises(PrefrankError, match="tol"):
        pr.ilsr_rankings(good, tol=0.0)
    with pytest.raises(PrefrankError, match=r"ranking 1: weight -1\.0"):
        pr.lsr_rankings(good, weight=[1.0, -1.0])
    with pytest.raises(PrefrankError, match="weight has 1 values"):
        pr.lsr_rankings(good, weight=[1.0])
    with pytest.raises(PrefrankError, match="ranking 0: item 'a' appears more than once"):
        pr.lsr_rankings([["a", "b", "a"], ["b", "a"]])
    tied = pd.DataFrame({"group": [1, 1], "item": ["a", "b"], "rank": [1, 1]})
    with pytest.raises(PrefrankError, match="share rank 1"):
        pr.ilsr_rankings(tied)
    with pytest.raises(PrefrankError, match="'zzz'"):
        pr.lsr_rankings(good, anchor=("zzz", 1000.0))


def test_max_iter_reached_warns_and_flags() -> None:
    obs = [["a", "b", "c"], ["c", "a", "b"], ["b", "c", "a"], ["a", "c", "b"], ["a", "b"]]
    with pytest.warns(ConvergenceWarning, match="ilsr_rankings did not converge in 1 iterations"):
        r = pr.ilsr_rankings(obs, max_iter=1)
    assert not r.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pr.ilsr_rankings(obs).converged
