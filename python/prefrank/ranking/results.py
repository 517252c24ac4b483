"""Result types of the ranking estimators: Ranking, GroupRankings, ContextualRanking."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_choice, check_level
from prefrank._results import Result, interval_frame, whole
from prefrank.data.coding import label_index, run_lengths
from prefrank.data.comparisons import PairCounts
from prefrank.exceptions import PrefrankError, parameter_error
from prefrank.ranking._common import ELO_FACTOR

__all__ = ["ContextualRanking", "GroupRankings", "Ranking"]


def _round_ranks(boot: np.ndarray) -> np.ndarray:
    """Rank of each item in each round (1 = strongest; tied items share the better rank, i.e. 1 +
    the number of items strictly stronger; a NaN strength is never stronger and ranks 1), from one
    sort per round: O(rounds x items) memory instead of a rounds x items x items comparison."""
    nan = np.isnan(boot)
    vals = np.where(nan, -np.inf, boot)
    order = np.argsort(-vals, axis=1, kind="stable")
    desc = np.take_along_axis(vals, order, axis=1)
    n = boot.shape[1]
    # In descending order, an item's rank is 1 + the position where its run of equal values starts.
    start = np.ones(desc.shape, dtype=bool)
    start[:, 1:] = desc[:, 1:] != desc[:, :-1]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0), axis=1)
    ranks = np.empty(boot.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    ranks[nan] = 1
    return ranks


@dataclass(frozen=True, repr=False, eq=False)
class Ranking(Result):
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
        fit: _core.BtFit | _core.SpectralFit | _core.RankingsFit | _core.ContextualFit,
        scale: str,
        offset: float,
        anchor: Any,
        **extra: Any,
    ) -> Ranking:
        """The result of a core fit: its ``theta``, ``converged``, ``iterations`` and, when the fit
        reports it, ``loglik``; ``extra`` sets the other fields."""
        loglik = getattr(fit, "loglik", None)
        return cls(
            method=method,
            items=items,
            theta=fit.theta,
            scale=scale,
            offset=float(offset),
            anchor=anchor,
            converged=bool(fit.converged),
            iterations=int(fit.iterations),
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
            k = label_index(self.items, self.anchor[0])
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

    def _dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "scale": self.scale,
            "scores": dict(zip(self.items.tolist(), self.score_array)),
            "converged": self.converged,
            "iterations": self.iterations,
            "loglik": self.loglik,
            "ties": self.ties,
            "tie_param": self.tie_param,
        }
        if self.bootstrap_theta is not None:
            lo, hi = self._interval(0.95)
            out["ci95"] = {k: [a, b] for k, a, b in zip(self.items.tolist(), lo, hi)}
            out["bootstrap"] = dict(self.bootstrap_info)
        return out

    # ---- intervals ------------------------------------------------------------------------------
    def _require_bootstrap(self) -> np.ndarray:
        if self.bootstrap_theta is None or len(self.bootstrap_theta) == 0:
            raise PrefrankError("no bootstrap rounds: fit with bootstrap=N (e.g. 1000) to get intervals")
        return self.bootstrap_theta

    def _interval(self, level: float, method: str = "percentile") -> tuple[np.ndarray, np.ndarray]:
        check_level(level)
        check_choice("method", method, ("percentile", "bca"))
        boot = self.transform(self._require_bootstrap())
        q = (1.0 - level) / 2.0
        if method == "percentile":
            lo, hi = np.quantile(boot, [q, 1.0 - q], axis=0)
            return lo, hi
        accel = self.bootstrap_info.get("acceleration")
        if accel is None:
            raise parameter_error("method", f"BCa intervals are not available for {self.method} rankings")
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

    def ci(self, level: float | None = None, method: str = "percentile") -> Any:
        """Bootstrap interval per item, best item first.

        Parameters
        ----------
        level : float, optional
            Confidence level in (0, 1); default 0.95 (any level: the draws are kept).
        method : str
            ``"percentile"`` (default) or ``"bca"`` (bias-corrected and accelerated; the
            acceleration comes from the empirical influence of each comparison, not a jackknife).

        Returns
        -------
        pandas.DataFrame
            ``estimate`` (the score), ``lower``, ``upper``, indexed by item.

        Raises
        ------
        PrefrankError
            Without bootstrap rounds, or for BCa where the fit gives no acceleration.
        """
        lo, hi = self._interval(0.95 if level is None else level, method)
        df = interval_frame(self.items, self.score_array, lo, hi, "item")
        return df.loc[self.scores.index]

    def rank_intervals(self, level: float = 0.95) -> Any:
        """Percentile interval of each item's rank (1 = best) over bootstrap rounds.

        Ties in a round share the better rank (1 + the number of items strictly stronger). Memory:
        two rounds x items arrays.
        """
        import pandas as pd

        check_level(level)
        ranks = _round_ranks(self._require_bootstrap())
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
        # Whole counts as integers (fractional with fractional weights; wins with ties counting half).
        if self.games is not None:
            df["games"] = whole(self.games)
        if self.wins is not None:
            df["wins"] = whole(self.wins)
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


# --------------------------------------------------------------------------------------------------
# Batched per-group Bradley-Terry


@dataclass(frozen=True, repr=False, eq=False)
class GroupRankings(Result):
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
        return np.repeat(self.groups, run_lengths(self.offsets.astype(np.int64)))

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
                "items": run_lengths(self.offsets.astype(np.int64)),
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
        rank = df.assign(_s=df["score"].round(9)).groupby("group", sort=False)["_s"].rank(ascending=False, method="min")
        # A group whose fit gave no finite score (flagged not converged) has no rank: missing, not an error.
        df["rank"] = rank.astype(np.int64) if rank.notna().all() else rank.astype("Int64")
        sizes = run_lengths(self.offsets.astype(np.int64))
        df["converged"] = np.repeat(self.converged, sizes)
        df["identifiable"] = np.repeat(self.identifiable, sizes)
        return df

    def group(self, label: Any) -> Any:
        """Scores of one group as a Series keyed by item, best first."""
        import pandas as pd

        g = label_index(self.groups, label)
        lo, hi = int(self.offsets[g]), int(self.offsets[g + 1])
        s = pd.Series(self.theta[lo:hi], index=pd.Index(self.items[self.item_codes[lo:hi]], name="item"), name="score")
        return s.sort_values(ascending=False, kind="stable")

    def _dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for g in range(self.n_groups):
            lo, hi = int(self.offsets[g]), int(self.offsets[g + 1])
            out[self.groups[g]] = {
                "scores": dict(zip(self.items[self.item_codes[lo:hi]].tolist(), self.theta[lo:hi])),
                "converged": self.converged[g],
                "identifiable": self.identifiable[g],
            }
        return out

    def _summary(self) -> str:
        return (
            f"GroupRankings(groups={self.n_groups:,}, rows={len(self.theta):,}, alpha={self.alpha:g}, "
            f"ties={self.ties!r}, not_converged={int((~self.converged).sum()):,}, "
            f"not_identifiable={int((~self.identifiable).sum()):,})"
        )


# --------------------------------------------------------------------------------------------------
# Contextual Bradley-Terry


@dataclass(frozen=True, repr=False, eq=False)
class ContextualRanking(Result):
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

    def ci(self, level: float | None = None, method: str = "percentile") -> Any:
        """Intervals of the controlled scores (see :meth:`Ranking.ci`)."""
        return self.ranking.ci(level, method)

    def _dict(self) -> dict[str, Any]:
        out = self.ranking._dict()
        out["coefficients"] = dict(zip(self.covariates, self.coef))
        return out

    def __repr__(self) -> str:
        coefs = ", ".join(f"{k}={v:.4g}" for k, v in zip(self.covariates, self.coef, strict=False))
        return f"ContextualRanking(coefficients: {coefs})\n{self.ranking!r}"
