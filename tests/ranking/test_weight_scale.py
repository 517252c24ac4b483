"""Without a prior a fit does not depend on the weights' overall scale (issue 16, item 4).

On main, uniform weights <= 1e-10 gave every item 1000 with converged=True after 0 iterations
(Newton, L-BFGS, the tie models) and weights of 1.7e308 all-NaN scores with converged=True.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# name -> fit(table, weight column or None); every fit here has no prior.
PAIRWISE: dict[str, Callable[[pd.DataFrame, str | None], Any]] = {
    **{
        f"bt-{m}": lambda d, w, m=m: pr.bradley_terry(d, a="a", b="b", outcome="y", weight=w, method=m)
        for m in ("auto", "newton", "mm", "lbfgs")
    },
    **{
        f"bt-{t}": lambda d, w, t=t: pr.bradley_terry(d, a="a", b="b", outcome="y", weight=w, ties=t)
        for t in ("drop", "davidson", "rao_kupper")
    },
    **{
        fn: lambda d, w, fn=fn: getattr(pr, fn)(d, a="a", b="b", outcome="y", weight=w)
        for fn in ("rank_centrality", "lsr_pairwise", "ilsr_pairwise")
    },
    "contextual": lambda d, w: pr.contextual_bradley_terry(
        d, a="a", b="b", outcome="y", weight=w, covariates=["x"], tol=1e-12
    ),
}
LISTWISE: dict[str, Callable[[pd.DataFrame, str], Any]] = {
    **{
        f"pl-{m}": lambda d, w, m=m: pr.plackett_luce(d, group="obs", item="item", rank="rank", weight=w, method=m)
        for m in ("newton", "mm", "lbfgs")
    },
    **{
        fn: lambda d, w, fn=fn: getattr(pr, fn)(d, group="obs", item="item", rank="rank", weight=w)
        for fn in ("lsr_rankings", "ilsr_rankings")
    },
}
# Scores agree to 1e-4 Elo points (about 6e-7 in log-strength): the solvers' own tolerance (L-BFGS
# for Plackett-Luce stops at a relative gradient of 1e-7).
ATOL = 1e-4
SCALES = st.floats(-12.0, 300.0).map(lambda e: 10.0**e)


def scores(r: Any) -> pd.Series:
    return r.to_pandas()["score"].sort_index()


def quiet(f: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error", pr.ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        return f()


@st.composite
def pair_tables(draw: Any) -> pd.DataFrame:
    """Random comparisons over 3-7 items, with a win cycle through all items (so the fit exists) and ties."""
    n = draw(st.integers(3, 7))
    extra = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, n - 1), st.sampled_from([0.0, 0.5, 1.0])), max_size=40)
    )
    rows = [(i, (i + 1) % n, 1.0) for i in range(n)] + [(i, (i + 1) % n, 0.5) for i in range(n)]
    rows += [(i, (i + k) % n, y) for i, k, y in extra]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return pd.DataFrame(
        {
            "a": [f"m{i}" for i, _, _ in rows],
            "b": [f"m{j}" for _, j, _ in rows],
            "y": [y for _, _, y in rows],
            "x": rng.normal(size=len(rows)),
        }
    )


@st.composite
def ranking_tables(draw: Any) -> pd.DataFrame:
    n = draw(st.integers(3, 6))
    perms = [list(range(n)), list(range(n))[::-1]]
    perms += draw(st.lists(st.permutations(list(range(n))), max_size=12))
    rows = [(o, f"m{it}", k + 1) for o, p in enumerate(perms) for k, it in enumerate(p)]
    return pd.DataFrame(rows, columns=["obs", "item", "rank"])


@pytest.mark.parametrize("name", sorted(PAIRWISE))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=pair_tables(), c=SCALES)
def test_pairwise_fits_do_not_depend_on_the_weights_scale(name: str, data: pd.DataFrame, c: float) -> None:
    fit = PAIRWISE[name]
    ref = quiet(lambda: fit(data, None))
    r = quiet(lambda: fit(data.assign(w=c), "w"))
    assert getattr(r, "converged", True)
    pd.testing.assert_series_equal(scores(r), scores(ref), atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", sorted(LISTWISE))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=ranking_tables(), c=SCALES)
def test_listwise_fits_do_not_depend_on_the_weights_scale(name: str, data: pd.DataFrame, c: float) -> None:
    fit = LISTWISE[name]
    ref = quiet(lambda: fit(data.assign(w=1.0), "w"))
    r = quiet(lambda: fit(data.assign(w=c), "w"))
    assert getattr(r, "converged", True)
    pd.testing.assert_series_equal(scores(r), scores(ref), atol=ATOL, rtol=0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=pair_tables(), c=SCALES)
def test_group_fits_do_not_depend_on_the_weights_scale(data: pd.DataFrame, c: float) -> None:
    data = pd.concat([data.assign(g="g1"), data.assign(g="g2")], ignore_index=True)

    def fit(w: str | None) -> Any:
        return pr.bradley_terry_groups(data.assign(w=c), a="a", b="b", outcome="y", group="g", weight=w, alpha=0.0)

    ref, r = quiet(lambda: fit(None)), quiet(lambda: fit("w"))
    assert np.all(r.converged)
    np.testing.assert_allclose(r.to_pandas()["score"], ref.to_pandas()["score"], atol=1e-7, rtol=0)


@pytest.mark.parametrize("method", ["newton", "lbfgs", "mm"])
@pytest.mark.parametrize("w", [1e-10, 1e-300, 1e300])
def test_extreme_uniform_weights_fit_for_real(method: str, w: float) -> None:
    # The regression: tiny weights passed the gradient test at the start (0 iterations, all 1000).
    d = _FIXED
    ref = pr.bradley_terry(d, a="a", b="b", outcome="y", method=method)
    r = pr.bradley_terry(d.assign(w=w), a="a", b="b", outcome="y", weight="w", method=method)
    assert r.converged and r.iterations > 0
    assert scores(r).std() > 1.0
    pd.testing.assert_series_equal(scores(r), scores(ref), atol=1e-6, rtol=0)
    # The log-likelihood stays on the weights' own scale.
    assert r.loglik == pytest.approx(w * ref.loglik, rel=1e-9)


def test_weights_whose_sum_overflows_are_a_parameter_error() -> None:
    # The regression: 1.7e308 gave all-NaN scores with converged=True.
    d = _FIXED.assign(w=1.7e308)
    for fit in (
        lambda: pr.bradley_terry(d, a="a", b="b", outcome="y", weight="w"),
        lambda: pr.bradley_terry(d, a="a", b="b", outcome="y", weight="w", alpha=1.0),
        lambda: pr.rank_centrality(d, a="a", b="b", outcome="y", weight="w"),
    ):
        with pytest.raises(pr.ParameterError, match="largest float") as e:
            fit()
        assert e.value.param == "weight"


def test_with_a_prior_weights_stay_counts() -> None:
    # alpha is a prior worth alpha/2 * theta^2 against the counts: scaling the counts up weakens it.
    d = _FIXED
    small = pr.bradley_terry(d.assign(w=1.0), a="a", b="b", outcome="y", weight="w", alpha=1.0)
    big = pr.bradley_terry(d.assign(w=1e6), a="a", b="b", outcome="y", weight="w", alpha=1.0)
    mle = pr.bradley_terry(d, a="a", b="b", outcome="y")
    assert (scores(small) - scores(mle)).abs().max() > 1.0
    pd.testing.assert_series_equal(
        scores(big) - scores(big).mean(), scores(mle) - scores(mle).mean(), atol=1e-2, rtol=0
    )


_RNG = np.random.default_rng(7)
_A = _RNG.integers(0, 6, 300)
_FIXED = pd.DataFrame(
    {
        "a": [f"m{i}" for i in _A],
        "b": [f"m{(i + k) % 6}" for i, k in zip(_A, _RNG.integers(1, 6, 300))],
        "y": _RNG.choice([0.0, 0.5, 1.0], 300, p=[0.45, 0.1, 0.45]),
    }
)


@pytest.mark.parametrize("w", [1e-10, 1e300])
def test_bootstrap_needs_weights_on_the_scale_of_counts(w: float) -> None:
    # The bootstrap resamples the weights as counts: on main, 1e-10 gave collapsed intervals
    # (every resample empty) and 1e300 did not return.
    with pytest.raises(pr.ParameterError, match="as counts") as e:
        pr.bradley_terry(_FIXED.assign(w=w), a="a", b="b", outcome="y", weight="w", bootstrap=20)
    assert e.value.param == "weight"
