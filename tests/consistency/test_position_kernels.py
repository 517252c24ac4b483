"""The core kernels behind position bias (binomial test, Wilson intervals, swap patterns) against
scipy and their pure-Python twins in prefrank.reference.consistency."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank import _core
from prefrank import consistency as C
from prefrank.exceptions import PrefrankError
from prefrank.reference import consistency as ref

scipy_stats = pytest.importorskip("scipy.stats")


@st.composite
def _k_n(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, 5000))
    # Mostly near the centre, where the p-values are not tiny, plus the whole range.
    half = n // 2
    spread = max(1, int(4 * math.sqrt(n)))
    k = draw(st.one_of(st.integers(max(0, half - spread), min(n, half + spread)), st.integers(0, n)))
    return k, n


@settings(max_examples=300, deadline=None)
@given(_k_n())
def test_binomial_test_matches_scipy_and_twin(kn: tuple[int, int]) -> None:
    k, n = kn
    got = C.binomial_test(k, n)
    want = scipy_stats.binomtest(k, n, 0.5).pvalue
    # scipy underflows to 0 below ~1e-299 (k=10, n=1075: exact 2.716e-300, which core and the
    # twin give); the twin is checked to full precision there.
    assert got == pytest.approx(want, rel=1e-10, abs=1e-290)
    assert got == pytest.approx(ref.binomial_test(k, n), rel=1e-10, abs=1e-300)


def test_binomial_test_vectorised_large_and_errors() -> None:
    k = np.array([0, 3, 5, 4_900, 50_400, 499_000_000], np.float64)
    n = np.array([1, 10, 10, 10_000, 100_000, 1_000_000_000], np.float64)
    p = _core.binomial_test(k, n)
    want = [scipy_stats.binomtest(int(a), int(b)).pvalue for a, b in zip(k, n, strict=True)]
    np.testing.assert_allclose(p, want, rtol=1e-9)
    # Beyond 10,000 trials the old code used the normal approximation; now exact.
    assert C.binomial_test(50_400, 100_000) == pytest.approx(scipy_stats.binomtest(50_400, 100_000).pvalue, rel=1e-10)
    # Fractional counts: the normal approximation with continuity correction.
    z = (abs(10.5 - 10) - 0.5) / math.sqrt(5)
    assert C.binomial_test(10.5, 20.0) == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-14)
    assert C.binomial_test(30.25, 40.5) == pytest.approx(ref.binomial_test(30.25, 40.5), rel=1e-13)
    assert math.isnan(C.binomial_test(0, 0))
    with pytest.raises(PrefrankError, match="entry 1"):
        _core.binomial_test(np.array([1.0, 3.0]), np.array([2.0, 2.0]))
    with pytest.raises(PrefrankError, match="length mismatch"):
        _core.binomial_test(np.array([1.0]), np.array([2.0, 2.0]))


@st.composite
def _cells(draw: st.DrawFn) -> dict[str, np.ndarray]:
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 4),
                st.integers(1, 4),
                st.sampled_from([0.0, 0.5, 1.0, 0.3, 0.8]),
                st.booleans(),
                st.sampled_from([0.0, 1.0, 2.0, 0.5, 1.25]),
                st.integers(0, 2),
                st.integers(0, 3),
                st.integers(0, 1),
            ),
            max_size=80,
        )
    )
    a = np.array([r[0] for r in rows], np.uint32)
    b = np.array([(r[0] + r[1]) % 5 for r in rows], np.uint32)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    return _core.cells_accumulate(
        a,
        b,
        np.array(cols[2], np.float64),
        np.array(cols[3], np.uint8),
        weight=np.array(cols[4], np.float64),
        group=np.array(cols[5], np.uint32),
        judge=np.array(cols[6], np.uint32),
        first=np.array(cols[7], np.uint8),
    )


def _close(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-10, abs=1e-300)


def _same_block(got: dict, want: dict) -> None:
    for key in ("first_wins", "n_decisive", "n_ties"):
        assert got[key] == want[key], key  # sums in cell order, as the twin
    for key in ("lo", "hi", "p_value"):
        assert _close(got[key], want[key]), (key, got[key], want[key])


@settings(max_examples=200, deadline=None)
@given(_cells(), st.sampled_from([0.5, 0.9, 0.95, 0.99]))
def test_position_kernel_matches_twin(cells: dict[str, np.ndarray], level: float) -> None:
    got = _core.position_bias(cells, level, n_judges=4)
    want = ref.position_from_cells(cells, 4, level)
    _same_block(got, want)
    assert got["patterns"] == want["patterns"]
    pj = got["by_judge"]
    for j in range(4):
        row = {k: (v[j].item() if isinstance(v, np.ndarray) else v) for k, v in pj.items()}
        _same_block(row, want["by_judge"][j])
        assert {k: row[k] for k in ref.SWAP_PATTERN_NAMES} == want["by_judge"][j]["patterns"]
        assert row["swapped_pairs"] == sum(want["by_judge"][j]["patterns"].values())
    pooled = _core.position_bias(cells, level)
    assert "by_judge" not in pooled and pooled["patterns"] == got["patterns"]


def test_position_kernel_errors_and_wilson() -> None:
    cells = _core.cells_accumulate(
        np.array([0], np.uint32), np.array([1], np.uint32), np.array([1.0]), np.array([0], np.uint8),
        judge=np.array([3], np.uint32), first=np.array([0], np.uint8),
    )  # fmt: skip
    with pytest.raises(PrefrankError, match="judge code 3 is out of range for 2 judges"):
        _core.position_bias(cells, 0.95, n_judges=2)
    with pytest.raises(PrefrankError, match="level"):
        _core.position_bias(cells, 1.0)
    bad = dict(cells, q_lo=np.array([math.nan]))
    with pytest.raises(PrefrankError, match="cell 0: q_lo"):
        _core.position_bias(bad, 0.95)
    k, n = np.array([0.0, 3.0, 7.5, 2.0]), np.array([0.0, 10.0, 9.0, 2.0])
    lo, hi = C._common._wilson(k, n, 0.9)
    for i in range(4):
        want = ref.wilson(k[i], n[i], 0.9)
        assert (math.isnan(lo[i]) and math.isnan(want[0])) or (lo[i], hi[i]) == want
