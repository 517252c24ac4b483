"""More ranking models: Plackett-Luce, spectral estimates, per-group fits, contextual Bradley-Terry.

- :func:`plackett_luce`: maximum likelihood for full rankings, top-k rankings and choice sets.
- :func:`rank_centrality`, :func:`lsr_pairwise`, :func:`ilsr_pairwise`: spectral estimates from
  pairwise comparisons (Negahban et al.; Maystre & Grossglauser).
- :func:`bradley_terry_groups`: one Bradley-Terry fit per group for millions of small groups.
- :func:`contextual_bradley_terry`: Bradley-Terry with per-comparison covariates ("style control").

All return results keyed by labels; see docs/ranking.md for defaults and the mapping to choix and
scikit-learn.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.data import Comparisons, _source, _to_numpy, as_comparisons, code_labels
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, PrefrankError
from prefrank.ranking import Ranking, _check_choice, _games_and_wins, _index_of, _pair_counts_of, _plain

__all__ = [
    "ContextualRanking",
    "GroupRankings",
    "bradley_terry_groups",
    "contextual_bradley_terry",
    "ilsr_pairwise",
    "lsr_pairwise",
    "plackett_luce",
    "plackett_luce_groups",
    "rank_centrality",
]

_SCALES = ("elo", "log", "strength")


def _check_common(scale: str, alpha: float, name: str = "alpha") -> None:
    _check_choice("scale", scale, _SCALES)
    if not (isinstance(alpha, (int, float, np.floating, np.integer)) and math.isfinite(alpha) and alpha >= 0):
        raise PrefrankError(f"{name} must be a finite number >= 0, got {alpha!r}")


def _sizes(offsets: np.ndarray) -> np.ndarray:
    """Lengths of the runs delimited by ``offsets``."""
    out: np.ndarray = np.diff(np.asarray(offsets, dtype=np.int64))
    return out


def _names(items: np.ndarray, mask: np.ndarray, limit: int = 8) -> str:
    labs = [repr(_plain(v)) for v in items[mask][:limit]]
    more = int(mask.sum()) - limit
    return ", ".join(labs) + (f" and {more} more" if more > 0 else "")


# --------------------------------------------------------------------------------------------------
# Plackett-Luce


@dataclass(frozen=True)
class _Obs:
    """Observations in the flat form the core takes."""

    items: np.ndarray  # labels by code
    offsets: np.ndarray  # uint64, n_obs + 1
    members: np.ndarray  # uint32 codes, ranked first (best first), then unranked
    n_ranked: np.ndarray  # uint32
    weight: np.ndarray | None
    obs_labels: np.ndarray | None  # group label per observation (long form)


def _is_ranking_list(data: Any) -> bool:
    if not isinstance(data, (list, tuple)) or not data:
        return False
    first = data[0]
    return isinstance(first, (list, tuple, np.ndarray)) and not isinstance(first, Mapping)


def _members(obs: Sequence[Any]) -> tuple[list[Any], int]:
    """(members best first, number ranked) of one listed observation: a ranking (labels best first,
    all ranked) or, as in choix's top-1 data, a choice ``(winner, [losers])`` (one ranked)."""
    if len(obs) == 2 and isinstance(obs[1], (list, tuple, np.ndarray)) and not isinstance(obs[0], (list, np.ndarray)):
        return [obs[0], *obs[1]], 1
    return list(obs), len(obs)


def _obs_from_lists(rankings: Sequence[Sequence[Any]], weight: Any) -> _Obs:
    parts = [_members(r) for r in rankings]
    sizes = np.fromiter((len(m) for m, _ in parts), np.int64, len(parts))
    n_ranked = np.fromiter((k for _, k in parts), np.uint32, len(parts))
    flat = [v for m, _ in parts for v in m]
    if not flat:
        raise PrefrankError("empty input: the rankings hold no items")
    (codes,), items = code_labels(_to_numpy(flat), names=["item"])
    offsets = np.zeros(len(rankings) + 1, np.uint64)
    np.cumsum(sizes, out=offsets[1:])
    w = None
    if weight is not None:
        w = np.ascontiguousarray(weight, dtype=np.float64)
        if w.shape != (len(rankings),):
            raise PrefrankError(f"weight has {w.size} values, but there are {len(rankings)} rankings")
    obs = _Obs(items, offsets, codes, n_ranked, w, None)
    _check_duplicates(obs)
    return obs


