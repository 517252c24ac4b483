"""The data layer: input types, outcome vocabularies, errors, label coding and pair counts."""

from __future__ import annotations

import json
import re

import numpy as np
import prefrank as pr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank import reference
from prefrank.data import code_labels

A = ["gpt-4", "claude", "vicuna", "gpt-4", "claude"]
B = ["claude", "vicuna", "gpt-4", "vicuna", "gpt-4"]
O = ["a", "b", "tie", "a", "b"]


def expected_table() -> pr.Comparisons:
    return pr.comparisons(a=np.array(A, object), b=np.array(B, object), outcome=np.array(O, object))


def same(c1: pr.Comparisons, c2: pr.Comparisons) -> None:
    assert c1.items.tolist() == c2.items.tolist()
    for f in ("a", "b", "p", "tie"):
        np.testing.assert_array_equal(getattr(c1, f), getattr(c2, f))


# ---- coding -----------------------------------------------------------------------------------------


def test_codes_follow_sorted_labels():
    c = expected_table()
    assert c.items.tolist() == ["claude", "gpt-4", "vicuna"]
    assert c.a.tolist() == [1, 0, 2, 1, 0]
    assert c.b.tolist() == [0, 2, 1, 2, 1]
    assert c.p.tolist() == [1.0, 0.0, 0.5, 1.0, 0.0]
    assert c.tie.tolist() == [0, 0, 1, 0, 0]
    assert c.a.dtype == np.uint32 and c.p.dtype == np.float64


def test_integer_and_mixed_labels():
    c = pr.comparisons(a=[10, -3, 7], b=[7, 10, -3], outcome=[1, 0, 1])
    assert c.items.tolist() == [-3, 7, 10]
    assert c.a.tolist() == [2, 0, 1]
    mixed = pr.comparisons(a=["x", 1, "y"], b=[1, "y", "x"], outcome=[1, 0, 1])
    # Mixed types order by type name, then value: int before str.
    assert mixed.items.tolist() == [1, "x", "y"]


@given(
    st.lists(
        st.tuples(st.sampled_from(["p", "q", "r", "s", "ü", ""]), st.sampled_from(["p", "q", "r", "s", "ü", ""])),
        min_size=1,
        max_size=40,
    )
)
@settings(max_examples=60, deadline=None)
def test_coding_matches_reference(rows):
    a = [r[0] for r in rows]
    b = [r[1] for r in rows]
    (ca, cb), labels = code_labels(np.array(a, object), np.array(b, object))
    (ra, rb), rlabels = reference.code_labels(a, b)
    assert labels.tolist() == rlabels
    assert ca.tolist() == ra and cb.tolist() == rb
    # numpy unicode arrays take the UCS-4 path and give the same codes.
    (ua, ub), ulabels = code_labels(np.array(a, dtype=str), np.array(b, dtype=str))
    assert ulabels.tolist() == rlabels and ua.tolist() == ra and ub.tolist() == rb
    try:
        import pyarrow as pa
    except ImportError:
        return
    # Arrow buffers (string and large_string offsets; short and long labels) code the same way.
    for typ in (pa.string(), pa.large_string()):
        (xa, xb), xlabels = code_labels(pa.array(a, type=typ), pa.array(b, type=typ))
        assert xlabels.tolist() == rlabels and xa.tolist() == ra and xb.tolist() == rb
    long_a = [x * 9 for x in a]
    long_b = [x * 9 for x in b]
    (la, lb), llabels = code_labels(pa.array(long_a), pa.array(long_b))
    (rla, rlb), rllabels = reference.code_labels(long_a, long_b)
    assert llabels.tolist() == rllabels and la.tolist() == rla and lb.tolist() == rlb


def test_row_order_does_not_change_codes():
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(A))
    c1 = expected_table()
    c2 = pr.comparisons(a=np.array(A)[perm], b=np.array(B)[perm], outcome=np.array(O)[perm])
    assert c1.items.tolist() == c2.items.tolist()
    assert c1.pair_counts() == c2.pair_counts()


# ---- input types ------------------------------------------------------------------------------------


