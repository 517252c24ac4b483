"""Tests of prefrank.attribution: exact games, properties, reference twin, sampling, errors."""

from __future__ import annotations

import json
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import prefrank as pr
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefrank.attribution import Attribution, majority_game, shift_game
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, PrefrankError
from prefrank.reference import attribution as ref

DATA = Path(__file__).resolve().parents[1] / "fixtures"
GAMES = json.loads((DATA / "shapley_games.json").read_text())["games"]


def game_table(g: dict) -> np.ndarray:
    """Table of a textbook game from its definition (bit k = player k)."""
    if g["type"] == "glove":
        n = len(g["left"]) + len(g["right"])
    elif g["type"] == "voting":
        n = len(g["weights"])
    elif g["type"] == "airport":
        n = len(g["costs"])
    else:
        n = g["n"]
    t = np.zeros(2**n)
    for s in range(2**n):
        members = [k for k in range(n) if s >> k & 1]
        if g["type"] == "glove":
            t[s] = min(sum(k in g["left"] for k in members), sum(k in g["right"] for k in members))
        elif g["type"] == "voting":
            t[s] = float(sum(g["weights"][k] for k in members) >= g["quota"])
        elif g["type"] == "airport":
            t[s] = max((g["costs"][k] for k in members), default=0)
        else:
            t[s] = float(set(g["carrier"]) <= set(members))
    return t


def fracs(pairs: list) -> np.ndarray:
    return np.array([float(Fraction(a, b)) for a, b in pairs])


@pytest.mark.parametrize("g", GAMES, ids=[g["name"] for g in GAMES])
def test_textbook_games_exact(g: dict) -> None:
    t = game_table(g)
    players = g.get("players")
    res = pr.shapley(t, players=players)
    np.testing.assert_allclose(res.raw, fracs(g["shapley"]), atol=1e-12)
    assert abs(res.efficiency_residual) < 1e-12
    if players:
        assert list(res.values.index) == players
    if "banzhaf" in g:
        np.testing.assert_allclose(pr.banzhaf(t).raw, fracs(g["banzhaf"]), atol=1e-12)
    # The same game as a batch callable, both coalition encodings.
    n = len(g["shapley"])
    powers = 1 << np.arange(n)
    by_bool = pr.shapley(lambda c: t[c.astype(np.int64) @ powers], n_players=n, batch_size=7)
    by_mask = pr.shapley(lambda m: t[m], n_players=n, coalitions="bitmask")
    np.testing.assert_allclose(by_bool.raw, res.raw, atol=1e-12)
    np.testing.assert_allclose(by_mask.raw, res.raw, atol=1e-12)


def test_eec_luxembourg_is_null_and_beta_shapley_agrees() -> None:
    g = next(g for g in GAMES if g["name"].startswith("EEC"))
    t = game_table(g)
    for res in (pr.semivalue(t, alpha=16, beta=1), pr.banzhaf(t), pr.semivalue(t, alpha=0.5, beta=3)):
        assert res.raw[5] == pytest.approx(0.0, abs=1e-14)


def test_shapiq_golden() -> None:
    gold = json.loads((DATA / "shapley_shapiq.json").read_text())
    t = np.array(gold["table"])
    np.testing.assert_allclose(pr.shapley(t).raw, gold["SV"], atol=1e-10)
    np.testing.assert_allclose(pr.banzhaf(t).raw, gold["BV"], atol=1e-10)


def test_permutation_reference_agrees_with_formula() -> None:
    rng = np.random.default_rng(1)
    t = rng.normal(size=16)
    np.testing.assert_allclose(ref.shapley_by_permutations(lambda s: t[s], 4), ref.semivalues(t), atol=1e-12)


# --------------------------------------------------------------------------------------------------
# Reference twin and properties on random tables

tables = st.integers(1, 7).flatmap(
    lambda n: st.lists(st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False), min_size=2**n, max_size=2**n)
)
kinds = st.sampled_from(["shapley", "banzhaf", "beta"])


@settings(max_examples=60, deadline=None)
@given(tables, kinds, st.floats(0.2, 20), st.floats(0.2, 20))
def test_matches_reference(table: list, kind: str, alpha: float, beta: float) -> None:
    t = np.array(table)
    want = ref.semivalues(table, kind, alpha, beta)
    if kind == "shapley":
        got = pr.shapley(t).raw
    elif kind == "banzhaf":
        got = pr.banzhaf(t).raw
    else:
        got = pr.semivalue(t, alpha=alpha, beta=beta).raw
    scale = 1 + np.max(np.abs(t))
    np.testing.assert_allclose(got, want, atol=1e-9 * scale)


