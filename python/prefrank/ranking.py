"""Leaderboards from pairwise comparisons: Bradley-Terry (with tie models), Elo, bootstrap intervals.

Every function takes anything :func:`prefrank.comparisons` takes (or a ready :class:`Comparisons`)
and returns a :class:`Ranking` keyed by item labels.

Defaults (see docs/ranking.md for the mapping to choix, FastChat, evalica and scikit-learn):

- ``ties="half"``: a tie counts as half a win each way (Chatbot Arena); also ``"drop"``,
  ``"davidson"`` and ``"rao_kupper"`` (tie parameter learned and reported).
- ``alpha=0``: no prior (plain maximum likelihood). ``alpha > 0`` adds ``alpha/2 * sum theta^2``.
- ``scale="elo"``: scores are ``400 / ln 10 * theta + offset`` with ``offset=1000``; ``anchor=(item,
  value)`` pins one item instead. ``scale="log"`` gives the centred log-strengths ``theta``;
  ``scale="strength"`` gives ``exp(theta)``.
- ``bootstrap=0`` rounds; ``seed=0``; intervals at ``level=0.95`` by the percentile method.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from prefrank import _core
from prefrank.data import PairCounts, _int_pair_counts, as_comparisons
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, PrefrankError

__all__ = ["Ranking", "bradley_terry", "elo"]

_TIES = ("half", "drop", "davidson", "rao_kupper")
_SCALES = ("elo", "log", "strength")
ELO_FACTOR = 400.0 / math.log(10.0)


@dataclass(frozen=True, repr=False, eq=False)
class Ranking:
    """A fitted ranking keyed by item labels.

    ``theta`` are log-strengths (centred without a prior); ``scores`` maps them to the requested
    scale. With bootstrap rounds, ``ci()`` gives intervals and ``to_pandas()`` the Arena-style rank
    from interval overlap.
    """

    method: str
    items: np.ndarray
    theta: np.ndarray
    scale: str = "elo"
    offset: float = 1000.0
    anchor: tuple[Any, float] | None = None
    converged: bool = True
    iterations: int = 0
    loglik: float | None = None
    ties: str | None = None
    tie_param: float | None = None
    games: np.ndarray | None = None
    wins: np.ndarray | None = None
    bootstrap_theta: np.ndarray | None = None
    bootstrap_info: dict[str, Any] = field(default_factory=dict)
    counts: PairCounts | None = None

    @classmethod
    def from_fit(
        cls,
        method: str,
        items: np.ndarray,
        fit: Mapping[str, Any],
        scale: str,
        offset: float,
        anchor: Any,
        **extra: Any,
    ) -> Ranking:
        """The result of a core fit's dict: ``theta``, ``converged``, ``iterations`` and, when the fit
        reports it, ``loglik``; ``extra`` sets the other fields."""
        loglik = fit.get("loglik")
        return cls(
            method=method,
            items=items,
            theta=fit["theta"],
            scale=scale,
            offset=float(offset),
            anchor=anchor,
            converged=bool(fit["converged"]),
            iterations=int(fit["iterations"]),
            loglik=None if loglik is None else float(loglik),
            **extra,
        )

    # ---- scales ---------------------------------------------------------------------------------
    def transform(self, theta: np.ndarray) -> np.ndarray:
        """Map log-strengths (any shape, items on the last axis) to this ranking's scale."""
        theta = np.asarray(theta, dtype=np.float64)
        if self.scale == "log":
            return theta
        if self.scale == "strength":
            return np.exp(theta)
        out = ELO_FACTOR * theta
        if self.anchor is not None:
            k = _index_of(self.items, self.anchor[0])
            return out - out[..., k : k + 1] + self.anchor[1]
        return out + self.offset

    @property
    def score_array(self) -> np.ndarray:
        """Scores in item-code order."""
        return self.transform(self.theta)

    @property
    def scores(self) -> Any:
        """Scores as a pandas Series keyed by item, best first."""
        import pandas as pd

        s = pd.Series(self.score_array, index=pd.Index(self.items, name="item"), name="score")
        return s.sort_values(ascending=False, kind="stable")

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python summary (no pandas needed)."""
        out: dict[str, Any] = {
            "method": self.method,
            "scale": self.scale,
            "scores": {_plain(k): float(v) for k, v in zip(self.items.tolist(), self.score_array)},
            "converged": self.converged,
            "iterations": self.iterations,
            "loglik": self.loglik,
            "ties": self.ties,
            "tie_param": self.tie_param,
        }
        if self.bootstrap_theta is not None:
            lo, hi = self._interval(0.95)
            out["ci95"] = {_plain(k): [float(a), float(b)] for k, a, b in zip(self.items.tolist(), lo, hi)}
            out["bootstrap"] = dict(self.bootstrap_info)
        return out

    # ---- intervals ------------------------------------------------------------------------------
    def _require_bootstrap(self) -> np.ndarray:
        if self.bootstrap_theta is None or len(self.bootstrap_theta) == 0:
            raise PrefrankError("no bootstrap rounds: fit with bootstrap=N (e.g. 1000) to get intervals")
        return self.bootstrap_theta

    def _interval(self, level: float, method: str = "percentile") -> tuple[np.ndarray, np.ndarray]:
        if not 0.0 < level < 1.0:
            raise PrefrankError(f"level must be in (0, 1), got {level}")
        _check_choice("method", method, ("percentile", "bca"))
        boot = self.transform(self._require_bootstrap())
        q = (1.0 - level) / 2.0
        if method == "percentile":
            lo, hi = np.quantile(boot, [q, 1.0 - q], axis=0)
            return lo, hi
        accel = self.bootstrap_info.get("acceleration")
        if accel is None:
            raise PrefrankError(f"BCa intervals are not available for {self.method} rankings")
        est = self.score_array
        norm = NormalDist()
        lo, hi = np.empty(len(est)), np.empty(len(est))
        rounds = boot.shape[0]
        for k in range(len(est)):
            col = boot[:, k]
            # Bias correction from the share of rounds below the estimate (ties count half), kept finite.
            share = ((col < est[k]).sum() + 0.5 * (col == est[k]).sum()) / rounds
            z0 = norm.inv_cdf(min(max(share, 0.5 / rounds), 1 - 0.5 / rounds))
            levels = []
            for alpha in (q, 1.0 - q):
                za = norm.inv_cdf(alpha)
                levels.append(norm.cdf(z0 + (z0 + za) / (1.0 - accel[k] * (z0 + za))))
            lo[k], hi[k] = np.quantile(col, levels)
        return lo, hi

    def ci(self, level: float = 0.95, method: str = "percentile") -> Any:
        """Bootstrap interval per item (DataFrame with ``lower``, ``upper``), best item first.

        ``method="percentile"`` (default) or ``"bca"`` (bias-corrected and accelerated; the
        acceleration comes from the empirical influence of each comparison, not a jackknife).
        """
        import pandas as pd

        lo, hi = self._interval(level, method)
        df = pd.DataFrame({"lower": lo, "upper": hi}, index=pd.Index(self.items, name="item"))
        return df.loc[self.scores.index]

    def rank_intervals(self, level: float = 0.95) -> Any:
        """Percentile interval of each item's rank (1 = best) over bootstrap rounds."""
        import pandas as pd

        if not 0.0 < level < 1.0:
            raise PrefrankError(f"level must be in (0, 1), got {level}")
        boot = self._require_bootstrap()
        # Rank 1 = highest strength; ties in a round share the better rank.
        ranks = 1 + (boot[:, None, :] > boot[:, :, None]).sum(axis=2)
        q = (1.0 - level) / 2.0
        lo, hi = np.quantile(ranks, [q, 1.0 - q], axis=0, method="lower")
        df = pd.DataFrame(
            {"rank_lower": lo.astype(int), "rank_upper": hi.astype(int)},
            index=pd.Index(self.items, name="item"),
        )
        return df.loc[self.scores.index]

    def overlap_rank(self, level: float = 0.95) -> np.ndarray:
        """Chatbot Arena's rank: 1 + the number of items whose lower bound exceeds this item's upper bound."""
        lo, hi = self._interval(level)
        return 1 + (lo[None, :] > hi[:, None]).sum(axis=1)

    # ---- matrices -------------------------------------------------------------------------------
    def _matrices(self) -> tuple[np.ndarray, np.ndarray]:
        if self.counts is None:
            raise PrefrankError("this ranking holds no pair counts")
        n = len(self.items)
        wins = np.zeros((n, n))
        ties = np.zeros((n, n))
        i, j, x, y, t = self.counts.cells()
        np.add.at(wins, (i, j), x)
        np.add.at(wins, (j, i), y)
        np.add.at(ties, (i, j), t)
        np.add.at(ties, (j, i), t)
        return wins, ties

    def games_matrix(self) -> Any:
        """Comparisons between each pair (weighted, ties included)."""
        import pandas as pd

        wins, ties = self._matrices()
        idx = pd.Index(self.items, name="item")
        return pd.DataFrame(wins + wins.T + ties, index=idx, columns=idx)

    def win_rate(self) -> Any:
        """Share of row's games against column won (ties count half); NaN where they never met."""
        import pandas as pd

        wins, ties = self._matrices()
        games = wins + wins.T + ties
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(games > 0, (wins + 0.5 * ties) / games, np.nan)
        idx = pd.Index(self.items, name="item")
        return pd.DataFrame(rate, index=idx, columns=idx)

    def predict_proba(self) -> Any:
        """Model probability that row beats column (without ties: P(win) + P(tie) / 2)."""
        import pandas as pd

        th = self.theta
        d = th[:, None] - th[None, :]
        p = 1.0 / (1.0 + np.exp(-d))
        if self.ties == "davidson" and self.tie_param:
            a = np.exp(th)
            num = a[:, None]
            tie = self.tie_param * np.sqrt(a[:, None] * a[None, :])
            z = a[:, None] + a[None, :] + tie
            p = (num + 0.5 * tie) / z
        elif self.ties == "rao_kupper" and self.tie_param and self.tie_param > 1:
            a = np.exp(th)
            k = self.tie_param
            pij = a[:, None] / (a[:, None] + k * a[None, :])
            pji = a[None, :] / (a[None, :] + k * a[:, None])
            p = pij + 0.5 * (1 - pij - pji)
        np.fill_diagonal(p, 0.5)
        idx = pd.Index(self.items, name="item")
        return pd.DataFrame(p, index=idx, columns=idx)

    # ---- tables ---------------------------------------------------------------------------------
    def to_pandas(self, level: float = 0.95) -> Any:
        """The leaderboard: rank, item, score, interval (with bootstrap), games, wins; best first."""
        import pandas as pd

        df = pd.DataFrame({"item": self.items, "score": self.score_array})
        if self.bootstrap_theta is not None and len(self.bootstrap_theta):
            lo, hi = self._interval(level)
            df["lower"], df["upper"] = lo, hi
            df["rank"] = self.overlap_rank(level)
        else:
            df["rank"] = 1 + (self.score_array[None, :] > self.score_array[:, None]).sum(axis=1)
        if self.games is not None:
            df["games"] = self.games
        if self.wins is not None:
            df["wins"] = self.wins
        df = df.sort_values(["score"], ascending=False, kind="stable").reset_index(drop=True)
        cols = ["rank", "item", "score"] + [c for c in ("lower", "upper", "games", "wins") if c in df]
        return df[cols]

    def __repr__(self) -> str:
        order = np.argsort(-self.score_array, kind="stable")
        lines = [
            f"Ranking(method={self.method!r}, items={len(self.items)}, scale={self.scale!r}"
            + (f", ties={self.ties!r}" if self.ties else "")
            + (f", tie_param={self.tie_param:.4g}" if self.tie_param is not None else "")
            + (f", bootstrap={len(self.bootstrap_theta)}" if self.bootstrap_theta is not None else "")
            + ("" if self.converged else ", converged=False")
            + ")"
        ]
        show = order[:10]
        width = max(len(str(self.items[k])) for k in show) if len(show) else 4
        for r, k in enumerate(show, 1):
            lines.append(f"  {r:>3}  {self.items[k]!s:<{width}}  {self.score_array[k]:.4g}")
        if len(order) > 10:
            lines.append(f"  ... {len(order) - 10} more")
        return "\n".join(lines)