def test_numpy_variants_and_non_contiguous_arrays():
    ref = expected_table()
    same(ref, pr.comparisons(a=np.array(A), b=np.array(B), outcome=np.array(O)))
    same(ref, pr.comparisons(a=np.array(A, dtype="S"), b=np.array(B, dtype="S"), outcome=np.array(O)))
    # Non-contiguous views are converted, not rejected.
    wide_a = np.array([x for x in A for _ in range(2)], object)[::2]
    wide_b = np.array([x for x in B for _ in range(2)], object)[::2]
    assert not wide_a.flags["C_CONTIGUOUS"]
    same(ref, pr.comparisons(a=wide_a, b=wide_b, outcome=O))
    ints = np.arange(10, dtype=np.int32)[::2]
    c = pr.comparisons(a=ints, b=ints[::-1], outcome=np.array([1.0, 0, 1, 0, 1])[::1], drop_self=True)
    assert c.dropped_self == 1 and len(c) == 4


def test_lists_records_and_dicts():
    ref = expected_table()
    same(ref, pr.comparisons(a=A, b=B, outcome=O))
    same(ref, pr.comparisons({"x": A, "y": B, "w": O}, a="x", b="y", outcome="w"))
    records = [{"x": a, "y": b, "w": o} for a, b, o in zip(A, B, O)]
    same(ref, pr.comparisons(records, a="x", b="y", outcome="w"))
    rec = np.rec.fromarrays([np.array(A), np.array(B), np.array(O)], names="x,y,w")
    same(ref, pr.comparisons(rec, a="x", b="y", outcome="w"))


def test_pandas_inputs():
    pd = pytest.importorskip("pandas")
    ref = expected_table()
    df = pd.DataFrame({"x": A, "y": B, "w": O})
    same(ref, pr.comparisons(df, a="x", b="y", outcome="w"))
    obj = df.astype(object)
    same(ref, pr.comparisons(obj, a="x", b="y", outcome="w"))
    cat = df.astype("category")
    same(ref, pr.comparisons(cat, a="x", b="y", outcome="w"))
    # Series passed directly.
    same(ref, pr.comparisons(a=df["x"], b=df["y"], outcome=df["w"]))


def test_polars_and_arrow_inputs():
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    ref = expected_table()
    same(ref, pr.comparisons(pl.DataFrame({"x": A, "y": B, "w": O}), a="x", b="y", outcome="w"))
    same(ref, pr.comparisons(pa.table({"x": A, "y": B, "w": O}), a="x", b="y", outcome="w"))
    dict_arr = pa.array(A).dictionary_encode()
    same(ref, pr.comparisons(a=dict_arr, b=pa.array(B), outcome=pa.array(O)))
    same(ref, pr.comparisons(a=pa.chunked_array([A[:2], A[2:]]), b=B, outcome=O))


