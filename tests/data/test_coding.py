"""union_labels: the vectorised path for str / int label tables equals the generic (sort-key) path,
merging is associative, and the order is the one the Rust coders give."""

from __future__ import annotations

from typing import Any

import numpy as np
import prefrank as pr
import prefrank.data.coding as data_mod
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank.data import code_labels, union_labels
from prefrank.data.coding import _sort_key, _union_labels_generic
from prefrank.exceptions import InputError, ParameterError

# Characters that make prefixes, NULs inside strings, non-ASCII in every UTF-8 width and the top of
# the code space likely; plus any text.
_ALPHABET = ["a", "b", "A", "-", " ", "\x00", "é", "ß", "\u0100", "中", "\uffff", "😀", "\U0010ffff"]
_small_text = st.text(alphabet=st.sampled_from(_ALPHABET), max_size=5)
_any_text = st.text(max_size=8)
str_sets = st.sets(st.one_of(_small_text, _any_text), max_size=30)
int_sets = st.sets(st.integers(-(2**63), 2**63 - 1), max_size=30)
small_int_sets = st.sets(st.integers(-50, 50), max_size=30)


def table(values: Any, kind: str) -> np.ndarray:
    """A sorted label table of ``values`` as a numpy array of the given kind."""
    if kind == "U":  # a U array cannot hold a trailing NUL: it stores 'a\x00' as 'a'
        values = {v.rstrip("\x00") for v in values}
    vals = sorted(values, key=_sort_key)
    if kind == "object":
        out = np.empty(len(vals), dtype=object)
        out[:] = vals
        return out
    if kind == "U":
        return np.array(vals, dtype=str) if vals else np.array([], dtype="U1")
    return np.array(vals, dtype=kind)


def assert_same(got: Any, want: Any) -> None:
    labels, mx, my = got
    w_labels, w_mx, w_my = want
    assert labels.dtype == w_labels.dtype
    assert labels.tolist() == w_labels.tolist()
    assert [type(v) for v in labels.tolist()] == [type(v) for v in w_labels.tolist()]
    for m, w in ((mx, w_mx), (my, w_my)):
        assert (m is None) == (w is None)
        if m is not None:
            assert m.dtype == np.uint32 and m.tolist() == w.tolist()


def generic(x: np.ndarray, y: np.ndarray) -> Any:
    if len(x) == len(y) and np.array_equal(x, y):
        return x, None, None
    return _union_labels_generic(x, y)


def _boom(x: np.ndarray, y: np.ndarray) -> Any:
    raise AssertionError(f"generic path taken for {x.dtype} / {y.dtype}")


