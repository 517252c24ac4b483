"""Structured exceptions raised by the compiled core (prefrank._core).

The Rust mapping (rust/prefrank-py/src/error.rs) turns each core error variant into one class with
its fields as attributes: InputError (.row, .column, .value), ParameterError (.param), TooLargeError
(.requested, .limit), NotIdentifiableError; every one also keeps .kind, .row and .code.
"""

from __future__ import annotations

import ast
import doctest
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import prefrank as pr
import prefrank.exceptions
import pytest
from prefrank import _core


def _table(a, b, p=None):
    a = np.asarray(a, np.uint32)
    b = np.asarray(b, np.uint32)
    p = np.ones(len(a)) if p is None else np.asarray(p, np.float64)
    return a, b, p, np.zeros(len(a), np.uint8)


def _cmp(n_items, a, b, p, tie):
    """The attributes a `_core` function reads from a comparisons table (the `_ComparisonTable` protocol)."""
    return SimpleNamespace(n_items=n_items, a=a, b=b, p=p, tie=tie, weight=None)


def test_hierarchy():
    for cls in (_core.InputError, _core.ParameterError, _core.TooLargeError, _core.NotIdentifiableError):
        assert issubclass(cls, _core.PrefrankError)
        assert issubclass(cls, ValueError)
    assert not issubclass(_core.InputError, _core.ParameterError)


def test_self_comparison_is_input_error_with_row():
    a, b, p, tie = _table([0, 1, 2], [1, 2, 2])
    with pytest.raises(_core.InputError, match=r"row 2: item 2 is compared with itself") as info:
        _core.validate_comparisons(_cmp(3, a, b, p, tie))
    e = info.value
    assert isinstance(e, _core.PrefrankError) and isinstance(e, ValueError)
    assert (e.kind, e.row, e.code, e.value, e.column) == ("self_comparison", 2, 2, 2, None)


def test_code_out_of_range_names_row_and_value():
    a, b, p, tie = _table([0, 7], [1, 0])
    with pytest.raises(_core.InputError) as info:
        _core.validate_comparisons(_cmp(3, a, b, p, tie))
    assert (info.value.kind, info.value.row, info.value.value, info.value.code) == ("code_out_of_range", 1, 7, 7)


def test_non_finite_names_row_column_and_value():
    a, b, p, tie = _table([0, 1], [1, 0], [1.0, np.nan])
    with pytest.raises(_core.InputError, match="not a finite number") as info:
        _core.validate_comparisons(_cmp(2, a, b, p, tie))
    e = info.value
    assert (e.kind, e.row) == ("non_finite", 1)
    assert isinstance(e.column, str) and np.isnan(e.value)


def test_length_mismatch_is_input_error_without_row():
    a, b, p, tie = _table([0, 1], [1, 0])
    with pytest.raises(_core.InputError) as info:
        _core.validate_comparisons(_cmp(2, a, b[:1], p, tie))
    e = info.value
    assert (e.kind, e.row, e.value, e.column) == ("length_mismatch", None, None, None)


def test_bad_parameter_is_parameter_error_with_param():
    a, b, p, tie = _table([0, 1], [1, 0])
    counts = _core.PairCounts.from_comparisons(_cmp(2, a, b, p, tie))
    with pytest.raises(_core.ParameterError, match=r"invalid parameter ties") as info:
        _core.bt_fit(counts, ties="sometimes")
    e = info.value
    assert isinstance(e, _core.PrefrankError) and isinstance(e, ValueError)
    assert (e.param, e.kind, e.row) == ("ties", "invalid_parameter", None)


def test_corrupt_bytes_are_input_error():
    with pytest.raises(_core.InputError, match=r"^corrupt or incompatible prefrank statistics") as info:
        _core.pair_counts_from_bytes(b"not a pair-count table")
    assert info.value.kind == "corrupt_stats"


def test_not_identifiable_keeps_its_class():
    # Two items, each compared only with a win for item 0: item 1 never wins, the MLE diverges.
    a, b, p, tie = _table([0, 0], [1, 1])
    counts = _core.PairCounts.from_comparisons(_cmp(2, a, b, p, tie))
    with pytest.raises(_core.NotIdentifiableError) as info:
        _core.bt_fit(counts)
    assert info.value.kind == "not_identifiable"
    assert not isinstance(info.value, _core.InputError)


# --------------------------------------------------------------------------------------------------
# Through the public API: every error arrives as its class, with its fields


_CYCLE = dict(a=["x", "y", "z", "x"], b=["y", "z", "x", "z"], outcome=[1, 1, 1, 0])


def _raised(cls, fn, *args, **kwargs):
    with pytest.raises(cls) as info:
        fn(*args, **kwargs)
    e = info.value
    assert isinstance(e, pr.PrefrankError) and isinstance(e, ValueError)
    return e


def test_self_comparison_arrives_as_input_error():
    e = _raised(pr.InputError, pr.bradley_terry, a=["x", "y", "z"], b=["y", "y", "x"], outcome=[1, 0, 1])
    assert str(e) == "row 1: item 'y' is compared with itself (pass drop_self=True to drop such rows)"
    assert (e.row, e.kind, e.code, e.value) == (1, "self_comparison", 1, "y")
    assert e.column in (None, "a", "b")


