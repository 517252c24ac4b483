"""One fit per group (prompt, category): Bradley-Terry and Plackett-Luce per group."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from prefrank import _core
from prefrank._options import check_choice, keywords_of
from prefrank.data.coding import code_labels
from prefrank.data.comparisons import Comparisons, GroupedColumns, as_comparisons, comparisons
from prefrank.data.rankings import obs_from_table, ranking_rows
from prefrank.exceptions import ConvergenceWarning, input_error, parameter_error
from prefrank.io import _source
from prefrank.ranking._common import _check_fit
from prefrank.ranking.results import GroupRankings
from prefrank.stats import pair_cells
from prefrank.stream import wants_stream

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["bradley_terry_groups", "plackett_luce_groups"]


def _group_rankings(
    groups: np.ndarray, items: np.ndarray, out: _core.GroupFits, alpha: float, ties: str
) -> GroupRankings:
    """The result of a per-group fit (``out``: the core's arrays), with a warning counting the groups
    not identifiable without a prior and the fits that did not converge."""
    res = GroupRankings(
        groups=groups,
        items=items,
        offsets=out.offsets,
        item_codes=out.items,
        theta=out.theta,
        converged=out.converged,
        identifiable=out.identifiable,
        iterations=out.iterations,
        alpha=float(alpha),
        ties=ties,
    )
    bad = int((~res.identifiable).sum())
    if alpha == 0 and bad:
        warnings.warn(
            f"{bad} of {res.n_groups} groups are not identifiable without a prior (scores NaN); "
            "pass alpha > 0 to fit them",
            ConvergenceWarning,
            stacklevel=3,
        )
    slow = int((~res.converged & res.identifiable).sum()) if alpha == 0 else int((~res.converged).sum())
    if slow:
        warnings.warn(f"{slow} of {res.n_groups} group fits did not converge", ConvergenceWarning, stacklevel=3)
    return res


@keywords_of(comparisons, GroupedColumns)
def bradley_terry_groups(
    data: Any = None,
    *,
    batch_rows: int | None = None,
    ties: str = "half",
    alpha: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-9,
    **columns: Unpack[GroupedColumns],
) -> GroupRankings:
    """One Bradley-Terry fit per group (for example the responses to each prompt), for millions of
    small groups in one parallel call.

    The columns ``a``, ``b``, ``outcome``, ``weight``, ``position`` (for ``left`` / ``right``
    outcomes), ``outcomes`` and ``drop_self`` are those of :func:`prefrank.comparisons`, plus
    ``group`` (required); ``max_iter`` and ``tol`` bound each group's fit. ``ties``: ``"half"``
    (default) or ``"drop"``. ``alpha`` (default 0.01) is a weak Gaussian prior so that a group in
    which one response wins every comparison still gets finite scores; ``alpha=0`` gives the plain
    MLE, and groups whose win graph is not strongly connected then get NaN scores (flag
    ``identifiable=False``; a warning counts them). Groups of up to 16 items use a specialised dense
    Newton solver; larger groups use the general Bradley-Terry solver. Results are identical for any
    thread count.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches, each reduced
    to its (group, pair) cells (the weights of either side winning and of ties), which are merged:
    one batch plus 44 bytes per cell, however many rows repeat a cell (see
    :func:`prefrank.stream.pair_cells`). A group's fit depends only on these sums, so a group split
    across batches or files is fitted as one and the result equals that of the concatenated table
    (exactly with whole-number weights).
    """

    _check_fit("log", alpha, max_iter=max_iter, tol=tol, batch_rows=batch_rows)
    check_choice("ties", ties, ("half", "drop"))
    group = columns.pop("group")
    if isinstance(data, Comparisons):
        comps = as_comparisons(data, **columns)  # its own group column is used; group= is not checked
    elif group is None:
        raise parameter_error(
            "group", "missing group=: name the column (or pass the values) that identifies each group"
        )
    elif wants_stream(data, batch_rows):
        comps = pair_cells(data, key="group", batch_rows=batch_rows, group=group, **columns)
    else:
        comps = as_comparisons(data, group=group, **columns)
    if comps.group is None or comps.groups is None:
        raise input_error(
            "the Comparisons table has no group column: build it with comparisons(..., group=...)", column="group"
        )
    out = _core.bt_groups(
        comps,
        len(comps.groups),
        comps.group,
        ties,
        float(alpha),
        int(max_iter),
        float(tol),
    )
    return _group_rankings(comps.groups, comps.items, out, alpha, ties)


def plackett_luce_groups(
    data: Any,
    *,
    group: Any,
    ranking: Any = None,
    item: Any = "item",
    rank: Any = "rank",
    weight: Any = None,
    alpha: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-9,
    batch_rows: int | None = None,
) -> GroupRankings:
    """One Plackett-Luce fit per group (e.g. per prompt, from several annotators' rankings of its
    responses), for many groups in one parallel call.

    Long form as for :func:`plackett_luce`, plus ``group`` (the unit fitted separately) and
    ``ranking`` (the observation within a group, e.g. the annotator; ``None``: each group is one
    observation). ``rank`` NaN marks unranked members (top-k rankings, choice sets). ``alpha``
    (default 0.01) is a weak Gaussian prior; with ``alpha=0`` groups whose "ranked above" graph is
    not strongly connected get NaN scores (``identifiable=False``, counted in a warning). Returns a
    :class:`GroupRankings` (``ties="none"``); results are identical for any thread count.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches as for
    :func:`plackett_luce` (coded rows: 16 bytes per row, + 4 with ``ranking``, + 8 with a weight);
    groups and observations split across batches or files are gathered, and the result equals that
    of the concatenated table.
    """

    _check_fit("log", alpha, max_iter=max_iter, tol=tol, batch_rows=batch_rows)
    if wants_stream(data, batch_rows):
        labels = {"group": group, "ranking": ranking, "item": item}
        data = ranking_rows(data, batch_rows=batch_rows, labels=labels, rank=rank, weight=weight)
    src = _source(data)
    (gc,), groups = code_labels(src.get(group, "group"), names=[str(group)])
    key = gc.astype(np.int64)
    n_r = 1
    if ranking is not None:
        r_col = src.get(ranking, "ranking")
        if len(r_col) != len(gc):
            raise input_error(f"length mismatch: group has {len(gc)} rows but ranking has {len(r_col)}")
        (rc,), r_labels = code_labels(r_col, names=[str(ranking)])
        n_r = len(r_labels)
        key = key * n_r + rc.astype(np.int64)
    obs = obs_from_table(data, key, item, rank, weight)
    assert obs.obs_labels is not None
    obs_group = np.ascontiguousarray(np.asarray(obs.obs_labels, dtype=np.int64) // n_r, dtype=np.uint32)
    out = _core.pl_groups(
        len(obs.items),
        len(groups),
        obs_group,
        obs.offsets,
        obs.members,
        obs.n_ranked,
        obs.weight,
        float(alpha),
        int(max_iter),
        float(tol),
    )
    return _group_rankings(groups, obs.items, out, alpha, "none")
