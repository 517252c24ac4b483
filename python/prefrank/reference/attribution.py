"""Pure-Python twins of prefrank-core ``shapley`` (direct formulas, written for clarity).

Coalitions are bitmasks: bit ``k`` = player ``k``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from itertools import permutations

__all__ = [
    "bt_scores",
    "majority_value",
    "semivalue_weights",
    "semivalues",
    "shapley_by_permutations",
    "shift_value",
    "slice_value",
]


def semivalue_weights(n: int, kind: str = "shapley", alpha: float = 1.0, beta: float = 1.0) -> list[float]:
    """Weights ``p_s`` of a coalition of ``s`` other players, ``s = 0..n-1``.

    shapley: ``s!(n-1-s)!/n!``; banzhaf: ``2**-(n-1)``; beta: ``B(s+beta, n-1-s+alpha)/B(alpha, beta)``
    (log-gamma, independent of the core's recursion).
    """

    def log_beta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    if kind == "shapley":
        return [math.factorial(s) * math.factorial(n - 1 - s) / math.factorial(n) for s in range(n)]
    if kind == "banzhaf":
        return [2.0 ** -(n - 1)] * n
    if kind == "beta":
        return [math.exp(log_beta(s + beta, n - 1 - s + alpha) - log_beta(alpha, beta)) for s in range(n)]
    raise ValueError(f"unknown semivalue {kind!r}")


def semivalues(
    table: Sequence[float],
    kind: str = "shapley",
    alpha: float = 1.0,
    beta: float = 1.0,
    weights: Sequence[float] | None = None,
) -> list[float]:
    """``phi_i = sum_{S not containing i} p_|S| (v(S + i) - v(S))`` by enumerating every coalition."""
    size = len(table)
    n = size.bit_length() - 1
    p = list(weights) if weights is not None else semivalue_weights(n, kind, alpha, beta)
    out = []
    for i in range(n):
        bit = 1 << i
        total = 0.0
        for s in range(size):
            if not s & bit:
                total += p[bin(s).count("1")] * (table[s | bit] - table[s])
        out.append(total)
    return out


def shapley_by_permutations(v: Callable[[int], float], n: int) -> list[float]:
    """Shapley values as the mean marginal contribution over all ``n!`` orders (tiny ``n`` only)."""
    phi = [0.0] * n
    count = 0
    for order in permutations(range(n)):
        mask = 0
        prev = v(0)
        for i in order:
            mask |= 1 << i
            cur = v(mask)
            phi[i] += cur - prev
            prev = cur
        count += 1
    return [x / count for x in phi]


def shift_value(
    metric: Sequence[float],
    ratios: Sequence[Sequence[float]],
    mask: int,
    weight: Sequence[float] | None = None,
    normalize: bool = True,
) -> float:
    """``v(S)`` of the distribution-shift game: the metric reweighted by the product of the ratios in S."""
    num = den = total = 0.0
    for j, m in enumerate(metric):
        w = 1.0 if weight is None else weight[j]
        prod = w
        for k, r in enumerate(ratios[j]):
            if mask >> k & 1:
                prod *= r
        num += prod * m
        den += prod
        total += w
    return num / den if normalize else num / total


def majority_value(
    ratings: Sequence[tuple[object, int, object]],
    reference: Mapping[object, object],
    mask: int,
) -> float:
    """``v(S)`` of the majority-label game from ``(unit, rater_index, label)`` triples.

    Mean over rated units with a reference of: 1/t if the reference is among the t most frequent
    labels of S's ratings of the unit, else 0 (0 when S did not rate the unit).
    """
    units = sorted({u for u, _, _ in ratings if u in reference}, key=repr)
    total = 0.0
    for u in units:
        counts: dict[object, int] = {}
        for uu, r, lab in ratings:
            if uu == u and mask >> r & 1:
                counts[lab] = counts.get(lab, 0) + 1
        if not counts:
            continue
        top = max(counts.values())
        if counts.get(reference[u], 0) == top:
            total += 1.0 / sum(1 for c in counts.values() if c == top)
    return total / len(units)


def bt_scores(
    a: Sequence[int], b: Sequence[int], p: Sequence[float], n_items: int, alpha: float, iters: int = 100
) -> list[float]:
    """Bradley-Terry log-strengths with a Gaussian prior ``alpha/2 * sum theta^2`` by Newton's method.

    ``p[r]`` is the probability that ``a[r]`` won (a tie is 0.5: ties count half a win each way).
    """
    import numpy as np

    theta = np.zeros(n_items)
    for _ in range(iters):
        grad = -alpha * theta
        hess = alpha * np.eye(n_items)
        for i, j, pr in zip(a, b, p, strict=True):
            q = 1.0 / (1.0 + math.exp(theta[j] - theta[i]))
            grad[i] += pr - q
            grad[j] -= pr - q
            h = q * (1 - q)
            hess[i, i] += h
            hess[j, j] += h
            hess[i, j] -= h
            hess[j, i] -= h
        step = np.linalg.solve(hess, grad)
        theta += step
        if np.max(np.abs(step)) < 1e-13:
            break
    return [float(t) for t in theta - theta.mean()]


def slice_value(
    a: Sequence[int],
    b: Sequence[int],
    p: Sequence[float],
    slice: Sequence[int],
    n_items: int,
    mask: int,
    target: str,
    item: int = 0,
    other: int = 0,
    reference: Sequence[float] | None = None,
    alpha: float = 0.01,
) -> float:
    """``v(S)`` of the leaderboard-slices game (ties count half; see ``attribution.slice_game``)."""
    rows = [r for r in range(len(a)) if mask >> slice[r] & 1]
    if not rows:
        return {"score": 0.0, "gap": 0.0, "kendall_tau": 0.0, "rank": (n_items + 1) / 2}[target]
    theta = bt_scores([a[r] for r in rows], [b[r] for r in rows], [p[r] for r in rows], n_items, alpha)
    if target == "score":
        return theta[item]
    if target == "gap":
        return theta[item] - theta[other]
    if target == "rank":
        return 1.0 + sum(t > theta[item] + 1e-8 for t in theta)
    assert reference is not None
    conc = disc = tx = ty = 0
    for i in range(n_items):
        for j in range(i + 1, n_items):
            dx = 0 if abs(theta[i] - theta[j]) <= 1e-8 else (1 if theta[i] > theta[j] else -1)
            dy = 0 if abs(reference[i] - reference[j]) <= 1e-8 else (1 if reference[i] > reference[j] else -1)
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif dx == dy:
                conc += 1
            else:
                disc += 1
    den = math.sqrt((conc + disc + tx) * (conc + disc + ty))
    return 0.0 if den == 0 else (conc - disc) / den
