"""One missing-value policy: a missing label (None, NaN, pd.NA, NaT, null) is an error naming the row
and column on every input route; only the categories that occur are items; non-finite ratings name
the user's row and column."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import prefrank as pr
import pyarrow as pa
import pytest

A = ["x", "y", "z", "x", "y"]
B = ["y", "z", "x", "z", "x"]
O = ["a", "b", "a", "tie", "b"]
MISSING = [None, float("nan"), pd.NA, pd.NaT]
ROW = 3  # the row that holds the missing value


def _with_missing(values: list[Any], missing: Any) -> list[Any]:
    out = list(values)
    out[ROW] = missing
    return out


def _frames(columns: dict[str, list[Any]], missing: Any) -> dict[str, Any]:
    """The same table, whose first column holds ``missing`` at ROW, as every input kind."""
    name = next(iter(columns))
    raw = {k: (_with_missing(v, missing) if k == name else v) for k, v in columns.items()}
    nulled = {k: (_with_missing(v, None) if k == name else v) for k, v in columns.items()}
    kinds = {
        "pandas object": pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in raw.items()}),
        "dict of lists": raw,
        "numpy object": {k: np.array(v, dtype=object) for k, v in raw.items()},
        "list of records": [dict(zip(raw, r, strict=True)) for r in zip(*raw.values(), strict=True)],
        "pandas arrow str": pd.DataFrame({k: pd.Series(v, dtype="string[pyarrow]") for k, v in nulled.items()}),
        "pandas python str": pd.DataFrame({k: pd.Series(v, dtype="string[python]") for k, v in nulled.items()}),
        "pandas categorical": pd.DataFrame({k: pd.Series(v, dtype="category") for k, v in nulled.items()}),
        "polars": pl.DataFrame(nulled),
        "pyarrow": pa.table(nulled),
    }
    return kinds


@pytest.mark.parametrize("missing", MISSING, ids=repr)
@pytest.mark.parametrize("role", ["a", "b", "group", "judge", "position"])
def test_missing_comparison_label_names_row_and_column(role: str, missing: Any) -> None:
    cols = {"model_a": A, "model_b": B, "winner": O}
    spec: dict[str, Any] = {"a": "model_a", "b": "model_b", "outcome": "winner"}
    if role in ("group", "judge", "position"):
        cols[role] = ["a", "b", "a", "b", "a"]
        spec[role] = role
    name = spec[role]
    cols = {name: cols[name], **{k: v for k, v in cols.items() if k != name}}
    for kind, data in _frames(cols, missing).items():
        with pytest.raises(pr.PrefrankError, match=rf"^row {ROW}: column '{name}' is missing") as info:
            pr.comparisons(data, **spec)
        assert info.value.row == ROW, kind  # type: ignore[attr-defined]
        assert info.value.column == name, kind  # type: ignore[attr-defined]


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_missing_label_in_arrays_passed_directly(missing: Any) -> None:
    with pytest.raises(pr.PrefrankError, match=rf"^row {ROW}: column 'a' is missing"):
        pr.comparisons(a=np.array(_with_missing(A, missing), dtype=object), b=B, outcome=O)
    with pytest.raises(pr.PrefrankError, match=rf"^row {ROW}: column 'b' is missing"):
        pr.comparisons(a=A, b=pd.Series(_with_missing(B, missing), dtype=object), outcome=O)


def test_missing_label_among_integer_labels() -> None:
    # Integer ids with a gap (pandas object column from a join): the mixed-type path checks too.
    with pytest.raises(pr.PrefrankError, match=rf"^row {ROW}: column 'a' is missing a label \(<NA>\)"):
        pr.comparisons(a=pd.Series([1, 2, 3, pd.NA, 1], dtype=object), b=[2, 3, 1, 2, 3], outcome=O)
    with pytest.raises(pr.PrefrankError, match=rf"^row {ROW}: column 'a' is missing a label"):
        pr.comparisons(a=pd.array([1, 2, 3, None, 1], dtype="Int64"), b=[2, 3, 1, 2, 3], outcome=O)


@pytest.mark.parametrize("missing", MISSING, ids=repr)
@pytest.mark.parametrize("role", ["unit", "rater"])
def test_missing_unit_or_rater_in_long_ratings(role: str, missing: Any) -> None:
    cols = {
        "unit": ["u1", "u1", "u2", "u2", "u3", "u3"],
        "rater": ["r1", "r2", "r1", "r2", "r1", "r2"],
        "score": [1, 2, 1, 2, 2, 2],
    }
    name = f"the_{role}"
    cols = {name: cols.pop(role), **cols}
    spec = {"unit": "unit", "rater": "rater", "value": "score", role: name}
    for kind, data in _frames(cols, missing).items():
        if kind == "list of records":
            continue  # long-form ratings take tables, not records
        with pytest.raises(pr.PrefrankError, match=rf"^row {ROW}: column '{name}' is missing"):
            pr.krippendorff_alpha(data, **spec)


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_missing_player_in_rankings(missing: Any) -> None:
    long = {"item": ["a", "b", "c", "a", "b", "c"], "race": [1, 1, 1, 2, 2, 2], "place": [1, 2, 3, 2, 1, 3]}
    for kind, data in _frames(long, missing).items():
        if kind == "list of records":
            continue
        with pytest.raises(pr.PrefrankError, match=rf"^row {ROW}: column 'item' is missing"):
            pr.plackett_luce(data, group="race", item="item", rank="place")
    with pytest.raises(pr.PrefrankError, match=r"^ranking 1, position 1: the item is missing"):
        pr.plackett_luce([["a", "b", "c"], ["b", missing, "a"]])


# --------------------------------------------------------------------------------------------------
# Categories


def test_unused_categories_are_not_items() -> None:
    cats = ["never", "x", "y", "z", "zz-unused"]
    df = pd.DataFrame(
        {
            "a": pd.Categorical(A, categories=cats),
            "b": pd.Categorical(B, categories=cats),
            "winner": O,
            "judge": pd.Categorical(["j1"] * 5, categories=["j0", "j1"]),
        }
    )
    c = pr.comparisons(df, a="a", b="b", outcome="winner", judge="judge")
    assert c.items.tolist() == ["x", "y", "z"]
    assert c.judges is not None and c.judges.tolist() == ["j1"]
    plain = pr.comparisons({"a": A, "b": B, "winner": O}, a="a", b="b", outcome="winner")
    np.testing.assert_array_equal(c.a, plain.a)
    np.testing.assert_array_equal(c.b, plain.b)
    fit = pr.bradley_terry(df, a="a", b="b", outcome="winner", alpha=1.0)
    assert sorted(fit.to_pandas()["item"].tolist()) == ["x", "y", "z"]
    # An Arrow dictionary and a polars Enum with unused values: the same rule.
    dict_a = pa.DictionaryArray.from_arrays(pa.array([1, 2, 3, 1, 2], pa.int32()), pa.array(cats))
    c2 = pr.comparisons(pa.table({"a": dict_a, "b": B, "winner": O}), a="a", b="b", outcome="winner")
    assert c2.items.tolist() == ["x", "y", "z"]
    enum = pl.DataFrame({"a": pl.Series(A, dtype=pl.Enum(cats)), "b": B, "winner": O})
    assert pr.comparisons(enum, a="a", b="b", outcome="winner").items.tolist() == ["x", "y", "z"]


# --------------------------------------------------------------------------------------------------
# Non-finite ratings


def test_infinite_long_form_rating_names_input_row_and_value_column() -> None:
    df = pd.DataFrame(
        {
            "unit": ["u1", "u1", "u2", "u2", "u3", "u3"],
            "rater": ["r1", "r2", "r1", "r2", "r1", "r2"],
            "score": [1.0, 2.0, 1.0, np.inf, 2.0, 2.0],
        }
    )
    with pytest.raises(pr.PrefrankError, match=r"^row 3: column 'score' value inf is not a finite number"):
        pr.krippendorff_alpha(df, unit="unit", rater="rater", value="score")
    obj = df.astype({"score": object})
    with pytest.raises(pr.PrefrankError, match=r"^row 3: column 'score' value inf is not a finite number"):
        pr.krippendorff_alpha(obj, unit="unit", rater="rater", value="score")
    # The raters x units matrix names its own row (rater) and column (unit).
    with pytest.raises(pr.PrefrankError, match=r"row 1: column 2 value inf is not a finite number"):
        pr.krippendorff_alpha(np.array([[1.0, 2.0, 1.0], [1.0, 2.0, np.inf]]))
