"""Test data shared by several test modules: synthetic judgments and source directories of mixed formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ITEMS = [f"m{k}" for k in range(6)]
BATCH = 37  # batches split files, groups and judges


def _split_files(df: pd.DataFrame, root: Path, kinds: tuple[str, ...] = ("parquet", "csv", "jsonl")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    parts = np.array_split(np.arange(len(df)), len(kinds))
    for k, (kind, idx) in enumerate(zip(kinds, parts, strict=True)):
        part = df.iloc[idx]
        path = root / f"part-{k}.{kind}"
        if kind == "parquet":
            part.to_parquet(path, index=False)
        elif kind == "csv":
            part.to_csv(path, index=False)
        else:
            part.to_json(path, orient="records", lines=True)
    return root


def _judgments(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strength = np.linspace(-1.0, 1.0, len(ITEMS))
    a = rng.integers(0, len(ITEMS), n)
    b = (a + rng.integers(1, len(ITEMS), n)) % len(ITEMS)
    p_a = 1 / (1 + np.exp(strength[b] - strength[a]))
    u = rng.random(n)
    winner = np.where(u < 0.12, "tie", np.where(u < 0.12 + 0.88 * p_a, "a", "b"))
    first = rng.random(n) < 0.5
    return pd.DataFrame(
        {
            "a": [ITEMS[k] for k in a],
            "b": [ITEMS[k] for k in b],
            "winner": winner,
            "prompt": [f"p{k:02d}" for k in rng.integers(0, 25, n)],
            "judge": [f"j{k}" for k in rng.integers(0, 4, n)],
            "shown_first": np.where(first, [ITEMS[k] for k in a], [ITEMS[k] for k in b]),
            "w": rng.integers(1, 4, n),
            "score_a": np.round(strength[a] + rng.normal(0, 0.5, n), 1),
            "score_b": np.round(strength[b] + rng.normal(0, 0.5, n), 1),
            "len_diff": np.round(rng.normal(0, 1, n), 3),
        }
    )


def _write_parts(df: pd.DataFrame, root: Path, kinds: tuple[str, ...] = ("parquet", "csv", "jsonl", "csv")) -> Path:
    return _split_files(df, root, kinds)


def _sources(root: Path) -> list[str]:
    """The directory and a glob over the same files."""
    return [str(root), str(root / "part-*")]