def _check_duplicates(obs: _Obs) -> None:
    sizes = _sizes(obs.offsets.astype(np.int64))
    owner = np.repeat(np.arange(len(sizes)), sizes)
    order = np.lexsort((obs.members, owner))
    dup = (owner[order][1:] == owner[order][:-1]) & (obs.members[order][1:] == obs.members[order][:-1])
    if dup.any():
        k = int(np.argmax(dup))
        r = int(owner[order][k])
        where = f"group {_plain(obs.obs_labels[r])!r}" if obs.obs_labels is not None else f"ranking {r}"
        raise PrefrankError(f"{where}: item {_plain(obs.items[obs.members[order][k]])!r} appears more than once")


def _obs_from_table(data: Any, group: Any, item: Any, rank: Any, weight: Any) -> _Obs:
    src = _source(data)
    g_col, i_col, r_col = src.get(group, "group"), src.get(item, "item"), src.get(rank, "rank")
    n = len(i_col)
    for role, col in (("group", g_col), ("rank", r_col)):
        if len(col) != n:
            raise PrefrankError(f"length mismatch: item has {n} rows but {role} has {len(col)}")
    if n == 0:
        raise PrefrankError("empty input: the ranking table has no rows")
    (gc,), groups = code_labels(g_col, names=[str(group)])
    (ic,), items = code_labels(i_col, names=[str(item)])
    r_raw = _to_numpy(r_col)
    try:
        if r_raw.dtype.kind == "O":
            rk = np.array([np.nan if v is None else v for v in r_raw.tolist()], dtype=np.float64)
        else:
            rk = r_raw.astype(np.float64)
    except (TypeError, ValueError):
        bad = next(k for k, v in enumerate(r_raw.tolist()) if not _is_number_or_missing(v))
        raise PrefrankError(f"row {bad}: rank {r_raw[bad]!r} in column {rank!r} is not a number") from None
    if np.isinf(rk).any():
        row = int(np.argmax(np.isinf(rk)))
        raise PrefrankError(f"row {row}: rank {rk[row]} in column {rank!r} is not finite (use NaN for unranked)")
    ranked = ~np.isnan(rk)
    key = np.where(ranked, rk, np.inf)
    order = np.lexsort((ic, key, gc))
    gs, isorted, ks = gc[order], ic[order], key[order]
    same_group = gs[1:] == gs[:-1]
    tied = same_group & (ks[1:] == ks[:-1]) & np.isfinite(ks[1:])
    if tied.any():
        k = int(np.argmax(tied))
        raise PrefrankError(
            f"group {_plain(groups[gs[k]])!r}: items {_plain(items[isorted[k]])!r} and "
            f"{_plain(items[isorted[k + 1]])!r} share rank {ks[k]:g} (Plackett-Luce needs distinct ranks)"
        )
    sizes = np.bincount(gc, minlength=len(groups))
    offsets = np.zeros(len(groups) + 1, np.uint64)
    np.cumsum(sizes, out=offsets[1:])
    n_ranked = np.bincount(gc, weights=ranked.astype(np.float64), minlength=len(groups)).astype(np.uint32)
    w = None
    if weight is not None:
        w_col = _to_numpy(src.get(weight, "weight"))
        try:
            w_rows = np.ascontiguousarray(w_col, dtype=np.float64)[order]
        except (TypeError, ValueError):
            raise PrefrankError(f"column {weight!r} (weight) is not numeric") from None
        w = np.ascontiguousarray(w_rows[offsets[:-1].astype(np.int64)])
        differs = w_rows != np.repeat(w, sizes)
        if differs.any():
            g = gs[int(np.argmax(differs))]
            raise PrefrankError(f"group {_plain(groups[g])!r}: weight must be the same on every row of a group")
    obs = _Obs(items, offsets, np.ascontiguousarray(isorted, np.uint32), n_ranked, w, groups)
    _check_duplicates(obs)
    return obs


