"""Bundled example data sets (see README.md in this folder for sources and terms)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["arena_2023_path", "load_arena_2023"]

_HERE = Path(__file__).resolve().parent


def arena_2023_path() -> Path:
    """Path of the bundled Chatbot Arena 2023 battles (25,938 votes over 20 models)."""
    return _HERE / "arena_2023.csv"


def load_arena_2023() -> dict[str, list[str]]:
    """The Arena 2023 battles as a dict of columns ``model_a``, ``model_b``, ``winner`` (no pandas needed)."""
    import csv

    cols: dict[str, list[str]] = {"model_a": [], "model_b": [], "winner": []}
    with arena_2023_path().open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for k in cols:
                cols[k].append(row[k])
    return cols