def test_files(tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    ref = expected_table()
    csv = tmp_path / "c.csv"
    csv.write_text("x,y,w\n" + "\n".join(f"{a},{b},{o}" for a, b, o in zip(A, B, O)) + "\n")
    same(ref, pr.comparisons(csv, a="x", b="y", outcome="w"))
    same(ref, pr.comparisons(str(csv), a="x", b="y", outcome="w"))
    tsv = tmp_path / "c.tsv"
    tsv.write_text("x\ty\tw\n" + "\n".join(f"{a}\t{b}\t{o}" for a, b, o in zip(A, B, O)) + "\n")
    same(ref, pr.comparisons(tsv, a="x", b="y", outcome="w"))
    jl = tmp_path / "c.jsonl"
    jl.write_text("\n".join(json.dumps({"x": a, "y": b, "w": o}) for a, b, o in zip(A, B, O)) + "\n")
    same(ref, pr.comparisons(jl, a="x", b="y", outcome="w"))
    pqf = tmp_path / "c.parquet"
    pq.write_table(pa.table({"x": A, "y": B, "w": O}), pqf)
    same(ref, pr.comparisons(pqf, a="x", b="y", outcome="w"))
    # Numeric-looking ids stay labels ("007" is not 7).
    ids = tmp_path / "ids.csv"
    ids.write_text("x,y,w\n007,7,a\n7,007,b\n")
    assert pr.comparisons(ids, a="x", b="y", outcome="w").items.tolist() == ["007", "7"]


def test_stdlib_file_readers(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_arrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_arrow)
    ref = expected_table()
    csv = tmp_path / "c.csv"
    csv.write_text("x,y,w\n" + "\n".join(f"{a},{b},{o}" for a, b, o in zip(A, B, O)) + "\n")
    same(ref, pr.comparisons(csv, a="x", b="y", outcome="w"))
    jl = tmp_path / "c.jsonl"
    jl.write_text("\n".join(json.dumps({"x": a, "y": b, "w": o}) for a, b, o in zip(A, B, O)) + "\n")
    same(ref, pr.comparisons(jl, a="x", b="y", outcome="w"))
    (tmp_path / "c.parquet").write_bytes(b"PAR1")
    with pytest.raises(ImportError, match="pyarrow"):
        pr.comparisons(tmp_path / "c.parquet", a="x", b="y", outcome="w")
    nums = tmp_path / "n.csv"
    nums.write_text("x,y,w\n007,7,1\n7,007,0.5\n")
    c = pr.comparisons(nums, a="x", b="y", outcome="w")
    assert c.items.tolist() == ["007", "7"] and c.p.tolist() == [1.0, 0.5]


def test_comparisons_passthrough_and_conflicting_options():
    c = expected_table()
    assert pr.comparisons(c) is c
    assert pr.bradley_terry(c, alpha=0.1).items.tolist() == ["claude", "gpt-4", "vicuna"]
    with pytest.raises(pr.PrefrankError, match="already a Comparisons"):
        pr.bradley_terry(c, a="x")


# ---- outcomes ---------------------------------------------------------------------------------------


def test_outcome_vocabularies():
    arena = pr.comparisons(
        a=["m", "n", "m", "n"],
        b=["n", "m", "n", "m"],
        outcome=["model_a", "MODEL_B", "tie (bothbad)", " Tie "],
    )
    assert arena.p.tolist() == [1.0, 0.0, 0.5, 0.5] and arena.tie.tolist() == [0, 0, 1, 1]
    nums = pr.comparisons(a=["m", "n", "m"], b=["n", "m", "n"], outcome=[1, 0, 0.5])
    assert nums.p.tolist() == [1.0, 0.0, 0.5] and nums.tie.tolist() == [0, 0, 1]
    soft = pr.comparisons(a=["m", "n"], b=["n", "m"], outcome=[0.8, 0.25])
    assert soft.p.tolist() == [0.8, 0.25] and soft.tie.tolist() == [0, 0]
    bools = pr.comparisons(a=["m", "n"], b=["n", "m"], outcome=np.array([True, False]))
    assert bools.p.tolist() == [1.0, 0.0]
    mapped = pr.comparisons(
        a=["m", "n", "m"],
        b=["n", "m", "n"],
        outcome=["A>B", "B>A", "A=B"],
        outcomes={"A>B": "a", "B>A": "b", "A=B": "tie"},
    )
    assert mapped.p.tolist() == [1.0, 0.0, 0.5] and mapped.tie.tolist() == [0, 0, 1]
    prob_map = pr.comparisons(a=["m"], b=["n"], outcome=["mostly a"], outcomes={"mostly a": 0.9})
    assert prob_map.p.tolist() == [0.9]


def test_left_right_with_position():
    # a = x, b = y; the left column names the item shown first.
    c = pr.comparisons(a=["x", "x", "x"], b=["y", "y", "y"], outcome=["left", "right", "tie"], position=["x", "y", "y"])
    # Row 0: x was left and left won -> a won. Row 1: y was left, right (x) won -> a won.
    assert c.p.tolist() == [1.0, 1.0, 0.5]
    assert c.first.tolist() == [0, 1, 1]
    c2 = pr.comparisons(a=["x", "x"], b=["y", "y"], outcome=["left", "left"], position=["a", "b"])
    assert c2.p.tolist() == [1.0, 0.0]
    with pytest.raises(pr.PrefrankError, match=r"row 0: outcome 'left' names a position"):
        pr.comparisons(a=["x"], b=["y"], outcome=["left"])
    with pytest.raises(pr.PrefrankError, match=r"row 1: position 'z' in column 'position' is neither item a \('x'\)"):
        pr.comparisons(a=["x", "x"], b=["y", "y"], outcome=["left", "left"], position=["x", "z"])


def test_llmfao_left_right(data_dir):
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(data_dir / "llmfao-crowd.csv")
    c = pr.comparisons(df, a="left", b="right", outcome="winner", position="left", judge="worker", group="prompt")
    assert len(c) == 8931 and c.n_items == 59
    assert len(c.judges) == 124 and len(c.groups) == 13
    assert (c.first == 0).all()
    wins_left = (c.p[c.tie == 0] == 1.0).mean()
    expected = (df.winner == "left").sum() / (df.winner != "tie").sum()
    assert wins_left == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "b", "tie", "model_a", "MODEL_B", "tie (bothbad)", " Tie ", "draw", "", "é"]),
        min_size=1,
        max_size=60,
    ),
    st.booleans(),
    st.booleans(),
)
def test_arrow_outcomes_match_the_object_path(outcomes, large, use_mapping):
    # Exact vocabulary spellings take the one-pass path (outcomes_utf8), others the uint8 coder.
    pa = pytest.importorskip("pyarrow")
    mapping = {"": "b", "é": 0.25} if use_mapping else None
    if not use_mapping:
        outcomes = [o for o in outcomes if o not in ("", "é")] or ["a"]
    n = len(outcomes)
    a, b = ["x", "y"] * n, ["y", "x"] * n
    outcomes = outcomes * 2
    typ = pa.large_string() if large else pa.string()
    ref = pr.comparisons(a=a, b=b, outcome=np.array(outcomes, object), outcomes=mapping)
    got = pr.comparisons(a=a, b=b, outcome=pa.array(outcomes, type=typ), outcomes=mapping)
    same(ref, got)