def _is_number_or_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _pl_message(obs: _Obs) -> str:
    comp, k = _core.pl_components(len(obs.items), obs.offsets, obs.members, obs.n_ranked, obs.weight)
    sizes = _sizes(obs.offsets.astype(np.int64))
    pos = np.arange(len(obs.members)) - np.repeat(obs.offsets[:-1].astype(np.int64), sizes)
    stages = np.minimum(obs.n_ranked.astype(np.int64), np.maximum(sizes - 1, 0))
    st = np.repeat(stages, sizes)
    live = np.ones(len(obs.members), bool) if obs.weight is None else np.repeat(obs.weight > 0, sizes)
    n = len(obs.items)
    won = np.bincount(obs.members, weights=((pos < st) & live).astype(float), minlength=n)
    lost = np.bincount(obs.members, weights=((pos >= 1) & (st >= 1) & live).astype(float), minlength=n)
    parts = [f"the 'ranked above' graph is not strongly connected ({k} components)"]
    if (won == 0).any():
        parts.append(f"items never chosen/ranked above another: {_names(obs.items, won == 0)}")
    if (lost == 0).any():
        parts.append(f"items never ranked below another: {_names(obs.items, lost == 0)}")
    if not (won == 0).any() and not (lost == 0).any():
        csize = np.bincount(comp)
        groups = ["{" + _names(obs.items, comp == c, 5) + "}" for c in np.argsort(csize)[:3]]
        parts.append("smallest components: " + ", ".join(groups))
    parts.append("pass alpha > 0 (a Gaussian prior) to fit anyway")
    return "; ".join(parts)


def _observations(
    data: Any, group: Any, item: Any, rank: Any, weight: Any, anchor: Any, batch_rows: int | None = None
) -> _Obs:
    """Observations from a long-form table or a list of rankings (see :func:`plackett_luce`); a
    directory, glob or file with ``batch_rows=`` is read in batches of coded rows."""
    from prefrank.stream import ranking_rows, wants_stream

    if data is None:
        raise PrefrankError("no data: pass a long-form table (group, item, rank) or a list of rankings")
    if wants_stream(data, batch_rows):
        data = ranking_rows(
            data, batch_rows=batch_rows, labels={"group": group, "item": item}, rank=rank, weight=weight
        )
    if _is_ranking_list(data):
        obs = _obs_from_lists(data, weight)
    else:
        obs = _obs_from_table(data, group, item, rank, weight)
    if anchor is not None:
        _index_of(obs.items, anchor[0])
    return obs


def _raise_weight_error(obs: _Obs, e: PrefrankError) -> None:
    """Re-raise the core's bad-weight error naming the observation's label (else return)."""
    row = getattr(e, "row", None)
    if row is not None and obs.weight is not None and getattr(e, "kind", None) in {"negative", "non_finite"}:
        where = f"group {_plain(obs.obs_labels[row])!r}" if obs.obs_labels is not None else f"ranking {row}"
        raise PrefrankError(f"{where}: weight {float(obs.weight[row])!r} must be finite and >= 0") from None


