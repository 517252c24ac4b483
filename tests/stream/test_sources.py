"""Sources: file types (compressed text, Arrow IPC, JSON arrays), labels read from files as text with
empty cells missing, errors that name the file and row, and the in-memory table types io accepts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import prefrank as pr
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.feather as feather
import pytest
from prefrank.io import read_all, read_table, scan, source_files
from prefrank.stats import accumulate_comparisons

COLS = {"a": "a", "b": "b", "outcome": "winner"}
ROWS = pd.DataFrame(
    {
        "a": ["x", "y", "z", "x", "y", "z"],
        "b": ["y", "z", "x", "z", "x", "y"],
        "winner": ["a", "b", "tie", "a", "a", "b"],
    }
)


def _pairs(source: Any, batch_rows: int = 2) -> pr.PairCounts:
    """The pair counts of a source read in batches and merged."""
    out: pr.PairCounts = accumulate_comparisons(source, batch_rows=batch_rows, pairs_only=True, **COLS)
    return out


def _whole(source: Any) -> pr.Comparisons:
    return pr.comparisons(source, **COLS)


# --------------------------------------------------------------------------------------------------
# Empty CSV label cells are missing


@pytest.mark.parametrize("sep,suffix", [(",", ".csv"), ("\t", ".tsv")])
def test_empty_label_cell_is_missing(tmp_path: Path, sep: str, suffix: str) -> None:
    path = tmp_path / f"votes{suffix}"
    lines = ["a,b,winner", "x,y,a", "y,z,b", "z,,a", "x,z,tie"]
    path.write_text("\n".join(line.replace(",", sep) for line in lines) + "\n")
    with pytest.raises(pr.PrefrankError, match=r"^row 2: column 'b' is missing a label"):
        _whole(path)
    with pytest.raises(pr.PrefrankError, match=rf"votes\{suffix}: row 2: column 'b' is missing a label"):
        _pairs(path)
    with pytest.raises(pr.PrefrankError, match=rf"votes\{suffix}: row 2: column 'b' is missing a label"):
        _pairs(tmp_path, batch_rows=1000)
    # A number column keeps its own empty-cell rule (null), and a non-label text column its text.
    t = read_table(path, string_columns=["a"])
    assert t.column("b").to_pylist() == ["y", "z", "", "z"]


def test_empty_label_cell_without_pyarrow_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import prefrank.io as io

    path = tmp_path / "votes.csv"
    path.write_text("a,b,winner\nx,y,a\n,z,b\n")
    cols = io._read_table_stdlib(path, io._file_type(path), ["a", "b"])
    assert cols["a"].tolist() == ["x", None]
    with pytest.raises(pr.PrefrankError, match=r"^row 1: column 'a' is missing a label \(None\)"):
        _whole(cols)


# --------------------------------------------------------------------------------------------------
# Labels from files are text


def _int_labels() -> pd.DataFrame:
    return pd.DataFrame({"a": [0, 1, 2, 0], "b": [1, 2, 0, 2], "winner": ["a", "b", "a", "tie"]})


@pytest.mark.parametrize("typed", ["parquet", "jsonl", "feather"])
def test_integer_labels_from_any_file_are_text(tmp_path: Path, typed: str) -> None:
    df = _int_labels()
    root = tmp_path / "d"
    root.mkdir()
    if typed == "parquet":
        df.to_parquet(root / "part-0.parquet", index=False)
    elif typed == "jsonl":
        df.to_json(root / "part-0.jsonl", orient="records", lines=True)
    else:
        df.to_feather(root / "part-0.feather")
    df.to_csv(root / "part-1.csv", index=False)
    whole = _whole(read_all(root, string_columns=["a", "b"]))
    assert whole.items.tolist() == ["0", "1", "2"]
    assert _whole(root).items.tolist() == ["0", "1", "2"]
    merged = _pairs(root)
    assert merged.items.tolist() == ["0", "1", "2"]
    assert merged.total() == 2 * len(df)
    # One file alone reads the same way.
    assert _whole(next(root.glob("part-0.*"))).items.tolist() == ["0", "1", "2"]
    assert _pairs(next(root.glob("part-0.*"))).items.tolist() == ["0", "1", "2"]


def test_integer_labels_with_gaps_in_parquet(tmp_path: Path) -> None:
    # pandas stores an integer column with a missing value as float: whole numbers read as "1", NaN is missing.
    df = pd.DataFrame({"a": [0.0, 1.0, np.nan], "b": [1, 2, 0], "winner": ["a", "b", "a"]})
    df.to_parquet(tmp_path / "p.parquet", index=False)
    t = read_table(tmp_path / "p.parquet", string_columns=["a", "b"])
    assert t.column("a").to_pylist() == ["0", "1", None]
    with pytest.raises(pr.PrefrankError, match=r"p\.parquet: row 2: column 'a' is missing a label"):
        _pairs(tmp_path / "p.parquet")


# --------------------------------------------------------------------------------------------------
# File types


def _write(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` in the format (and compression) the path's suffixes name."""
    name = path.name
    opener: Any = open
    if name.endswith(".gz"):
        opener, name = gzip.open, name[:-3]
    elif name.endswith((".zst", ".zstd")):
        name = name.rsplit(".", 1)[0]
        opener = None
    if name.endswith(".feather") or name.endswith(".ipc"):
        feather.write_feather(pa.Table.from_pandas(df, preserve_index=False), path)
        return
    if name.endswith(".arrow"):  # the IPC stream format
        table = pa.Table.from_pandas(df, preserve_index=False)
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)
        return
    if name.endswith(".json"):
        text = json.dumps(df.to_dict(orient="records"), indent=1)
    elif name.endswith(".jsonl"):
        text = df.to_json(orient="records", lines=True)
    else:
        text = df.to_csv(index=False, sep="\t" if name.endswith(".tsv") else ",")
    if opener is None:
        with pa.output_stream(str(path), compression="zstd") as out:
            out.write(text.encode())
        return
    with opener(path, "wt") as fh:
        fh.write(text)