def test_exact_vocabulary_outcomes_take_the_one_pass_path():
    pa = pytest.importorskip("pyarrow")
    from prefrank import _core
    from prefrank.data.coding import _arrow_utf8
    from prefrank.data.comparisons import _VOCABULARY_COLUMNS

    exact = pa.array(["model_a", "tie (bothbad)", "b", "draw"])
    p, tie = _core.outcomes_utf8(*_arrow_utf8(exact, "o"), *_VOCABULARY_COLUMNS)
    assert p.tolist() == [1.0, 0.5, 0.0, 0.5] and tie.tolist() == [0, 1, 0, 1]
    for other in (["a", "MODEL_B"], ["a", "left"], ["a", "model_a_is_better"]):
        assert _core.outcomes_utf8(*_arrow_utf8(pa.array(other), "o"), *_VOCABULARY_COLUMNS) is None
    with pytest.raises(ValueError, match="same length"):
        _core.outcomes_utf8(*_arrow_utf8(exact, "o"), ["a"], [1.0, 0.0], [0])


def test_arrow_outcomes_with_many_or_long_values_take_the_general_coder():
    pa = pytest.importorskip("pyarrow")
    from prefrank import _core

    # Over 256 distinct values, or one over 15 bytes: the uint8 coder declines, results are the same.
    many = [f"v{i}" for i in range(300)]
    offsets = np.array([0, *np.cumsum([len(v) for v in many])], np.int64)
    assert _core.code_utf8_few(offsets, np.frombuffer("".join(many).encode(), np.uint8)) is None
    mapping = {v: i / 299 for i, v in enumerate(many)}
    c = pr.comparisons(a=["x", "y"] * 150, b=["y", "x"] * 150, outcome=pa.array(many), outcomes=mapping)
    assert c.p.tolist() == [i / 299 for i in range(300)]
    long = ["model_a_is_better", "b"] * 3
    c = pr.comparisons(a=["x", "y"] * 3, b=["y", "x"] * 3, outcome=pa.array(long), outcomes={long[0]: "a"})
    assert c.p.tolist() == [1.0, 0.0] * 3
    # Sorted codes and labels, across several row chunks.
    rows = 3 * (1 << 18) + 11
    vals = np.array(["tie", "b", "a"], object)[np.arange(rows) % 3]
    codes, labels = _core.code_utf8_few(*pr.data.coding._arrow_utf8(pa.array(vals), "o"))
    assert labels == ["a", "b", "tie"] and codes.dtype == np.uint8
    np.testing.assert_array_equal(np.array(labels, object)[codes], vals)