def plackett_luce(
    data: Any = None,
    *,
    group: Any = "group",
    item: Any = "item",
    rank: Any = "rank",
    weight: Any = None,
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    method: str = "auto",
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
) -> Ranking:
    """Plackett-Luce maximum likelihood for full rankings, top-k rankings and choice sets.

    ``data`` is either

    - a table in long form (DataFrame, dict of columns, file path, ...) with one row per member of an
      observation: ``group`` (observation id), ``item`` (label), ``rank`` (1 = best; smaller is
      better; NaN / None = an unranked member of the choice set). A full ranking ranks every member,
      a top-k ranking ranks k of them, a choice set (one winner chosen from a set) ranks one.
      ``weight`` names a column that is constant within each observation; or
    - a list of rankings, each a list of labels best first (full rankings over the listed items),
      or choices ``(winner, [losers])`` as in choix's top-1 data (a choice set); ``weight`` is then a
      sequence with one weight per observation.

    ``alpha`` is the precision of a Gaussian prior (L2 penalty ``alpha/2 * sum theta^2``); with
    ``alpha=0`` (plain MLE) every item must be ranked above and below others through a chain of
    observations (the "ranked above" graph must be strongly connected), else a
    :class:`NotIdentifiableError` names the offending items. ``method``: ``"auto"`` (Newton with a
    dense Hessian up to 1,500 items, else L-BFGS), ``"newton"``, ``"mm"`` (Hunter 2004; no prior
    only), ``"lbfgs"``. Identical observations are merged before fitting (sufficient statistics).

    Returns a :class:`Ranking` (``method="plackett_luce"``); ``games`` counts the (weighted)
    observations with at least one choice stage an item took part in and ``wins`` the choice stages it won.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches; an observation
    may be split across batches and files (its rows are gathered by ``group``). The rows are kept
    coded (16 bytes per row, + 8 with a weight; the label columns are rebuilt as arrays of label
    references, 8 bytes per row each, for the fit; see :func:`prefrank.stream.ranking_rows`) and the
    result equals that of the concatenated table.
    """
    _check_common(scale, alpha)
    _check_choice("method", method, ("auto", "newton", "mm", "lbfgs"))
    obs = _observations(data, group, item, rank, weight, anchor, batch_rows)
    try:
        fit = _core.pl_fit(
            len(obs.items),
            obs.offsets,
            obs.members,
            obs.n_ranked,
            obs.weight,
            float(alpha),
            int(max_iter),
            float(tol),
            method,
        )
    except NotIdentifiableError as e:
        if "no observation has a choice stage" in str(e):
            raise
        raise NotIdentifiableError(_pl_message(obs)) from None
    except PrefrankError as e:
        _raise_weight_error(obs, e)
        raise
    if not fit["converged"]:
        warnings.warn(
            f"Plackett-Luce fit did not converge in {fit['iterations']} iterations (method {fit['method']}); "
            "the result has converged=False",
            ConvergenceWarning,
            stacklevel=2,
        )
    return Ranking.from_fit(
        "plackett_luce",
        obs.items,
        fit,
        scale,
        offset,
        anchor,
        games=fit["games"],
        wins=fit["wins"],
    )


# --------------------------------------------------------------------------------------------------
# Spectral estimates


def _spectral(
    kind: str,
    data: Any,
    a: Any,
    b: Any,
    outcome: Any,
    weight: Any,
    outcomes: Any,
    drop_self: bool,
    ties: str,
    alpha: float,
    scale: str,
    offset: float,
    anchor: tuple[Any, float] | None,
    max_iter: int,
    tol: float,
    batch_rows: int | None,
) -> Ranking:
    _check_common(scale, alpha)
    _check_choice("ties", ties, ("half", "drop"))
    counts, items = _pair_counts_of(
        data,
        anchor,
        batch_rows,
        a=a,
        b=b,
        outcome=outcome,
        weight=weight,
        outcomes=outcomes,
        drop_self=drop_self,
    )
    try:
        fit = _core.spectral_fit(counts._core, kind, ties, float(alpha), int(max_iter), float(tol))
    except NotIdentifiableError:
        from prefrank.ranking import _not_identifiable_message

        msg = _not_identifiable_message(counts, ties, items).replace("a Gaussian prior", "regularisation")
        raise NotIdentifiableError(msg) from None
    if not fit["converged"]:
        warnings.warn(
            f"{kind} did not converge in {fit['iterations']} iterations; the result has converged=False",
            ConvergenceWarning,
            stacklevel=3,
        )
    games, wins = _games_and_wins(counts, len(items))
    return Ranking.from_fit(
        kind,
        items,
        fit,
        scale,
        offset,
        anchor,
        ties=ties,
        games=games,
        wins=wins,
        counts=counts,
    )


