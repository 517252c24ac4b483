"""prefrank.consistency.expected_score against TrustJudge's distribution-sensitive scoring.

TrustJudge (Wang et al., "TrustJudge: Inconsistencies of LLM-as-a-Judge and How to Alleviate Them", arXiv
2509.21117; code github.com/TrustJudge/TrustJudge) computes its scores in trustjudge/ConflictCalculator.py,
read here from the mirror Edhomasteng/TrustJudge at commit f2e887fb0e674c2f5a314a437c4078a35ad04811:

* ``compute_weighted_score`` (lines 160-186; the ``geval`` method): sum of value * probability over the rating
  tokens, probabilities as given (no renormalisation); 0.0 when no rating token is present.
* ``compute_softmax_weighted_score`` (lines 188-223; the ``softmax_weighted`` method, the distribution-sensitive
  score): keep the rating tokens with 0 < p < 1 (line 213), logit = log((p + eps) / (1 - p + eps)) with
  eps = 1e-8 (line 218), weights = softmax(logit / T) with T = 0.2 (lines 192, 219-221), score =
  sum(value * weight) (line 222); 0.0 when no token is kept (lines 216-217).

The two functions below restate those formulas in plain Python (one rating token per column, its value from
``values``) and the tests compare prefrank with them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from prefrank import consistency as C
from prefrank.exceptions import PrefrankError

TJ_T = 0.2  # ConflictCalculator.py line 192
TJ_EPS = 1e-8  # ConflictCalculator.py line 193


def tj_softmax_weighted(row, values, T=TJ_T, eps=TJ_EPS):
    """TrustJudge's compute_softmax_weighted_score (ConflictCalculator.py lines 188-223), restated."""
    kept = [(v, p) for v, p in zip(values, row) if not (p <= 0 or p >= 1)]  # line 213
    if not kept:
        return 0.0  # lines 216-217
    logits = [math.log((p + eps) / (1 - p + eps)) for _, p in kept]  # line 218
    e = [math.exp(lg / T) for lg in logits]  # line 219
    total = sum(e)  # line 220
    return sum(v * x / total for (v, _), x in zip(kept, e))  # lines 221-222


def tj_weighted(row, values):
    """TrustJudge's compute_weighted_score (the geval baseline, lines 160-186), restated."""
    return sum(v * p for v, p in zip(values, row))  # line 185


def _close(got, want, values):
    scale = max(1.0, max(abs(float(x)) for x in values))
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9 * scale)


# Hand-made rows: probabilities over the rating tokens as a judge's top log-probs give them. Several do not sum
# to 1 (the judge put the rest of its mass on other tokens), which is where renormalising would differ.
HAND = [
    [0.0, 0.1, 0.3, 0.5, 0.1],
    [0.0, 0.0, 0.6, 0.4, 0.0],
    [0.05, 0.10, 0.20, 0.40, 0.10],  # sums to 0.85
    [0.2, 0.2, 0.2, 0.2, 0.2],
    [1e-6, 1e-4, 0.01, 0.9, 0.08],
    [0.0, 0.0, 0.0, 0.0, 0.3],  # one token, sums to 0.3
    [0.49, 0.0, 0.0, 0.0, 0.49],  # bimodal, sums to 0.98
]


@pytest.mark.parametrize("row", HAND)
def test_odds_power_default_is_trustjudge(row):
    values = [1, 2, 3, 4, 5]
    got = C.expected_score([row], method="odds_power")[0]
    _close(got, tj_softmax_weighted(row, values), values)


@pytest.mark.parametrize("row", HAND)
@pytest.mark.parametrize("T", [0.05, 0.2, 0.5, 1.0, 3.0])
def test_odds_power_is_trustjudge_with_power_one_over_t(row, T):
    values = [10.0, 20.0, 35.0, 60.0, 100.0]
    got = C.expected_score([row], values=values, method="odds_power", power=1.0 / T)[0]
    _close(got, tj_softmax_weighted(row, values, T=T), values)


