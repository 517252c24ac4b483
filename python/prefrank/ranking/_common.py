"""Validation and helpers shared by the ranking estimators."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import (
    SCALES,
    check_anchor,
    check_batch_rows,
    check_choice,
    check_finite,
    check_max_iter,
    check_real,
    check_tol,
)
from prefrank.data.coding import plain_value, run_lengths
from prefrank.data.comparisons import PairCounts
from prefrank.data.rankings import RankingObs
from prefrank.exceptions import NotIdentifiableError, PrefrankError, rephrased

_TIES = ("half", "drop", "davidson", "rao_kupper")


ELO_FACTOR = 400.0 / math.log(10.0)


def _not_identifiable_message(counts: PairCounts, ties: str, items: np.ndarray) -> str:
    comp, k = _core.bt_components(counts._core, ties)
    n = len(items)
    i, j, x, y, t = counts.cells()
    if ties != "drop":
        share = 0.5 if ties == "half" else 1.0  # a tie counts as this much of a win each way
        x, y = x + share * t, y + share * t
    wins = np.bincount(i, x, n) + np.bincount(j, y, n)
    losses = np.bincount(i, y, n) + np.bincount(j, x, n)
    return _disconnected(
        "comparison", k, comp, items, ("items with no wins", wins), ("items with no losses", losses), "a Gaussian prior"
    )


def _disconnected(
    graph: str,
    k: int,
    comp: np.ndarray,
    items: np.ndarray,
    no_wins: tuple[str, np.ndarray],
    no_losses: tuple[str, np.ndarray],
    remedy: str,
) -> str:
    """Why a win graph is not strongly connected: the items that never win or never lose (each a
    (label, counts) pair), or else the smallest components; and what fits anyway."""
    parts = [f"the {graph} graph is not strongly connected ({k} components)"]
    for what, counts in (no_wins, no_losses):
        if (counts == 0).any():
            parts.append(f"{what}: {_names(items, counts == 0)}")
    if not (no_wins[1] == 0).any() and not (no_losses[1] == 0).any():
        csize = np.bincount(comp)
        groups = ["{" + _names(items, comp == c, 5) + "}" for c in np.argsort(csize)[:3]]
        parts.append("smallest components: " + ", ".join(groups))
    parts.append(f"pass alpha > 0 ({remedy}) to fit anyway")
    return "; ".join(parts)


def _progress(total: int, enabled: bool | None, desc: str) -> Any:
    import sys

    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="round")


def _check_common(scale: str, alpha: float, name: str = "alpha") -> None:
    check_choice("scale", scale, SCALES)
    check_real(name, alpha, min=0.0)


def _check_fit(
    scale: str,
    alpha: Any,
    *,
    offset: Any = 0.0,
    anchor: Any = None,
    max_iter: Any = 1,
    tol: Any = 1.0,
    batch_rows: Any = None,
) -> None:
    """The numeric options shared by the fits: ``alpha`` a finite number >= 0, ``offset`` finite,
    ``anchor`` None or ``(label, finite score)``, ``max_iter`` an int >= 1, ``tol`` finite > 0,
    ``batch_rows`` None or an int >= 1."""
    _check_common(scale, alpha)
    check_finite("offset", offset)
    check_anchor(anchor)
    check_max_iter(max_iter)
    check_tol(tol)
    check_batch_rows(batch_rows)


def _names(items: np.ndarray, mask: np.ndarray, limit: int = 8) -> str:
    labs = [repr(plain_value(v)) for v in items[mask][:limit]]
    more = int(mask.sum()) - limit
    return ", ".join(labs) + (f" and {more} more" if more > 0 else "")


def _pl_message(obs: RankingObs, remedy: str) -> str:
    comp, k = _core.pl_components(len(obs.items), obs.offsets, obs.members, obs.n_ranked, obs.weight)
    sizes = run_lengths(obs.offsets.astype(np.int64))
    pos = np.arange(len(obs.members)) - np.repeat(obs.offsets[:-1].astype(np.int64), sizes)
    stages = np.minimum(obs.n_ranked.astype(np.int64), np.maximum(sizes - 1, 0))
    st = np.repeat(stages, sizes)
    live = np.ones(len(obs.members), bool) if obs.weight is None else np.repeat(obs.weight > 0, sizes)
    n = len(obs.items)
    won = np.bincount(obs.members, weights=((pos < st) & live).astype(float), minlength=n)
    lost = np.bincount(obs.members, weights=((pos >= 1) & (st >= 1) & live).astype(float), minlength=n)
    return _disconnected(
        "'ranked above'",
        k,
        comp,
        obs.items,
        ("items never chosen/ranked above another", won),
        ("items never ranked below another", lost),
        remedy,
    )


@contextmanager
def ranking_fit_errors(obs: RankingObs, remedy: str = "a Gaussian prior") -> Iterator[None]:
    """The core's errors in a fit on ranking observations, said in terms of the data: a "ranked
    above" graph that is not strongly connected names its items (``remedy``: what ``alpha > 0``
    adds), and a bad weight names its observation."""
    try:
        yield
    except NotIdentifiableError as e:
        if "no observation has a choice stage" in str(e):
            raise
        raise NotIdentifiableError(_pl_message(obs, remedy)) from None
    except PrefrankError as e:
        _raise_weight_error(obs, e)
        raise


def _raise_weight_error(obs: RankingObs, e: PrefrankError) -> None:
    """Re-raise the core's bad-weight error naming the observation's label (else return)."""
    row = getattr(e, "row", None)
    if row is not None and obs.weight is not None and getattr(e, "kind", None) in {"negative", "non_finite"}:
        where = f"group {plain_value(obs.obs_labels[row])!r}" if obs.obs_labels is not None else f"ranking {row}"
        detail = f"{where}: weight {float(obs.weight[row])!r} must be finite and >= 0"
        raise rephrased(e, detail, row=None, column="weight", value=float(obs.weight[row])) from None