def rank_centrality(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    ties: str = "half",
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
) -> Ranking:
    """Rank Centrality (Negahban, Oh & Shah): the stationary distribution of a random walk that moves
    from each item to the items that beat it, at the share of their games they won.

    Same data arguments as :func:`prefrank.bradley_terry` (or a :class:`PairCounts`; a directory,
    glob or file with ``batch_rows=`` is read in batches of pair counts). ``ties``:
    ``"half"`` (a tie is half a win each way; default) or ``"drop"``. ``alpha`` adds ``alpha`` to
    every pair's counts as choix's ``rank_centrality(alpha=...)`` does (needed when the comparison
    graph is not strongly connected). Scores are centred log-stationary-probabilities; up to
    1,000 items the chain is solved exactly, beyond by power iteration (``max_iter``, ``tol``).
    """
    return _spectral(
        "rank_centrality",
        data,
        a,
        b,
        outcome,
        weight,
        outcomes,
        drop_self,
        ties,
        alpha,
        scale,
        offset,
        anchor,
        max_iter,
        tol,
        batch_rows,
    )


def lsr_pairwise(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    ties: str = "half",
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
) -> Ranking:
    """Luce Spectral Ranking (one step, from equal strengths): choix's ``lsr_pairwise`` with the same
    ``alpha``. See :func:`rank_centrality` for the arguments."""
    return _spectral(
        "lsr",
        data,
        a,
        b,
        outcome,
        weight,
        outcomes,
        drop_self,
        ties,
        alpha,
        scale,
        offset,
        anchor,
        max_iter,
        tol,
        batch_rows,
    )


def ilsr_pairwise(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    ties: str = "half",
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    batch_rows: int | None = None,
) -> Ranking:
    """Iterated LSR: LSR repeated from its own estimate until the L1 change of the centred
    log-strengths is at most ``tol``. It converges to the Bradley-Terry MLE (with ``alpha=0``, the
    same as ``prefrank.bradley_terry(..., ties=ties)``); choix's ``ilsr_pairwise`` with the same
    ``alpha``. See :func:`rank_centrality` for the arguments."""
    return _spectral(
        "ilsr",
        data,
        a,
        b,
        outcome,
        weight,
        outcomes,
        drop_self,
        ties,
        alpha,
        scale,
        offset,
        anchor,
        max_iter,
        tol,
        batch_rows,
    )


# --------------------------------------------------------------------------------------------------
# Batched per-group Bradley-Terry


