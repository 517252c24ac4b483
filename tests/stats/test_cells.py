"""Tests of the verdict-cells statistic (_core.cells_*) against its reference twin."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank import _core
from prefrank.exceptions import PrefrankError
from prefrank.reference import consistency as ref

KEYS = ("group", "judge", "lo", "hi", "order")
VALUES = ("lo_won", "hi_won", "tie", "q_lo", "q_hi")
N_ITEMS = 6


@st.composite
def rows(draw, integer: bool = True, max_rows: int = 40):
    """Coded comparison rows; integer weights and p in {0, 0.5, 1} keep every sum exact."""
    n = draw(st.integers(0, max_rows))
    a = draw(st.lists(st.integers(0, N_ITEMS - 1), min_size=n, max_size=n))
    d = draw(st.lists(st.integers(1, N_ITEMS - 1), min_size=n, max_size=n))
    b = [(x + y) % N_ITEMS for x, y in zip(a, d, strict=True)]
    if integer:
        p = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=n, max_size=n))
        w = draw(st.lists(st.integers(0, 3).map(float), min_size=n, max_size=n))
    else:
        p = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
        w = draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 10)), min_size=n, max_size=n))
    return {
        "a": np.array(a, np.uint32),
        "b": np.array(b, np.uint32),
        "p": np.array(p, np.float64),
        "tie": np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), np.uint8),
        "weight": np.array(w, np.float64),
        "group": np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.uint32),
        "judge": np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), np.uint32),
        "first": np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), np.uint8),
    }


def _concat(x: dict, y: dict) -> dict:
    return {k: np.concatenate([x[k], y[k]]) for k in x}


def _assert_cells_equal(got: dict, want: dict, exact: bool = True) -> None:
    assert set(got) == set(KEYS + VALUES)
    for k in KEYS:
        assert got[k].dtype == (np.uint8 if k == "order" else np.uint32), k
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    for k in VALUES:
        assert got[k].dtype == np.float64, k
        if exact:
            np.testing.assert_array_equal(got[k], want[k], err_msg=k)
        else:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-12, err_msg=k)


# ------------------------------------------------------------------------------------------------
# Kernel vs reference


@settings(max_examples=100, deadline=None)
@given(rows())
def test_accumulate_matches_reference_integer(r):
    _assert_cells_equal(_core.cells_accumulate(**r), ref.verdict_cells(**r))


@settings(max_examples=100, deadline=None)
@given(rows(integer=False))
def test_accumulate_matches_reference_float(r):
    # Both sum a cell's rows in row order, so even soft outcomes agree to the last bit; allclose
    # states the contract.
    _assert_cells_equal(_core.cells_accumulate(**r), ref.verdict_cells(**r), exact=False)


@settings(max_examples=50, deadline=None)
@given(rows(), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_optional_columns_default(r, use_w, use_g, use_j, use_f):
    for name, use in (("weight", use_w), ("group", use_g), ("judge", use_j), ("first", use_f)):
        if not use:
            del r[name]
    got = _core.cells_accumulate(**r)
    _assert_cells_equal(got, ref.verdict_cells(**r))
    if not use_f:
        assert not got["order"].any()


def test_small_example():
    # a=0 beats b=1 shown first; b=0 beats a=1 with b shown first; a tie flagged on (0, 1).
    got = _core.cells_accumulate(
        np.array([0, 1, 0], np.uint32),
        np.array([1, 0, 1], np.uint32),
        np.array([1.0, 0.0, 1.0]),
        np.array([0, 0, 1], np.uint8),
        first=np.array([0, 1, 1], np.uint8),
    )
    np.testing.assert_array_equal(got["order"], [0, 1])
    np.testing.assert_array_equal(got["lo_won"], [2.0, 0.0])
    np.testing.assert_array_equal(got["tie"], [0.0, 1.0])
    np.testing.assert_array_equal(got["q_lo"], [2.0, 0.5])
    np.testing.assert_array_equal(got["q_hi"], [0.0, 0.5])


def test_empty_input_is_empty_table():
    e = np.array([], np.uint32)
    got = _core.cells_accumulate(e, e, np.array([], np.float64), np.array([], np.uint8))
    assert all(len(v) == 0 for v in got.values())
    _assert_cells_equal(got, ref.verdict_cells([], [], [], []))


# ------------------------------------------------------------------------------------------------
# Merge and recode


@settings(max_examples=100, deadline=None)
@given(rows(max_rows=25), rows(max_rows=25))
def test_merge_equals_accumulate_of_concatenation(x, y):
    whole = _core.cells_accumulate(**_concat(x, y))
    merged = _core.cells_merge(_core.cells_accumulate(**x), _core.cells_accumulate(**y))
    _assert_cells_equal(merged, whole)


@settings(max_examples=100, deadline=None)
@given(rows(), st.permutations(range(N_ITEMS)))
def test_recode_equals_accumulating_relabelled_rows(r, perm):
    perm = np.array(perm, np.uint32)
    cells = _core.cells_accumulate(**r)
    relabelled = dict(r, a=perm[r["a"]], b=perm[r["b"]])
    _assert_cells_equal(_core.cells_recode(cells, item_map=perm), _core.cells_accumulate(**relabelled))
    inverse = np.argsort(perm).astype(np.uint32)
    back = _core.cells_recode(_core.cells_recode(cells, item_map=perm), item_map=inverse)
    _assert_cells_equal(back, cells)
    ident = np.arange(N_ITEMS, dtype=np.uint32)
    _assert_cells_equal(
        _core.cells_recode(cells, np.arange(4, dtype=np.uint32), np.arange(3, dtype=np.uint32), ident), cells
    )


def test_recode_reversal_swaps_sides():
    # Reversing item order turns "lo won, lo shown first" into "hi won, hi shown first".
    r = {
        "a": np.array([0, 1], np.uint32),
        "b": np.array([1, 2], np.uint32),
        "p": np.array([1.0, 0.25]),
        "tie": np.array([0, 0], np.uint8),
        "first": np.array([0, 0], np.uint8),
    }
    rev = np.array([2, 1, 0], np.uint32)
    got = _core.cells_recode(_core.cells_accumulate(**r), item_map=rev)
    want = _core.cells_accumulate(**dict(r, a=rev[r["a"]], b=rev[r["b"]]))
    _assert_cells_equal(got, want)
    np.testing.assert_array_equal(got["order"], [1, 1])
    np.testing.assert_array_equal(got["hi_won"], [0.0, 1.0])
    np.testing.assert_array_equal(got["lo_won"], [1.0, 0.0])
    np.testing.assert_array_equal(got["q_lo"], [0.75, 0.0])


def test_recode_adds_cells_that_meet():
    r = {
        "a": np.array([0, 0], np.uint32),
        "b": np.array([1, 1], np.uint32),
        "p": np.array([1.0, 0.0]),
        "tie": np.array([0, 0], np.uint8),
        "group": np.array([0, 1], np.uint32),
    }
    got = _core.cells_recode(_core.cells_accumulate(**r), group_map=np.array([5, 5], np.uint32))
    np.testing.assert_array_equal(got["group"], [5])
    np.testing.assert_array_equal(got["lo_won"], [1.0])
    np.testing.assert_array_equal(got["hi_won"], [1.0])


# ------------------------------------------------------------------------------------------------
# Errors


def _two_rows() -> dict:
    return {
        "a": np.array([0, 2], np.uint32),
        "b": np.array([1, 2], np.uint32),
        "p": np.array([1.0, 1.0]),
        "tie": np.array([0, 0], np.uint8),
    }


def test_self_comparison_names_the_row():
    with pytest.raises(PrefrankError, match="row 1: item 2 is compared with itself"):
        _core.cells_accumulate(**_two_rows())
    with pytest.raises(ValueError, match="row 1"):
        ref.verdict_cells(**_two_rows())


def test_length_mismatch_names_the_column():
    r = dict(_two_rows(), b=np.array([1, 0], np.uint32))
    with pytest.raises(PrefrankError, match="a has 2 rows but judge has 1"):
        _core.cells_accumulate(**r, judge=np.array([0], np.uint32))
    with pytest.raises(PrefrankError, match="a has 2 rows but b has 1"):
        _core.cells_accumulate(**dict(r, b=np.array([1], np.uint32)))


def test_bad_values_name_the_row():
    r = dict(_two_rows(), b=np.array([1, 0], np.uint32))
    with pytest.raises(PrefrankError, match="row 1: outcome value NaN"):
        _core.cells_accumulate(**dict(r, p=np.array([1.0, np.nan])))
    with pytest.raises(PrefrankError, match="row 0: weight value -1"):
        _core.cells_accumulate(**r, weight=np.array([-1.0, 1.0]))
    with pytest.raises(PrefrankError, match="row 1: value 2 is not 0"):
        _core.cells_accumulate(**r, first=np.array([0, 2], np.uint8))


def test_recode_errors():
    r = dict(_two_rows(), b=np.array([1, 0], np.uint32))
    cells = _core.cells_accumulate(**r)  # cells (0, 1) and (0, 2)
    with pytest.raises(PrefrankError, match="cell 1: item code 2 is out of range for a map of 2 codes"):
        _core.cells_recode(cells, item_map=np.array([0, 1], np.uint32))
    with pytest.raises(PrefrankError, match="group code 0 is out of range"):
        _core.cells_recode(cells, group_map=np.array([], np.uint32))
    with pytest.raises(PrefrankError, match="cell 0: items 0 and 1 both map to 0"):
        _core.cells_recode(cells, item_map=np.array([0, 0, 1], np.uint32))


def test_dict_errors():
    cells = _core.cells_accumulate(**dict(_two_rows(), b=np.array([1, 0], np.uint32)))
    missing = {k: v for k, v in cells.items() if k != "q_hi"}
    with pytest.raises(PrefrankError, match="y: cells dict has no key 'q_hi'"):
        _core.cells_merge(cells, missing)
    with pytest.raises(PrefrankError, match="x: cells dict key 'lo' must be a 1-D uint32"):
        _core.cells_recode(dict(cells, lo=cells["lo"].astype(np.int64)))
    unsorted = {k: v[::-1].copy() for k, v in cells.items()}
    with pytest.raises(PrefrankError, match=r"x: .*not sorted"):
        _core.cells_merge(unsorted, cells)
    short = dict(cells, tie=cells["tie"][:1])
    with pytest.raises(PrefrankError, match="group has 2 rows but tie has 1"):
        _core.cells_recode(short)