def fast_equals_generic(x: np.ndarray, y: np.ndarray) -> list[Any]:
    """Assert the vectorised path is taken and equals the generic one; the merged labels."""
    want = generic(x, y)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(data_mod, "_union_labels_generic", _boom)
        got = union_labels(x, y)
    assert_same(got, want)
    return list(got[0].tolist())


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if union_labels takes the generic path (so these tests do test the vectorised one)."""
    monkeypatch.setattr(data_mod, "_union_labels_generic", _boom)


@settings(max_examples=150, deadline=None)
@given(str_sets, str_sets, st.sampled_from(["U", "object"]), st.sampled_from(["U", "object"]))
def test_str_fast_equals_generic(xs: set[str], ys: set[str], kx: str, ky: str) -> None:
    x, y = table(xs, kx), table(ys, ky)
    labels = fast_equals_generic(x, y)
    assert labels == sorted(set(x.tolist()) | set(y.tolist()))  # code-point order


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(int_sets, small_int_sets),
    st.one_of(int_sets, small_int_sets),
    st.sampled_from(["int64", "object"]),
    st.sampled_from(["int64", "object"]),
)
def test_int_fast_equals_generic(xs: set[int], ys: set[int], kx: str, ky: str) -> None:
    x, y = table(xs, kx), table(ys, ky)
    assert fast_equals_generic(x, y) == sorted(set(xs) | set(ys))  # numeric order


@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.integers(0, 2**64 - 1), max_size=20),
    st.sets(st.integers(-(2**63), 2**63 - 1), max_size=20),
)
def test_uint64_with_int64_is_exact(xs: set[int], ys: set[int]) -> None:
    # numpy would promote int64 + uint64 to float64 (inexact): the fast path compares Python ints.
    x, y = table(xs, "uint64"), table(ys, "int64")
    assert_same(union_labels(x, y), generic(x, y))


@pytest.mark.usefixtures("no_fallback")
@pytest.mark.parametrize(
    ("x", "y"),
    [
        (np.array(["a", "bb"]), np.array(["a", "abc", "c"])),  # U2 and U3: object result
        (np.array([1, 5], dtype=np.int32), np.array([-3, 5], dtype=np.int64)),
        (np.array([1, 5], dtype=np.uint32), np.array([-3, 5], dtype=np.int64)),
        (np.array([], dtype=np.float64), np.array([1, 3], dtype=np.int64)),  # an empty side of another dtype
        (np.array(["b"], dtype=object), np.array([], dtype=np.float64)),
        (np.array([2**70, 3], dtype=object), np.array([1, 2], dtype=np.int64)),  # beyond int64
        (np.array(["b", "a"]), np.array(["c", "a"])),  # unsorted tables still merge correctly
        (np.array(["a", "a", "b"], dtype=object), np.array(["b"], dtype=object)),  # duplicates too
    ],
)
def test_fast_path_cases(x: np.ndarray, y: np.ndarray) -> None:
    got = union_labels(x, y)
    assert_same(got, _union_labels_generic(x, y))
    labels = got[0]
    for side, m in ((x, got[1]), (y, got[2])):
        codes = np.arange(len(side)) if m is None else m
        assert labels[codes].tolist() == side.tolist()


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (np.array(["a", 1], dtype=object), np.array(["b"], dtype=object)),  # mixed types
        (np.array([1, 2]), np.array(["a"], dtype=object)),  # int with str: type name, then value
        (np.array([True, False][::-1]), np.array([True])),  # bools
        (np.array([1.5, 2.5]), np.array([0.5])),  # floats
        (np.array([b"a", b"c"]), np.array([b"b"])),  # bytes
        (np.array([np.str_("a")], dtype=object), np.array(["b"], dtype=object)),  # a str subclass
    ],
)
def test_other_labels_fall_back(x: np.ndarray, y: np.ndarray) -> None:
    assert data_mod._union_labels_numpy(x, y) is None
    assert_same(union_labels(x, y), _union_labels_generic(x, y))


def test_int_before_str_when_mixed() -> None:
    labels, mx, my = union_labels(np.array(["b", "a"], dtype=object)[::-1], np.array([10, 2]))
    assert labels.tolist() == [2, 10, "a", "b"]
    assert mx is not None and my is not None
    assert mx.tolist() == [2, 3] and my.tolist() == [1, 0]


def test_equal_tables_return_none_maps() -> None:
    x = np.array(["a", "b"], dtype=object)
    labels, mx, my = union_labels(x, x.copy())
    assert labels is x and mx is None and my is None
    labels, mx, my = union_labels(x, np.array(["a"], dtype=object))
    assert mx is None and my is not None and my.tolist() == [0]


def _compose(m: np.ndarray | None, n: int) -> np.ndarray:
    return np.arange(n, dtype=np.uint32) if m is None else m


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.tuples(str_sets, str_sets, str_sets, st.just("object")),
        st.tuples(str_sets, str_sets, str_sets, st.just("U")),
        st.tuples(int_sets, small_int_sets, int_sets, st.just("int64")),
    )
)
def test_merge_is_associative(case: tuple[Any, Any, Any, str]) -> None:
    xs, ys, zs, kind = case
    x, y, z = (table(v, kind) for v in (xs, ys, zs))
    # (x u y) u z
    xy, m_x, m_y = union_labels(x, y)
    left, m_xy, m_z = union_labels(xy, z)
    # x u (y u z)
    yz, n_y, n_z = union_labels(y, z)
    right, n_x, n_yz = union_labels(x, yz)
    if kind != "U":  # U tables of different widths merge to object (the dtype rule), whichever first
        assert left.dtype == right.dtype
    assert left.tolist() == right.tolist()
    # Every original code lands on the same final code whichever way the tree went.
    via_left = {
        "x": _compose(m_xy, len(xy))[_compose(m_x, len(x))],
        "y": _compose(m_xy, len(xy))[_compose(m_y, len(y))],
        "z": _compose(m_z, len(z)),
    }
    via_right = {
        "x": _compose(n_x, len(x)),
        "y": _compose(n_yz, len(yz))[_compose(n_y, len(y))],
        "z": _compose(n_yz, len(yz))[_compose(n_z, len(z))],
    }
    for k in via_left:
        assert via_left[k].tolist() == via_right[k].tolist()
    for side, codes in zip((x, y, z), via_left.values()):
        assert left[codes].tolist() == side.tolist()


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(st.lists(_small_text, min_size=2, max_size=25), st.lists(_any_text, min_size=2, max_size=25)),
    st.data(),
)
def test_union_matches_rust_coder_str(values: list[str], data: Any) -> None:
    # Labels coded in two batches (Rust coders) and merged equal one coding of all rows.
    cut = data.draw(st.integers(1, len(values) - 1))
    col = np.empty(len(values), dtype=object)
    col[:] = values
    (all_codes,), all_labels = code_labels(col)
    (c1,), l1 = code_labels(col[:cut])
    (c2,), l2 = code_labels(col[cut:])
    labels, m1, m2 = union_labels(l1, l2)
    assert labels.tolist() == all_labels.tolist()
    merged = np.concatenate([_compose(m1, len(l1))[c1], _compose(m2, len(l2))[c2]])
    assert merged.tolist() == all_codes.tolist()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=2, max_size=25), st.data())
def test_union_matches_rust_coder_int(values: list[int], data: Any) -> None:
    cut = data.draw(st.integers(1, len(values) - 1))
    col = np.array(values, dtype=np.int64)
    (all_codes,), all_labels = code_labels(col)
    (c1,), l1 = code_labels(col[:cut])
    (c2,), l2 = code_labels(col[cut:])
    labels, m1, m2 = union_labels(l1, l2)
    assert labels.dtype == all_labels.dtype and labels.tolist() == all_labels.tolist()
    merged = np.concatenate([_compose(m1, len(l1))[c1], _compose(m2, len(l2))[c2]])
    assert merged.tolist() == all_codes.tolist()


def test_as_floats_names_the_argument_and_entry() -> None:
    from prefrank.data.coding import as_floats

    np.testing.assert_array_equal(as_floats([[1, 2], [3, 4.5]], "ratios"), [[1.0, 2.0], [3.0, 4.5]])
    with pytest.raises(InputError, match="metric: entry 1 is 'x', not a number") as e:
        as_floats([1, "x"], "metric")
    assert e.value.column == "metric" and e.value.value == "x"
    with pytest.raises(InputError, match="metric must be an array of numbers, got function"):
        as_floats(lambda r: 0.0, "metric")


def test_bad_values_in_numeric_arguments_are_input_errors() -> None:
    # Found by the fuzz suite: numpy's ValueError/TypeError named neither the argument nor the entry.
    with pytest.raises(InputError, match="game: entry 0 is 'a'"):
        pr.banzhaf(["a"] * 4)
    with pytest.raises(InputError, match="human: entry 0 is 'x'"):
        pr.soft_label_scores([[0.5, 0.5]], [["x", 0.5]])
    with pytest.raises(InputError, match="metric must be an array of numbers"):
        pr.shift_attribution(lambda r: 0.0, np.ones((2, 2)))
    with pytest.raises(ParameterError, match="normalize must be True or False") as p:
        pr.shift_attribution(np.ones(2), np.ones((2, 2)), normalize="yes")
    assert p.value.param == "normalize"
    with pytest.raises(ParameterError, match="drop_self must be True or False") as p:
        pr.rank_centrality(a=[1, 2], b=[2, 0], outcome=["a", "b"], drop_self="yes")
    assert p.value.param == "drop_self"
    with pytest.raises(InputError, match="every cell is missing"):
        pr.item_disagreement(np.array([[None, None]], dtype=object))