@dataclass(frozen=True, repr=False, eq=False)
class GroupRankings:
    """One Bradley-Terry fit per group.

    ``theta`` holds log-strengths (centred per group with ``alpha=0``), laid out group by group:
    group code ``g`` owns ``theta[offsets[g]:offsets[g + 1]]`` and the same slice of ``item_codes``.
    Per group: ``converged``, ``identifiable`` (the group's win graph is strongly connected, so the
    unpenalised MLE exists) and ``iterations``.
    """

    groups: np.ndarray
    items: np.ndarray
    offsets: np.ndarray
    item_codes: np.ndarray
    theta: np.ndarray
    converged: np.ndarray
    identifiable: np.ndarray
    iterations: np.ndarray
    alpha: float
    ties: str

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    def _group_column(self) -> np.ndarray:
        return np.repeat(self.groups, _sizes(self.offsets.astype(np.int64)))

    @property
    def scores(self) -> Any:
        """Long DataFrame: ``group``, ``item``, ``score`` (log-strength), in group order, items sorted."""
        import pandas as pd

        return pd.DataFrame({"group": self._group_column(), "item": self.items[self.item_codes], "score": self.theta})

    def flags(self) -> Any:
        """DataFrame indexed by group: ``items``, ``converged``, ``identifiable``, ``iterations``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "items": _sizes(self.offsets.astype(np.int64)),
                "converged": self.converged,
                "identifiable": self.identifiable,
                "iterations": self.iterations,
            },
            index=pd.Index(self.groups, name="group"),
        )

    def to_pandas(self) -> Any:
        """Long table with per-group flags and the within-group rank (1 = best)."""
        df = self.scores
        # Ranks from scores rounded to 1e-9 so that numerically equal strengths share a rank.
        df["rank"] = (
            df.assign(_s=df["score"].round(9)).groupby("group", sort=False)["_s"].rank(ascending=False, method="min")
        )
        sizes = _sizes(self.offsets.astype(np.int64))
        df["converged"] = np.repeat(self.converged, sizes)
        df["identifiable"] = np.repeat(self.identifiable, sizes)
        return df

    def group(self, label: Any) -> Any:
        """Scores of one group as a Series keyed by item, best first."""
        import pandas as pd

        g = _index_of(self.groups, label)
        lo, hi = int(self.offsets[g]), int(self.offsets[g + 1])
        s = pd.Series(self.theta[lo:hi], index=pd.Index(self.items[self.item_codes[lo:hi]], name="item"), name="score")
        return s.sort_values(ascending=False, kind="stable")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for g in range(self.n_groups):
            lo, hi = int(self.offsets[g]), int(self.offsets[g + 1])
            out[_plain(self.groups[g])] = {
                "scores": {
                    _plain(self.items[c]): float(t)
                    for c, t in zip(self.item_codes[lo:hi].tolist(), self.theta[lo:hi], strict=False)
                },
                "converged": bool(self.converged[g]),
                "identifiable": bool(self.identifiable[g]),
            }
        return out

    def __repr__(self) -> str:
        return (
            f"GroupRankings(groups={self.n_groups:,}, rows={len(self.theta):,}, alpha={self.alpha:g}, "
            f"ties={self.ties!r}, not_converged={int((~self.converged).sum()):,}, "
            f"not_identifiable={int((~self.identifiable).sum()):,})"
        )


def _warn_groups(res: GroupRankings, alpha: float) -> None:
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


def bradley_terry_groups(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    group: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    batch_rows: int | None = None,
    ties: str = "half",
    alpha: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> GroupRankings:
    """One Bradley-Terry fit per group (for example the responses to each prompt), for millions of
    small groups in one parallel call.

    Columns as for :func:`prefrank.comparisons`, plus ``group`` (required). ``ties``: ``"half"``
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
    from prefrank.stream import pair_cells, wants_stream

    _check_common("log", alpha)
    _check_choice("ties", ties, ("half", "drop"))
    if isinstance(data, Comparisons):
        comps = as_comparisons(data, a=a, b=b, outcome=outcome, weight=weight)
    else:
        if group is None:
            raise PrefrankError("missing group=: name the column (or pass the values) that identifies each group")
        cols = dict(a=a, b=b, outcome=outcome, weight=weight, outcomes=outcomes, drop_self=drop_self, group=group)
        if wants_stream(data, batch_rows):
            comps = pair_cells(data, key="group", batch_rows=batch_rows, **cols)
        else:
            comps = as_comparisons(data, **cols)
    if comps.group is None or comps.groups is None:
        raise PrefrankError("the Comparisons table has no group column: build it with comparisons(..., group=...)")
    out = _core.bt_groups(
        comps.n_items,
        len(comps.groups),
        comps.group,
        comps.a,
        comps.b,
        comps.p,
        comps.tie,
        comps.weight,
        ties,
        float(alpha),
        int(max_iter),
        float(tol),
    )
    res = GroupRankings(
        groups=comps.groups,
        items=comps.items,
        offsets=out["offsets"],
        item_codes=out["items"],
        theta=out["theta"],
        converged=out["converged"],
        identifiable=out["identifiable"],
        iterations=out["iterations"],
        alpha=float(alpha),
        ties=ties,
    )
    _warn_groups(res, alpha)
    return res


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
    from prefrank.stream import ranking_rows, wants_stream

    _check_common("log", alpha)
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
            raise PrefrankError(f"length mismatch: group has {len(gc)} rows but ranking has {len(r_col)}")
        (rc,), r_labels = code_labels(r_col, names=[str(ranking)])
        n_r = len(r_labels)
        key = key * n_r + rc.astype(np.int64)
    obs = _obs_from_table(data, key, item, rank, weight)
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
    res = GroupRankings(
        groups=groups,
        items=obs.items,
        offsets=out["offsets"],
        item_codes=out["items"],
        theta=out["theta"],
        converged=out["converged"],
        identifiable=out["identifiable"],
        iterations=out["iterations"],
        alpha=float(alpha),
        ties="none",
    )
    _warn_groups(res, alpha)
    return res


