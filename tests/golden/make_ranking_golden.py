"""Compute the ranking golden values from peer libraries once (not run by the test suite).

    python tests/golden/make_ranking_golden.py   # writes tests/data/ranking_golden.json

Needs choix, evalica and scikit-learn (the `bench` extra).
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "data" / "ranking_golden.json"


def random_pairs(seed: int, n: int, m: int) -> dict:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    p = 1 / (1 + np.exp(theta[b] - theta[a]))
    a_wins = rng.random(m) < p
    return {"n": n, "a": a.tolist(), "b": b.tolist(), "a_wins": a_wins.tolist()}


def main() -> None:
    import choix
    import evalica
    from sklearn.linear_model import LogisticRegression

    cases = []
    for seed, n, m in [(0, 6, 300), (1, 12, 2000), (2, 30, 5000)]:
        d = random_pairs(seed, n, m)
        data = [(a, b) if w else (b, a) for a, b, w in zip(d["a"], d["b"], d["a_wins"])]
        ilsr = choix.ilsr_pairwise(n, data, alpha=0.0, max_iter=10_000, tol=1e-12)
        mm = choix.mm_pairwise(n, data, alpha=0.0, max_iter=100_000, tol=1e-12)
        ilsr_reg = choix.opt_pairwise(
            n, data, alpha=0.5, method="Newton-CG", initial_params=None, max_iter=10_000, tol=1e-12
        )
        # scikit-learn: no penalty, no intercept, design x_a = +1, x_b = -1, y = a won.
        X = np.zeros((m, n))
        X[np.arange(m), d["a"]] = 1.0
        X[np.arange(m), d["b"]] = -1.0
        lr = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=100_000)
        lr.fit(X, np.asarray(d["a_wins"], int))
        sk = lr.coef_[0] - lr.coef_[0].mean()
        winners = ["x" if w else "y" for w in d["a_wins"]]
        ev = evalica.bradley_terry(
            d["a"],
            d["b"],
            [evalica.Winner.X if w == "x" else evalica.Winner.Y for w in winners],
            tolerance=1e-12,
            limit=100_000,
        )
        ev_scores = ev.scores.sort_index().to_numpy()
        cases.append(
            {
                **d,
                "seed": seed,
                "choix_ilsr": (ilsr - ilsr.mean()).tolist(),
                "choix_mm": (mm - mm.mean()).tolist(),
                "choix_opt_alpha_0.5": ilsr_reg.tolist(),
                "sklearn_logistic": sk.tolist(),
                "evalica_bt_scores": ev_scores.tolist(),
                "evalica_bt_index": ev.scores.sort_index().index.tolist(),
            }
        )
    # Elo in row order with ties (evalica's online Elo, FastChat defaults).
    rng = np.random.default_rng(5)
    n, m = 8, 500
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    outcome = rng.choice(["a", "b", "tie"], m, p=[0.45, 0.4, 0.15])
    wmap = {"a": evalica.Winner.X, "b": evalica.Winner.Y, "tie": evalica.Winner.Draw}
    ev_elo = evalica.elo(
        a.tolist(), b.tolist(), [wmap[o] for o in outcome], initial=1000.0, base=10.0, scale=400.0, k=4.0
    )
    elo_case = {
        "n": n,
        "a": a.tolist(),
        "b": b.tolist(),
        "outcome": outcome.tolist(),
        "evalica_elo_index": ev_elo.scores.sort_index().index.tolist(),
        "evalica_elo": ev_elo.scores.sort_index().to_numpy().tolist(),
    }
    OUT.write_text(
        json.dumps(
            {
                "generated_by": "tests/golden/make_ranking_golden.py",
                "versions": {p: version(p) for p in ("choix", "evalica", "scikit-learn", "numpy")},
                "calls": {
                    "choix_ilsr": "choix.ilsr_pairwise(n, data, alpha=0, max_iter=10000, tol=1e-12), centred",
                    "choix_mm": "choix.mm_pairwise(n, data, alpha=0, max_iter=100000, tol=1e-12), centred",
                    "choix_opt_alpha_0.5": (
                        "choix.opt_pairwise(n, data, alpha=0.5, method=Newton-CG, tol=1e-12): MAP, "
                        "penalty alpha * ||theta||^2, not centred"
                    ),
                    "sklearn_logistic": "LogisticRegression(C=inf, fit_intercept=False) on +1/-1 design, centred",
                    "evalica_bt_scores": "evalica.bradley_terry(xs, ys, winners, tolerance=1e-12, limit=100000).scores",
                    "evalica_elo": "evalica.elo(xs, ys, winners, initial=1000, base=10, scale=400, k=4).scores",
                },
                "pairwise": cases,
                "elo": elo_case,
            },
            indent=1,
        )
    )
    print("wrote", OUT)


if __name__ == "__main__":
    main()
