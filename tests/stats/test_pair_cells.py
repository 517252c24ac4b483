"""The core combine of (key, lo, hi) pair cells against the numpy implementation it replaced
(prefrank.reference.data.combine_pair_cells): identical arrays, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank import _core
from prefrank.exceptions import PrefrankError
from prefrank.reference.data import combine_pair_cells
from prefrank.stats import _NEVER, _combine_cells


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 5),
            st.integers(1, 5),
            st.one_of(st.integers(0, 10**6), st.just(_NEVER)),
            st.floats(0, 10, allow_nan=False),
            st.floats(0, 10, allow_nan=False),
            st.sampled_from([0.0, 0.5, 1.0, 1 / 3]),
        ),
        max_size=80,
    ),
    st.sampled_from([6, 70_000]),
)
def test_combine_matches_numpy_twin(rows: list, n_items: int) -> None:
    key = np.array([r[0] for r in rows], np.uint32)
    lo = np.array([min(r[1], (r[1] + r[2]) % 6) for r in rows], np.uint32)
    hi = np.array([max(r[1], (r[1] + r[2]) % 6) for r in rows], np.uint32)
    first = np.array([r[3] for r in rows], np.int64)
    mass = np.array([r[4:7] for r in rows], np.float64).reshape(-1, 3)
    keys = {"key": key, "lo": lo, "hi": hi}
    got = _combine_cells(dict(keys), first, mass, n_items)
    want = combine_pair_cells(dict(keys), first, mass, n_items)
    for k in ("key", "lo", "hi"):
        assert got[0][k].dtype == want[0][k].dtype and np.array_equal(got[0][k], want[0][k])
    assert got[1].dtype == want[1].dtype and np.array_equal(got[1], want[1])
    assert got[2].shape == want[2].shape
    assert got[2].tobytes() == want[2].tobytes()  # bitwise: sums in the same (input) order


def test_combine_errors() -> None:
    u = np.zeros(2, np.uint32)
    with pytest.raises(PrefrankError, match="but hi has 1"):
        _core.pair_cells_combine(u, u, u[:1], np.zeros(2, np.int64), np.zeros((2, 3)))
    with pytest.raises(PrefrankError, match="3 columns"):
        _core.pair_cells_combine(u, u, u, np.zeros(2, np.int64), np.zeros((2, 2)))