def test_hand_values_and_no_renormalisation():
    # [0.05, 0.1, 0.2, 0.4, 0.1]: odds p / (1 - p) (eps aside) raised to 5 = 1 / T, then normalised
    row = [0.05, 0.10, 0.20, 0.40, 0.10]
    odds = [p / (1 - p) for p in row]
    w = [o**5 for o in odds]
    want = sum((k + 1) * x for k, x in enumerate(w)) / sum(w)
    got = C.expected_score([row], method="odds_power")[0]
    assert got == pytest.approx(want, rel=1e-6)
    # the old reading (renormalise the row over the rating tokens first) gives another number
    renorm = C.expected_score([[p / 0.85 for p in row]], method="odds_power")[0]
    assert abs(renorm - got) > 1e-3
    # the plain expectation does renormalise, and is TrustJudge's geval only once the row sums to 1
    e = C.expected_score([row])[0]
    assert e == pytest.approx(tj_weighted([p / 0.85 for p in row], [1, 2, 3, 4, 5]))
    assert e != pytest.approx(tj_weighted(row, [1, 2, 3, 4, 5]))


def test_hundred_point_scale():
    # TrustJudge scores softmax_weighted on a 1..100 scale (detail.md); a judge spreading mass near 70-80
    rng = np.random.default_rng(7)
    p = np.zeros((3, 100))
    for r in range(3):
        cols = rng.choice(np.arange(60, 90), size=6, replace=False)
        p[r, cols] = rng.dirichlet(np.ones(6)) * rng.uniform(0.6, 1.0)
    got = C.expected_score(p, method="odds_power")
    values = list(range(1, 101))
    for r in range(3):
        _close(got[r], tj_softmax_weighted(list(p[r]), values), values)
        _close(C.expected_score(p[r : r + 1])[0], tj_weighted(list(p[r] / p[r].sum()), values), values)


def test_expectation_matches_weighted_when_rows_sum_to_one():
    values = [1, 2, 3, 4, 5]
    for row in (HAND[0], HAND[1], HAND[3]):  # the rows summing to 1
        _close(C.expected_score([row])[0], tj_weighted(row, values), values)


def test_rows_summing_above_one_are_divided_by_their_sum():
    row = [2.0, 2.0, 0.0, 4.0]  # weights, not probabilities
    q = [x / 8.0 for x in row]
    values = [1, 2, 3, 4]
    _close(C.expected_score([row], method="odds_power")[0], tj_softmax_weighted(q, values), values)
    _close(C.expected_score([row])[0], tj_weighted(q, values), values)


def test_certain_token_departure():
    # TrustJudge skips p >= 1 (line 213) and returns 0.0 with nothing left; prefrank scores the certain token
    row = [0.0, 1.0, 0.0]
    assert tj_softmax_weighted(row, [1, 2, 3]) == 0.0
    assert C.expected_score([row], method="odds_power")[0] == 2.0
    assert C.expected_score([row])[0] == 2.0


def test_zero_tokens_are_left_out():
    # a zero token gets no weight even with a small power, where (eps / (1 + eps)) ** power would not vanish
    row = [0.0, 0.5, 0.0]
    assert C.expected_score([row], method="odds_power", power=0.1)[0] == 2.0
    assert tj_softmax_weighted(row, [1, 2, 3], T=10.0) == 2.0


def test_large_power_does_not_overflow():
    row = [[0.01, 0.3, 0.6, 0.05]]
    out = C.expected_score(row, method="odds_power", power=2000.0)
    assert np.isfinite(out).all() and out[0] == pytest.approx(3.0)
    flat = C.expected_score(row, method="odds_power", power=1e-9)[0]
    assert flat == pytest.approx(2.5, abs=1e-6)  # all kept tokens equal weight


def test_power_sharpens_towards_mode():
    row = [[0.1, 0.2, 0.7]]
    e = C.expected_score(row)[0]
    s1 = C.expected_score(row, method="odds_power", power=1.0)[0]
    s5 = C.expected_score(row, method="odds_power")[0]
    assert e < s1 < s5 < 3.0