def test_arrow_outcome_and_position_errors_name_the_row():
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(pr.PrefrankError, match=re.escape("row 2: outcome 'draw?' in column 'outcome' is not one of")):
        pr.comparisons(a=["x", "y", "x"], b=["y", "x", "y"], outcome=pa.array(["a", "b", "draw?"]))
    with pytest.raises(pr.PrefrankError, match=r"row 1: column 'outcome' is missing a label \(null\)"):
        pr.comparisons(a=["x", "y"], b=["y", "x"], outcome=pa.array(["a", None]))
    c = pr.comparisons(a=["x", "x"], b=["y", "y"], outcome=pa.array(["left", "left"]), position=pa.array(["a", "b"]))
    assert c.p.tolist() == [1.0, 0.0] and c.first.tolist() == [0, 1]
    with pytest.raises(pr.PrefrankError, match=r"row 1: position 'z' in column 'position' is neither item a"):
        pr.comparisons(a=["x", "x"], b=["y", "y"], outcome=["left", "left"], position=pa.array(["x", "z"]))


# ---- errors -----------------------------------------------------------------------------------------


def test_error_unknown_outcome_names_row_and_value():
    with pytest.raises(
        pr.PrefrankError,
        match=re.escape("row 2: outcome 'draw?' in column 'outcome' is not one of a, b, tie"),
    ):
        pr.comparisons(a=["x", "y", "x"], b=["y", "x", "y"], outcome=["a", "b", "draw?"])
    with pytest.raises(pr.PrefrankError, match=r"row 1: outcome 1\.5 in column 'outcome' is not a probability"):
        pr.comparisons(a=["x", "y"], b=["y", "x"], outcome=[1.0, 1.5])
    with pytest.raises(pr.PrefrankError, match="row 1: outcome nan in column 'outcome' is not a finite number"):
        pr.comparisons(a=["x", "y"], b=["y", "x"], outcome=[1.0, float("nan")])
    with pytest.raises(pr.PrefrankError, match=r"outcomes mapping: 'w' -> 'win'"):
        pr.comparisons(a=["x"], b=["y"], outcome=["w"], outcomes={"w": "win"})
    with pytest.raises(pr.PrefrankError, match=r"outcomes mapping: 'w' -> 2 is not in \[0, 1\]"):
        pr.comparisons(a=["x"], b=["y"], outcome=["w"], outcomes={"w": 2})


def test_error_lengths_and_empty():
    with pytest.raises(pr.PrefrankError, match="length mismatch: a has 2 rows but b has 1"):
        pr.comparisons(a=["x", "y"], b=["y"], outcome=["a", "b"])
    with pytest.raises(pr.PrefrankError, match="length mismatch: a has 2 rows but outcome has 3"):
        pr.comparisons(a=["x", "y"], b=["y", "x"], outcome=["a", "b", "a"])
    with pytest.raises(pr.PrefrankError, match="length mismatch: a has 2 rows but weight has 1"):
        pr.comparisons(a=["x", "y"], b=["y", "x"], outcome=["a", "b"], weight=[1.0])
    with pytest.raises(pr.PrefrankError, match="empty input"):
        pr.comparisons(a=[], b=[], outcome=[])
    with pytest.raises(pr.PrefrankError, match="empty input"):
        pr.comparisons([], a="x", b="y", outcome="o")


