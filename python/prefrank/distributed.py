"""prefrank on a Dask cluster (extra ``dask``): the same statistics, another driver.

Each function maps ``accumulate`` over the partitions of a dask DataFrame (one task per partition,
on whatever scheduler is active: a ``distributed.Client`` if one exists), reduces the partial
statistics with ``merge`` in a fixed binary tree (``split_every`` partials per task), and finishes
on the client with the single-process function. Labels are coded per partition and united by
``merge`` (see :mod:`prefrank.stats`), so no first pass is needed and the codes equal those of one
call on all the data. For integer weights the results are identical to the single-process call on
the same rows (the bootstrap included: it resamples the merged counts with the same seed).

What crosses the network per partition: pair counts (about 40 bytes per observed pair, dense up
to 2,048 items: 12 bytes per item pair) for leaderboards; verdict cells (37 bytes per (group,
judge, pair, order) cell) plus pair counts for audits; coded ratings (12 bytes per rating) for
agreement statistics.

    >>> import dask.dataframe as dd
    >>> from prefrank import distributed
    >>> ddf = dd.read_parquet("judgments/")
    >>> board = distributed.leaderboard(ddf, a="model_a", b="model_b", outcome="winner", bootstrap=1000)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefrank import agreement
from prefrank._options import rename_keywords
from prefrank.consistency import audit as _audit
from prefrank.consistency import position_bias as _position_bias
from prefrank.consistency import transitivity as _transitivity
from prefrank.data import comparisons
from prefrank.data.comparison_rows import COMPARISON_OPTIONS as _COMPARISON_COLUMNS
from prefrank.data.comparison_rows import comparison_options
from prefrank.exceptions import input_error, parameter_error
from prefrank.ranking import bradley_terry
from prefrank.stats import ComparisonStats, RatingsStats

__all__ = [
    "audit",
    "cohen_kappa",
    "comparison_stats",
    "fleiss_kappa",
    "krippendorff_alpha",
    "leaderboard",
    "pair_counts",
    "position_bias",
    "rater_agreement",
    "ratings_stats",
    "transitivity",
]


def _dask() -> Any:
    try:
        import dask
    except ImportError:
        raise ImportError("prefrank.distributed needs dask: pip install 'prefrank[dask]'") from None
    return dask


def _partitions(ddf: Any) -> list[Any]:
    if not hasattr(ddf, "to_delayed") or not hasattr(ddf, "npartitions"):
        raise input_error(f"expected a dask DataFrame, got {type(ddf).__name__}")
    return list(ddf.to_delayed())


def _merge_all(parts: Sequence[Any]) -> Any:
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p)
    return out


def _reduce(ddf: Any, accumulate: Any, split_every: int) -> Any:
    """Map ``accumulate`` over the partitions and tree-reduce with ``merge`` (partition order kept)."""
    dask = _dask()
    if not isinstance(split_every, int) or split_every < 2:
        raise parameter_error("split_every", f"split_every={split_every!r} must be an integer >= 2")
    level = [dask.delayed(accumulate)(p) for p in _partitions(ddf)]
    if not level:
        raise input_error("empty input: the dask DataFrame has no partitions")
    while len(level) > 1:
        level = [
            dask.delayed(_merge_all)(level[i : i + split_every]) if len(level[i : i + split_every]) > 1 else level[i]
            for i in range(0, len(level), split_every)
        ]
    (out,) = dask.compute(level[0])
    return out


class _Skip:
    """Identity for merges, so empty partitions cost nothing."""

    def merge(self, other: Any) -> Any:
        return other


def _or_skip(build: Any) -> Any:
    def run(part: Any) -> Any:
        if len(part) == 0:
            return _Skip()
        # Partitions that arrived over the network may sit in unaligned pickle buffers, which the
        # core's zero-copy views refuse; one copy per partition makes them aligned.
        return build(part.copy(deep=True) if hasattr(part, "copy") else part)

    return run


def _result(stat: Any) -> Any:
    if isinstance(stat, _Skip):
        raise input_error("empty input: the dask DataFrame has no rows")
    return stat


def _columns(kw: dict[str, Any]) -> dict[str, Any]:
    # Partitions are DataFrames, so columns may be named or (unusually) given otherwise.
    return comparison_options(kw, names_only=False)


def pair_counts(ddf: Any, *, split_every: int = 8, **columns: Any) -> Any:
    """:class:`~prefrank.PairCounts` of a dask DataFrame (columns as :func:`prefrank.comparisons`)."""

    cols = _columns(columns)
    return _result(_reduce(ddf, _or_skip(lambda part: comparisons(part, **cols).pair_counts()), split_every))


def comparison_stats(ddf: Any, *, split_every: int = 8, **columns: Any) -> Any:
    """:class:`~prefrank.ComparisonStats` (pair counts and verdict cells) of a dask DataFrame."""

    cols = _columns(columns)
    return _result(_reduce(ddf, _or_skip(lambda part: ComparisonStats.accumulate(part, **cols)), split_every))


def ratings_stats(ddf: Any, *, unit: Any, rater: Any, value: Any, split_every: int = 8) -> Any:
    """:class:`~prefrank.RatingsStats` (coded long-form ratings) of a dask DataFrame."""

    return _result(
        _reduce(
            ddf,
            _or_skip(lambda part: RatingsStats.accumulate(part, unit=unit, rater=rater, value=value)),
            split_every,
        )
    )


def _split(func: str, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    # The column options go to the statistics of the partitions, so their deprecated names (verdict=)
    # are mapped here, before the split; the others are mapped by the function that gets them.
    rename_keywords(f"distributed.{func}", kwargs, {"verdict": "outcome"}, stacklevel=3)
    cols = {k: kwargs.pop(k) for k in list(kwargs) if k in _COMPARISON_COLUMNS}
    return cols, kwargs


def leaderboard(ddf: Any, *, split_every: int = 8, **kwargs: Any) -> Any:
    """Bradley-Terry leaderboard (with ``bootstrap=`` intervals) of a dask DataFrame: the column
    options of :func:`prefrank.comparisons` and the options of :func:`prefrank.bradley_terry`."""

    cols, opts = _split("leaderboard", dict(kwargs))
    return bradley_terry(pair_counts(ddf, split_every=split_every, **cols), **opts)


def audit(ddf: Any, *, split_every: int = 8, **kwargs: Any) -> Any:
    """:func:`prefrank.audit` (transitivity census, tournament, position bias) of a dask DataFrame."""

    cols, opts = _split("audit", dict(kwargs))
    return _audit(comparison_stats(ddf, split_every=split_every, **cols), **opts)


def transitivity(ddf: Any, *, split_every: int = 8, **kwargs: Any) -> Any:
    """:func:`prefrank.transitivity` of a dask DataFrame."""

    cols, opts = _split("transitivity", dict(kwargs))
    return _transitivity(comparison_stats(ddf, split_every=split_every, **cols), **opts)


def position_bias(ddf: Any, *, split_every: int = 8, **kwargs: Any) -> Any:
    """:func:`prefrank.position_bias` of a dask DataFrame."""

    cols, opts = _split("position_bias", dict(kwargs))
    return _position_bias(comparison_stats(ddf, split_every=split_every, **cols), **opts)


def _agreement(fn: Any, ddf: Any, unit: Any, rater: Any, value: Any, split_every: int, opts: dict[str, Any]) -> Any:
    return fn(ratings_stats(ddf, unit=unit, rater=rater, value=value, split_every=split_every), **opts)


def krippendorff_alpha(ddf: Any, *, unit: Any, rater: Any, value: Any, split_every: int = 8, **opts: Any) -> Any:
    """:func:`prefrank.krippendorff_alpha` of long-form ratings in a dask DataFrame."""

    return _agreement(agreement.krippendorff_alpha, ddf, unit, rater, value, split_every, opts)


def cohen_kappa(ddf: Any, *, unit: Any, rater: Any, value: Any, split_every: int = 8, **opts: Any) -> Any:
    """:func:`prefrank.cohen_kappa` of long-form ratings in a dask DataFrame."""

    return _agreement(agreement.cohen_kappa, ddf, unit, rater, value, split_every, opts)


def fleiss_kappa(ddf: Any, *, unit: Any, rater: Any, value: Any, split_every: int = 8, **opts: Any) -> Any:
    """:func:`prefrank.fleiss_kappa` of long-form ratings in a dask DataFrame."""

    return _agreement(agreement.fleiss_kappa, ddf, unit, rater, value, split_every, opts)


def rater_agreement(ddf: Any, *, unit: Any, rater: Any, value: Any, split_every: int = 8, **opts: Any) -> Any:
    """:func:`prefrank.rater_agreement` (the rater x rater matrix) of long-form ratings in a dask DataFrame."""

    return _agreement(agreement.rater_agreement, ddf, unit, rater, value, split_every, opts)
