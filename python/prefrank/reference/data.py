"""Reference twins of label coding and pair counting (mirror prefrank-core ``data/``)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence


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