def test_error_weights():
    with pytest.raises(pr.PrefrankError, match="row 1: weight value NaN is not a finite number"):
        pr.comparisons(a=["x", "y"], b=["y", "x"], outcome=["a", "b"], weight=[1.0, float("nan")])
    with pytest.raises(pr.PrefrankError, match="row 0: weight value -2 is negative"):
        pr.comparisons(a=["x", "y"], b=["y", "x"], outcome=["a", "b"], weight=[-2.0, 1.0])
    with pytest.raises(pr.PrefrankError, match="is not numeric"):
        pr.comparisons({"a": ["x"], "b": ["y"], "o": ["a"], "w": ["heavy"]}, a="a", b="b", outcome="o", weight="w")
    # Numeric strings are converted.
    c = pr.comparisons(
        {"a": ["x"], "b": ["y"], "o": ["a"], "w": np.array(["2.5"], object)},
        a="a",
        b="b",
        outcome="o",
        weight="w",
    )
    assert c.weight.tolist() == [2.5]


def test_error_self_comparison_and_drop():
    with pytest.raises(pr.PrefrankError, match=r"row 1: item 'y' is compared with itself \(pass drop_self=True"):
        pr.comparisons(a=["x", "y", "z"], b=["y", "y", "x"], outcome=["a", "b", "a"])
    c = pr.comparisons(a=["x", "y", "z"], b=["y", "y", "x"], outcome=["a", "b", "a"], drop_self=True)
    assert len(c) == 2 and c.dropped_self == 1
    assert "dropped_self=1" in repr(c)
    with pytest.raises(pr.PrefrankError, match="every row was a self-comparison"):
        pr.comparisons(a=["x"], b=["x"], outcome=["a"], drop_self=True)


def test_error_missing_columns_labels_and_types():
    with pytest.raises(pr.PrefrankError, match=r"column 'model_c' \(for b=\) not found; available columns: x, y, w"):
        pr.comparisons({"x": A, "y": B, "w": O}, a="x", b="model_c", outcome="w")
    with pytest.raises(pr.PrefrankError, match="missing b="):
        pr.comparisons({"x": A}, a="x", outcome="w")
    with pytest.raises(pr.PrefrankError, match=r"row 1: column 'a' is missing a label \(None\)"):
        pr.comparisons(a=["x", None], b=["y", "x"], outcome=["a", "b"])
    with pytest.raises(pr.PrefrankError, match=r"row 0: column 'b' is missing a label \(nan\)"):
        pr.comparisons(a=[1.0, 2.0], b=[float("nan"), 1.0], outcome=["a", "b"])
    with pytest.raises(pr.PrefrankError, match="unsupported input of type int"):
        pr.comparisons(5, a="x", b="y", outcome="o")
    with pytest.raises(pr.PrefrankError, match="names a column, but no table was given"):
        pr.comparisons(a="x", b="y", outcome="o")
    with pytest.raises(pr.PrefrankError, match="expected a 1-D column"):
        pr.comparisons(a=np.zeros((2, 2)), b=[1, 2], outcome=["a", "b"])


def test_error_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        pr.comparisons(tmp_path / "nope.csv", a="x", b="y", outcome="o")
    bad = tmp_path / "c.xlsx"
    bad.write_text("x")
    with pytest.raises(pr.PrefrankError, match=r"unknown file type '\.xlsx'"):
        pr.comparisons(bad, a="x", b="y", outcome="o")


def test_errors_are_value_errors():
    assert issubclass(pr.PrefrankError, ValueError)
    assert issubclass(pr.NotIdentifiableError, pr.PrefrankError)


# ---- pair counts ------------------------------------------------------------------------------------

item = st.integers(0, 5)
row = st.tuples(item, item, st.sampled_from([0.0, 1.0, 0.5, 0.25, "tie"]), st.sampled_from([1.0, 2.0, 0.5]))


def _arrays(rows):
    rows = [r for r in rows if r[0] != r[1]]
    a = np.array([r[0] for r in rows], np.int64)
    b = np.array([r[1] for r in rows], np.int64)
    tie = np.array([r[2] == "tie" for r in rows])
    p = np.array([0.5 if r[2] == "tie" else r[2] for r in rows], float)
    w = np.array([r[3] for r in rows], float)
    return rows, a, b, p, tie, w


