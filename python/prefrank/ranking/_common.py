"""Validation and helpers shared by the ranking estimators."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.data.coding import _index_of, _plain, _sizes
from prefrank.data.comparisons import PairCounts, _int_pair_counts, as_comparisons
from prefrank.data.rankings import _Obs
from prefrank.exceptions import PrefrankError
from prefrank.stats import ComparisonStats, accumulate_comparisons
from prefrank.stream import wants_stream

_TIES = ("half", "drop", "davidson", "rao_kupper")


_SCALES = ("elo", "log", "strength")


ELO_FACTOR = 400.0 / math.log(10.0)


def _pair_counts_of(
    data: Any, anchor: tuple[Any, float] | None, batch_rows: int | None = None, **columns: Any
) -> tuple[PairCounts, np.ndarray]:
    """Pair counts and labels of any pairwise input; a :class:`PairCounts` or
    :class:`~prefrank.ComparisonStats` (merged from batches or workers) is used as it is, and a
    directory, glob or ``batch_rows=`` streams the files in batches. Checks that an ``anchor`` exists."""

    if isinstance(data, ComparisonStats):
        data = data.pairs
    if isinstance(data, PairCounts):
        counts, items = data, data.items
    elif wants_stream(data, batch_rows):
        counts = accumulate_comparisons(data, batch_rows=batch_rows, pairs_only=True, **columns)
        items = counts.items
    else:
        fast = None
        given = {k for k, v in columns.items() if v is not None}
        plain = columns.get("weight") is None and columns.get("outcomes") is None and not columns.get("drop_self")
        # Options left at None keep the fused pass; a position column (left/right outcomes) does not.
        if data is None and given <= _PLAIN_COLUMNS and plain:
            # Integer labels with win/loss/tie outcomes (the most common numpy input): one fused pass.
            fast = _int_pair_counts(columns.get("a"), columns.get("b"), columns.get("outcome"))
        if fast is not None:
            counts, items = fast, fast.items
        else:
            comps = as_comparisons(data, **columns)
            counts, items = comps.pair_counts(), comps.items
    if anchor is not None:
        _index_of(items, anchor[0])
    return counts, items


_PLAIN_COLUMNS = {"a", "b", "outcome", "weight", "outcomes", "drop_self"}


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise PrefrankError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}")


def _games_and_wins(counts: PairCounts, n: int) -> tuple[np.ndarray, np.ndarray]:
    i, j, x, y, t = counts.cells()
    games = np.bincount(i, x + y + t, n) + np.bincount(j, x + y + t, n)
    wins = np.bincount(i, x + 0.5 * t, n) + np.bincount(j, y + 0.5 * t, n)
    return games, wins


def _not_identifiable_message(counts: PairCounts, ties: str, items: np.ndarray) -> str:
    comp, k = _core.bt_components(counts._core, ties)
    n = len(items)
    i, j, x, y, t = counts.cells()
    if ties == "drop":
        x, y = x, y
    elif ties == "half":
        x, y = x + 0.5 * t, y + 0.5 * t
    else:
        x, y = x + t, y + t
    wins = np.bincount(i, x, n) + np.bincount(j, y, n)
    losses = np.bincount(i, y, n) + np.bincount(j, x, n)

    def names(mask: np.ndarray, limit: int = 8) -> str:
        labs = [repr(_plain(v)) for v in items[mask][:limit]]
        more = int(mask.sum()) - limit
        return ", ".join(labs) + (f" and {more} more" if more > 0 else "")

    parts = [f"the comparison graph is not strongly connected ({k} components)"]
    if (wins == 0).any():
        parts.append(f"items with no wins: {names(wins == 0)}")
    if (losses == 0).any():
        parts.append(f"items with no losses: {names(losses == 0)}")
    if not (wins == 0).any() and not (losses == 0).any():
        sizes = np.bincount(comp)
        groups = []
        for c in np.argsort(sizes)[:3]:
            groups.append("{" + names(comp == c, 5) + "}")
        parts.append("smallest components: " + ", ".join(groups))
    parts.append("pass alpha > 0 (a Gaussian prior) to fit anyway")
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
    _check_choice("scale", scale, _SCALES)
    if not (isinstance(alpha, (int, float, np.floating, np.integer)) and math.isfinite(alpha) and alpha >= 0):
        raise PrefrankError(f"{name} must be a finite number >= 0, got {alpha!r}")


def _names(items: np.ndarray, mask: np.ndarray, limit: int = 8) -> str:
    labs = [repr(_plain(v)) for v in items[mask][:limit]]
    more = int(mask.sum()) - limit
    return ", ".join(labs) + (f" and {more} more" if more > 0 else "")


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


def _raise_weight_error(obs: _Obs, e: PrefrankError) -> None:
    """Re-raise the core's bad-weight error naming the observation's label (else return)."""
    row = getattr(e, "row", None)
    if row is not None and obs.weight is not None and getattr(e, "kind", None) in {"negative", "non_finite"}:
        where = f"group {_plain(obs.obs_labels[row])!r}" if obs.obs_labels is not None else f"ranking {row}"
        raise PrefrankError(f"{where}: weight {float(obs.weight[row])!r} must be finite and >= 0") from None
