"""Robust ranking recovery and preference-data curation.

- :func:`robust_ranking`: recover the Bradley-Terry-Luce logit matrix (skew-symmetric, rank 2) from the
  empirical win-rate matrix when some entries are arbitrarily corrupted and others missing
  (alternating projection onto the BTL subspace and hard thresholding), then by default a trimmed
  Bradley-Terry refit: flag pairs by their deviance residual, refit BT by maximum likelihood on the
  rest, repeat until the flags are stable (see docs/robust.md).
- :func:`label_noise`: Bradley-Terry with a per-judge label-flip probability fitted by EM: the
  posterior probability that each comparison is correct, a flip rate ``epsilon`` with an interval (the
  epsilon of robust DPO) and per-judge reliability.
- :func:`curate`: millions of small per-prompt problems (responses scored by several judges, or their
  pairwise verdicts) in one parallel call, returning cleaned ``(chosen, rejected, weight)`` pairs and ``epsilon`` for
  ``prefrank.losses``.
- :func:`fragility`: a small set of comparisons whose removal changes the top item (or the order of a
  pair), found greedily by influence and confirmed by refitting.

Defaults: ties count half a win each way; ``level=0.95``; ``shrink=10`` pseudo-votes pull a judge's
flip rate towards the pooled rate; ``threshold=3`` robust standard deviations; at most
``max_corrupt_fraction=0.25`` of an item's observed pairs may be set aside by the matrix step and
``refit_fraction=0.49`` (just under half) by the trimmed refit (``refit=True``, maximum likelihood: ``alpha=0``);
``alpha=1`` prior precision per prompt in :func:`curate`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, cast

import numpy as np

from prefrank import _core
from prefrank.data import Comparisons, as_comparisons, code_labels
from prefrank.exceptions import ConvergenceWarning, PrefrankError
from prefrank.ranking import _SCALES, Ranking, _check_choice, _games_and_wins, _plain

__all__ = [
    "Curation",
    "Fragility",
    "LabelNoise",
    "RobustRanking",
    "curate",
    "fragility",
    "label_noise",
    "robust_ranking",
]


def _z(level: float) -> float:
    if not (isinstance(level, (int, float)) and 0.0 < level < 1.0):
        raise PrefrankError(f"level must be in (0, 1), got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _warn(converged: bool, what: str, iterations: int) -> None:
    if not converged:
        warnings.warn(
            f"{what} did not converge in {iterations} iterations; the result has converged=False",
            ConvergenceWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------------------------------
# Robust BTL recovery
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class RobustRanking:
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
                "wins_a": self.wins_i,
                "wins_b": self.wins_j,
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

    def to_dict(self) -> dict[str, Any]:
        out = self.ranking.to_dict()
        out.update(
            method="robust_btl",
            corrupted=[
                [_plain(self.items[a]), _plain(self.items[b])]
                for a, b in zip(self.i[self.corrupted_mask], self.j[self.corrupted_mask], strict=True)
            ],
            sigma=self.sigma,
            observed_fraction=self.observed_fraction,
            params=dict(self.params),
        )
        return out

    def __repr__(self) -> str:
        head = (
            f"RobustRanking(items={len(self.items)}, observed_pairs={len(self.i)} "
            f"({self.observed_fraction:.1%}), corrupted={int(self.corrupted_mask.sum())}, "
            f"sigma={self.sigma:.3g}" + ("" if self.converged else ", converged=False") + ")"
        )
        body = repr(self.ranking).split("\n", 1)
        return head + ("\n" + body[1] if len(body) > 1 else "")


def robust_ranking(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    threshold: float = 3.0,
    max_corrupt_fraction: float = 0.25,
    pseudo: float = 0.5,
    decay: float = 0.5,
    max_iter: int = 100,
    min_degree: int = 3,
    refit: bool = True,
    refit_fraction: float = 0.49,
    alpha: float = 0.0,
    refit_max_iter: int = 50,
    scale: str = "elo",
    offset: float = 1000.0,
) -> RobustRanking:
    """Robust Bradley-Terry-Luce recovery from comparisons with corrupted and missing pairs.

    Matrix step: the empirical logit of each observed pair (ties count half, ``pseudo`` added to
    each side) is fitted by ``theta_i - theta_j`` by weighted least squares, and entries whose
    standardised residual exceeds a threshold decreasing to ``threshold`` robust standard deviations
    are set aside as corrupted (at most ``max_corrupt_fraction`` of each item's pairs), alternating
    until the set is stable.

    Refit (``refit=True``, the default): starting from that fit, Bradley-Terry is fitted by maximum
    likelihood (prior precision ``alpha``; 0 = none) on the pairs not set aside, every pair's signed
    deviance residual is computed, pairs above ``threshold`` robust scales are set aside (largest
    first, at most ``refit_fraction`` of each item's pairs), and this repeats until the set is stable
    (at most ``refit_max_iter`` rounds). The default ``refit_fraction=0.49`` is the breakdown limit of
    the per-item model: an item can be recovered while a majority of its pairs are clean.
    ``refit=False`` returns the matrix step alone (the behaviour before the refit existed).

    Raises :class:`NotIdentifiableError` stating the observed fraction when the comparison graph is
    too sparse (disconnected, an item in fewer than ``min_degree`` pairs, or fewer than ``ln(n)/n`` of
    the pairs observed).
    """
    _check_choice("scale", scale, _SCALES)
    from prefrank.ranking import _pair_counts_of

    # Only pair counts are needed: a PairCounts / ComparisonStats, or a directory or glob streamed in batches.
    counts, items = _pair_counts_of(
        data, None, None, a=a, b=b, outcome=outcome, weight=weight, outcomes=outcomes, drop_self=drop_self
    )
    for name, v in (("threshold", threshold), ("pseudo", pseudo)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise PrefrankError(f"{name} must be a finite number > 0, got {v!r}")
    if not 0.0 <= max_corrupt_fraction < 1.0:
        raise PrefrankError(f"max_corrupt_fraction must be in [0, 1), got {max_corrupt_fraction!r}")
    if not 0.0 < decay < 1.0:
        raise PrefrankError(f"decay must be in (0, 1), got {decay!r}")
    if not 0.0 <= refit_fraction < 1.0:
        raise PrefrankError(f"refit_fraction must be in [0, 1), got {refit_fraction!r}")
    if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha >= 0):
        raise PrefrankError(f"alpha must be a finite number >= 0, got {alpha!r}")
    out = _core.robust_btl_fit(
        counts._core,
        float(threshold),
        float(max_corrupt_fraction),
        float(pseudo),
        float(decay),
        int(max_iter),
        int(min_degree),
        refit=bool(refit),
        refit_fraction=float(refit_fraction),
        alpha=float(alpha),
        refit_max_iter=int(refit_max_iter),
    )
    _warn(
        bool(out["converged"]),
        "robust BTL recovery" + (" (matrix step and trimmed refit)" if refit else ""),
        int(out["iterations"]),
    )
    games, wins = _games_and_wins(counts, len(items))
    rank = Ranking(
        method="robust_btl",
        items=items,
        theta=out["theta"],
        scale=scale,
        offset=float(offset),
        converged=bool(out["converged"]),
        iterations=int(out["iterations"]),
        ties="half",
        games=games,
        wins=wins,
        counts=counts,
    )
    return RobustRanking(
        items=items,
        theta=out["theta"],
        i=out["i"],
        j=out["j"],
        wins_i=out["wins_i"],
        wins_j=out["wins_j"],
        residual=out["residual"],
        corrupted_mask=out["corrupted"],
        sigma=float(out["sigma"]),
        iterations=int(out["iterations"]),
        converged=bool(out["converged"]),
        ranking=rank,
        params={
            "threshold": threshold,
            "max_corrupt_fraction": max_corrupt_fraction,
            "pseudo": pseudo,
            "decay": decay,
            "min_degree": min_degree,
            "refit": bool(refit),
            "refit_fraction": refit_fraction,
            "alpha": alpha,
            "refit_rounds": int(out["refit_rounds"]),
            "refit_alpha": float(out["alpha_used"]),
        },
        matrix_corrupted_mask=out["matrix_corrupted"],
    )


# --------------------------------------------------------------------------------------------------
# Label noise
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class LabelNoise:
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

    def reliability(self) -> Any:
        """Per judge: flip rate with interval, reliability ``1 - epsilon`` and decisive votes."""
        import pandas as pd

        labels = self.judges if self.judges is not None else np.array(["(all)"], dtype=object)
        return pd.DataFrame(
            {
                "epsilon": self.judge_epsilon,
                "lower": self.judge_ci[:, 0],
                "upper": self.judge_ci[:, 1],
                "reliability": 1.0 - self.judge_epsilon,
                "votes": self.judge_weight,
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

    def to_dict(self) -> dict[str, Any]:
        jl = self.judges.tolist() if self.judges is not None else ["(all)"]
        return {
            "method": "label_noise",
            "epsilon": self.epsilon,
            "epsilon_ci": list(self.epsilon_ci),
            "level": self.level,
            "judge_epsilon": {_plain(k): float(v) for k, v in zip(jl, self.judge_epsilon, strict=True)},
            "scores": self.ranking.to_dict()["scores"],
            "loglik": self.loglik,
            "iterations": self.iterations,
            "converged": self.converged,
        }

    def __repr__(self) -> str:
        lo, hi = self.epsilon_ci
        nj = len(self.judge_epsilon)
        head = (
            f"LabelNoise(comparisons={len(self.comparisons)}, items={len(self.items)}, judges={nj}, "
            f"epsilon={self.epsilon:.4f} [{lo:.4f}, {hi:.4f}] at {self.level:.0%}"
            + ("" if self.converged else ", converged=False")
            + ")"
        )
        body = repr(self.ranking).split("\n", 1)
        return head + ("\n" + body[1] if len(body) > 1 else "")


def label_noise(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    judge: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    batch_rows: int | None = None,
    per_judge: bool = True,
    shrink: float = 10.0,
    alpha: float = 0.0,
    level: float = 0.95,
    eps_init: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-8,
    scale: str = "elo",
    offset: float = 1000.0,
) -> LabelNoise:
    """Fit Bradley-Terry with a per-judge probability of a flipped label by EM.

    A judgment by judge ``r`` records the true outcome (drawn from Bradley-Terry) flipped with
    probability ``epsilon_r``. The EM runs on the pair-outcome cells of each judge (sufficient
    statistics). ``judge`` names the judge/annotator column (or is taken from a :class:`Comparisons`
    built with ``judge=``); ``per_judge=False`` fits one shared rate. ``shrink`` pseudo-votes pull
    rarely seen judges towards the pooled rate (0 = plain MLE). ``alpha`` is the Gaussian prior
    precision on strengths (0 = none: the comparison graph must be connected).

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches of
    ``batch_rows`` rows, each reduced to its (judge, pair) cells (the weights of "lo won", "hi won"
    and ties), which are merged: memory is one batch plus 44 bytes per cell, however many rows
    repeat a cell (:func:`prefrank.stream.pair_cells`). The EM sees only these cells, so
    strengths, flip rates, intervals and log-likelihood equal those of the in-memory fit on the
    concatenated files (exactly with whole-number weights). ``comparisons`` is then the cell table
    (one weighted row per cell and verdict, cells in the order the rows first reach them) and
    ``posterior`` is per cell row: the posterior every judgment in that cell with that verdict has
    in the in-memory fit.
    """
    from prefrank.stream import pair_cells, wants_stream

    _check_choice("scale", scale, _SCALES)
    z = _z(level)
    cols = dict(a=a, b=b, outcome=outcome, weight=weight, judge=judge, outcomes=outcomes, drop_self=drop_self)
    if wants_stream(data, batch_rows):
        comps = pair_cells(data, key="judge", batch_rows=batch_rows, **cols)
    else:
        comps = as_comparisons(data, **cols)
    jcodes = comps.judge if per_judge else None
    n_judges = len(comps.judges) if (per_judge and comps.judges is not None) else 0
    for name, v in (("shrink", shrink), ("alpha", alpha)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise PrefrankError(f"{name} must be a finite number >= 0, got {v!r}")
    if not 0.0 < eps_init < 0.5:
        raise PrefrankError(f"eps_init must be in (0, 1/2), got {eps_init!r}")
    out = _core.robust_label_noise(
        comps.n_items,
        comps.a,
        comps.b,
        comps.p,
        comps.tie,
        comps.weight,
        jcodes,
        n_judges,
        float(shrink),
        float(alpha),
        float(eps_init),
        int(max_iter),
        float(tol),
        float(z),
    )
    _warn(bool(out["converged"]), "label-noise EM", int(out["iterations"]))
    counts = comps.pair_counts()
    games, wins = _games_and_wins(counts, comps.n_items)
    rank = Ranking(
        method="label_noise",
        items=comps.items,
        theta=out["theta"],
        scale=scale,
        offset=float(offset),
        converged=bool(out["converged"]),
        iterations=int(out["iterations"]),
        loglik=float(out["loglik"]),
        ties="half",
        games=games,
        wins=wins,
        counts=counts,
    )
    return LabelNoise(
        comparisons=comps,
        theta=out["theta"],
        posterior=out["posterior"],
        epsilon=float(out["epsilon"]),
        epsilon_ci=(float(out["epsilon_lo"]), float(out["epsilon_hi"])),
        judge_epsilon=out["judge_epsilon"],
        judge_ci=np.column_stack([out["judge_lo"], out["judge_hi"]]),
        judge_weight=out["judge_weight"],
        level=float(level),
        loglik=float(out["loglik"]),
        iterations=int(out["iterations"]),
        converged=bool(out["converged"]),
        ranking=rank,
        joint_intervals=bool(out["joint_intervals"]),
    )


# --------------------------------------------------------------------------------------------------
# Batched per-prompt curation
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class Curation:
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
                "votes": self.judge_votes,
            },
            index=pd.Index(self.judges, name="judge"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": len(self),
            "epsilon": self.epsilon,
            "label_epsilon": self.label_epsilon,
            "judge_epsilon": {
                _plain(k): float(v) for k, v in zip(self.judges.tolist(), self.judge_epsilon, strict=True)
            },
            "iterations": self.iterations,
            "converged": self.converged,
        }

    def __repr__(self) -> str:
        je = ", ".join(
            f"{_plain(k)}={v:.3f}" for k, v in list(zip(self.judges.tolist(), self.judge_epsilon, strict=True))[:8]
        )
        return (
            f"Curation(prompts={self.theta.shape[0]}, pairs={len(self)}, epsilon={self.epsilon:.4f}, "
            f"label_epsilon={self.label_epsilon:.4f}, judge_epsilon={{{je}}}"
            + ("" if self.converged else ", converged=False")
            + ")"
        )


def _pivot_scores(
    data: Any, prompt: Any, response: Any, judge: Any, score: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Long form (one row per prompt, response, judge, score) -> tensor, prompt, response, judge labels."""
    from prefrank.data import _source, _to_numpy

    src = _source(data)
    cols = [src.get(c, r) for c, r in ((prompt, "prompt"), (response, "response"), (judge, "judge"), (score, "score"))]
    n = len(cols[0])
    for c, name in zip(cols[1:], ("response", "judge", "score"), strict=True):
        if len(c) != n:
            raise PrefrankError(f"length mismatch: prompt has {n} rows but {name} has {len(c)}")
    if n == 0:
        raise PrefrankError("empty input: the score table has no rows")
    (pc,), prompts = code_labels(cols[0], names=["prompt"])
    (rc,), responses = code_labels(cols[1], names=["response"])
    (jc,), judges = code_labels(cols[2], names=["judge"])
    s = _to_numpy(cols[3])
    try:
        s = s.astype(np.float64)
    except (TypeError, ValueError):
        raise PrefrankError("column score is not numeric") from None
    bad = np.isinf(s)
    if bad.any():
        row = int(np.argmax(bad))
        raise PrefrankError(f"row {row}: score value {s[row]} is not a finite number")
    # Local response index within each prompt (responses sorted by label code).
    key = pc.astype(np.int64) * len(responses) + rc
    uniq, inv = np.unique(key, return_inverse=True)
    up = (uniq // len(responses)).astype(np.int64)
    start = np.searchsorted(up, np.arange(len(prompts)))
    local = np.arange(len(uniq)) - start[up]
    n_resp = int(local.max()) + 1
    if n_resp < 2:
        raise PrefrankError("every prompt has a single response: nothing to compare")
    tensor = np.full((len(prompts), n_resp, len(judges)), np.nan)
    row_local = local[inv]
    dup = np.zeros(tensor.shape, dtype=np.int64)
    np.add.at(dup, (pc, row_local, jc), 1)
    if (dup > 1).any():
        p_, r_, j_ = np.argwhere(dup > 1)[0]
        raise PrefrankError(
            f"judge {judges[j_]!r} scored response {responses[uniq[start[p_] + r_] % len(responses)]!r} "
            f"of prompt {prompts[p_]!r} more than once"
        )
    tensor[pc, row_local, jc] = s
    labels = np.full((len(prompts), n_resp), None, dtype=object)
    labels[up, local] = responses[uniq % len(responses)]
    return tensor, prompts, labels, judges


def curate(
    data: Any,
    *,
    prompt: Any = None,
    response: Any = None,
    judge: Any = None,
    score: Any = None,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    position: Any = None,
    outcomes: Any = None,
    judges: Any = None,
    pairs: str = "all",
    min_weight: float = 0.5,
    alpha: float = 1.0,
    eps_init: float = 0.1,
    max_iter: int = 100,
    tol: float = 1e-4,
    batch_rows: int | None = None,
) -> Curation:
    """Clean preference pairs for many prompts at once (2-255 responses each, several judges).

    ``data`` is either a ``prompts x responses x judges`` array of scores (NaN = not scored; ragged
    prompts are NaN-padded) or a long table with columns ``prompt``, ``response``, ``judge``, ``score``
    (names given by those arguments). A judge prefers the response it scores higher; equal scores carry
    no information. Per prompt, responses have Bradley-Terry strengths (Gaussian prior ``alpha``); each
    pair has one latent true preference that every judge reports flipped with its own probability,
    shared across prompts (Dawid-Skene with a BT prior), fitted by one parallel EM over all prompts.
    ``pairs="all"`` emits every scored pair, ``"best_worst"`` one pair per prompt; pairs with
    ``weight < min_weight`` are dropped.

    Pairwise verdicts instead of scores: a long table with one row per judge per judged pair, columns
    ``prompt``, ``a``, ``b``, ``outcome`` and optionally ``judge`` (without it, one judge) and
    ``position``, decoded as by :func:`prefrank.comparisons` (``"a"`` / ``"b"`` / ``"tie"``,
    ``left`` / ``right`` with ``position=``, 1 / 0 / 0.5, booleans, ``outcomes={...}``). A verdict is a
    vote for ``a`` when the decoded probability that ``a`` won is above 1/2, for ``b`` when below; ties
    (1/2) carry no information, like equal scores. Responses are labels within a prompt (the same
    label under two prompts is two responses). A judge may judge the same pair several times: each
    judgment is a separate vote, flipped independently with the judge's rate. The verdicts implied by
    a score table give the same result as the scores.

    A long table given as a directory or glob of files (or a file with ``batch_rows=``) is read in
    batches whose rows are kept coded (no text; a prompt may span batches and files): 12 bytes per
    score row + 8 for the score, or 17 bytes per verdict row + 8 per prompt/judge code (see
    :func:`prefrank.stream.comparison_rows`); the result equals that of the concatenated table.
    """
    from prefrank.stream import comparison_rows, ranking_rows, wants_stream

    _check_choice("pairs", pairs, ("all", "best_worst"))
    if not 0.0 <= min_weight <= 1.0:
        raise PrefrankError(f"min_weight must be in [0, 1], got {min_weight!r}")
    if not (math.isfinite(alpha) and alpha > 0):
        raise PrefrankError(f"alpha must be a finite number > 0, got {alpha!r}")
    stream = wants_stream(data, batch_rows)
    if any(v is not None for v in (a, b, outcome, position, outcomes)):
        if stream and not any(v is None for v in (prompt, a, b, outcome)):
            cols = dict(a=a, b=b, outcome=outcome, group=prompt, judge=judge, position=position, outcomes=outcomes)
            try:
                data = comparison_rows(data, batch_rows=batch_rows, **cols)[0]
            except PrefrankError as e:
                raise PrefrankError(str(e).replace("(for group=)", "(for prompt=)")) from None
        return _curate_pairs(
            data,
            prompt=prompt,
            a=a,
            b=b,
            judge=judge,
            outcome=outcome,
            position=position,
            outcomes=outcomes,
            extra={"response": response, "score": score, "judges": judges},
            core_args=(float(alpha), float(eps_init), int(max_iter), float(tol), pairs, float(min_weight)),
        )
    long_form = any(v is not None for v in (prompt, response, judge, score))
    if long_form:
        if any(v is None for v in (prompt, response, judge, score)):
            raise PrefrankError("long-form input needs prompt=, response=, judge= and score=")
        if stream:
            labels = {"prompt": prompt, "response": response, "judge": judge}
            data = ranking_rows(data, batch_rows=batch_rows, labels=labels, values={"score": score})
        tensor, prompt_labels, resp_labels, judge_labels = _pivot_scores(data, prompt, response, judge, score)
    else:
        tensor = np.asarray(data)
        if tensor.ndim != 3:
            raise PrefrankError(
                f"scores must be a 3-D array (prompts x responses x judges), got shape {tensor.shape}; "
                "or pass a long table with prompt=, response=, judge=, score="
            )
        if tensor.dtype.kind not in "biuf":
            raise PrefrankError(f"scores must be numeric, got dtype {tensor.dtype}")
        tensor = np.ascontiguousarray(tensor, dtype=np.float64)
        judge_labels = np.arange(tensor.shape[2]) if judges is None else np.asarray(judges, dtype=object)
        if len(judge_labels) != tensor.shape[2]:
            raise PrefrankError(f"judges has {len(judge_labels)} labels but scores has {tensor.shape[2]} judges")
    out = _core.robust_curate(
        tensor, float(alpha), float(eps_init), int(max_iter), float(tol), pairs, float(min_weight)
    )
    _warn(bool(out["converged"]), "batched curation EM", int(out["iterations"]))
    p, c, r = out["prompt"], out["chosen"], out["rejected"]
    if long_form:
        c, r = resp_labels[p, c], resp_labels[p, r]
        p = prompt_labels[p]
    return Curation(
        prompt=p,
        chosen=c,
        rejected=r,
        weight=out["weight"],
        epsilon=float(out["epsilon"]),
        label_epsilon=float(out["label_epsilon"]),
        judge_epsilon=out["judge_epsilon"],
        judge_votes=out["judge_votes"],
        judges=np.asarray(judge_labels),
        theta=out["theta"],
        iterations=int(out["iterations"]),
        converged=bool(out["converged"]),
    )


def _curate_pairs(
    data: Any,
    *,
    prompt: Any,
    a: Any,
    b: Any,
    judge: Any,
    outcome: Any,
    position: Any,
    outcomes: Any,
    extra: dict[str, Any],
    core_args: tuple[float, float, int, float, str, float],
) -> Curation:
    """:func:`curate` on pairwise verdicts (one row per judge per judged pair)."""
    from prefrank.data import comparisons

    given = [k for k, v in extra.items() if v is not None]
    if given:
        raise PrefrankError(
            f"pairwise verdicts (a=, b=, outcome=) cannot be combined with {', '.join(k + '=' for k in given)}: "
            "pass either scores (response=, score=) or verdicts"
        )
    if prompt is None:
        raise PrefrankError("pairwise verdicts need prompt=: the column naming each verdict's prompt")
    for role, v in (("a", a), ("b", b), ("outcome", outcome)):
        if v is None:
            raise PrefrankError(f"pairwise verdicts need {role}=: name the column (or pass the values) for {role}")
    try:
        cmp = comparisons(
            data, a=a, b=b, outcome=outcome, group=prompt, judge=judge, position=position, outcomes=outcomes
        )
    except PrefrankError as e:
        # comparisons() calls the prompt column its group, and curate has no drop_self=.
        msg = str(e).replace("(for group=)", "(for prompt=)")
        raise PrefrankError(msg.replace("pass drop_self=True to drop such rows", "drop such rows first")) from None
    vote = np.zeros(len(cmp.p), dtype=np.int8)
    vote[cmp.p > 0.5] = 1
    vote[cmp.p < 0.5] = -1
    vote[np.asarray(cmp.tie, dtype=bool)] = 0
    # group= is given, so comparisons() filled group and groups.
    groups = cast(np.ndarray, cmp.groups)
    if cmp.judge is None:
        judge_codes = np.zeros(len(vote), dtype=np.uint32)
        judge_labels = np.array([0])
    else:
        judge_codes, judge_labels = cmp.judge, np.asarray(cmp.judges)
    out = _core.robust_curate_pairs(
        np.ascontiguousarray(cast(np.ndarray, cmp.group), dtype=np.uint32),
        np.ascontiguousarray(cmp.a, dtype=np.uint32),
        np.ascontiguousarray(cmp.b, dtype=np.uint32),
        np.ascontiguousarray(judge_codes, dtype=np.uint32),
        vote,
        len(groups),
        len(cmp.items),
        len(judge_labels),
        *core_args,
    )
    _warn(bool(out["converged"]), "batched curation EM", int(out["iterations"]))
    p, items = out["prompt"], out["items"]
    return Curation(
        prompt=groups[p],
        chosen=cmp.items[items[p, out["chosen"]]],
        rejected=cmp.items[items[p, out["rejected"]]],
        weight=out["weight"],
        epsilon=float(out["epsilon"]),
        label_epsilon=float(out["label_epsilon"]),
        judge_epsilon=out["judge_epsilon"],
        judge_votes=out["judge_votes"],
        judges=judge_labels,
        theta=out["theta"],
        iterations=int(out["iterations"]),
        converged=bool(out["converged"]),
    )


# --------------------------------------------------------------------------------------------------
# Fragility
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class Fragility:
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
        import pandas as pd

        return pd.DataFrame({"row": self.rows, "winner": self.winner, "loser": self.loser})

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "size": self.size,
            "comparisons": self.total,
            "rows": self.rows.tolist(),
            "target": [_plain(self.target[0]), _plain(self.target[1])],
            "top_before": _plain(self.top_before),
            "top_after": _plain(self.top_after),
        }

    def __repr__(self) -> str:
        what = (
            f"removing {self.size} of {self.total} comparisons changes the top item from "
            f"{self.top_before!r} to {self.top_after!r}"
            if self.found
            else f"no change of {self.target[0]!r} vs {self.target[1]!r} found within the removal budget"
        )
        return f"Fragility({what})"


def fragility(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    pair: tuple[Any, Any] | None = None,
    max_remove: int = 1000,
    alpha: float = 0.0,
    batch_rows: int | None = None,
    position: Any = None,
) -> Fragility:
    """Find a small set of comparisons whose removal changes the Bradley-Terry top item (or, with
    ``pair=(x, y)``, the order of ``x`` and ``y``). Ties count half; only decisive comparisons are
    removed. Greedy by influence (one Newton step), each removal confirmed by an exact refit, then
    pruned and confirmed by a refit from scratch. Supports up to 1,500 items.

    A directory or glob of files (or a file with ``batch_rows=``) is read twice in batches: once
    for the pair counts the search needs (memory: the merged :class:`PairCounts` and one batch),
    once to find the removed rows (stopping when all are found). ``rows`` then number the rows of
    the files in sorted path order, as in the concatenated table, and the result is the same.
    ``position`` (as in :func:`prefrank.comparisons`) lets positional verdicts ("left", "right")
    be read from a file.
    """
    from prefrank.stream import comparison_batches, decisive_rows, pair_counts_and_rows, wants_stream

    cols = dict(a=a, b=b, outcome=outcome, weight=weight, outcomes=outcomes, drop_self=drop_self, position=position)

    def whole_weights(tbl: Comparisons) -> None:
        if tbl.weight is not None and not np.all(tbl.weight == np.round(tbl.weight)):
            raise PrefrankError("fragility removes whole comparisons: weights must be whole numbers")

    if wants_stream(data, batch_rows):
        counts, total = pair_counts_and_rows(data, batch_rows=batch_rows, check=whole_weights, **cols)

        def batches() -> Any:
            return (tbl for _, _, tbl in comparison_batches(data, batch_rows=batch_rows, **cols))
    else:
        comps = as_comparisons(data, **cols)
        whole_weights(comps)
        counts, total = comps.pair_counts(), len(comps)

        def batches() -> Any:
            return iter([comps])

    items = counts.items
    codes = None
    if pair is not None:
        from prefrank.ranking import _index_of

        codes = (_index_of(items, pair[0]), _index_of(items, pair[1]))
    out = _core.robust_fragility(counts._core, codes, int(max_remove), float(alpha))
    # Map each removed (pair, direction) to a distinct decisive row with that outcome.
    directions = [
        (i, j) if iw else (j, i)
        for i, j, iw in zip(out["i"].tolist(), out["j"].tolist(), out["i_won"].tolist(), strict=True)
    ]
    picked = decisive_rows(batches(), items, directions)
    rows = [r for r, _, _ in picked]
    win = [items[w] for _, w, _ in picked]
    lose = [items[l_] for _, _, l_ in picked]
    t = out["target"]
    return Fragility(
        items=items,
        rows=np.asarray(rows, dtype=np.int64),
        winner=np.asarray(win, dtype=object),
        loser=np.asarray(lose, dtype=object),
        target=(items[t[0]], items[t[1]]),
        top_before=items[out["top_before"]],
        top_after=items[out["top_after"]],
        theta_before=out["theta_before"],
        theta_after=out["theta_after"],
        found=bool(out["found"]),
        total=total,
    )