SUFFIXES = [".csv.gz", ".jsonl.gz", ".tsv.zst", ".csv.zstd", ".json", ".json.gz", ".feather", ".arrow", ".ipc"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_file_types(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"votes{suffix}"
    _write(ROWS, path)
    want = _whole(ROWS)
    got = _whole(path)
    assert got.items.tolist() == want.items.tolist()
    np.testing.assert_array_equal(got.a, want.a)
    np.testing.assert_array_equal(got.p, want.p)
    assert read_table(path).num_rows == len(ROWS)
    assert source_files(path) == [path]
    assert [(p.name, row, t.num_rows) for p, row, t in scan(path, batch_rows=4)] == [
        (path.name, 0, 4),
        (path.name, 4, 2),
    ]
    assert _pairs(path) == want.pair_counts()


def test_directory_of_every_file_type(tmp_path: Path) -> None:
    parts = np.array_split(np.arange(len(ROWS)), 3)
    root = tmp_path / "d"
    root.mkdir()
    for k, (suffix, idx) in enumerate(zip([".csv.gz", ".json", ".feather"], parts, strict=True)):
        _write(ROWS.iloc[idx], root / f"part-{k}{suffix}")
    # Hidden and bookkeeping files (names starting with '.' or '_') are skipped, also in such folders.
    (root / "_SUCCESS").write_text("")
    (root / ".DS_Store").write_bytes(b"\0\1")
    (root / "_tmp").mkdir()
    _write(ROWS, root / "_tmp" / "part-9.csv")
    assert [p.name for p in source_files(root)] == ["part-0.csv.gz", "part-1.json", "part-2.feather"]
    assert sum(t.num_rows for _, _, t in scan(root, batch_rows=1)) == len(ROWS)
    assert _pairs(root) == _whole(ROWS).pair_counts()
    assert _whole(root).items.tolist() == ["x", "y", "z"]


def test_directory_with_an_unsupported_file_names_it(tmp_path: Path) -> None:
    _write(ROWS, tmp_path / "part-0.csv")
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    with pytest.raises(pr.PrefrankError, match=r"notes\.xlsx: unknown file type '\.xlsx'"):
        source_files(tmp_path)
    with pytest.raises(pr.PrefrankError, match=r"notes\.xlsx: unknown file type"):
        _pairs(tmp_path)
    with pytest.raises(pr.PrefrankError, match=r"notes\.xlsx: unknown file type"):
        _whole(tmp_path)
    (tmp_path / "notes.xlsx").unlink()
    (tmp_path / "x.parquet.gz").write_bytes(b"")
    with pytest.raises(pr.PrefrankError, match=r"x\.parquet\.gz: .*compress"):
        source_files(tmp_path)


# --------------------------------------------------------------------------------------------------
# Malformed files


def test_ragged_csv_names_file_and_row(tmp_path: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    _write(ROWS, root / "part-0.csv")
    (root / "part-1.csv").write_text("a,b,winner\nx,y,a\ny,z,b\nz,x,a,extra\nx,z,tie\n")
    want = r"part-1\.csv: row 2: expected 3 columns, got 4: z,x,a,extra"
    with pytest.raises(pr.PrefrankError, match=want) as info:
        _pairs(root)
    assert info.value.row == 2 and info.value.file == str(root / "part-1.csv")  # type: ignore[attr-defined]
    with pytest.raises(pr.PrefrankError, match=want):
        _whole(root)
    with pytest.raises(pr.PrefrankError, match=want):
        read_table(root / "part-1.csv")
    with pytest.raises(pr.PrefrankError, match=want):
        list(scan(root / "part-1.csv", columns=["a", "b"]))
    gz = tmp_path / "ragged.tsv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("a\tb\twinner\n\nx\ty\ta\nz\tx\n")
    with pytest.raises(pr.PrefrankError, match=r"ragged\.tsv\.gz: row 1: expected 3 columns, got 2"):
        _pairs(gz)


def test_malformed_json_names_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": "x", "b": "y", "winner": "a"}\n{"a": "x", \n')
    with pytest.raises(pr.PrefrankError, match=r"bad\.jsonl: "):
        _pairs(path)
    with pytest.raises(pr.PrefrankError, match=r"bad\.jsonl: "):
        read_table(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [("bad.json", b"[1, 2"), ("bad.csv.gz", b"\x1f\x8b not gzip"), ("bad.json.gz", b"\x1f\x8b\x08\x00 broken")],
)
def test_undecodable_file_is_an_input_error_naming_it(tmp_path: Path, name: str, content: bytes) -> None:
    # Found by the fuzz suite: a truncated JSON array raised json.JSONDecodeError and a corrupt gzip
    # stream a bare OSError ("zlib inflate failed"), from read_table and from scan.
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(pr.InputError, match=rf"{name.replace('.', '[.]')}: cannot read the file") as e:
        read_table(path)
    assert e.value.file == str(path)
    with pytest.raises(pr.InputError, match=rf"{name.replace('.', '[.]')}: "):
        list(scan(tmp_path, batch_rows=2))


# --------------------------------------------------------------------------------------------------
# In-memory tables


def test_lazy_frames_record_batches_and_datasets(tmp_path: Path) -> None:
    want = _whole(ROWS)
    table = pa.Table.from_pandas(ROWS, preserve_index=False)
    ROWS.to_parquet(tmp_path / "votes.parquet", index=False)
    for data in (
        pl.from_pandas(ROWS).lazy(),
        table.to_batches()[0],
        ds.dataset(table),
        ds.dataset(tmp_path / "votes.parquet"),
    ):
        got = _whole(data)
        assert got.items.tolist() == want.items.tolist(), type(data)
        np.testing.assert_array_equal(got.a, want.a)
        np.testing.assert_array_equal(got.p, want.p)


@pytest.mark.parametrize("source", [None, b"bytes.csv", 3, ["a.csv"]])
def test_a_source_that_is_not_a_path_is_a_parameter_error(source: Any) -> None:
    # Found by the fuzz suite: read_table(None) and read_table(b"x.csv") raised TypeError from pathlib.
    with pytest.raises(pr.ParameterError, match="is not a path") as e:
        read_table(source)
    assert e.value.param == "path"
    with pytest.raises(pr.ParameterError, match="is not a path") as e:
        list(scan(source))
    assert e.value.param == "source"


def test_a_repeated_column_name_is_an_input_error(tmp_path: Path) -> None:
    # Found by the fuzz suite: a CSV header naming a column twice raised pyarrow's KeyError.
    path = tmp_path / "dup.csv"
    path.write_text("a,a,b,outcome\nx,y,z,a\n")
    with pytest.raises(pr.InputError, match=r"column 'a' .* appears 2 times") as e:
        pr.bradley_terry(path, a="a", b="b", outcome="outcome")
    assert e.value.column == "a"
    frame = pd.DataFrame([["x", "y", "z", "a"]], columns=["a", "a", "b", "outcome"])
    with pytest.raises(pr.InputError, match="appears 2 times"):
        pr.bradley_terry(frame, a="a", b="b", outcome="outcome")
    assert len(pr.comparisons(frame, a="b", b="outcome", outcome=[1])) == 1  # other columns still read
