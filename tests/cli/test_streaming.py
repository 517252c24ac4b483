"""`prefrank leaderboard --fragility` streams a directory, a glob or a --batch-rows file (pair counts,
then a second pass for the removed rows) instead of reading it whole, and reports what the in-memory
run on the same rows reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import prefrank as pr
import prefrank.cli.leaderboard as leaderboard_cli
import pytest
from prefrank import cli
from support import _split_files

DATA = Path(__file__).resolve().parents[1] / "fixtures"
CROWD_COLS = ["--a", "left", "--b", "right", "--outcome", "winner", "--position", "left"]
ARENA_COLS = ["--a", "model_a", "--b", "model_b", "--outcome", "winner"]


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """LLMFAO crowd judgments (left/right verdicts) as one CSV and as a directory of three parts."""
    df = pd.read_csv(DATA / "llmfao-crowd.csv", dtype=str)
    root = tmp_path_factory.mktemp("crowd")
    whole = root / "all.csv"
    df.to_csv(whole, index=False)
    return whole, _split_files(df, root / "parts")


@pytest.fixture(scope="module")
def arena(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bundled Chatbot Arena 2023 battles with a whole-number weight column, whole and in parts."""
    df = pd.read_csv(Path(pr.__file__).parent / "datasets" / "arena_2023.csv")
    df["w"] = np.random.default_rng(0).integers(1, 4, len(df))
    root = tmp_path_factory.mktemp("arena")
    whole = root / "all.parquet"
    df.to_parquet(whole, index=False)
    return whole, _split_files(df, root / "parts", kinds=("parquet", "csv", "jsonl", "parquet"))


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Records how the CLI calls fragility; reading a directory, glob or --batch-rows input whole
    fails the test."""
    calls: list[dict[str, Any]] = []
    real_fragility, real_rows = leaderboard_cli.fragility, leaderboard_cli._leaderboard_rows

    def fragility(data: Any = None, **kw: Any) -> Any:
        calls.append({"data": data, **kw})
        return real_fragility(data, **kw)

    def rows(args: Any, path: Any) -> Any:
        assert args.batch_rows is None and Path(path).is_file(), f"{path} read whole"
        return real_rows(args, path)

    monkeypatch.setattr(leaderboard_cli, "fragility", fragility)
    monkeypatch.setattr(leaderboard_cli, "_leaderboard_rows", rows)
    return calls


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert cli.main(["leaderboard", *argv, "--fragility", "--format", "json", "--no-progress"]) == 0
    return dict(json.loads(capsys.readouterr().out))


def _streamed(calls: list[dict[str, Any]]) -> dict[str, Any]:
    (call,) = calls
    assert isinstance(call["data"], str)  # a path, read in batches, not a table
    calls.clear()
    return call


def test_directory_glob_and_batch_rows_stream_and_match_memory(crowd, spy, capsys):
    whole, parts = crowd
    memory = _run(capsys, str(whole), *CROWD_COLS)
    assert not isinstance(spy.pop()["data"], str)  # one file: read whole once, for the board too
    frag = memory["fragility"]
    assert frag["found"] and frag["size"] > 0 and "error" not in frag
    for argv, batch_rows in (
        ([str(parts), "--batch-rows", "700"], 700),
        ([str(parts / "part-*")], None),
        ([str(whole), "--batch-rows", "1000"], 1000),
    ):
        out = _run(capsys, *argv, *CROWD_COLS)
        call = _streamed(spy)
        assert call["position"] == "left" and call["batch_rows"] == batch_rows
        assert out["fragility"] == frag
        assert out["leaderboard"] == memory["leaderboard"]


def test_directory_with_weights_streams_with_default_batches(arena, spy, capsys):
    whole, parts = arena
    memory = _run(capsys, str(whole), *ARENA_COLS, "--weight", "w", "--alpha", "0.5")
    spy.clear()
    assert memory["fragility"]["found"]
    out = _run(capsys, str(parts), *ARENA_COLS, "--weight", "w", "--alpha", "0.5")
    call = _streamed(spy)
    assert call["batch_rows"] is None and call["weight"] == "w" and call["alpha"] == 0.5
    assert out["fragility"] == memory["fragility"]
    assert out["leaderboard"] == memory["leaderboard"]


def test_streamed_fragility_errors_are_reported(tmp_path, spy, capsys):
    # Fractional weights: the streamed pass raises, the board is still printed, the JSON says why.
    rows = pd.DataFrame({"model_a": ["x", "y", "z"] * 4, "model_b": ["y", "z", "x"] * 4, "winner": ["model_a"] * 12})
    rows["w"] = 1.5
    parts = _split_files(rows, tmp_path / "parts", kinds=("csv", "csv"))
    out = _run(capsys, str(parts), *ARENA_COLS, "--weight", "w")
    _streamed(spy)
    assert "whole numbers" in out["fragility"]["error"]
    assert len(out["leaderboard"]) == 3


def test_streamed_drop_self_matches_memory(tmp_path, spy, capsys):
    rng = np.random.default_rng(5)
    items = np.array([f"m{i}" for i in range(6)])
    a, b = items[rng.integers(0, 6, 400)], items[rng.integers(0, 6, 400)]  # some self-comparisons
    winner = np.where(rng.random(400) < 0.6, "model_a", "model_b")
    rows = pd.DataFrame({"model_a": a, "model_b": b, "winner": winner})
    assert (rows["model_a"] == rows["model_b"]).any()
    whole = tmp_path / "all.csv"
    rows.to_csv(whole, index=False)
    parts = _split_files(rows, tmp_path / "parts", kinds=("csv", "jsonl"))
    memory = _run(capsys, str(whole), *ARENA_COLS, "--drop-self")
    spy.clear()
    out = _run(capsys, str(parts), *ARENA_COLS, "--drop-self", "--batch-rows", "90")
    _streamed(spy)
    assert out["fragility"] == memory["fragility"] and out["leaderboard"] == memory["leaderboard"]
    # Without --drop-self the streamed run fails like the in-memory one.
    assert cli.main(["leaderboard", str(parts), *ARENA_COLS, "--fragility", "--format", "json"]) == 1
    assert "self" in capsys.readouterr().err
