"""Structured exceptions raised by the compiled core (prefrank._core).

The Rust mapping (rust/prefrank-py/src/error.rs) turns each core error variant into one class with
its fields as attributes: InputError (.row, .column, .value), ParameterError (.param), TooLargeError
(.requested, .limit), NotIdentifiableError; every one also keeps .kind, .row and .code.
"""

from __future__ import annotations

import numpy as np
import pytest
from prefrank import _core


def _table(a, b, p=None):
    a = np.asarray(a, np.uint32)
    b = np.asarray(b, np.uint32)
    p = np.ones(len(a)) if p is None else np.asarray(p, np.float64)
    return a, b, p, np.zeros(len(a), np.uint8)


def test_hierarchy():
    for cls in (_core.InputError, _core.ParameterError, _core.TooLargeError, _core.NotIdentifiableError):
        assert issubclass(cls, _core.PrefrankError)
        assert issubclass(cls, ValueError)
    assert not issubclass(_core.InputError, _core.ParameterError)


def test_self_comparison_is_input_error_with_row():
    a, b, p, tie = _table([0, 1, 2], [1, 2, 2])
    with pytest.raises(_core.InputError, match=r"row 2: item 2 is compared with itself") as info:
        _core.validate_comparisons(3, a, b, p, tie)
    e = info.value
    assert isinstance(e, _core.PrefrankError) and isinstance(e, ValueError)
    assert (e.kind, e.row, e.code, e.value, e.column) == ("self_comparison", 2, 2, 2, None)


def test_code_out_of_range_names_row_and_value():
    a, b, p, tie = _table([0, 7], [1, 0])
    with pytest.raises(_core.InputError) as info:
        _core.validate_comparisons(3, a, b, p, tie)
    assert (info.value.kind, info.value.row, info.value.value, info.value.code) == ("code_out_of_range", 1, 7, 7)


def test_non_finite_names_row_column_and_value():
    a, b, p, tie = _table([0, 1], [1, 0], [1.0, np.nan])
    with pytest.raises(_core.InputError, match="not a finite number") as info:
        _core.validate_comparisons(2, a, b, p, tie)
    e = info.value
    assert (e.kind, e.row) == ("non_finite", 1)
    assert isinstance(e.column, str) and np.isnan(e.value)


def test_length_mismatch_is_input_error_without_row():
    a, b, p, tie = _table([0, 1], [1, 0])
    with pytest.raises(_core.InputError) as info:
        _core.validate_comparisons(2, a, b[:1], p, tie)
    assert (info.value.kind, info.value.row, info.value.value, info.value.column) == ("length_mismatch", None, None, None)


def test_bad_parameter_is_parameter_error_with_param():
    a, b, p, tie = _table([0, 1], [1, 0])
    counts = _core.PairCounts.from_comparisons(2, a, b, p, tie)
    with pytest.raises(_core.ParameterError, match=r"invalid parameter ties") as info:
        _core.bt_fit(counts, ties="sometimes")
    e = info.value
    assert isinstance(e, _core.PrefrankError) and isinstance(e, ValueError)
    assert (e.param, e.kind, e.row) == ("ties", "invalid_parameter", None)


def test_corrupt_bytes_are_input_error():
    with pytest.raises(_core.InputError, match="corrupt") as info:
        _core.PairCounts.from_bytes(b"not a pair-count table")
    assert info.value.kind == "corrupt"


def test_not_identifiable_keeps_its_class():
    # Two items, each compared only with a win for item 0: item 1 never wins, the MLE diverges.
    a, b, p, tie = _table([0, 0], [1, 1])
    counts = _core.PairCounts.from_comparisons(2, a, b, p, tie)
    with pytest.raises(_core.NotIdentifiableError) as info:
        _core.bt_fit(counts)
    assert info.value.kind == "not_identifiable"
    assert not isinstance(info.value, _core.InputError)