def test_missing_label_names_row_and_column():
    e = _raised(pr.InputError, pr.bradley_terry, a=["x", None, "z"], b=["y", "y", "x"], outcome=[1, 0, 1])
    assert str(e) == "row 1: column 'a' is missing a label (None)"
    assert (e.row, e.column, e.value) == (1, "a", None)


def test_non_finite_outcome_names_row_column_and_value():
    e = _raised(pr.InputError, pr.bradley_terry, a=["x", "y", "z"], b=["y", "z", "x"], outcome=[1, np.inf, 1])
    assert str(e) == "row 1: outcome inf in column 'outcome' is not a finite number"
    assert (e.row, e.column, e.value, e.kind) == (1, "outcome", math.inf, "non_finite")


def _csv(tmp_path: Path, **cells) -> Path:
    """The cycle three times over (12 rows) as a CSV, with ``cells`` ({column: {row: value}}) changed."""
    df = pd.DataFrame({k: v * 3 for k, v in _CYCLE.items()} | {"w": [1.0] * 12})
    for col, rows in cells.items():
        for row, v in rows.items():
            df.loc[row, col] = v
    path = tmp_path / "comparisons.csv"
    df.to_csv(path, index=False)
    return path


def test_file_error_in_a_later_batch_names_file_and_file_row(tmp_path):
    # Rows 8-11 are the third batch of 4: the row is the file's, not the batch's. A Python-built
    # error (restated from its .detail) ...
    path = _csv(tmp_path, a={9: "y"}, b={9: "y"})
    e = _raised(pr.InputError, pr.bradley_terry, str(path), a="a", b="b", outcome="outcome", batch_rows=4)
    assert str(e) == f"{path}: row 9: item 'y' is compared with itself (pass drop_self=True to drop such rows)"
    assert (e.file, e.row, e.kind, e.value) == (str(path), 9, "self_comparison", "y")
    # ... and a core error (its "row N: " prefix taken off by value) keep their class and fields.
    path = _csv(tmp_path, w={6: -2.0})
    e = _raised(pr.InputError, pr.bradley_terry, str(path), a="a", b="b", outcome="outcome", weight="w", batch_rows=4)
    assert str(e) == f"{path}: row 6: weight value -2 is negative"
    assert (e.file, e.row, e.column, e.value, e.kind) == (str(path), 6, "weight", -2.0, "negative")


def test_file_error_without_a_row_keeps_its_class(tmp_path):
    path = _csv(tmp_path)
    e = _raised(pr.InputError, pr.bradley_terry, str(path), a="a", b="nope", outcome="outcome", batch_rows=4)
    assert str(e).startswith(f"{path}: column 'nope' not found")
    assert (e.file, e.column, e.row) == (str(path), "nope", None)


@pytest.mark.parametrize(
    ("param", "call"),
    [
        ("ties", lambda: pr.bradley_terry(**_CYCLE, ties="sometimes")),
        ("batch_rows", lambda: pr.bradley_terry(**_CYCLE, batch_rows=0)),
        ("level", lambda: pr.bradley_terry(**_CYCLE, bootstrap=20, seed=0).ci(level=1.5)),
        ("alpha", lambda: pr.bradley_terry(**_CYCLE, alpha=-1.0)),
        ("a", lambda: pr.bradley_terry(b=["x"], outcome=[1])),
    ],
)
def test_bad_option_is_parameter_error_naming_it(param, call):
    e = _raised(pr.ParameterError, call)
    assert e.param == param
    assert not isinstance(e, pr.InputError)


def test_disconnected_graph_is_not_identifiable():
    e = _raised(
        pr.NotIdentifiableError, pr.bradley_terry, a=["a", "b", "c", "d"], b=["b", "a", "d", "c"], outcome=[1] * 4
    )
    assert "not strongly connected" in str(e) and e.kind == "not_identifiable"


def test_constructors_and_their_examples():
    failures, tried = doctest.testmod(prefrank.exceptions)
    assert tried >= 5 and failures == 0
    e = pr.exceptions.input_error("no rows", file="f.csv", table="humans", row=3)
    assert str(e) == "f.csv: humans: row 3: no rows" and e.detail == "no rows"
    p = pr.exceptions.parameter_error("ties", "ties='x' is not one of 'half'")
    assert (type(p), p.param, str(p)) == (pr.ParameterError, "ties", "ties='x' is not one of 'half'")
    t = pr.exceptions.too_large_error("too many", requested=30, limit=25)
    assert isinstance(t, pr.TooLargeError) and (t.requested, t.limit) == (30, 25)


# The Python layer raises the classes above; a bare PrefrankError is left only where neither an input
# nor an option is at fault (a result asked for what it was not fitted with, an undefined statistic).
MAX_BARE_PREFRANK_ERRORS = 10


def test_bare_prefrank_errors_do_not_grow_back():
    root = Path(pr.__file__).parent
    sites = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id == "PrefrankError"
            ):
                sites.append(f"{path.relative_to(root)}:{node.lineno}")
    assert len(sites) <= MAX_BARE_PREFRANK_ERRORS, sites
