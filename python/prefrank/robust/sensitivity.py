"""Fragility: the fewest comparisons whose removal changes the top item or a pair's order."""

from __future__ import annotations

from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_batch_rows, check_int, check_real
from prefrank.data.coding import label_index
from prefrank.data.comparison_rows import comparison_batches, decisive_rows, pair_counts_and_rows
from prefrank.data.comparisons import Comparisons, as_comparisons
from prefrank.exceptions import input_error
from prefrank.robust.results import Fragility
from prefrank.stream import wants_stream

__all__ = ["fragility"]


def fragility(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    pair: tuple[Any, Any] | None = None,
    max_remove: int = 1000,
    alpha: float = 0.0,
    batch_rows: int | None = None,
    position: Any = None,
) -> Fragility:
    """Find a small set of comparisons whose removal changes the Bradley-Terry top item (or, with
    ``pair=(x, y)``, the order of ``x`` and ``y``). Ties count half; only decisive comparisons are
    removed. Greedy by influence (one Newton step), each removal confirmed by an exact refit, then
    pruned and confirmed by a refit from scratch. Supports up to 1,500 items.

    A directory or glob of files (or a file with ``batch_rows=``) is read twice in batches: once
    for the pair counts the search needs (memory: the merged :class:`PairCounts` and one batch),
    once to find the removed rows (stopping when all are found). ``rows`` then number the rows of
    the files in sorted path order, as in the concatenated table, and the result is the same.
    ``position`` (as in :func:`prefrank.comparisons`) lets positional verdicts ("left", "right")
    be read from a file.
    """
    check_int("max_remove", max_remove, min=0)
    check_real("alpha", alpha, min=0.0)
    check_batch_rows(batch_rows)

    cols = dict(a=a, b=b, outcome=outcome, weight=weight, outcomes=outcomes, drop_self=drop_self, position=position)

    def whole_weights(tbl: Comparisons) -> None:
        if tbl.weight is not None and not np.all(tbl.weight == np.round(tbl.weight)):
            raise input_error("fragility removes whole comparisons: weights must be whole numbers", column="weight")

    if wants_stream(data, batch_rows):
        counts, total = pair_counts_and_rows(data, batch_rows=batch_rows, check=whole_weights, **cols)

        def batches() -> Any:
            return (tbl for _, _, tbl in comparison_batches(data, batch_rows=batch_rows, **cols))
    else:
        comps = as_comparisons(data, **cols)
        whole_weights(comps)
        counts, total = comps.pair_counts(), len(comps)

        def batches() -> Any:
            return iter([comps])

    items = counts.items
    codes = None
    if pair is not None:
        codes = (label_index(items, pair[0]), label_index(items, pair[1]))
    out = _core.robust_fragility(counts._core, codes, int(max_remove), float(alpha))
    # Map each removed (pair, direction) to a distinct decisive row with that outcome.
    directions = [
        (i, j) if iw else (j, i) for i, j, iw in zip(out.i.tolist(), out.j.tolist(), out.i_won.tolist(), strict=True)
    ]
    picked = decisive_rows(batches(), items, directions)
    rows = [r for r, _, _ in picked]
    win = [items[w] for _, w, _ in picked]
    lose = [items[l_] for _, _, l_ in picked]
    t = out.target
    return Fragility(
        items=items,
        rows=np.asarray(rows, dtype=np.int64),
        winner=np.asarray(win, dtype=object),
        loser=np.asarray(lose, dtype=object),
        target=(items[t[0]], items[t[1]]),
        top_before=items[out.top_before],
        top_after=items[out.top_after],
        theta_before=out.theta_before,
        theta_after=out.theta_after,
        found=bool(out.found),
        total=total,
    )