# --------------------------------------------------------------------------------------------------
# Contextual Bradley-Terry


@dataclass(frozen=True, repr=False, eq=False)
class ContextualRanking:
    """Contextual Bradley-Terry: controlled item scores plus covariate coefficients.

    ``ranking`` is a :class:`Ranking` of the controlled strengths; ``coef`` are the coefficients
    (log-odds per unit of covariate difference), named by ``covariates``.
    """

    ranking: Ranking
    covariates: tuple[str, ...]
    coef: np.ndarray

    @property
    def scores(self) -> Any:
        """Controlled scores (on the ranking's scale), best first."""
        return self.ranking.scores

    @property
    def coefficients(self) -> Any:
        """Covariate coefficients as a Series keyed by covariate name."""
        import pandas as pd

        return pd.Series(self.coef, index=pd.Index(list(self.covariates), name="covariate"), name="coef")

    @property
    def converged(self) -> bool:
        return self.ranking.converged

    def to_pandas(self) -> Any:
        """The controlled leaderboard (see :meth:`Ranking.to_pandas`)."""
        return self.ranking.to_pandas()

    def to_dict(self) -> dict[str, Any]:
        out = self.ranking.to_dict()
        out["coefficients"] = {k: float(v) for k, v in zip(self.covariates, self.coef, strict=False)}
        return out

    def __repr__(self) -> str:
        coefs = ", ".join(f"{k}={v:.4g}" for k, v in zip(self.covariates, self.coef, strict=False))
        return f"ContextualRanking(coefficients: {coefs})\n{self.ranking!r}"