@settings(max_examples=30, deadline=None)
@given(tables, st.lists(st.floats(-2, 2, allow_nan=False), min_size=7, max_size=7))
def test_user_weights_match_reference(table: list, w: list) -> None:
    n = len(table).bit_length() - 1
    got = pr.semivalue(np.array(table), weights=w[:n]).raw
    np.testing.assert_allclose(got, ref.semivalues(table, weights=w[:n]), atol=1e-8 * (1 + max(map(abs, table))))


def _random_table(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.normal(size=2**n) * rng.uniform(0.1, 100)


@pytest.mark.parametrize("seed", range(5))
def test_properties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 14))
    t = _random_table(rng, n)
    u = _random_table(rng, n)
    s = pr.shapley(t)
    scale = 1 + np.abs(t).max()
    # Efficiency.
    assert abs(s.raw.sum() - (t[-1] - t[0])) < 1e-9 * scale
    assert abs(s.efficiency_residual) < 1e-9 * scale
    for fn in (pr.shapley, pr.banzhaf, lambda x: pr.semivalue(x, alpha=3, beta=0.7)):
        base = fn(t).raw
        # Linearity.
        np.testing.assert_allclose(fn(2.5 * t - u).raw, 2.5 * base - fn(u).raw, atol=1e-8 * scale)
        # Invariance to a constant shift.
        np.testing.assert_allclose(fn(t + 1234.5).raw, base, atol=1e-8 * scale)
    # Symmetry: a game symmetric in players 0 and 1 gives them equal values.
    idx = np.arange(2**n)
    swapped = (idx & ~3) | ((idx & 1) << 1) | ((idx >> 1) & 1)
    sym = t + t[swapped]
    for fn in (pr.shapley, pr.banzhaf):
        v = fn(sym).raw
        assert abs(v[0] - v[1]) < 1e-9 * scale
    # Null player: make the last player contribute nothing.
    null = t.copy()
    hi = idx >= 2 ** (n - 1)
    null[hi] = t[idx[hi] - 2 ** (n - 1)]
    for fn in (pr.shapley, pr.banzhaf, lambda x: pr.semivalue(x, alpha=16, beta=1)):
        assert abs(fn(null).raw[-1]) < 1e-9 * scale


# --------------------------------------------------------------------------------------------------
# Callables and sampling


def test_callable_evaluates_each_coalition_once() -> None:
    n = 9
    seen: list[int] = []

    def f(masks: np.ndarray) -> np.ndarray:
        seen.extend(masks.tolist())
        return np.sqrt(masks.astype(float))

    pr.shapley(f, n_players=n, coalitions="bitmask", batch_size=100)
    assert sorted(seen) == list(range(2**n))


def test_sampling_within_four_standard_errors() -> None:
    rng = np.random.default_rng(7)
    n = 10
    t = np.array([bin(s).count("1") ** 1.3 for s in range(2**n)]) + rng.normal(size=2**n)
    exact = pr.shapley(t).raw
    exact_b = pr.banzhaf(t).raw
    powers = 1 << np.arange(n)

    def f(c: np.ndarray) -> np.ndarray:
        return t[c.astype(np.int64) @ powers]

    s = pr.shapley(f, n_players=n, method="permutation", max_evaluations=50_000, seed=1)
    assert s.method == "permutation sampling"
    assert s.n_evaluations <= 50_000
    assert abs(s.efficiency_residual) < 1e-9
    assert np.all(np.abs(s.raw - exact) <= 4 * s.raw_stderr)
    b = pr.banzhaf(f, n_players=n, method="msr", max_evaluations=50_000, seed=1)
    assert np.all(np.abs(b.raw - exact_b) <= 4 * b.raw_stderr)
    # Same seed, same numbers; another seed, other numbers.
    s2 = pr.shapley(f, n_players=n, method="permutation", max_evaluations=50_000, seed=1)
    np.testing.assert_array_equal(s.raw, s2.raw)
    s3 = pr.shapley(f, n_players=n, method="permutation", max_evaluations=50_000, seed=2)
    assert not np.array_equal(s.raw, s3.raw)


