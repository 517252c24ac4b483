"""Bradley-Terry, tie models, Elo and bootstrap: parity with peers, properties, errors, real data."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import prefrank as pr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank.reference import ranking as ref

LN10 = math.log(10.0)


@pytest.fixture(scope="module")
def golden(request):
    from pathlib import Path

    return json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "ranking_golden.json").read_text())


def log_bt(a, b, outcome, **kw):
    return pr.bradley_terry(a=a, b=b, outcome=outcome, scale="log", **kw)


def kendall_tau(x: np.ndarray, y: np.ndarray) -> float:
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    n = len(x)
    return float((dx * dy).sum() / (n * (n - 1)))


# ---- parity with peers ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", range(3))
@pytest.mark.parametrize("method", ["auto", "newton", "mm", "lbfgs"])
def test_choix_sklearn_evalica_parity(golden, case, method):
    c = golden["pairwise"][case]
    a, b = np.array(c["a"]), np.array(c["b"])
    y = np.array(c["a_wins"], float)
    r = log_bt(a, b, y, method=method)
    assert r.converged
    # Labels are the integers 0..n-1 here, so codes equal labels.
    assert r.items.tolist() == list(range(c["n"]))
    np.testing.assert_allclose(r.theta, c["choix_ilsr"], atol=1e-6)
    np.testing.assert_allclose(r.theta, c["choix_mm"], atol=1e-6)
    np.testing.assert_allclose(r.theta, c["sklearn_logistic"], atol=1e-6)
    ev = np.log(np.array(c["evalica_bt_scores"]))
    np.testing.assert_allclose(r.theta, ev - ev.mean(), atol=1e-6)


@pytest.mark.parametrize("case", range(3))
def test_choix_map_with_prior(golden, case):
    # choix's opt_pairwise penalises alpha * ||theta||^2 (its docs say variance 1/alpha); prefrank's
    # alpha is the prior precision, alpha/2 * ||theta||^2, so choix's 0.5 is prefrank's 1.0.
    c = golden["pairwise"][case]
    r = log_bt(np.array(c["a"]), np.array(c["b"]), np.array(c["a_wins"], float), alpha=1.0)
    np.testing.assert_allclose(r.theta, c["choix_opt_alpha_0.5"], atol=1e-6)


def fastchat_mle_elo(a: list[str], b: list[str], winner: list[str]) -> dict[str, float]:
    """FastChat's compute_mle_elo rewritten: logistic regression on distinct cells, wins counted twice and
    ties once each way, logits ln(10) * (beta_a - beta_b), scores 400 beta + 1000, fitted by L-BFGS."""
    from scipy.optimize import minimize

    models = sorted(set(a) | set(b))
    idx = {m: k for k, m in enumerate(models)}
    cells: dict[tuple[int, int], float] = {}
    for x, y, w in zip(a, b, winner):
        i, j = idx[x], idx[y]
        if w == "model_a":
            cells[(i, j)] = cells.get((i, j), 0) + 2
        elif w == "model_b":
            cells[(j, i)] = cells.get((j, i), 0) + 2
        else:
            cells[(i, j)] = cells.get((i, j), 0) + 1
            cells[(j, i)] = cells.get((j, i), 0) + 1
    win = np.array([k[0] for k in cells])
    lose = np.array([k[1] for k in cells])
    wt = np.array(list(cells.values()), float)
    n = len(models)

    def f(beta):
        z = LN10 * (beta[win] - beta[lose])
        loss = (wt * np.logaddexp(0, -z)).sum()
        g = -wt * LN10 / (1 + np.exp(z))
        grad = np.bincount(win, g, n) - np.bincount(lose, g, n)
        return loss, grad

    res = minimize(
        f, np.zeros(n), jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10_000}
    )
    return {m: 400 * res.x[idx[m]] + 1000 for m in models}


def test_fastchat_method_on_arena():
    pytest.importorskip("scipy")
    from prefrank.datasets import load_arena_2023

    d = load_arena_2023()
    expected = fastchat_mle_elo(d["model_a"], d["model_b"], d["winner"])
    r = pr.bradley_terry(d, a="model_a", b="model_b", outcome="winner")
    got = dict(zip(r.items.tolist(), r.score_array))
    for m, v in expected.items():
        assert got[m] == pytest.approx(v, abs=1e-3)
    # FastChat pins a model: the anchor reproduces that.
    pinned = pr.bradley_terry(d, a="model_a", b="model_b", outcome="winner", anchor=("vicuna-13b", 1114.0))
    pv = dict(zip(pinned.items.tolist(), pinned.score_array))
    assert pv["vicuna-13b"] == pytest.approx(1114.0)
    assert pv["gpt-4"] - pv["vicuna-13b"] == pytest.approx(expected["gpt-4"] - expected["vicuna-13b"], abs=1e-3)


def test_elo_matches_evalica_and_reference(golden):
    e = golden["elo"]
    out = {"a": 1.0, "b": 0.0, "tie": "tie"}
    r = pr.elo(a=np.array(e["a"]), b=np.array(e["b"]), outcome=np.array(e["outcome"]))
    np.testing.assert_allclose(r.score_array, e["evalica_elo"], rtol=0, atol=1e-9)
    rows = [(x, y, out[o]) for x, y, o in zip(e["a"], e["b"], e["outcome"])]
    np.testing.assert_allclose(r.score_array, ref.elo(e["n"], rows), atol=1e-9)
    shuffled = pr.elo(a=np.array(e["a"]), b=np.array(e["b"]), outcome=np.array(e["outcome"]), shuffles=20, seed=3)
    again = pr.elo(a=np.array(e["a"]), b=np.array(e["b"]), outcome=np.array(e["outcome"]), shuffles=20, seed=3)
    np.testing.assert_array_equal(shuffled.score_array, again.score_array)
    # Elo is zero-sum: the mean rating stays at the initial value.
    assert shuffled.score_array.mean() == pytest.approx(1000.0)
    with pytest.raises(pr.PrefrankError, match="invalid parameter k"):
        pr.elo(a=["x"], b=["y"], outcome=["a"], k=0)
    with pytest.raises(pr.PrefrankError, match="shuffles must be a non-negative integer"):
        pr.elo(a=["x"], b=["y"], outcome=["a"], shuffles=-1)


# ---- tie models and the reference twins ------------------------------------------------------------


def random_rows(seed: int, n: int, m: int, tie_rate: float = 0.2) -> list[tuple[int, int, object]]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 0.8, n)
    rows: list[tuple[int, int, object]] = []
    # Every pair both ways once so the graph is strongly connected, plus random extra comparisons.
    for i in range(n):
        for j in range(i + 1, n):
            rows += [(i, j, 1.0), (i, j, 0.0)]
    for _ in range(m):
        i, j = rng.choice(n, 2, replace=False)
        u = rng.random()
        p = 1 / (1 + math.exp(theta[j] - theta[i]))
        rows.append((int(i), int(j), "tie" if u < tie_rate else (1.0 if u < tie_rate + (1 - tie_rate) * p else 0.0)))
    return rows


def fit_rows(rows, ties, **kw):
    a = np.array([r[0] for r in rows])
    b = np.array([r[1] for r in rows])
    o = np.array([0.5 if r[2] == "tie" else r[2] for r in rows])
    return log_bt(a, b, o, ties=ties, **kw)


@given(
    st.integers(0, 10_000),
    st.sampled_from(["half", "drop", "davidson", "rao_kupper"]),
    st.sampled_from([0.0, 0.3]),
)
@settings(max_examples=25, deadline=None)
def test_tie_models_match_reference(seed, ties, alpha):
    rows = random_rows(seed, 4, 40)
    r = fit_rows(rows, ties, alpha=alpha)
    theta, tp = ref.bt_newton(4, rows, ties=ties, alpha=alpha)
    np.testing.assert_allclose(r.theta, theta, atol=1e-5)
    if tp is not None:
        assert r.tie_param == pytest.approx(tp, rel=1e-4)
    else:
        assert r.tie_param is None
    assert r.loglik == pytest.approx(ref.loglik(r.theta, rows, ties, r.tie_param), rel=1e-9)


@given(st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_bt_matches_reference_mm(seed):
    rows = random_rows(seed, 6, 60)
    for ties in ("half", "drop"):
        np.testing.assert_allclose(fit_rows(rows, ties).theta, ref.bt_mm(6, rows, ties=ties), atol=1e-7)


def test_davidson_recovers_tie_rate():
    # Equal items, a third of games tied: Davidson's nu solves P(tie) = nu / (2 + nu) = 1/3, so nu = 1.
    r = pr.bradley_terry(a=["x", "y", "x"], b=["y", "x", "y"], outcome=["a", "a", "tie"], ties="davidson")
    assert r.tie_param == pytest.approx(1.0, rel=1e-8)
    rk = pr.bradley_terry(a=["x", "y", "x"], b=["y", "x", "y"], outcome=["a", "a", "tie"], ties="rao_kupper")
    # Rao-Kupper with equal items: P(tie) = (k - 1) / (k + 1) = 1/3, so k = 2.
    assert rk.tie_param == pytest.approx(2.0, rel=1e-8)
    no_ties = pr.bradley_terry(a=["x", "y", "x"], b=["y", "x", "y"], outcome=["a", "a", "a"], ties="davidson")
    assert no_ties.tie_param == 0.0


def test_soft_outcomes_and_weights():
    # A soft outcome p counts as p of a win: 0.75 x 4 equals 3 wins and 1 loss.
    soft = log_bt(["x"] * 4, ["y"] * 4, [0.75] * 4)
    hard = log_bt(["x"] * 4, ["y"] * 4, [1, 1, 1, 0])
    weighted = log_bt(["x", "x"], ["y", "y"], [1, 0], weight=[3.0, 1.0])
    assert soft.theta[0] - soft.theta[1] == pytest.approx(math.log(3))
    np.testing.assert_allclose(hard.theta, soft.theta, atol=1e-12)
    np.testing.assert_allclose(weighted.theta, soft.theta, atol=1e-12)


# ---- properties -------------------------------------------------------------------------------------


def test_relabelling_row_order_and_merged_halves():
    rng = np.random.default_rng(1)
    n, m = 30, 4000
    names = np.array([f"m{i:02d}" for i in range(n)], object)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    out = rng.choice(["a", "b", "tie"], m, p=[0.45, 0.4, 0.15])
    base = pr.bradley_terry(a=names[a], b=names[b], outcome=out, scale="log")
    s0 = base.scores
    # Relabel items (a permutation of the names) and shuffle rows.
    perm = rng.permutation(n)
    renamed = np.array([f"z{k}" for k in perm], object)
    order = rng.permutation(m)
    other = pr.bradley_terry(a=renamed[a][order], b=renamed[b][order], outcome=out[order], scale="log")
    mapping = dict(zip(names.tolist(), renamed.tolist()))
    for item, v in s0.items():
        assert other.scores[mapping[item]] == pytest.approx(v, abs=1e-9)
    # Statistics merged from two halves give the same fit.
    h1 = pr.comparisons(a=names[a[:1500]], b=names[b[:1500]], outcome=out[:1500]).pair_counts()
    h2 = pr.comparisons(a=names[a[1500:]], b=names[b[1500:]], outcome=out[1500:]).pair_counts()
    merged = pr.bradley_terry(h1.merge(h2), scale="log")
    np.testing.assert_allclose(merged.theta, base.theta, atol=1e-10)


@pytest.mark.slow
def test_recovers_simulated_strengths():
    rng = np.random.default_rng(7)
    n, m = 200, 1_000_000
    theta = rng.normal(0, 1, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    wins = rng.random(m) < 1 / (1 + np.exp(theta[b] - theta[a]))
    r = log_bt(a, b, wins.astype(float))
    assert kendall_tau(r.theta, theta) >= 0.95
    assert np.corrcoef(r.theta, theta)[0, 1] > 0.99


def test_sparse_solvers_agree():
    rng = np.random.default_rng(11)
    n, m = 3000, 60_000
    theta = rng.normal(0, 1, n)
    # A ring guarantees strong connectivity; random edges add the rest.
    ring_a = np.arange(n)
    ring_b = (ring_a + 1) % n
    a = np.concatenate([ring_a, ring_b, rng.integers(0, n, m)])
    b = np.concatenate([ring_b, ring_a, rng.integers(0, n, m)])
    keep = a != b
    a, b = a[keep], b[keep]
    y = (rng.random(len(a)) < 1 / (1 + np.exp(theta[b] - theta[a]))).astype(float)
    y[:n] = 1.0
    y[n : 2 * n] = 1.0
    mm = log_bt(a, b, y, method="mm")
    lb = log_bt(a, b, y, method="lbfgs")
    auto = log_bt(a, b, y)
    assert mm.converged and lb.converged
    np.testing.assert_allclose(mm.theta, lb.theta, atol=1e-5)
    np.testing.assert_allclose(auto.theta, mm.theta, atol=1e-12)
    # About 40 comparisons per item: a noisy but clearly informative ranking.
    assert kendall_tau(mm.theta, theta) > 0.7


# ---- bootstrap -------------------------------------------------------------------------------------


def test_bootstrap_is_seeded_and_sensible():
    from prefrank.datasets import load_arena_2023

    d = load_arena_2023()
    kw = dict(a="model_a", b="model_b", outcome="winner", bootstrap=200, progress=False)
    r1 = pr.bradley_terry(d, seed=1, **kw)
    r2 = pr.bradley_terry(d, seed=1, **kw)
    r3 = pr.bradley_terry(d, seed=2, **kw)
    np.testing.assert_array_equal(r1.bootstrap_theta, r2.bootstrap_theta)
    assert not np.array_equal(r1.bootstrap_theta, r3.bootstrap_theta)
    assert r1.bootstrap_theta.shape == (200, 20)
    assert np.isfinite(r1.bootstrap_theta).all()
    ci = r1.ci(0.95)
    scores = r1.scores
    assert (ci["lower"] <= scores).all() and (scores <= ci["upper"]).all()
    narrow = r1.ci(0.5)
    assert ((narrow["upper"] - narrow["lower"]) < (ci["upper"] - ci["lower"])).all()
    table = r1.to_pandas()
    assert table.columns.tolist() == ["rank", "item", "score", "lower", "upper", "games", "wins"]
    assert table["item"].iloc[0] == "gpt-4" and table["rank"].iloc[0] == 1
    assert table["games"].sum() == 2 * 25938
    ri = r1.rank_intervals()
    assert (ri["rank_lower"] <= ri["rank_upper"]).all()
    assert r1.bootstrap_info["degenerate"] == 0


def test_bootstrap_spread_matches_resampling_reference():
    rows = random_rows(5, 4, 300, tie_rate=0.0)
    a = np.array([r[0] for r in rows])
    b = np.array([r[1] for r in rows])
    o = np.array([r[2] for r in rows], float)
    r = log_bt(a, b, o, ties="drop", bootstrap=400, seed=0, progress=False)
    sd = r.bootstrap_theta.std(axis=0)
    ref_sd = np.array(ref.bootstrap_bt(4, rows, rounds=150, seed=0, ties="drop")).std(axis=0)
    # Two Monte Carlo estimates of the same standard error.
    np.testing.assert_allclose(sd, ref_sd, rtol=0.3)


def test_bootstrap_degenerate_resamples_stay_finite():
    # Item z has one loss only: many resamples lose it entirely (no comparisons -> disconnected).
    a = ["x"] * 20 + ["y"] * 20 + ["x"]
    b = ["y"] * 20 + ["x"] * 20 + ["z"]
    r = log_bt(
        a,
        b,
        ["a"] * 10 + ["b"] * 10 + ["a"] * 12 + ["b"] * 8 + ["a"],
        alpha=0.01,
        bootstrap=100,
        progress=False,
    )
    assert np.isfinite(r.bootstrap_theta).all()
    strict = [("x", "y", "a"), ("y", "x", "a"), ("y", "z", "a"), ("z", "y", "a")]
    r2 = log_bt(
        [s[0] for s in strict] * 3,
        [s[1] for s in strict] * 3,
        [s[2] for s in strict] * 3,
        bootstrap=200,
        seed=4,
        progress=False,
    )
    assert np.isfinite(r2.bootstrap_theta).all()
    assert r2.bootstrap_info["degenerate"] > 0


# ---- outputs ---------------------------------------------------------------------------------------


def test_scales_matrices_and_repr():
    pytest.importorskip("pandas")
    r = pr.bradley_terry(a=["x", "y", "z", "x"], b=["y", "z", "x", "z"], outcome=["a", "a", "a", "b"])
    log = pr.bradley_terry(a=["x", "y", "z", "x"], b=["y", "z", "x", "z"], outcome=["a", "a", "a", "b"], scale="log")
    strength = pr.bradley_terry(
        a=["x", "y", "z", "x"], b=["y", "z", "x", "z"], outcome=["a", "a", "a", "b"], scale="strength"
    )
    np.testing.assert_allclose(r.score_array, 400 / LN10 * log.theta + 1000)
    np.testing.assert_allclose(strength.score_array, np.exp(log.theta))
    p = r.predict_proba()
    assert p.loc["x", "y"] == pytest.approx(1 / (1 + math.exp(log.theta[1] - log.theta[0])))
    assert p.loc["x", "y"] + p.loc["y", "x"] == pytest.approx(1.0)
    wr = r.win_rate()
    # x met z twice and lost both (rows 2 and 3).
    assert wr.loc["x", "y"] == 1.0 and wr.loc["x", "z"] == 0.0 and wr.loc["z", "x"] == 1.0
    assert np.isnan(wr.loc["x", "x"])
    assert r.games_matrix().loc["x", "z"] == 2.0
    assert repr(r).startswith("Ranking(method='bradley_terry', items=3, scale='elo', ties='half')")
    d = r.to_dict()
    assert set(d["scores"]) == {"x", "y", "z"} and d["converged"] is True
    assert r.scores.index.name == "item"


def test_tie_model_predictions_sum_to_one():
    pytest.importorskip("pandas")
    rows = random_rows(2, 4, 100)
    for ties in ("davidson", "rao_kupper"):
        r = fit_rows(rows, ties)
        p = r.predict_proba().to_numpy()
        np.testing.assert_allclose(p + p.T, 1.0)


# ---- errors ----------------------------------------------------------------------------------------


def test_errors():
    ok = dict(a=["x", "y"], b=["y", "x"], outcome=["a", "a"])
    with pytest.raises(pr.PrefrankError, match="ties='bogus' is not one of 'half', 'drop', 'davidson', 'rao_kupper'"):
        pr.bradley_terry(**ok, ties="bogus")
    with pytest.raises(pr.PrefrankError, match="scale='elo2'"):
        pr.bradley_terry(**ok, scale="elo2")
    with pytest.raises(pr.PrefrankError, match="method='cg'"):
        pr.bradley_terry(**ok, method="cg")
    with pytest.raises(pr.PrefrankError, match="alpha must be a finite number >= 0, got -1"):
        pr.bradley_terry(**ok, alpha=-1)
    with pytest.raises(pr.PrefrankError, match="bootstrap must be a non-negative integer"):
        pr.bradley_terry(**ok, bootstrap=-5)
    with pytest.raises(pr.PrefrankError, match="anchor item 'w' is not among the items"):
        pr.bradley_terry(**ok, anchor=("w", 1000))
    with pytest.raises(pr.PrefrankError, match="no bootstrap rounds"):
        pr.bradley_terry(**ok).ci()
    with pytest.raises(pr.PrefrankError, match=r"level must be a confidence level in \(0, 1\)"):
        pr.bradley_terry(**ok, bootstrap=8, progress=False).ci(1.5)
    with pytest.raises(pr.PrefrankError, match="the MM iteration supports"):
        pr.bradley_terry(**ok, method="mm", ties="davidson")


def test_not_identifiable_names_items():
    with pytest.raises(pr.NotIdentifiableError, match="items with no wins: 'loser'; items with no losses: 'winner'"):
        pr.bradley_terry(a=["winner", "winner", "x"], b=["loser", "x", "loser"], outcome=["a", "a", "a"])
    # Two groups that never met.
    with pytest.raises(pr.NotIdentifiableError, match=r"2 components\); smallest components: \{'p', 'q'\}"):
        pr.bradley_terry(
            a=["w", "x", "w", "p", "q", "p", "p"],
            b=["x", "w", "x", "q", "p", "q", "q"],
            outcome=["a", "a", "a", "a", "a", "a", "b"],
        )
    fitted = pr.bradley_terry(
        a=["winner", "winner", "x"],
        b=["loser", "x", "loser"],
        outcome=["a", "a", "a"],
        alpha=1.0,
        scale="log",
    )
    assert fitted.scores.index.tolist() == ["winner", "x", "loser"]


def test_convergence_warning():
    rows = random_rows(0, 5, 50)
    a = np.array([r[0] for r in rows])
    b = np.array([r[1] for r in rows])
    o = np.array([0.5 if r[2] == "tie" else r[2] for r in rows])
    with pytest.warns(pr.ConvergenceWarning, match="did not converge in 1 iterations"):
        r = log_bt(a, b, o, max_iter=1, method="mm")
    assert r.converged is False
    assert "converged=False" in repr(r)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert log_bt(a, b, o).converged


# ---- real data -------------------------------------------------------------------------------------


def test_llmfao_crowd_with_davidson(data_dir):
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(data_dir / "llmfao-crowd.csv")
    r = pr.bradley_terry(
        df,
        a="left",
        b="right",
        outcome="winner",
        outcomes={"left": "a", "right": "b"},
        ties="davidson",
        alpha=1e-3,
    )
    assert r.converged and 0 < r.tie_param < 5
    half = pr.bradley_terry(df, a="left", b="right", outcome="winner", outcomes={"left": "a", "right": "b"}, alpha=1e-3)
    assert kendall_tau(r.theta, half.theta) > 0.9


def test_ukp_humour_sparse(shared_data):
    pd = pytest.importorskip("pandas")
    pairs = pd.read_csv(shared_data / "ukp-humour" / "pairs.csv", header=None, names=["preferred", "other"])
    ones = np.ones(len(pairs))
    r = pr.bradley_terry(a=pairs.preferred.to_numpy(), b=pairs.other.to_numpy(), outcome=ones, scale="log")
    assert r.converged and len(r.items) == 4030
    gold = pd.read_csv(
        shared_data / "ukp-humour" / "item_scores.txt",
        sep="\t",
        header=None,
        names=["id", "score", "text"],
        quoting=3,
    )
    scores = r.scores
    common = gold[gold.id.isin(scores.index)]
    rho = np.corrcoef(scores.loc[common.id].to_numpy(), common.score.to_numpy())[0, 1]
    assert rho > 0.5


def test_bca_acceleration_matches_jackknife():
    # Skewed data (a strong item with few losses) so that the acceleration is clearly non-zero.
    rows = random_rows(9, 4, 200, tie_rate=0.0) + [(0, k, 1.0) for k in (1, 2, 3) for _ in range(15)]
    a = np.array([r[0] for r in rows])
    b = np.array([r[1] for r in rows])
    o = np.array([r[2] for r in rows], float)
    r = log_bt(a, b, o, ties="drop", bootstrap=200, seed=0, progress=False)
    accel = r.bootstrap_info["acceleration"]
    # Efron's jackknife acceleration, one refit per left-out comparison.
    loo = np.array(
        [log_bt(np.delete(a, i), np.delete(b, i), np.delete(o, i), ties="drop").theta for i in range(len(a))]
    )
    d = loo.mean(axis=0) - loo
    jack = (d**3).sum(axis=0) / (6 * ((d**2).sum(axis=0)) ** 1.5)
    np.testing.assert_allclose(accel, jack, rtol=0.05, atol=2e-4)
    assert np.abs(jack).max() > 5e-3
    bca = r.ci(0.9, method="bca")
    pct = r.ci(0.9)
    assert (bca["lower"] < bca["upper"]).all()
    # BCa shifts intervals, but stays close to the percentile interval on this data.
    np.testing.assert_allclose(bca.to_numpy(), pct.to_numpy(), atol=0.25)
    with pytest.raises(pr.PrefrankError, match="method='basic'"):
        r.ci(method="basic")
