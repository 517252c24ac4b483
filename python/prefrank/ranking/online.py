"""Elo ratings, in memory or streamed over a file in row order."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.data.comparison_rows import comparison_batches, comparisons_of
from prefrank.data.comparisons import PairCounts
from prefrank.exceptions import PrefrankError
from prefrank.io import located
from prefrank.ranking._common import ELO_FACTOR, _games_and_wins
from prefrank.ranking.results import Ranking
from prefrank.stream import _Merger, wants_stream

__all__ = ["elo"]


def elo_stream(
    source: str | os.PathLike[str], *, batch_rows: int | None, elo_options: dict[str, float], **columns: Any
) -> tuple[Any, Any]:
    """Online Elo over a file, directory or glob in row order, batch by batch, with the ratings
    carried from batch to batch (the ratings of one pass over all rows). Returns the ratings by
    sorted label and the merged :class:`~prefrank.PairCounts`."""
    import numpy as np

    index: dict[Any, int] = {}
    ratings = np.empty(0)
    merger = _Merger()
    initial = float(elo_options["initial"])
    for path, row, tbl in comparison_batches(source, batch_rows=batch_rows, **columns):
        try:
            where = np.fromiter((index.setdefault(x, len(index)) for x in tbl.items.tolist()), np.int64)
            if len(index) > len(ratings):
                ratings = np.concatenate([ratings, np.full(len(index) - len(ratings), initial)])
            out = _core.elo_ratings(
                tbl.n_items,
                tbl.a,
                tbl.b,
                tbl.p,
                tbl.tie,
                tbl.weight,
                k=elo_options["k"],
                initial=initial,
                scale=elo_options["scale"],
                base=elo_options["base"],
                start=np.ascontiguousarray(ratings[where]),
            )
            ratings[where] = out
            merger.push(tbl.pair_counts())
        except PrefrankError as e:
            raise located(e, path, row) from None
    counts = merger.result()
    return np.array([ratings[index[x]] for x in counts.items.tolist()]), counts


def elo(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    batch_rows: int | None = None,
    k: float = 4.0,
    initial: float = 1000.0,
    scale: float = 400.0,
    base: float = 10.0,
    shuffles: int = 0,
    seed: int = 0,
) -> Ranking:
    """Online Elo in row order (``shuffles=0``, FastChat's ``compute_online_elo`` with its defaults
    k=4, scale=400, base=10, initial=1000) or averaged over ``shuffles`` seeded random orders.

    The result's ``scale`` is ``"elo"`` and its scores are the ratings. A directory or glob of files
    (or a file with ``batch_rows=``) is read in batches in row order with the ratings carried from
    batch to batch, which gives the ratings of one pass. With ``shuffles`` every order needs every
    row: the batches are reduced to their coded rows (17 bytes per row, 25 with a weight; see
    :func:`prefrank.stream.comparison_rows`), which give the same ratings as one call.
    """

    if not (isinstance(shuffles, (int, np.integer)) and shuffles >= 0):
        raise PrefrankError(f"shuffles must be a non-negative integer, got {shuffles!r}")
    cols = dict(a=a, b=b, outcome=outcome, weight=weight, outcomes=outcomes, drop_self=drop_self)
    if shuffles == 0 and wants_stream(data, batch_rows):
        opts = {"k": float(k), "initial": float(initial), "scale": float(scale), "base": float(base)}
        ratings, counts = elo_stream(data, batch_rows=batch_rows, elo_options=opts, **cols)
        return _elo_ranking(ratings, counts, float(initial))
    comps = comparisons_of(data, batch_rows, **cols)
    ratings = _core.elo_ratings(
        comps.n_items,
        comps.a,
        comps.b,
        comps.p,
        comps.tie,
        comps.weight,
        float(k),
        float(initial),
        float(scale),
        float(base),
        int(shuffles),
        int(seed),
    )
    return _elo_ranking(ratings, comps.pair_counts(), float(initial))


def _elo_ranking(ratings: np.ndarray, counts: PairCounts, initial: float) -> Ranking:
    # Stored so that the Elo scale with offset=initial gives back the ratings exactly; theta equals
    # the log-strengths when scale=400 and base=10.
    games, wins = _games_and_wins(counts, len(counts.items))
    return Ranking(
        method="elo",
        items=counts.items,
        theta=(ratings - initial) / ELO_FACTOR,
        scale="elo",
        offset=initial,
        games=games,
        wins=wins,
        counts=counts,
    )