def test_sampling_stops_on_stderr_and_warns_on_budget() -> None:
    n = 25  # beyond the exact default: auto samples
    w = np.linspace(0.1, 1, n)
    f = lambda c: np.sqrt((c * w).sum(axis=1))  # noqa: E731
    s = pr.shapley(f, n_players=n, max_stderr=0.05, max_evaluations=10**7)
    assert s.method == "permutation sampling" and s.converged
    assert s.stderr.max() <= 0.05
    with pytest.warns(ConvergenceWarning):
        r = pr.shapley(f, n_players=n, max_stderr=1e-9, max_evaluations=2000)
    assert not r.converged


def test_callable_errors_propagate() -> None:
    def boom(c: np.ndarray) -> np.ndarray:
        raise RuntimeError("game failed")

    with pytest.raises(RuntimeError, match="game failed"):
        pr.shapley(boom, n_players=30, method="permutation")
    with pytest.raises(RuntimeError, match="game failed"):
        pr.shapley(boom, n_players=3)
    with pytest.raises(PrefrankError, match="3 values for"):
        pr.shapley(lambda c: np.zeros(3), n_players=4, method="permutation")
    with pytest.raises(PrefrankError, match="non-finite"):
        pr.shapley(lambda c: np.full(len(c), np.nan), n_players=4)


# --------------------------------------------------------------------------------------------------
# Errors


def test_input_errors() -> None:
    with pytest.raises(PrefrankError, match="2\\*\\*n"):
        pr.shapley([1.0, 2.0, 3.0])
    with pytest.raises(PrefrankError, match="2\\*\\*n"):
        pr.shapley([1.0])
    with pytest.raises(PrefrankError, match="1-D"):
        pr.shapley(np.zeros((2, 2)))
    t = np.zeros(16)
    t[9] = np.nan
    with pytest.raises(PrefrankError, match="row 9"):
        pr.shapley(t)
    with pytest.raises(PrefrankError, match="labels"):
        pr.shapley(np.zeros(4), players=["a"])
    with pytest.raises(PrefrankError, match="distinct"):
        pr.shapley(np.zeros(4), players=["a", "a"])
    with pytest.raises(PrefrankError, match="n_players"):
        pr.shapley(lambda c: c.sum(1))
    with pytest.raises(PrefrankError, match="method"):
        pr.shapley(np.zeros(4), method="msr")
    with pytest.raises(PrefrankError, match="alpha"):
        pr.semivalue(np.zeros(4), alpha=0)
    with pytest.raises(PrefrankError, match="weights"):
        pr.semivalue(np.zeros(4), weights=[1, 2, 3])
    with pytest.raises(PrefrankError, match="max_stderr"):
        pr.shapley(lambda c: c.sum(1), n_players=3, method="permutation", max_stderr=-1)
    with pytest.raises(PrefrankError, match="budget"):
        pr.shapley(lambda c: c.sum(1), n_players=30, method="permutation", max_evaluations=10)
    with pytest.raises(PrefrankError, match="coalitions"):
        pr.shapley(lambda c: c.sum(1), n_players=3, coalitions="list")
    with pytest.raises(PrefrankError, match="62"):
        pr.shapley(lambda c: c, n_players=63, coalitions="bitmask", method="permutation")
    with pytest.raises(PrefrankError, match="batch_size"):
        pr.shapley(lambda c: c.sum(1), n_players=3, batch_size=0)


def test_float32_and_integer_tables() -> None:
    g = next(g for g in GAMES if g["name"].startswith("EEC"))
    t = game_table(g)
    want = fracs(g["shapley"])
    np.testing.assert_allclose(pr.shapley(t.astype(np.float32)).raw, want, atol=1e-12)
    np.testing.assert_allclose(pr.shapley(t.astype(np.int8)).raw, want, atol=1e-12)


def test_memory_is_checked_before_evaluating() -> None:
    calls = []
    f = lambda c: calls.append(1) or c.sum(1)  # noqa: E731
    with pytest.raises(PrefrankError, match="max_memory"):
        pr.shapley(f, n_players=20, method="exact", max_memory=1 << 20)
    with pytest.raises(PrefrankError, match="at most 30 players"):
        pr.shapley(f, n_players=31, method="exact")
    assert calls == []