@given(st.lists(row, min_size=1, max_size=60))
@settings(max_examples=80, deadline=None)
def test_pair_counts_match_reference(rows):
    rows, a, b, p, tie, w = _arrays(rows)
    if not rows:
        return
    outcome = np.where(tie, 0.5, p)
    c = pr.comparisons(a=a, b=b, outcome=outcome, weight=w)
    # Soft 0.5 is a tie in the numeric vocabulary: the reference gets the same flags.
    ref = reference.pair_counts(c.a.tolist(), c.b.tolist(), c.p.tolist(), c.tie.tolist(), c.weight.tolist())
    for dense in (True, False):
        i, j, x, y, t = c.pair_counts(dense=dense).cells()
        got = {(int(ii), int(jj)): (xx, yy, tt) for ii, jj, xx, yy, tt in zip(i, j, x, y, t)}
        assert got.keys() == ref.keys()
        for k in got:
            np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=1e-12)


@given(st.lists(row, min_size=2, max_size=60), st.integers(1, 59), st.booleans())
@settings(max_examples=80, deadline=None)
def test_merge_of_halves_equals_whole(rows, cut, dense):
    rows, a, b, p, tie, w = _arrays(rows)
    if len(rows) < 2:
        return
    cut = min(cut, len(rows) - 1)
    outcome = np.where(tie, 0.5, p)
    whole = pr.comparisons(a=a, b=b, outcome=outcome, weight=w).pair_counts(dense=dense)
    left = pr.comparisons(a=a[:cut], b=b[:cut], outcome=outcome[:cut], weight=w[:cut]).pair_counts(dense=dense)
    right = pr.comparisons(a=a[cut:], b=b[cut:], outcome=outcome[cut:], weight=w[cut:]).pair_counts(dense=not dense)
    merged = left.merge(right)
    # Halves code their labels independently: merge unites them onto the whole's labels.
    assert merged.items.tolist() == whole.items.tolist()
    mi, mj, mx, my, mt = merged.cells()
    wi, wj, wx, wy, wt = whole.cells()
    np.testing.assert_array_equal(mi, wi)
    np.testing.assert_array_equal(mj, wj)
    for u, v in ((mx, wx), (my, wy), (mt, wt)):
        np.testing.assert_allclose(u, v, rtol=1e-12)


def test_pair_counts_bytes_roundtrip_and_errors():
    pc = expected_table().pair_counts()
    back = pr.PairCounts.from_bytes(pc.to_bytes())
    assert back == pc
    assert back.items.tolist() == ["claude", "gpt-4", "vicuna"]
    sparse = pr.PairCounts.from_bytes(pc.to_bytes(), dense=False)
    assert not sparse.is_dense and sparse == pc
    ints = pr.comparisons(a=[3, 1], b=[1, 2], outcome=[1, 0]).pair_counts()
    assert pr.PairCounts.from_bytes(ints.to_bytes()).items.tolist() == [1, 2, 3]
    with pytest.raises(pr.InputError, match=r"^corrupt or incompatible prefrank statistics: not serialised PairCounts"):
        pr.PairCounts.from_bytes(b"nonsense")
    blob = pc.to_bytes()
    with pytest.raises(pr.InputError, match=r"^corrupt or incompatible prefrank statistics: checksum mismatch"):
        pr.PairCounts.from_bytes(blob[:-3])
    assert pc.total() == 5.0
    i, j, x, y, t = pc.cells()
    cells = {(pc.items[ii], pc.items[jj]): (xx, yy, tt) for ii, jj, xx, yy, tt in zip(i, j, x, y, t)}
    # gpt-4 beat claude twice; vicuna beat claude once; gpt-4 beat vicuna once and tied once.
    assert cells == {
        ("claude", "gpt-4"): (0.0, 2.0, 0.0),
        ("claude", "vicuna"): (0.0, 1.0, 0.0),
        ("gpt-4", "vicuna"): (1.0, 0.0, 1.0),
    }


def test_pair_counts_dense_and_sparse_agree_at_scale():
    rng = np.random.default_rng(3)
    n, m = 300, 20_000
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    out = rng.choice([0.0, 1.0, 0.5], m)
    c = pr.comparisons(a=a, b=b, outcome=out, weight=rng.integers(1, 4, m).astype(float))
    d, s = c.pair_counts(dense=True), c.pair_counts(dense=False)
    assert d.is_dense and not s.is_dense
    assert d == s
    assert d.total() == pytest.approx(c.weight.sum())