def test_batch_rows_independent_and_empty():
    p = np.array(HAND)
    batch = C.expected_score(p, method="odds_power")
    for r, row in enumerate(HAND):
        assert batch[r] == pytest.approx(C.expected_score([row], method="odds_power")[0], rel=1e-14)
    for method in ("expectation", "odds_power"):
        out = C.expected_score(np.zeros((0, 4)), method=method)
        assert out.shape == (0,)


_prob = st.one_of(st.just(0.0), st.floats(min_value=1e-12, max_value=1.0))


@st.composite
def _rows(draw):
    k = draw(st.integers(min_value=2, max_value=12))
    w = draw(st.lists(_prob, min_size=k, max_size=k))
    assume(sum(w) > 0)
    total = draw(st.floats(min_value=0.05, max_value=1.0))
    row = [x / sum(w) * total for x in w]
    assume(all(p < 1.0 for p in row))  # TrustJudge skips p >= 1 (see test_certain_token_departure)
    values = draw(
        st.one_of(
            st.just(list(range(1, k + 1))),
            st.lists(st.floats(min_value=-100, max_value=100), min_size=k, max_size=k),
        )
    )
    return row, values


@settings(max_examples=300, deadline=None)
@given(_rows(), st.floats(min_value=0.1, max_value=5.0))
def test_odds_power_matches_trustjudge_random(rv, T):
    row, values = rv
    got = C.expected_score([row], values=values, method="odds_power", power=1.0 / T)[0]
    _close(got, tj_softmax_weighted(row, values, T=T), values)
    if T == TJ_T:
        assert got == C.expected_score([row], values=values, method="odds_power")[0]


@settings(max_examples=300, deadline=None)
@given(_rows())
def test_expectation_is_normalised_weighted_random(rv):
    row, values = rv
    s = sum(row)
    got = C.expected_score([row], values=values)[0]
    _close(got, tj_weighted([p / s for p in row], values), values)


@settings(max_examples=200, deadline=None)
@given(_rows())
def test_default_power_is_trustjudge_random(rv):
    row, values = rv
    _close(C.expected_score([row], values=values, method="odds_power")[0], tj_softmax_weighted(row, values), values)


# ------------------------------------------------------------------------------------------------
# Error paths (every check expected_score makes)


@pytest.mark.parametrize("bad", [[0.2, 0.8], [[[0.2, 0.8]]], np.zeros((2, 0)), 0.5])
def test_error_shape(bad):
    with pytest.raises(PrefrankError, match="2-D"):
        C.expected_score(bad)


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
def test_error_not_finite(x):
    with pytest.raises(PrefrankError, match=r"row 1: probability in column 2 is not finite"):
        C.expected_score([[0.5, 0.5, 0.0], [0.2, 0.3, x]], method="odds_power")


def test_error_negative():
    with pytest.raises(PrefrankError, match=r"row 0: probability in column 1 is negative"):
        C.expected_score([[0.5, -0.1, 0.6]])
    with pytest.raises(PrefrankError, match="negative"):
        C.expected_score([[0.5, -0.1, 0.6]], method="odds_power")


@pytest.mark.parametrize("values", [[1, 2], [1, 2, 3, 4], [[1, 2, 3]], []])
def test_error_values_length(values):
    with pytest.raises(PrefrankError, match="values has"):
        C.expected_score([[0.2, 0.3, 0.5]], values=values)


@pytest.mark.parametrize("method", ["expectation", "odds_power"])
def test_error_zero_row(method):
    with pytest.raises(PrefrankError, match=r"row 1: probabilities sum to 0"):
        C.expected_score([[0.2, 0.8], [0.0, 0.0]], method=method)


@pytest.mark.parametrize("method", ["mode", "softmax_weighted", "", "Expectation"])
def test_error_method(method):
    with pytest.raises(PrefrankError, match="method="):
        C.expected_score([[0.2, 0.8]], method=method)


@pytest.mark.parametrize("power", [0.0, -1.0, math.nan, math.inf])
def test_error_power(power):
    with pytest.raises(PrefrankError, match="power="):
        C.expected_score([[0.2, 0.8]], method="odds_power", power=power)
    # power only matters to odds_power
    assert C.expected_score([[0.2, 0.8]], power=power)[0] == pytest.approx(1.8)
