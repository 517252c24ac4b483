"""label_noise intervals: the joint observed information of (theta, eps), checked against a finite-difference
Hessian of the observed log-likelihood (an independent derivation)."""

from __future__ import annotations

import numpy as np
import prefrank as pr
import pytest
from prefrank.reference import robust as ref


def _data(seed: int, n_items: int = 6, n_judges: int = 3, n: int = 40000):
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 2, n_items)
    flips = np.array([0.1, 0.2, 0.3][:n_judges])
    a = rng.integers(0, n_items, n)
    b = (a + rng.integers(1, n_items, n)) % n_items
    g = rng.integers(0, n_judges, n)
    s = 1 / (1 + np.exp(-(strength[a] - strength[b])))
    win = rng.random(n) < s
    flip = rng.random(n) < flips[g]
    tie = rng.random(n) < 0.05
    p = np.where(tie, 0.5, np.where(win ^ flip, 1.0, 0.0))
    return a, b, p, tie, g


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_judge_intervals_match_finite_difference_information(seed):
    a, b, p, tie, g = _data(seed)
    outcome = np.where(tie, "tie", np.where(p == 1.0, "a", "b"))
    res = pr.label_noise(a=a, b=b, outcome=outcome, judge=g, shrink=0.0, level=0.95)
    # The kernel's codes follow sorted labels: items 0..5 and judges 0..2 keep their codes here.
    theta = np.asarray(res.theta)
    eps = np.asarray(res.judge_epsilon)
    cov = ref.label_noise_eps_covariance(6, a, b, p, tie, g, theta, eps)
    z = 1.959963984540054
    upper = res.judge_ci[:, 1]
    assert np.all(upper < 0.5), "the upper ends must not be clipped here"
    np.testing.assert_allclose(upper - eps, z * np.sqrt(np.diag(cov)), rtol=2e-3)
    # Holding theta fixed would give narrower intervals: the joint ones account for theta's uncertainty.
    assert np.all(np.sqrt(np.diag(cov)) > 0)


def test_pooled_interval_uses_the_covariances():
    a, b, p, tie, g = _data(5)
    outcome = np.where(tie, "tie", np.where(p == 1.0, "a", "b"))
    res = pr.label_noise(a=a, b=b, outcome=outcome, judge=g, shrink=0.0)
    cov = ref.label_noise_eps_covariance(6, a, b, p, tie, g, np.asarray(res.theta), np.asarray(res.judge_epsilon))
    w = np.asarray(res.judge_weight) / np.sum(res.judge_weight)
    lo, hi = res.epsilon_ci
    np.testing.assert_allclose((hi - lo) / 2, 1.959963984540054 * np.sqrt(w @ cov @ w), rtol=2e-3)


def test_one_flip_rate_for_all_judges_with_a_judge_column():
    """by_judge=False with a judge column: one flip rate, labelled (all), in every view of the result."""
    import json

    rng = np.random.default_rng(3)
    n = 400
    a = rng.integers(0, 5, n)
    b = (a + rng.integers(1, 5, n)) % 5
    outcome = (rng.random(n) < 1 / (1 + np.exp(b - a))).astype(float)
    res = pr.label_noise(a=a, b=b, outcome=outcome, judge=rng.integers(0, 3, n), by_judge=False)
    assert res.reliability().index.tolist() == ["(all)"]
    assert list(res.to_dict()["judge_epsilon"]) == ["(all)"]
    assert res.ci().index.tolist() == ["(all)"]
    json.dumps(res.to_dict(), allow_nan=False)
