"""Reference twins of the ranking kernels (mirror prefrank-core ``rank/``).

Comparisons are lists of ``(a, b, outcome)`` with integer items ``0..n-1`` and outcome ``1`` (a won),
``0`` (b won) or ``"tie"``, optionally with weights. Everything is per comparison and plain Python,
except the small linear solve of Newton's method (numpy).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Comparison = tuple[Any, ...]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _expand_ties(data: Sequence[Comparison], ties: str) -> list[tuple[int, int, float, float]]:
    """(a, b, weight of a-win, weight of b-win) for half/drop tie handling."""
    out = []
    for row in data:
        a, b, o = row[0], row[1], row[2]
        w = float(row[3]) if len(row) > 3 else 1.0
        if o == "tie":
            if ties == "half":
                out.append((a, b, 0.5 * w, 0.5 * w))
        else:
            p = float(o)
            out.append((a, b, w * p, w * (1 - p)))
    return out


def bt_mm(
    n: int, data: Sequence[Comparison], ties: str = "half", max_iter: int = 100_000, tol: float = 1e-12
) -> list[float]:
    """Bradley-Terry MLE by Hunter's (2004) MM algorithm; centred log-strengths."""
    rows = _expand_ties(data, ties)
    wins = [0.0] * n
    for a, b, wa, wb in rows:
        wins[a] += wa
        wins[b] += wb
    pi = [1.0] * n
    for _ in range(max_iter):
        den = [0.0] * n
        for a, b, wa, wb in rows:
            s = (wa + wb) / (pi[a] + pi[b])
            den[a] += s
            den[b] += s
        new = [wins[i] / den[i] if den[i] > 0 else pi[i] for i in range(n)]
        g = math.exp(sum(math.log(v) for v in new) / n)
        new = [v / g for v in new]
        change = max(abs(math.log(new[i]) - math.log(pi[i])) for i in range(n))
        pi = new
        if change < tol:
            break
    theta = [math.log(v) for v in pi]
    mean = sum(theta) / n
    return [t - mean for t in theta]


def loglik(
    theta: Sequence[float], data: Sequence[Comparison], ties: str = "half", tie_param: float | None = None
) -> float:
    """Log-likelihood of comparisons under BT with the given tie model (per comparison)."""
    ll = 0.0
    for row in data:
        a, b, o = row[0], row[1], row[2]
        w = float(row[3]) if len(row) > 3 else 1.0
        ta, tb = theta[a], theta[b]
        if ties in ("half", "drop"):
            if o == "tie":
                if ties == "half":
                    ll += 0.5 * w * (math.log(_sigmoid(ta - tb)) + math.log(_sigmoid(tb - ta)))
                continue
            p = float(o)
            ll += w * (p * math.log(_sigmoid(ta - tb)) + (1 - p) * math.log(_sigmoid(tb - ta)))
        elif ties == "davidson":
            assert tie_param is not None
            pa, pb = math.exp(ta), math.exp(tb)
            t = tie_param * math.sqrt(pa * pb)
            z = pa + pb + t
            if o == "tie":
                ll += w * math.log(t / z)
            else:
                p = float(o)
                ll += w * (p * math.log(pa / z) + (1 - p) * math.log(pb / z))
        elif ties == "rao_kupper":
            assert tie_param is not None
            k = tie_param
            pa, pb = math.exp(ta), math.exp(tb)
            pab = pa / (pa + k * pb)
            pba = pb / (pb + k * pa)
            if o == "tie":
                ll += w * math.log(1 - pab - pba)
            else:
                p = float(o)
                ll += w * (p * math.log(pab) + (1 - p) * math.log(pba))
        else:
            raise ValueError(ties)
    return ll


def _newton(f: Callable[[list[float]], float], x0: list[float], tol: float = 1e-9, max_iter: int = 200) -> list[float]:
    """Maximise a smooth concave f by Newton with finite-difference derivatives and backtracking."""
    x = list(x0)
    m = len(x)
    h = 1e-4

    def grad(y: list[float]) -> list[float]:
        g = []
        for k in range(m):
            up, dn = list(y), list(y)
            up[k] += h
            dn[k] -= h
            g.append((f(up) - f(dn)) / (2 * h))
        return g

    for _ in range(max_iter):
        g = grad(x)
        if max(abs(v) for v in g) < tol:
            break
        hess = np.zeros((m, m))
        for k in range(m):
            up, dn = list(x), list(x)
            up[k] += h
            dn[k] -= h
            hess[:, k] = (np.array(grad(up)) - np.array(grad(dn))) / (2 * h)
        hess = 0.5 * (hess + hess.T)
        try:
            step = np.linalg.solve(hess - 1e-12 * np.eye(m), -np.array(g))
        except np.linalg.LinAlgError:
            step = np.array(g)
        t, fx = 1.0, f(x)
        while t > 1e-10:
            cand = [x[k] + t * step[k] for k in range(m)]
            try:
                if f(cand) >= fx - 1e-12:
                    x = cand
                    break
            except (ValueError, OverflowError):
                pass
            t *= 0.5
        else:
            break
    return x


def bt_newton(
    n: int, data: Sequence[Comparison], ties: str = "half", alpha: float = 0.0
) -> tuple[list[float], float | None]:
    """BT (any tie model) by Newton on the per-comparison log-likelihood.

    Returns (log-strengths, tie parameter). Item 0 is pinned during the fit (identifiability), then the
    result is centred when ``alpha == 0``.
    """
    has_tie = ties in ("davidson", "rao_kupper")

    def unpack(x: list[float]) -> tuple[list[float], float | None]:
        if alpha == 0.0:
            theta = [0.0, *x[: n - 1]]
            rest = x[n - 1 :]
        else:
            theta = x[:n]
            rest = x[n:]
        if not has_tie:
            return theta, None
        return theta, (math.exp(rest[0]) if ties == "davidson" else 1.0 + math.exp(rest[0]))

    def f(x: list[float]) -> float:
        theta, tp = unpack(x)
        return loglik(theta, data, ties, tp) - 0.5 * alpha * sum(t * t for t in theta)

    size = (n - 1 if alpha == 0.0 else n) + (1 if has_tie else 0)
    x = _newton(f, [0.0] * size)
    theta, tp = unpack(x)
    if alpha == 0.0:
        mean = sum(theta) / n
        theta = [t - mean for t in theta]
    return theta, tp


def elo(
    n: int,
    data: Sequence[Comparison],
    k: float = 4.0,
    initial: float = 1000.0,
    scale: float = 400.0,
    base: float = 10.0,
) -> list[float]:
    """Online Elo in row order (FastChat's compute_online_elo)."""
    r = [initial] * n
    for row in data:
        a, b, o = row[0], row[1], row[2]
        w = float(row[3]) if len(row) > 3 else 1.0
        ea = 1.0 / (1.0 + base ** ((r[b] - r[a]) / scale))
        sa = 0.5 if o == "tie" else float(o)
        r[a] += k * w * (sa - ea)
        r[b] -= k * w * (sa - ea)
    return r


def bootstrap_bt(
    n: int, data: Sequence[Comparison], rounds: int, seed: int = 0, ties: str = "half"
) -> list[list[float]]:
    """Bootstrap by resampling comparisons with replacement and refitting (MM)."""
    rng = random.Random(seed)
    out = []
    for _ in range(rounds):
        sample = [data[rng.randrange(len(data))] for _ in range(len(data))]
        out.append(bt_mm(n, sample, ties=ties, tol=1e-10))
    return out
