"""Golden parity of prefrank's Plackett-Luce, spectral and contextual fits with choix and scikit-learn.

The golden values live in tests/fixtures/ranking_estimators_golden.json (peer, version and call recorded
there); regenerate with ``PYTHONPATH=python python3 tests/ranking/test_golden.py`` (needs choix
and scikit-learn). The tests themselves need neither.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import prefrank.ranking as rm
import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "ranking_estimators_golden.json"


def _load() -> dict:
    return json.loads(GOLDEN.read_text())


def _centre(x: np.ndarray) -> np.ndarray:
    return x - x.mean()


@pytest.mark.parametrize("case", range(3))
@pytest.mark.parametrize("method", ["auto", "newton", "mm", "lbfgs"])
def test_pl_rankings_match_choix_ilsr_rankings(case: int, method: str) -> None:
    g = _load()["ilsr_rankings"][case]
    r = rm.plackett_luce(g["data"], scale="log", method=method)
    # Labels are the integer codes 0..n-1 (every item appears), so theta is in code order.
    assert list(r.items) == list(range(g["n_items"]))
    tol = 1e-6 if method != "lbfgs" else 1e-5
    np.testing.assert_allclose(r.theta, g["params"], atol=tol)


@pytest.mark.parametrize("case", range(2))
def test_pl_choice_sets_match_choix_top1(case: int) -> None:
    g = _load()["ilsr_top1"][case]
    rows = []
    for obs, (winner, losers) in enumerate(g["data"]):
        rows.append((obs, winner, 1.0))
        rows += [(obs, x, np.nan) for x in losers]
    df = pd.DataFrame(rows, columns=["group", "item", "rank"])
    r = rm.plackett_luce(df, scale="log")
    np.testing.assert_allclose(r.theta, g["params"], atol=1e-6)
    np.testing.assert_allclose(r.theta, g["params_mm"], atol=1e-6)


@pytest.mark.parametrize("kind", ["rank_centrality", "lsr_pairwise", "ilsr_pairwise"])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_spectral_match_choix(kind: str, alpha: float) -> None:
    g = _load()["pairwise"]
    winners = np.array([w for w, _ in g["data"]])
    losers = np.array([v for _, v in g["data"]])
    fn = getattr(rm, kind)
    r = fn(a=winners, b=losers, outcome=np.ones(len(winners)), alpha=alpha, scale="log", tol=1e-12)
    np.testing.assert_allclose(r.theta, g[f"{kind}_alpha{alpha}"], atol=1e-6)


@pytest.mark.parametrize("c", [None, 2.0])
def test_contextual_matches_sklearn(c: float | None) -> None:
    g = _load()["contextual"]
    x = np.array(g["x"])
    alpha = 0.0 if c is None else 1.0 / c
    res = rm.contextual_bradley_terry(
        a=np.array(g["a"]),
        b=np.array(g["b"]),
        outcome=np.array(g["outcome"]),
        covariates=x,
        alpha=alpha,
        scale="log",
    )
    key = "none" if c is None else f"C{c}"
    theta = np.array(g[f"theta_{key}"])
    if c is None:
        theta = _centre(theta)
    np.testing.assert_allclose(res.ranking.theta, theta, atol=1e-5)
    np.testing.assert_allclose(res.coef, g[f"beta_{key}"], atol=1e-5)


def _generate() -> None:  # pragma: no cover - run by hand
    from importlib.metadata import version

    import choix
    import sklearn
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(20261127)
    out: dict = {"peers": {"choix": version("choix"), "scikit-learn": sklearn.__version__}}
    ranks = []
    for case in range(3):
        n = [5, 8, 12][case]
        strengths = rng.normal(size=n)
        data = []
        for _ in range(150 * (case + 1)):
            m = int(rng.integers(2, n + 1))
            members = rng.choice(n, m, replace=False)
            # Gumbel trick: PL sample.
            order = members[np.argsort(-(strengths[members] + rng.gumbel(size=m)))]
            data.append([int(v) for v in order])
        for k in range(n):  # every item appears
            data.append([k, (k + 1) % n])
        params = choix.ilsr_rankings(n, [tuple(d) for d in data], tol=1e-13, max_iter=100_000)
        ranks.append(
            {
                "n_items": n,
                "data": data,
                "params": params.tolist(),
                "call": "choix.ilsr_rankings(n_items, data, tol=1e-13, max_iter=100000)",
            }
        )
    out["ilsr_rankings"] = ranks
    top1 = []
    for case in range(2):
        n = [6, 10][case]
        strengths = rng.normal(size=n)
        data = []
        for _ in range(400):
            m = int(rng.integers(2, n + 1))
            members = rng.choice(n, m, replace=False)
            w = int(members[np.argmax(strengths[members] + rng.gumbel(size=m))])
            data.append([w, [int(v) for v in members if v != w]])
        params = choix.ilsr_top1(n, data, tol=1e-13, max_iter=100_000)
        mm = choix.mm_top1(n, data, tol=1e-13, max_iter=100_000)
        top1.append(
            {
                "n_items": n,
                "data": data,
                "params": params.tolist(),
                "params_mm": mm.tolist(),
                "call": "choix.ilsr_top1 / choix.mm_top1(n_items, data, tol=1e-13, max_iter=100000)",
            }
        )
    out["ilsr_top1"] = top1
    n = 7
    strengths = rng.normal(size=n)
    pairs = []
    for _ in range(600):
        i, j = rng.choice(n, 2, replace=False)
        win = rng.random() < 1 / (1 + np.exp(strengths[j] - strengths[i]))
        pairs.append([int(i), int(j)] if win else [int(j), int(i)])
    pw: dict = {
        "n_items": n,
        "data": pairs,
        "call": "choix.<fn>(n_items, data, alpha=alpha) (ilsr_pairwise with tol=1e-13)",
    }
    for alpha in (0.0, 0.5):
        pw[f"rank_centrality_alpha{alpha}"] = choix.rank_centrality(n, pairs, alpha=alpha).tolist()
        pw[f"lsr_pairwise_alpha{alpha}"] = choix.lsr_pairwise(n, pairs, alpha=alpha).tolist()
        pw[f"ilsr_pairwise_alpha{alpha}"] = choix.ilsr_pairwise(
            n, pairs, alpha=alpha, tol=1e-13, max_iter=100_000
        ).tolist()
    out["pairwise"] = pw
    n, rows, d = 6, 800, 2
    strengths = rng.normal(size=n)
    a = rng.integers(0, n, rows)
    b = (a + rng.integers(1, n, rows)) % n
    x = rng.normal(size=(rows, d))
    beta = np.array([0.7, -0.4])
    z = strengths[a] - strengths[b] + x @ beta
    u = rng.random(rows)
    outcome = np.where(u < 0.1, 0.5, (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(float))
    design = np.zeros((rows, n + d))
    design[np.arange(rows), a] += 1
    design[np.arange(rows), b] -= 1
    design[:, n:] = x
    # Ties as soft labels: one row for each outcome with weight 1/2 (FastChat's style-control way).
    tie = outcome == 0.5
    xd = np.vstack([design[~tie], design[tie], design[tie]])
    yd = np.concatenate([outcome[~tie], np.ones(tie.sum()), np.zeros(tie.sum())])
    wd = np.concatenate([np.ones((~tie).sum()), np.full(tie.sum(), 0.5), np.full(tie.sum(), 0.5)])
    ctx = {
        "a": a.tolist(),
        "b": b.tolist(),
        "x": x.tolist(),
        "outcome": outcome.tolist(),
        "call": "LogisticRegression(C=C or penalty=None, fit_intercept=False, tol=1e-12, max_iter=10000)"
        ".fit(design, y, sample_weight) with ties split into two half-weight rows",
    }
    for c in (None, 2.0):
        if c is None:
            lr = LogisticRegression(penalty=None, fit_intercept=False, tol=1e-12, max_iter=10_000)
        else:
            lr = LogisticRegression(C=c, fit_intercept=False, tol=1e-12, max_iter=10_000)
        lr.fit(xd, yd, sample_weight=wd)
        key = "none" if c is None else f"C{c}"
        ctx[f"theta_{key}"] = lr.coef_[0][:n].tolist()
        ctx[f"beta_{key}"] = lr.coef_[0][n:].tolist()
    out["contextual"] = ctx
    GOLDEN.write_text(json.dumps(out))


if __name__ == "__main__":  # pragma: no cover
    _generate()