# --------------------------------------------------------------------------------------------------
# Built-in games


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5), st.integers(1, 40), st.booleans(), st.integers(0, 2**32 - 1))
def test_shift_game_matches_reference(k: int, n: int, normalize: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    metric = rng.integers(0, 2, n).astype(float)
    ratios = rng.uniform(0.1, 3, (n, k))
    weight = rng.uniform(0.5, 2, n)
    g = shift_game(metric, ratios, weight=weight, normalize=normalize)
    table = g.table()
    want = [ref.shift_value(metric, ratios.tolist(), s, weight.tolist(), normalize) for s in range(2**k)]
    np.testing.assert_allclose(table, want, rtol=1e-10, atol=1e-12)
    members = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(bool)
    np.testing.assert_allclose(g(members), want, rtol=1e-10, atol=1e-12)


def test_shift_attribution_splits_the_change() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    metric = rng.integers(0, 2, n).astype(float)
    ratios = {"prompts": rng.uniform(0.2, 2, n), "judge": rng.uniform(0.5, 1.5, n), "noop": np.ones(n)}
    res = pr.shift_attribution(metric, ratios)
    assert list(res.values.index) == ["prompts", "judge", "noop"]
    assert res.v_empty == pytest.approx(metric.mean())
    target = (metric * ratios["prompts"] * ratios["judge"]).sum() / (ratios["prompts"] * ratios["judge"]).sum()
    assert res.v_full == pytest.approx(target)
    assert res.raw.sum() == pytest.approx(target - metric.mean())
    assert abs(res["noop"]) < 1e-12  # a mechanism that does not shift is a null player
    un = pr.shift_attribution(metric, ratios, normalize=False)
    assert un.v_full == pytest.approx((metric * ratios["prompts"] * ratios["judge"]).mean())
    sampled = pr.shift_attribution(metric, ratios, method="permutation", max_evaluations=20_000)
    assert np.all(np.abs(sampled.raw - res.raw) <= 4 * sampled.raw_stderr + 1e-12)


def test_shift_game_errors() -> None:
    with pytest.raises(PrefrankError, match="negative"):
        shift_game([1.0, 0.0], [[1.0], [-1.0]])
    with pytest.raises(PrefrankError, match="not a finite"):
        shift_game([1.0, np.nan], [[1.0], [1.0]])
    with pytest.raises(PrefrankError, match="rows"):
        shift_game([1.0, 0.0], [[1.0], [1.0], [1.0]])
    with pytest.raises(PrefrankError, match="labels"):
        shift_game([1.0], [[1.0, 2.0]], mechanisms=["a"])
    with pytest.raises(NotIdentifiableError, match="zero weight"):
        shift_game([1.0, 0.0], [[0.0], [0.0]]).table()


def _ratings(seed: int, n_raters: int, n_units: int) -> tuple[list, dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_units):
        for r in rng.choice(n_raters, size=int(rng.integers(1, min(5, n_raters) + 1)), replace=False):
            rows.append((f"u{u}", int(r), str(rng.choice(["a", "b", "tie"]))))
    reference = {f"u{u}": str(rng.choice(["a", "b"])) for u in range(n_units) if u % 7 != 3}
    return rows, reference


@pytest.mark.parametrize("seed", range(3))
def test_majority_game_matches_reference(seed: int) -> None:
    n_raters = 6
    rows, reference = _ratings(seed, n_raters, 30)
    data = {
        "unit": [r[0] for r in rows],
        "rater": [f"w{r[1]}" for r in rows],
        "label": [r[2] for r in rows],
    }
    g = majority_game(data, reference=reference)
    raters = [int(str(p)[1:]) for p in g.players]
    # The reference twin indexes raters by position in g.players.
    pos = {r: i for i, r in enumerate(raters)}
    trip = [(u, pos[r], lab) for u, r, lab in rows]
    want = [ref.majority_value(trip, reference, s) for s in range(2 ** len(raters))]
    np.testing.assert_allclose(g.table(), want, atol=1e-12)
    res = pr.shapley(g)
    assert res.v_empty == 0.0 and res.v_full == pytest.approx(want[-1])
    assert abs(res.efficiency_residual) < 1e-12
    s = pr.shapley(g, method="permutation", max_evaluations=20_000, seed=seed)
    assert np.all(np.abs(s.raw - res.raw) <= 4 * s.raw_stderr + 1e-12)


def test_majority_game_errors() -> None:
    data = {"unit": ["x", "y"], "rater": ["a", "b"], "label": ["l", "r"]}
    with pytest.raises(PrefrankError, match="reference"):
        majority_game(data, reference={"z": "l"})
    with pytest.raises(PrefrankError, match="map each unit"):
        majority_game(data, reference=["l"])
    with pytest.raises(PrefrankError, match="not found"):
        majority_game(data, unit="item", reference={"x": "l"})


# --------------------------------------------------------------------------------------------------
# Result object


def test_result_object() -> None:
    t = game_table(GAMES[0])
    res = pr.shapley(t, players=["L", "R1", "R2"])
    assert isinstance(res, Attribution)
    assert res["L"] == pytest.approx(2 / 3)
    with pytest.raises(KeyError):
        res["nobody"]
    df = res.to_pandas()
    assert list(df.index) == ["L", "R1", "R2"] and list(df.columns) == ["value"]
    d = res.to_dict()
    assert d["players"] == ["L", "R1", "R2"] and d["method"] == "exact"
    assert "efficiency residual" in repr(res) and "L" in repr(res)
    assert res.stderr is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = pr.shapley(t, method="permutation", max_evaluations=500)
    assert list(s.to_pandas().columns) == ["value", "stderr"]
    with pytest.raises(AttributeError):
        res.kind = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------------
# Leaderboard slices


def _slice_data(seed: int, n_items: int = 5, n_slices: int = 4, rows: int = 120) -> dict:
    rng = np.random.default_rng(seed)
    strength = rng.normal(size=n_items)
    a = rng.integers(0, n_items, rows)
    b = (a + rng.integers(1, n_items, rows)) % n_items
    pa = 1 / (1 + np.exp(strength[b] - strength[a]))
    u = rng.random(rows)
    winner = np.where(u < 0.1, "tie", np.where(u < 0.1 + 0.9 * pa, "a", "b"))
    return {
        "a": [f"m{i}" for i in a],
        "b": [f"m{i}" for i in b],
        "winner": winner.tolist(),
        "slice": [f"s{k}" for k in rng.integers(0, n_slices, rows)],
    }


@pytest.mark.parametrize("target", ["score", "gap", "rank", "kendall_tau"])
def test_slice_game_matches_reference(target: str) -> None:
    from prefrank.attribution import slice_game

    d = _slice_data(5)
    ref_scores = {f"m{i}": float(i) for i in range(5)}
    g = slice_game(
        d,
        a="a",
        b="b",
        outcome="winner",
        slice="slice",
        target=target,
        item="m1",
        other="m3",
        reference=ref_scores,
        alpha=0.05,
        tol=1e-12,
    )
    comps = pr.comparisons(d, a="a", b="b", outcome="winner", group="slice")
    items = list(comps.items)
    assert list(g.players) == list(comps.groups)
    ref_arr = [ref_scores[i] for i in items]
    want = [
        ref.slice_value(
            comps.a.tolist(),
            comps.b.tolist(),
            comps.p.tolist(),
            comps.group.tolist(),
            len(items),
            s,
            target,
            items.index("m1"),
            items.index("m3"),
            ref_arr,
            alpha=0.05,
        )
        for s in range(2**g.n_players)
    ]
    np.testing.assert_allclose(g.table(), want, atol=1e-7)
    res = pr.shapley(g)
    assert abs(res.efficiency_residual) < 1e-9
    assert res.v_full == pytest.approx(want[-1], abs=1e-7)


def test_slice_attribution_and_sampling() -> None:
    d = _slice_data(9, n_items=6, n_slices=5, rows=300)
    exact = pr.slice_attribution(d, a="a", b="b", outcome="winner", slice="slice", item="m0")
    assert exact.method == "exact" and len(exact.players) == 5
    s = pr.slice_attribution(
        d,
        a="a",
        b="b",
        outcome="winner",
        slice="slice",
        item="m0",
        method="permutation",
        max_evaluations=4000,
        seed=2,
    )
    assert np.all(np.abs(s.raw - exact.raw) <= 4 * s.raw_stderr + 1e-9)
    b = pr.slice_attribution(d, a="a", b="b", outcome="winner", slice="slice", item="m0", kind="banzhaf")
    assert b.kind == "banzhaf"
    comps = pr.comparisons(d, a="a", b="b", outcome="winner", group="slice")
    again = pr.slice_attribution(comps, slice="group", item="m0")
    np.testing.assert_allclose(again.raw, exact.raw, atol=1e-12)


def test_slice_errors() -> None:
    d = _slice_data(1)
    kw = {"a": "a", "b": "b", "outcome": "winner", "slice": "slice"}
    with pytest.raises(PrefrankError, match="target"):
        pr.slice_attribution(d, target="median", item="m0", **kw)  # type: ignore[arg-type]
    with pytest.raises(PrefrankError, match="needs item"):
        pr.slice_attribution(d, **kw)
    with pytest.raises(PrefrankError, match="not an item"):
        pr.slice_attribution(d, item="nobody", **kw)
    with pytest.raises(PrefrankError, match="needs reference"):
        pr.slice_attribution(d, target="kendall_tau", **kw)
    with pytest.raises(PrefrankError, match="no score for item"):
        pr.slice_attribution(d, target="kendall_tau", reference={"m0": 1.0}, **kw)
    with pytest.raises(PrefrankError, match="alpha"):
        pr.slice_attribution(d, item="m0", alpha=-1, **kw)
    with pytest.raises(PrefrankError, match="kind"):
        pr.slice_attribution(d, item="m0", kind="owen", **kw)  # type: ignore[arg-type]
    comps = pr.comparisons(d, a="a", b="b", outcome="winner")
    with pytest.raises(PrefrankError, match="no judge"):
        pr.slice_attribution(comps, slice="judge", item="m0")
    # Without a prior, a coalition whose graph is not strongly connected is refused, naming slices.
    two = {"a": ["x", "y", "x"], "b": ["y", "z", "z"], "winner": ["a", "a", "a"], "slice": ["p", "q", "q"]}
    with pytest.raises(NotIdentifiableError, match="coalition of slices"):
        pr.slice_attribution(two, item="x", alpha=0, **kw)


# --------------------------------------------------------------------------------------------------
# Real data (LLMFAO, tests/data)


def test_llmfao_prompts_and_workers() -> None:
    import pandas as pd

    crowd = pd.read_csv(DATA / "llmfao-crowd.csv")
    gpt4 = pd.read_csv(DATA / "llmfao-gpt4.csv")
    cols = {
        "a": "left",
        "b": "right",
        "outcome": "winner",
        "outcomes": {"left": "a", "right": "b", "tie": "tie"},
    }
    sub = crowd[crowd.prompt.isin(sorted(crowd.prompt.unique())[:5])]
    res = pr.slice_attribution(sub, **cols, slice="prompt", item="GPT 4")
    assert res.method == "exact" and len(res.players) == 5
    assert abs(res.efficiency_residual) < 1e-9
    comps = pr.comparisons(sub, **cols, group="prompt")
    items = list(comps.items)
    want = ref.slice_value(
        comps.a.tolist(),
        comps.b.tolist(),
        comps.p.tolist(),
        comps.group.tolist(),
        len(items),
        31,
        "score",
        items.index("GPT 4"),
    )
    assert res.v_full == pytest.approx(want, abs=1e-6)
    # Workers against GPT-4's verdicts: 124 players, sampled in the core.
    verdict = dict(zip(gpt4["id"], gpt4["winner"], strict=True))
    g = majority_game(crowd, unit="id", rater="worker", label="winner", reference=verdict)
    assert g.n_players == crowd.worker.nunique()
    s = pr.shapley(g, max_evaluations=3000, seed=0)
    assert s.method == "permutation sampling" and abs(s.efficiency_residual) < 1e-9
    pos = {w: i for i, w in enumerate(g.players)}
    trip = list(zip(crowd.id, crowd.worker.map(pos), crowd.winner, strict=True))
    assert s.v_full == pytest.approx(ref.majority_value(trip, verdict, (1 << g.n_players) - 1))


def test_progress_bar_counts_every_evaluation(capsys: pytest.CaptureFixture[str]) -> None:
    f = lambda c: c.sum(axis=1).astype(float)  # noqa: E731
    res = pr.shapley(f, n_players=6, batch_size=10, progress=True)
    np.testing.assert_allclose(res.raw, np.ones(6))
    err = capsys.readouterr().err
    assert "64/64" in err
    pr.banzhaf(f, n_players=30, method="msr", max_evaluations=1000, progress=True)
    assert "evaluations" in capsys.readouterr().err
