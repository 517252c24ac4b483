"""Elo ratings, in memory or streamed over a file in row order."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from prefrank import _core
from prefrank._options import (
    SCALES,
    Alias,
    check_batch_rows,
    check_choice,
    check_finite,
    check_real,
    check_rounds,
    check_seed,
    check_work,
    is_number,
    keywords_of,
    renamed,
)
from prefrank.data.comparison_rows import comparison_batches, comparisons_of
from prefrank.data.comparisons import ComparisonColumns, PairCounts, comparisons, games_and_wins
from prefrank.exceptions import PrefrankError
from prefrank.io import located
from prefrank.ranking._common import ELO_FACTOR
from prefrank.ranking.results import Ranking
from prefrank.stream import _Merger, wants_stream

if TYPE_CHECKING:
    from typing_extensions import Unpack

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
    initial = float(elo_options["offset"])
    for path, row, tbl in comparison_batches(source, batch_rows=batch_rows, **columns):
        try:
            where = np.fromiter((index.setdefault(x, len(index)) for x in tbl.items.tolist()), np.int64)
            if len(index) > len(ratings):
                ratings = np.concatenate([ratings, np.full(len(index) - len(ratings), initial)])
            out = _core.elo_ratings(
                tbl,
                k=elo_options["k"],
                initial=initial,
                scale=elo_options["divisor"],
                base=elo_options["base"],
                start=np.ascontiguousarray(ratings[where]),
            )
            ratings[where] = out
            merger.push(tbl.pair_counts())
        except PrefrankError as e:
            raise located(e, path, row) from None
    counts = merger.result()
    return np.array([ratings[index[x]] for x in counts.items.tolist()]), counts


@renamed(initial="offset", scale=Alias("divisor", is_number, "scale= is now the output scale, as in bradley_terry"))
@keywords_of(comparisons, ComparisonColumns)
def elo(
    data: Any = None,
    *,
    batch_rows: int | None = None,
    k: float = 4.0,
    offset: float = 1000.0,
    divisor: float = 400.0,
    base: float = 10.0,
    scale: str = "elo",
    shuffles: int = 0,
    seed: int = 0,
    **columns: Unpack[ComparisonColumns],
) -> Ranking:
    """Online Elo in row order (``shuffles=0``, FastChat's ``compute_online_elo`` with its defaults
    k=4, divisor (its ``SCALE``) 400, base=10, initial rating 1000) or averaged over ``shuffles``
    seeded random orders.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches in row order with
    the ratings carried from batch to batch, which gives the ratings of one pass. With ``shuffles``
    every order needs every row: the batches are reduced to their coded rows (17 bytes per row, 25
    with a weight; see :func:`prefrank.stream.comparison_rows`), which give the same ratings as one call.

    Parameters:
        data, a, b, outcome, weight, position, outcomes, drop_self: the comparisons, as
            :func:`prefrank.comparisons` takes them (``position`` for ``left`` / ``right`` outcomes).
        batch_rows: rows per batch when reading files in batches.
        k: the update step.
        offset: the initial rating, and the offset of the Elo scale of the result (formerly
            ``initial=``).
        divisor: rating points per factor ``base`` in the odds: ``P(a beats b) = 1 / (1 + base **
            ((r_b - r_a) / divisor))`` (formerly the float ``scale=``).
        base: the base of the odds.
        scale: the output scale of the scores, as in :func:`prefrank.bradley_terry`: ``"elo"``
            (default: the ratings themselves), ``"log"`` or ``"strength"``.
        shuffles: 0 for row order, else the number of seeded random orders averaged.
        seed: an int >= 0 seeding the shuffles.

    Returns:
        :class:`~prefrank.Ranking` whose ``theta`` is ``(rating - offset) / (400 / ln 10)``: the
        log-strengths when ``divisor=400`` and ``base=10``, and on any scale what gives back the
        ratings on the Elo scale.

    Raises:
        PrefrankError: a bad column, ``scale`` or ``shuffles``; a deprecated name given with its new one.

    Example:
        >>> import prefrank as pr
        >>> r = pr.elo(a=["x", "x", "y"], b=["y", "z", "z"], outcome=["a", "a", "tie"])
        >>> round(float(r.scores["x"]), 2)
        1003.99
    """

    check_choice("scale", scale, SCALES)
    batch_rows = check_batch_rows(batch_rows)
    k, offset = check_real("k", k, min=0.0), check_finite("offset", offset)
    divisor = check_real("divisor", divisor, min=0.0, min_open=True)
    base = check_real("base", base, min=0.0, min_open=True)
    shuffles, seed = check_rounds("shuffles", shuffles), check_seed(seed)
    if shuffles == 0 and wants_stream(data, batch_rows):
        opts = {"k": float(k), "offset": float(offset), "divisor": float(divisor), "base": float(base)}
        ratings, counts = elo_stream(data, batch_rows=batch_rows, elo_options=opts, **columns)
        return _elo_ranking(ratings, counts, float(offset), scale)
    comps = comparisons_of(data, batch_rows, **columns)
    check_work("elo", int(shuffles) * len(comps.a), "ask for fewer shuffles")
    ratings = _core.elo_ratings(
        comps,
        float(k),
        float(offset),
        float(divisor),
        float(base),
        int(shuffles),
        int(seed),
    )
    return _elo_ranking(ratings, comps.pair_counts(), float(offset), scale)


def _elo_ranking(ratings: np.ndarray, counts: PairCounts, offset: float, scale: str) -> Ranking:
    # Stored so that the Elo scale with this offset gives back the ratings exactly; theta equals
    # the log-strengths when divisor=400 and base=10.
    games, wins = games_and_wins(counts, len(counts.items))
    return Ranking(
        method="elo",
        items=counts.items,
        theta=(ratings - offset) / ELO_FACTOR,
        scale=scale,
        offset=offset,
        games=games,
        wins=wins,
        counts=counts,
    )