def _plain(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x


def _index_of(items: np.ndarray, label: Any) -> int:
    hits = (
        np.flatnonzero(items == label)
        if items.dtype != object
        else [k for k, v in enumerate(items.tolist()) if v == label]
    )
    if len(hits) == 0:
        raise PrefrankError(f"anchor item {label!r} is not among the items")
    return int(hits[0])


def _pair_counts_of(
    data: Any, anchor: tuple[Any, float] | None, batch_rows: int | None = None, **columns: Any
) -> tuple[PairCounts, np.ndarray]:
    """Pair counts and labels of any pairwise input; a :class:`PairCounts` or
    :class:`~prefrank.ComparisonStats` (merged from batches or workers) is used as it is, and a
    directory, glob or ``batch_rows=`` streams the files in batches. Checks that an ``anchor`` exists."""
    from prefrank.stats import ComparisonStats
    from prefrank.stream import accumulate_comparisons, wants_stream

    if isinstance(data, ComparisonStats):
        data = data.pairs
    if isinstance(data, PairCounts):
        counts, items = data, data.items
    elif wants_stream(data, batch_rows):
        counts = accumulate_comparisons(data, batch_rows=batch_rows, pairs_only=True, **columns)
        items = counts.items
    else:
        fast = None
        plain = columns.get("weight") is None and columns.get("outcomes") is None and not columns.get("drop_self")
        if data is None and set(columns) <= _PLAIN_COLUMNS and plain:
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


def bradley_terry(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    batch_rows: int | None = None,
    ties: str = "half",
    alpha: float = 0.0,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    method: str = "auto",
    max_iter: int = 10_000,
    tol: float = 1e-10,
    progress: bool | None = None,
) -> Ranking:
    """Bradley-Terry maximum likelihood (optionally with a Gaussian prior) from pairwise comparisons.

    ``data`` is anything :func:`prefrank.comparisons` takes, a :class:`Comparisons`, or a
    :class:`PairCounts` (e.g. merged from batches). A directory or glob of files (or any file with
    ``batch_rows=``) is read in batches of ``batch_rows`` rows (default 1,000,000) whose pair counts
    are merged, so memory stays bounded (see :mod:`prefrank.stream`).

    Parameters beyond the columns (see :func:`prefrank.comparisons`): ``ties`` (``"half"``,
    ``"drop"``, ``"davidson"``, ``"rao_kupper"``), ``alpha`` (prior precision; 0 = none, then the
    comparison graph must be strongly connected), ``scale`` / ``offset`` / ``anchor`` (score scale),
    ``bootstrap`` (rounds resampling comparisons, seeded by ``seed``; identical for any thread count),
    ``method`` (``"auto"``: Newton up to 1,500 items, then the MM iteration or L-BFGS; or
    ``"newton"``, ``"mm"``, ``"lbfgs"``), ``max_iter``, ``tol`` (gradient tolerance relative to the
    average comparisons per item), ``progress`` (bootstrap progress bar; default: when stderr is a TTY).
    """
    _check_choice("ties", ties, _TIES)
    _check_choice("scale", scale, _SCALES)
    _check_choice("method", method, ("auto", "newton", "mm", "lbfgs"))
    if not (isinstance(bootstrap, (int, np.integer)) and bootstrap >= 0):
        raise PrefrankError(f"bootstrap must be a non-negative integer, got {bootstrap!r}")
    if not (math.isfinite(alpha) and alpha >= 0):
        raise PrefrankError(f"alpha must be a finite number >= 0, got {alpha!r}")
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
        fit = _core.bt_fit(counts._core, ties, float(alpha), int(max_iter), float(tol), method)
    except NotIdentifiableError:
        raise NotIdentifiableError(_not_identifiable_message(counts, ties, items)) from None
    if not fit["converged"]:
        warnings.warn(
            f"Bradley-Terry fit did not converge in {fit['iterations']} iterations (method {fit['method']}); "
            "the result has converged=False",
            ConvergenceWarning,
            stacklevel=2,
        )
    boot = None
    info: dict[str, Any] = {}
    if bootstrap:
        boot, info = _run_bootstrap(
            counts,
            fit["theta"],
            fit["tie_param"],
            int(bootstrap),
            int(seed),
            ties,
            alpha,
            max_iter,
            tol,
            method,
            progress,
        )
        anchor_index = _index_of(items, anchor[0]) if anchor is not None else None
        info["acceleration"] = _core.bt_acceleration(
            counts._core, fit["theta"], ties, float(alpha), fit["tie_param"], anchor_index
        )
    games, wins = _games_and_wins(counts, len(items))
    return Ranking.from_fit(
        "bradley_terry",
        items,
        fit,
        scale,
        offset,
        anchor,
        ties=ties,
        tie_param=fit["tie_param"],
        games=games,
        wins=wins,
        bootstrap_theta=boot,
        bootstrap_info=info,
        counts=counts,
    )


def _run_bootstrap(
    counts: PairCounts,
    theta: np.ndarray,
    tie_hat: float | None,
    rounds: int,
    seed: int,
    ties: str,
    alpha: float,
    max_iter: int,
    tol: float,
    method: str,
    progress: bool | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    chunk = int(_core.BOOTSTRAP_ROUND_CHUNK)
    # Batches of whole chunks keep the result identical to one call, and let Ctrl-C and a progress
    # bar act between batches.
    batch = chunk * 16
    bar = _progress(rounds, progress, "bootstrap")
    parts, tie_parts = [], []
    degenerate = not_converged = 0
    # Resample fits only feed quantiles: a relative gradient of 1e-7 moves theta by far less than
    # the bootstrap spread.
    boot_tol = max(tol, 1e-7)
    try:
        for start in range(0, rounds, batch):
            r = min(batch, rounds - start)
            out = _core.bt_bootstrap(
                counts._core,
                theta,
                r,
                seed,
                start // chunk,
                ties,
                float(alpha),
                int(max_iter),
                boot_tol,
                method,
                tie_hat,
            )
            parts.append(out["theta"])
            tie_parts.append(out["tie_param"])
            degenerate += int(out["degenerate"])
            not_converged += int(out["not_converged"])
            if bar is not None:
                bar.update(r)
    finally:
        if bar is not None:
            bar.close()
    info: dict[str, Any] = {"rounds": rounds, "seed": seed, "degenerate": degenerate, "not_converged": not_converged}
    tp = np.concatenate(tie_parts) if tie_parts else np.empty(0)
    if tp.size:
        info["tie_param"] = tp
    if not_converged:
        warnings.warn(f"{not_converged} of {rounds} bootstrap fits did not converge", ConvergenceWarning, stacklevel=3)
    return np.concatenate(parts, axis=0), info


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
    from prefrank.stream import comparisons_of, elo_stream, wants_stream

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
