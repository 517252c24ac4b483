"""Result types of the robust estimators: RobustRanking, LabelNoise, Curation, Fragility."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prefrank._results import Result, interval_frame, whole
from prefrank.data.comparisons import Comparisons
from prefrank.exceptions import parameter_error
from prefrank.ranking.results import Ranking

__all__ = ["Curation", "Fragility", "LabelNoise", "RobustRanking"]


# --------------------------------------------------------------------------------------------------
# Robust BTL recovery
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class RobustRanking(Result):
    """Robust BTL recovery: strengths, the entries judged corrupted, the completed probability matrix.

    ``theta`` are centred log-strengths by item code; ``ranking`` is the same fit as a
    :class:`prefrank.Ranking` (scores, leaderboard table). ``entries()`` lists every observed pair
    with its empirical and fitted win probability, residual and ``corrupted`` flag. With the refit
    (the default) the residual is the signed deviance residual of the final Bradley-Terry fit and
    the flags are the refit's; ``matrix_corrupted_mask`` keeps the matrix step's flags. Without it
    the residual is the matrix step's standardised logit residual and both masks are equal.
    """

    items: np.ndarray
    theta: np.ndarray
    i: np.ndarray
    j: np.ndarray
    wins_i: np.ndarray
    wins_j: np.ndarray
    residual: np.ndarray
    corrupted_mask: np.ndarray
    sigma: float
    iterations: int
    converged: bool
    ranking: Ranking
    params: dict[str, Any] = field(default_factory=dict)
    matrix_corrupted_mask: np.ndarray | None = None

    @property
    def scores(self) -> Any:
        """Scores (the ranking's scale) as a pandas Series keyed by item, best first."""
        return self.ranking.scores

    @property
    def order(self) -> np.ndarray:
        """Item labels, best first."""
        return self.items[np.argsort(-self.theta, kind="stable")]

    @property
    def observed_fraction(self) -> float:
        n = len(self.items)
        return float(len(self.i) / (n * (n - 1) / 2)) if n > 1 else 0.0

    def completed_proba(self) -> Any:
        """The completed matrix ``P(row beats column) = sigma(theta_row - theta_col)`` (DataFrame)."""
        import pandas as pd

        d = self.theta[:, None] - self.theta[None, :]
        p = 1.0 / (1.0 + np.exp(-d))
        idx = pd.Index(self.items, name="item")
        return pd.DataFrame(p, index=idx, columns=idx)

    def entries(self) -> Any:
        """Every observed pair: wins each way, empirical and fitted probability, residual, flag."""
        import pandas as pd

        n_ij = self.wins_i + self.wins_j
        with np.errstate(invalid="ignore", divide="ignore"):
            emp = np.where(n_ij > 0, self.wins_i / n_ij, np.nan)
        fit = 1.0 / (1.0 + np.exp(-(self.theta[self.i] - self.theta[self.j])))
        return pd.DataFrame(
            {
                "item_a": self.items[self.i],
                "item_b": self.items[self.j],
                "wins_a": whole(self.wins_i),
                "wins_b": whole(self.wins_j),
                "observed_p": emp,
                "fitted_p": fit,
                "z": self.residual,
                "corrupted": self.corrupted_mask,
            }
        )

    @property
    def corrupted(self) -> Any:
        """The entries judged corrupted (rows of :meth:`entries`), largest residual first."""
        df = self.entries()
        df = df[df["corrupted"]]
        return df.reindex(df["z"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    def to_pandas(self) -> Any:
        """The leaderboard (rank, item, score, games, wins) plus the number of corrupted entries per item."""
        df = self.ranking.to_pandas()
        n = len(self.items)
        bad = np.bincount(self.i[self.corrupted_mask], minlength=n) + np.bincount(
            self.j[self.corrupted_mask], minlength=n
        )
        per = dict(zip(self.items.tolist(), bad.tolist(), strict=True))
        df["corrupted_pairs"] = [per[k] for k in df["item"].tolist()]
        return df

    def ci(self, level: float | None = None, method: str = "percentile") -> Any:
        """Intervals of the scores where the ranking was bootstrapped (see :meth:`Ranking.ci`)."""
        return self.ranking.ci(level, method)

    def _dict(self) -> dict[str, Any]:
        out = self.ranking._dict()
        out.update(
            method="robust_btl",
            corrupted=[
                [self.items[a], self.items[b]]
                for a, b in zip(self.i[self.corrupted_mask], self.j[self.corrupted_mask], strict=True)
            ],
            sigma=self.sigma,
            observed_fraction=self.observed_fraction,
            params=dict(self.params),
        )
        return out

    def _summary(self) -> str:
        return (
            f"RobustRanking(items={len(self.items)}, observed_pairs={len(self.i)} "
            f"({self.observed_fraction:.1%}), corrupted={int(self.corrupted_mask.sum())}, "
            f"sigma={self.sigma:.3g}" + ("" if self.converged else ", converged=False") + ")"
        )


# --------------------------------------------------------------------------------------------------
# Label noise
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class LabelNoise(Result):
    """Bradley-Terry with label flips: per-comparison posteriors, flip rates, per-judge reliability.

    ``posterior[r]`` is the probability that row ``r``'s recorded outcome is the true one (NaN for ties
    and zero-weight rows). ``epsilon`` is the expected share of decisive judgments that are flipped,
    with a ``level`` interval ``epsilon_ci`` (Wald from the joint observed information of theta and the
    flip rates, profiled over theta, clipped to [0, 1/2]; ``joint_intervals`` is False when the problem was
    too large for that and theta was held at its estimate, which gives narrower intervals); pass it as
    ``epsilon`` to robust-DPO style losses.
    """

    comparisons: Comparisons
    theta: np.ndarray
    posterior: np.ndarray
    epsilon: float
    epsilon_ci: tuple[float, float]
    judge_epsilon: np.ndarray
    judge_ci: np.ndarray
    judge_weight: np.ndarray
    level: float
    loglik: float
    iterations: int
    converged: bool
    ranking: Ranking
    joint_intervals: bool = True

    @property
    def items(self) -> np.ndarray:
        return self.comparisons.items

    @property
    def judges(self) -> np.ndarray | None:
        return self.comparisons.judges

    @property
    def scores(self) -> Any:
        """Noise-aware scores as a pandas Series keyed by item, best first."""
        return self.ranking.scores

    def _judge_labels(self) -> np.ndarray:
        # One flip rate per judge with by_judge=True; one for all rows otherwise, even when the
        # comparisons carry a judge column.
        j = self.judges
        if j is not None and len(j) == len(self.judge_epsilon):
            return j
        return np.array(["(all)"], dtype=object)

    def reliability(self) -> Any:
        """Per judge: flip rate with interval, reliability ``1 - epsilon`` and decisive votes."""
        import pandas as pd

        labels = self._judge_labels()
        return pd.DataFrame(
            {
                "epsilon": self.judge_epsilon,
                "lower": self.judge_ci[:, 0],
                "upper": self.judge_ci[:, 1],
                "reliability": 1.0 - self.judge_epsilon,
                "votes": whole(self.judge_weight),
            },
            index=pd.Index(labels, name="judge"),
        ).sort_values("epsilon", kind="stable")

    def to_pandas(self) -> Any:
        """The comparisons (labels) with the posterior probability that each is correct."""
        df = self.comparisons.to_pandas()
        df["p_correct"] = self.posterior
        return df

    def suspects(self, below: float = 0.5) -> Any:
        """Comparisons whose posterior probability of being correct is below ``below``, lowest first."""
        df = self.to_pandas()
        df = df[df["p_correct"] < below]
        return df.sort_values("p_correct", kind="stable")

    def weights(self) -> np.ndarray:
        """Per-row training weights: the posterior probability of being correct (1 for ties)."""
        return np.where(np.isnan(self.posterior), 1.0, self.posterior)

    def _dict(self) -> dict[str, Any]:
        jl = self._judge_labels().tolist()
        return {
            "method": "label_noise",
            "epsilon": self.epsilon,
            "epsilon_ci": list(self.epsilon_ci),
            "level": self.level,
            "judge_epsilon": dict(zip(jl, self.judge_epsilon, strict=True)),
            "scores": self.ranking._dict()["scores"],
            "loglik": self.loglik,
            "iterations": self.iterations,
            "converged": self.converged,
        }

    def _intervals(self, level: float | None) -> Any:
        # Wald intervals clipped to [0, 1/2] keep no standard error to recompute another level from.
        if level is not None and level != self.level:
            raise parameter_error(
                "level",
                f"these intervals are at level={self.level}; call label_noise(..., level={level}) for another level",
            )
        judges = self._judge_labels()
        if judges.tolist() == ["(all)"]:
            return interval_frame(["(all)"], [self.epsilon], [self.epsilon_ci[0]], [self.epsilon_ci[1]], "judge")
        return interval_frame(
            ["(all)", *judges.tolist()],
            [self.epsilon, *self.judge_epsilon],
            [self.epsilon_ci[0], *self.judge_ci[:, 0]],
            [self.epsilon_ci[1], *self.judge_ci[:, 1]],
            "judge",
        )

    def _head(self) -> Any:
        return self.reliability()

    def _summary(self) -> str:
        lo, hi = self.epsilon_ci
        return (
            f"LabelNoise(comparisons={len(self.comparisons)}, items={len(self.items)}, "
            f"judges={len(self.judge_epsilon)}, epsilon={self.epsilon:.4f} [{lo:.4f}, {hi:.4f}] at {self.level:.0%}"
            + ("" if self.converged else ", converged=False")
            + ")"
        )


# --------------------------------------------------------------------------------------------------
# Batched per-prompt curation
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class Curation(Result):
    """Cleaned preference pairs from many small per-prompt problems.

    ``prompt``, ``chosen``, ``rejected``, ``weight`` are aligned arrays (one row per pair); with a score
    tensor they hold prompt indices and response indices, with long-form input the labels.
    ``weight`` is the posterior probability that ``chosen`` truly beats ``rejected``; ``epsilon`` is the
    expected share of emitted pairs that are flipped (mean of ``1 - weight``), the flip rate to give a
    robust-DPO loss; ``label_epsilon`` is the judges' pooled flip rate and ``judge_epsilon`` per judge.
    Use either the weights or epsilon in a loss, not both at full strength (both account for the same
    noise).
    """

    prompt: np.ndarray
    chosen: np.ndarray
    rejected: np.ndarray
    weight: np.ndarray
    epsilon: float
    label_epsilon: float
    judge_epsilon: np.ndarray
    judge_votes: np.ndarray
    judges: np.ndarray
    theta: np.ndarray
    iterations: int
    converged: bool

    def __len__(self) -> int:
        return len(self.weight)

    def to_pandas(self) -> Any:
        """One row per pair: ``prompt``, ``chosen``, ``rejected``, ``weight``."""
        import pandas as pd

        return pd.DataFrame(
            {"prompt": self.prompt, "chosen": self.chosen, "rejected": self.rejected, "weight": self.weight}
        )

    def reliability(self) -> Any:
        """Per judge: flip rate, reliability and decisive votes."""
        import pandas as pd

        return pd.DataFrame(
            {
                "epsilon": self.judge_epsilon,
                "reliability": 1.0 - self.judge_epsilon,
                "votes": whole(self.judge_votes),
            },
            index=pd.Index(self.judges, name="judge"),
        )

    def _dict(self) -> dict[str, Any]:
        return {
            "pairs": len(self),
            "epsilon": self.epsilon,
            "label_epsilon": self.label_epsilon,
            "judge_epsilon": dict(zip(self.judges.tolist(), self.judge_epsilon, strict=True)),
            "iterations": self.iterations,
            "converged": self.converged,
        }

    def _summary(self) -> str:
        je = ", ".join(f"{k}={v:.3f}" for k, v in list(zip(self.judges.tolist(), self.judge_epsilon, strict=True))[:8])
        return (
            f"Curation(prompts={self.theta.shape[0]}, pairs={len(self)}, epsilon={self.epsilon:.4f}, "
            f"label_epsilon={self.label_epsilon:.4f}, judge_epsilon={{{je}}}"
            + ("" if self.converged else ", converged=False")
            + ")"
        )


# --------------------------------------------------------------------------------------------------
# Fragility
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class Fragility(Result):
    """A small set of comparisons whose removal changes the top item (or a pair's order).

    ``rows`` are row indices of the comparisons to remove (into the input table); ``removed`` lists
    them with labels. ``found`` is true when removing them changes the target, confirmed by a refit
    from scratch; the set is greedy (an upper bound on the smallest set) and 1-minimal.
    """

    items: np.ndarray
    rows: np.ndarray
    winner: np.ndarray
    loser: np.ndarray
    target: tuple[Any, Any]
    top_before: Any
    top_after: Any
    theta_before: np.ndarray
    theta_after: np.ndarray
    found: bool
    total: int

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def removed(self) -> Any:
        """The comparisons to remove (the main table, see :meth:`to_pandas`)."""
        import pandas as pd

        return pd.DataFrame({"row": self.rows, "winner": self.winner, "loser": self.loser})

    def to_pandas(self) -> Any:
        """The comparisons to remove: ``row`` (into the input table), ``winner``, ``loser``."""
        return self.removed

    def _dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "size": self.size,
            "comparisons": self.total,
            "rows": self.rows,
            "target": list(self.target),
            "top_before": self.top_before,
            "top_after": self.top_after,
        }

    def _summary(self) -> str:
        what = (
            f"removing {self.size} of {self.total} comparisons changes the top item from "
            f"{self.top_before!r} to {self.top_after!r}"
            if self.found
            else f"no change of {self.target[0]!r} vs {self.target[1]!r} found within the removal budget"
        )
        return f"Fragility({what})"
