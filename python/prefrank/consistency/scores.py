"""Score-vs-comparison consistency: do a judge's pointwise scores agree with its pairwise verdicts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from prefrank import _core
from prefrank._options import check_batch_rows, check_real
from prefrank.consistency._common import _check_aggregate, _rate, _table
from prefrank.consistency.position import _verdict
from prefrank.consistency.results import ScoreConsistency
from prefrank.data.comparison_rows import comparison_rows, judge_tables
from prefrank.data.comparisons import Comparisons
from prefrank.exceptions import input_error, parameter_error
from prefrank.io import _source, _to_numpy
from prefrank.stream import wants_stream

__all__ = ["expected_score", "score_consistency"]


# --------------------------------------------------------------------------------------------------
# Score-vs-comparison consistency


# TrustJudge's distribution-sensitive score as its code computes it (trustjudge/ConflictCalculator.py,
# ConflictCalculator.compute_softmax_weighted_score, lines 188-223, read from the mirror Edhomasteng/TrustJudge
# at commit f2e887fb0e674c2f5a314a437c4078a35ad04811): over the rating tokens with 0 < p < 1, as the judge gave
# them, logit = log((p + eps) / (1 - p + eps)) with eps = 1e-8, weights = softmax(logit / T) with T = 0.2, and
# the score is sum(value * weight).
_TRUSTJUDGE_EPS = 1e-8


_TRUSTJUDGE_POWER = 5.0  # 1 / T with T = 0.2


def expected_score(
    probs: Any, values: Any = None, *, method: str = "expectation", power: float = _TRUSTJUDGE_POWER
) -> np.ndarray:
    """Distribution-sensitive scores from a judge's probabilities over rating tokens.

    ``probs`` is ``(n, K)``: row ``r`` holds the probabilities (or any non-negative weights) the judge
    gave to the K rating tokens, whose values are ``values`` (default ``1..K``, i.e. the columns are the
    tokens ``"1"`` .. ``"K"``). A row summing to 0 is an error.

    * ``"expectation"``: the row is normalised to sum 1, then ``sum_k p_k v_k``. (TrustJudge's code also
      has this probability-weighted score, as its ``geval`` baseline, but without the normalisation: it
      returns ``sum_k p_k v_k`` over the rating tokens as given, so the two agree only when the row sums
      to 1.)
    * ``"odds_power"``: TrustJudge's distribution-sensitive score (its ``softmax_weighted`` method):
      ``sum_k w_k v_k`` with ``w = softmax(log((p_k + eps) / (1 - p_k + eps)) / T)`` over the tokens with
      ``p_k > 0``, ``eps = 1e-8``, ``power = 1 / T`` (TrustJudge: ``T = 0.2``, hence the default 5).
      That is, weights proportional to ``odds_k ** power``: ``power > 1`` sharpens towards the mode,
      ``power < 1`` flattens. The probabilities are used as given, not renormalised over the rating
      tokens (mass the judge put on other tokens stays out, as in TrustJudge); only a row summing to
      more than 1, which cannot be probabilities, is divided by its sum first. One deliberate departure:
      TrustJudge skips a token of probability exactly 1 (and then returns 0.0, having no token left);
      here it keeps it, so such a row scores that token's value, the formula's limit.

    Source: ``ConflictCalculator.compute_softmax_weighted_score`` and ``compute_weighted_score`` in
    ``trustjudge/ConflictCalculator.py`` of TrustJudge (arXiv 2509.21117; github.com/TrustJudge/TrustJudge),
    read from the mirror Edhomasteng/TrustJudge at commit f2e887fb0e674c2f5a314a437c4078a35ad04811
    (lines 160-223).
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] == 0:
        raise input_error(f"probs must be a 2-D array (n, K), got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        r, c = np.argwhere(~np.isfinite(p))[0]
        raise input_error(
            f"probability in column {c} is not finite ({p[r, c]!r})", row=r, column=str(c), value=float(p[r, c])
        )
    if (p < 0).any():
        r, c = np.argwhere(p < 0)[0]
        raise input_error(
            f"probability in column {c} is negative ({p[r, c]!r})", row=r, column=str(c), value=float(p[r, c])
        )
    v = np.arange(1, p.shape[1] + 1, dtype=np.float64) if values is None else np.asarray(values, np.float64)
    if v.shape != (p.shape[1],):
        raise parameter_error("values", f"values has {v.size} entries for {p.shape[1]} rating tokens")
    s = p.sum(axis=1)
    if (s <= 0).any():
        raise input_error("probabilities sum to 0", row=int(np.argmax(s <= 0)))
    if method == "expectation":
        return (p / s[:, None]) @ v
    if method == "odds_power":
        if not (math.isfinite(power) and power > 0):
            raise parameter_error("power", f"power={power!r} must be a positive number")
        q = p / np.maximum(s, 1.0)[:, None]  # 0 <= q <= 1, so 1 - q + eps > 0
        eps = _TRUSTJUDGE_EPS
        logit = np.log((q + eps) / (1.0 - q + eps))
        z = np.where(q > 0, power * logit, -np.inf)  # softmax(logit / T) in log space: no overflow
        z = z - z.max(axis=1, keepdims=True)
        w = np.exp(z)
        return (w @ v) / w.sum(axis=1)
    raise parameter_error("method", f"method={method!r} is not 'expectation' or 'odds_power'")


def score_consistency(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    score_a: Any = None,
    score_b: Any = None,
    weight: Any = None,
    group: Any = None,
    judge: Any = None,
    position: Any = None,
    outcomes: Mapping[Any, Any] | None = None,
    tolerance: float = 0.0,
    aggregate: str | None = None,
    margin: float = 0.0,
    batch_rows: int | None = None,
) -> ScoreConsistency:
    """How often pairwise verdicts contradict pointwise scores (TrustJudge's score-comparison
    inconsistency).

    ``score_a`` / ``score_b`` are columns (or arrays) with the pointwise scores of items a and b in
    each row. The score relation is ``a`` when ``score_a - score_b > tolerance``, ``b`` when it is
    ``< -tolerance``, else ``tie``. The 3 x 3 table crosses it with the verdict; ``conflict_rate`` is
    the share off the diagonal (any disagreement, ties included) and ``reversal_rate`` the share where
    the lower-scored item won outright.

    ``aggregate=None`` (default) counts each row. With ``"majority"``, ``"probability"`` (TrustJudge's
    likelihood-aware aggregation: the mean verdict probability over both orders) or ``"unanimous"``
    (the both-orders merge), rows of the same pair (within group and judge) are merged first and
    their scores averaged, so the reduction in inconsistency from each rule can be measured.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches; ``score_a`` /
    ``score_b`` must then name columns. With ``aggregate=None`` each batch is reduced to its 3 x 3
    table per judge, which are added (memory: one batch plus 72 bytes per judge; see
    :func:`prefrank.stream.judge_tables`); with an ``aggregate`` rule, whose cells average scores
    over rows that batches may split, the coded rows and scores are concatenated (no text held: 33
    bytes per row, + 8 with a weight, + 4 per group / judge, + 1 with a position; see
    :func:`prefrank.stream.comparison_rows`). The result equals that of the concatenated table
    (with whole-number weights; fractional ones summed in another order may differ in the last bits).
    """

    def relation(tbl: Comparisons, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Per row: score relation and verdict (a, tie, b), weight and judge code."""
        v = _verdict(tbl.p, tbl.tie)
        verdict = np.where(v == 0, 0, np.where(v == 1, 2, 1))  # to (a, tie, b) order
        d = scores[:, 0] - scores[:, 1]
        srel = np.where(d > tolerance, 0, np.where(d < -tolerance, 2, 1))
        w = tbl.weight if tbl.weight is not None else np.ones(len(tbl))
        return srel, verdict, w, (tbl.judge.astype(np.int64) if tbl.judge is not None else None)

    def finish(table: np.ndarray, per_judge: tuple[np.ndarray, ...] | None) -> ScoreConsistency:
        """The result from the 3 x 3 table and, per judge, (labels, weight, conflicts, reversals)."""
        total = float(table.sum())
        off = total - float(np.trace(table))
        rev = float(table[0, 2] + table[2, 0])
        per = None
        jl = None
        if per_judge is not None:
            judges, n_j, c_j, r_j = per_judge
            present = n_j > 0
            per = {
                "n_pairs": n_j[present],
                "conflict_rate": _rate(c_j, n_j)[present],
                "reversal_rate": _rate(r_j, n_j)[present],
            }
            jl = judges[present]
        table_out = table.astype(np.int64) if np.all(table == np.round(table)) else table
        return ScoreConsistency(
            n_pairs=round(total),
            conflict_rate=off / total if total else math.nan,
            reversal_rate=rev / total if total else math.nan,
            table=table_out,
            tolerance=float(tolerance),
            aggregate=aggregate,
            _by_judge=per,
            _judge_labels=jl,
        )

    if aggregate is not None:
        _check_aggregate(aggregate, margin)
    check_real("tolerance", tolerance, min=0.0)
    check_batch_rows(batch_rows)
    check_real("margin", margin, min=0.0, max=0.5, max_open=True)
    if score_a is None or score_b is None:
        raise parameter_error(
            "score_a" if score_a is None else "score_b", "score_consistency needs score_a= and score_b="
        )
    options = dict(a=a, b=b, outcome=outcome, weight=weight, group=group, judge=judge, position=position)
    extra = {"score_a": score_a, "score_b": score_b}
    if wants_stream(data, batch_rows) and aggregate is None:
        judges, tables = judge_tables(data, relation, batch_rows=batch_rows, extra=extra, outcomes=outcomes, **options)
        n_all = tables.sum(axis=(1, 2))
        off_all = n_all - np.trace(tables, axis1=1, axis2=2)
        reversals = tables[:, 0, 2] + tables[:, 2, 0]
        return finish(tables.sum(axis=0), None if judges is None else (judges, n_all, off_all, reversals))
    if wants_stream(data, batch_rows):
        tbl, scores = comparison_rows(data, batch_rows=batch_rows, extra=extra, outcomes=outcomes, **options)
        data, score_a, score_b = None, scores[:, 0], scores[:, 1]
    else:
        tbl = _table(data, outcomes=outcomes, **options)

    src = _source(None if isinstance(data, Comparisons) else data)
    sa = np.asarray(_to_numpy(src.get(score_a, "score_a")), dtype=np.float64)
    sb = np.asarray(_to_numpy(src.get(score_b, "score_b")), dtype=np.float64)
    for name, s in (("score_a", sa), ("score_b", sb)):
        if len(s) != len(tbl) + tbl.dropped_self:
            raise input_error(f"length mismatch: the table has {len(tbl)} rows but {name} has {len(s)}", column=name)
        bad = ~np.isfinite(s)
        if bad.any():
            r = int(np.argmax(bad))
            raise input_error(f"{name} value {s[r]!r} is not a finite number", row=r, column=name, value=s[r])
    if tbl.dropped_self:
        raise parameter_error(
            "drop_self", "score_consistency does not take drop_self=True; remove self-comparisons first"
        )
    # The 3 x 3 table (per row, or per pair cell with the census's aggregation rules) in the core
    # (consistency/scores.rs).
    nj = len(tbl.judges) if tbl.judge is not None and tbl.judges is not None else None
    res = _core.score_table(
        tbl,
        np.ascontiguousarray(sa),
        np.ascontiguousarray(sb),
        group=tbl.group,
        judge=tbl.judge,
        n_judges=nj,
        aggregate=aggregate,
        margin=float(margin),
        tolerance=float(tolerance),
    )
    table = res.table
    per_judge = None if nj is None else (tbl.judges, res.n, res.conflicts, res.reversals)
    return finish(table, per_judge)
