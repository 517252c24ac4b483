"""Reference twins of label coding and pair counting (mirror prefrank-core ``data/``)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any


def code_labels(*columns: Sequence[Hashable]) -> tuple[list[list[int]], list[Hashable]]:
    """Code columns with one shared table; codes follow the sorted labels (type name, then value)."""
    labels = sorted({v for col in columns for v in col}, key=lambda x: (type(x).__name__, x))
    index = {v: k for k, v in enumerate(labels)}
    return [[index[v] for v in col] for col in columns], labels


def pair_counts(
    a: Sequence[int],
    b: Sequence[int],
    p: Sequence[float],
    tie: Sequence[bool],
    weight: Sequence[float] | None = None,
) -> dict[tuple[int, int], tuple[float, float, float]]:
    """``{(i, j): (i beat j, j beat i, ties)}`` over unordered pairs ``i < j`` with a positive count.

    A soft outcome ``p`` (probability that a won) adds ``w p`` to a's wins and ``w (1 - p)`` to b's.
    """
    out: dict[tuple[int, int], list[float]] = {}
    for r in range(len(a)):
        w = 1.0 if weight is None else float(weight[r])
        i, j = int(a[r]), int(b[r])
        lo, hi = min(i, j), max(i, j)
        cell = out.setdefault((lo, hi), [0.0, 0.0, 0.0])
        if tie[r]:
            cell[2] += w
        else:
            wa, wb = w * float(p[r]), w * (1.0 - float(p[r]))
            if i < j:
                cell[0] += wa
                cell[1] += wb
            else:
                cell[0] += wb
                cell[1] += wa
    return {k: (v[0], v[1], v[2]) for k, v in sorted(out.items()) if v[0] > 0 or v[1] > 0 or v[2] > 0}


def combine_pair_cells(keys: dict[str, Any], first: Any, mass: Any, n_items: int) -> tuple[dict[str, Any], Any, Any]:
    """Cells with equal keys summed (in input order) and their first rows kept, sorted by key: the
    numpy implementation that ``prefrank.stats`` used before ``data/pair_cells.rs`` (twin of
    ``_core.pair_cells_combine``)."""
    import numpy as np

    if len(first) == 0:
        return keys, first, mass
    if n_items <= 1 << 16:
        # One 64-bit key: a stable sort of two sorted runs (a merge) is then linear.
        packed = (keys["key"].astype(np.uint64) << np.uint64(32)) | (
            keys["lo"].astype(np.uint64) * np.uint64(n_items) + keys["hi"]
        )
        order = np.argsort(packed, kind="stable")
        sp = packed[order]
        del packed
        new = np.ones(len(order), bool)
        new[1:] = sp[1:] != sp[:-1]
        del sp
    else:
        order = np.lexsort((keys["hi"], keys["lo"], keys["key"]))
        new = np.ones(len(order), bool)
        new[1:] = np.any([np.diff(keys[k][order]) != 0 for k in ("key", "lo", "hi")], axis=0)
    sk = {k: v[order] for k, v in keys.items()}
    starts = np.flatnonzero(new)
    # bincount adds in input order, so a cell's weights are summed in row order, as the kernels do.
    ids = np.empty(len(order), np.int64)
    ids[order] = np.cumsum(new) - 1
    out = np.column_stack([np.bincount(ids, weights=mass[:, c], minlength=len(starts)) for c in range(3)])
    return {k: v[starts] for k, v in sk.items()}, np.minimum.reduceat(first[order], starts), out