def test_repr_and_to_pandas():
    pytest.importorskip("pandas")
    c = pr.comparisons(a=A, b=B, outcome=O, weight=[1, 2, 1, 1, 1], group=["p1"] * 5, judge=["j"] * 5)
    assert repr(c) == "Comparisons(rows=5, items=3, ties=1, columns=+weight+group+judge)"
    df = c.to_pandas()
    assert df.columns.tolist() == ["a", "b", "p_a", "tie", "weight", "group", "judge"]
    assert df.a.tolist() == A
    with pytest.raises(pr.PrefrankError, match="mask has 2 rows"):
        c.subset(np.array([True, False]))


@given(
    st.lists(
        st.tuples(st.integers(-5, 12), st.integers(-5, 12), st.sampled_from([1.0, 0.0, 0.5, 0.3, np.nan])),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from([np.int64, np.int32, np.uint16]),
)
@settings(max_examples=150, deadline=None)
def test_fused_integer_pair_counts_equal_the_general_path(rows, dtype):
    from prefrank.data.comparisons import int_pair_counts

    if dtype is np.uint16:
        rows = [(abs(x), abs(y), q) for x, y, q in rows]
    a = np.array([r[0] for r in rows], dtype=dtype)
    b = np.array([r[1] for r in rows], dtype=dtype)
    p = np.array([r[2] for r in rows])
    fused = int_pair_counts(a, b, p)
    hard = all(q in (0.0, 0.5, 1.0) for q in p) and all(x != y for x, y in zip(a, b))
    # The fused pass applies exactly when every row is a valid win/loss/tie between two labels.
    assert (fused is not None) == hard
    if fused is not None:
        general = pr.comparisons(a=a, b=b, outcome=p).pair_counts()
        assert fused == general
        np.testing.assert_array_equal(fused.items, general.items)


def test_bradley_terry_from_integer_arrays_keeps_the_general_errors():
    a, b = np.array([0, 1, 2, 2]), np.array([1, 2, 0, 2])
    with pytest.raises(pr.PrefrankError, match="row 3: item 2 is compared with itself"):
        pr.bradley_terry(a=a, b=b, outcome=np.ones(4))
    with pytest.raises(pr.PrefrankError, match="row 1: outcome nan in column 'outcome' is not a finite number"):
        pr.bradley_terry(a=a[:3], b=b[:3], outcome=np.array([1.0, np.nan, 0.0]))
    # Soft outcomes and weights take the general path and give its result.
    soft = pr.bradley_terry(a=a[:3], b=b[:3], outcome=np.array([0.7, 0.4, 0.9]), alpha=0.1)
    general = pr.bradley_terry(pr.comparisons(a=a[:3], b=b[:3], outcome=np.array([0.7, 0.4, 0.9])), alpha=0.1)
    np.testing.assert_array_equal(soft.theta, general.theta)


def test_empty_table_error_has_a_kind():
    # Found by the fuzz suite: the empty-table InputError carried no field at all (row, column,
    # value and kind all None); it is now kind="empty", as from a file source.
    with pytest.raises(pr.InputError, match="empty input") as e:
        pr.comparisons(a=[], b=[], outcome=[])
    assert e.value.kind == "empty"
    import pandas as pd

    with pytest.raises(pr.InputError, match="empty input") as e:
        pr.bradley_terry(pd.DataFrame({"a": [], "b": [], "outcome": []}), a="a", b="b", outcome="outcome")
    assert e.value.kind == "empty"


@pytest.mark.parametrize("outcomes", ["a", 3, [("a", 1)]])
def test_outcomes_that_is_not_a_mapping_is_a_parameter_error(outcomes):
    # Found by the fuzz suite: outcomes="a" raised dict()'s ValueError and outcomes=3 a TypeError.
    with pytest.raises(pr.ParameterError, match="must be a mapping") as e:
        pr.comparisons(a=["x", "y"], b=["y", "z"], outcome=["a", "b"], outcomes=outcomes)
    assert e.value.param == "outcomes"