def _covariate_matrix(src_data: Any, covariates: Any, n_rows: int) -> tuple[np.ndarray, tuple[str, ...]]:
    if isinstance(covariates, Mapping):
        names = tuple(str(k) for k in covariates)
        cols = [_to_numpy(v) for v in covariates.values()]
    elif (
        isinstance(covariates, np.ndarray)
        or (isinstance(covariates, (list, tuple)) and covariates and not isinstance(covariates[0], str))
        or (hasattr(covariates, "to_numpy") and not isinstance(covariates, (list, tuple)))
    ):
        x = np.asarray(covariates.to_numpy() if hasattr(covariates, "to_numpy") else covariates)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise PrefrankError(f"covariates must be 2-D (rows x covariates), got shape {x.shape}")
        cols_attr = getattr(covariates, "columns", None)
        names = tuple(str(c) for c in cols_attr) if cols_attr is not None else tuple(f"x{k}" for k in range(x.shape[1]))
        cols = [x[:, k] for k in range(x.shape[1])]
    else:
        if isinstance(covariates, str):
            covariates = [covariates]
        src = _source(src_data)
        names = tuple(str(c) for c in covariates)
        cols = [_to_numpy(src.get(c, "covariates")) for c in covariates]
    mats = []
    for name, col in zip(names, cols, strict=False):
        if len(col) != n_rows:
            raise PrefrankError(
                f"length mismatch: the comparisons have {n_rows} rows but covariate {name!r} has {len(col)}"
            )
        try:
            mats.append(np.asarray(col, dtype=np.float64))
        except (TypeError, ValueError):
            raise PrefrankError(f"covariate {name!r} is not numeric") from None
    x = np.ascontiguousarray(np.column_stack(mats) if mats else np.zeros((n_rows, 0)), dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise PrefrankError(f"row {r}: covariate {names[c]!r} value {x[r, c]} is not a finite number")
    return x, names


def contextual_bradley_terry(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    covariates: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    batch_rows: int | None = None,
    ties: str = "half",
    alpha: float = 0.0,
    alpha_beta: float | None = None,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    max_iter: int = 200,
    tol: float = 1e-9,
) -> ContextualRanking:
    """Bradley-Terry with per-comparison covariates (Chatbot Arena's "style control").

    ``P(a beats b) = sigma(theta_a - theta_b + beta . x)`` where ``x`` is the row's covariate
    *difference* (e.g. answer length of a minus that of b). ``covariates`` is a list of column names
    of ``data``, a 2-D array / DataFrame (rows x covariates, aligned with the comparisons), or a dict
    name -> column. ``ties``: ``"half"`` (a tie is a soft label 0.5; default) or ``"drop"``.
    ``alpha`` is the L2 penalty on the item strengths and ``alpha_beta`` (default: ``alpha``) on
    the coefficients; ``alpha = alpha_beta = 1/C`` reproduces scikit-learn's
    ``LogisticRegression(C=C, fit_intercept=False)`` on the design ``[onehot(a) - onehot(b), x]``.
    Self-comparisons are errors (rows must stay aligned with the covariates).

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches whose coded
    rows and covariates are concatenated (no text held: 17 bytes per row, + 8 with a weight, + 8
    per covariate; see :func:`prefrank.stream.comparison_rows`); ``covariates`` must then name
    columns, and the result equals that of the concatenated table.
    """
    from prefrank.stream import comparison_rows, wants_stream

    _check_common(scale, alpha)
    alpha_beta = alpha if alpha_beta is None else alpha_beta
    _check_common(scale, alpha_beta, "alpha_beta")
    _check_choice("ties", ties, ("half", "drop"))
    if covariates is None:
        raise PrefrankError("missing covariates=: pass column names, a 2-D array or a dict of columns")
    cols = dict(a=a, b=b, outcome=outcome, weight=weight, outcomes=outcomes)
    if wants_stream(data, batch_rows):
        cov = [covariates] if isinstance(covariates, str) else covariates
        if not (isinstance(cov, (list, tuple)) and all(isinstance(c, str) for c in cov)):
            raise PrefrankError("covariates= must name columns when the data is a file, directory or glob")
        if len(set(cov)) < len(cov):
            raise PrefrankError(f"covariates={list(cov)!r}: a column is named more than once")
        comps, x = comparison_rows(data, batch_rows=batch_rows, extra={f"covariate {c!r}": c for c in cov}, **cols)
        data, covariates = None, {c: x[:, k] for k, c in enumerate(cov)}
    else:
        comps = as_comparisons(data, **cols)
    x, names = _covariate_matrix(None if isinstance(data, Comparisons) else data, covariates, len(comps))
    if anchor is not None:
        _index_of(comps.items, anchor[0])
    counts = comps.pair_counts()
    try:
        fit = _core.contextual_bt_fit(
            comps.n_items,
            comps.a,
            comps.b,
            comps.p,
            comps.tie,
            x,
            comps.weight,
            ties,
            float(alpha),
            float(alpha_beta),
            int(max_iter),
            float(tol),
        )
    except NotIdentifiableError:
        from prefrank.ranking import _not_identifiable_message

        raise NotIdentifiableError(_not_identifiable_message(counts, ties, comps.items)) from None
    if not fit["converged"]:
        warnings.warn(
            f"contextual Bradley-Terry did not converge in {fit['iterations']} iterations "
            "(collinear covariates? pass alpha_beta > 0)",
            ConvergenceWarning,
            stacklevel=2,
        )
    games, wins = _games_and_wins(counts, comps.n_items)
    ranking = Ranking.from_fit(
        "contextual_bradley_terry",
        comps.items,
        fit,
        scale,
        offset,
        anchor,
        ties=ties,
        games=games,
        wins=wins,
        counts=counts,
    )
    return ContextualRanking(ranking=ranking, covariates=names, coef=fit["beta"])
