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


# ---- Plackett-Luce, spectral estimators, per-group and contextual Bradley-Terry
# (mirror prefrank-core rank::{plackett_luce, spectral, spectral_rankings, batched, contextual})


def _newton_matrix(grad_hess, value, x0: np.ndarray, max_iter: int = 200, tol: float = 1e-10) -> np.ndarray:
    """Damped Newton: minimise ``value`` given ``grad_hess(x) -> (g, H)``."""
    x = x0.copy()
    f = value(x)
    for _ in range(max_iter):
        g, h = grad_hess(x)
        if np.max(np.abs(g)) <= tol:
            break
        step = np.linalg.solve(h, g)
        t = 1.0
        while t > 1e-12:
            cand = x - t * step
            fc = value(cand)
            if fc <= f + 1e-12 * max(abs(f), 1.0):
                x, f = cand, fc
                break
            t /= 2
        else:
            break
    return x


# --------------------------------------------------------------------------------------------------
# Plackett-Luce


def plackett_luce_loglik(
    n_items: int,
    observations: Sequence[tuple[Sequence[int], int]],
    theta: np.ndarray,
    weights: Sequence[float] | None = None,
) -> float:
    """Log-likelihood: each observation is ``(members best first, number ranked)``."""
    ll = 0.0
    for r, (members, k) in enumerate(observations):
        w = 1.0 if weights is None else weights[r]
        for s in range(min(k, len(members) - 1)):
            rest = [theta[i] for i in members[s:]]
            ll += w * (theta[members[s]] - np.log(np.sum(np.exp(rest))))
    return float(ll)


def plackett_luce(
    n_items: int,
    observations: Sequence[tuple[Sequence[int], int]],
    *,
    weights: Sequence[float] | None = None,
    alpha: float = 0.0,
    tol: float = 1e-10,
) -> np.ndarray:
    """Plackett-Luce MLE (Newton). ``observations``: ``(members best first, number ranked)``; the
    unranked members follow the ranked ones. With ``alpha > 0`` a Gaussian prior ``alpha/2 theta^2``."""
    n = n_items
    gauge = 1.0 if alpha == 0 else 0.0

    def value(th: np.ndarray) -> float:
        return -plackett_luce_loglik(n, observations, th, weights) + 0.5 * alpha * th @ th + 0.5 * gauge * th.sum() ** 2

    def grad_hess(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = alpha * th + gauge * th.sum()
        h = alpha * np.eye(n) + gauge * np.ones((n, n))
        for r, (members, k) in enumerate(observations):
            w = 1.0 if weights is None else weights[r]
            for s in range(min(k, len(members) - 1)):
                idx = np.asarray(members[s:])
                p = np.exp(th[idx] - th[idx].max())
                p /= p.sum()
                g[members[s]] -= w
                g[idx] += w * p
                h[np.ix_(idx, idx)] += w * (np.diag(p) - np.outer(p, p))
        return g, h

    th = _newton_matrix(grad_hess, value, np.zeros(n), tol=tol)
    return th - th.mean() if alpha == 0 else th


# --------------------------------------------------------------------------------------------------
# Spectral


def _statdist(chain: np.ndarray) -> np.ndarray:
    """Stationary distribution of a CTMC with off-diagonal rates ``chain[from, to]``."""
    n = len(chain)
    q = chain - np.diag(chain.sum(axis=1))
    a = q.T.copy()
    a[-1, :] = 1.0
    rhs = np.zeros(n)
    rhs[-1] = n
    return np.linalg.solve(a, rhs)


def _log_centre(pi: np.ndarray) -> np.ndarray:
    t = np.log(pi)
    return t - t.mean()


def rank_centrality(n_items: int, wins: np.ndarray, *, alpha: float = 0.0) -> np.ndarray:
    """Rank Centrality from a wins matrix (``wins[i, j]`` = times i beat j), as choix computes it."""
    chain = alpha + wins.T.astype(float)  # chain[loser, winner]
    np.fill_diagonal(chain, 0.0)
    tot = chain + chain.T
    ratio = np.where(chain > 0, chain / np.where(tot > 0, tot, 1.0), 0.0)
    return _log_centre(_statdist(ratio))


def lsr_pairwise(n_items: int, wins: np.ndarray, *, alpha: float = 0.0, params: np.ndarray | None = None) -> np.ndarray:
    """One LSR step from strengths ``exp(params)`` (ones by default)."""
    w = np.ones(n_items) if params is None else np.exp(params - params.mean())
    w = w * n_items / w.sum()  # choix's exp_transform
    chain = alpha + wins.T / (w[:, None] + w[None, :])
    np.fill_diagonal(chain, 0.0)
    return _log_centre(_statdist(chain))


def _iterate_lsr(step, n_items: int, tol: float, max_iter: int) -> np.ndarray:
    """Repeat ``step(params)`` from zeros until the L1 change is at most ``tol``."""
    params = np.zeros(n_items)
    for it in range(max_iter):
        new = step(params)
        done = it > 0 and np.abs(new - params).sum() <= tol
        params = new
        if done:
            break
    return params


def ilsr_pairwise(
    n_items: int, wins: np.ndarray, *, alpha: float = 0.0, tol: float = 1e-12, max_iter: int = 10_000
) -> np.ndarray:
    """LSR iterated to its fixed point (the Bradley-Terry MLE when ``alpha = 0``)."""
    return _iterate_lsr(lambda p: lsr_pairwise(n_items, wins, alpha=alpha, params=p), n_items, tol, max_iter)


def lsr_rankings(
    n_items: int,
    observations: Sequence[tuple[Sequence[int], int]],
    *,
    weights: Sequence[float] | None = None,
    alpha: float = 0.0,
    params: np.ndarray | None = None,
) -> np.ndarray:
    """One LSR step on Plackett-Luce observations ``(members best first, number ranked)`` from
    strengths ``exp(params)`` (ones by default): every choice stage adds ``weight / (sum of the
    remaining members' strengths)`` to the rate from each other remaining member to the winner."""
    w = np.ones(n_items) if params is None else np.exp(params - params.mean())
    w = w * n_items / w.sum()  # choix's exp_transform
    chain = np.full((n_items, n_items), float(alpha))
    for r, (members, k) in enumerate(observations):
        weight = 1.0 if weights is None else weights[r]
        for s in range(min(k, len(members) - 1)):
            remaining = members[s:]
            z = sum(w[i] for i in remaining)
            for loser in remaining[1:]:
                chain[loser, members[s]] += weight / z
    np.fill_diagonal(chain, 0.0)
    return _log_centre(_statdist(chain))


def ilsr_rankings(
    n_items: int,
    observations: Sequence[tuple[Sequence[int], int]],
    *,
    weights: Sequence[float] | None = None,
    alpha: float = 0.0,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> np.ndarray:
    """LSR on rankings iterated to its fixed point (the Plackett-Luce MLE when ``alpha = 0``)."""

    def step(p: np.ndarray) -> np.ndarray:
        return lsr_rankings(n_items, observations, weights=weights, alpha=alpha, params=p)

    return _iterate_lsr(step, n_items, tol, max_iter)


# --------------------------------------------------------------------------------------------------
# Batched


def _bt_dense(wins: np.ndarray, alpha: float) -> np.ndarray:
    m = len(wins)
    gauge = 1.0 if alpha == 0 else 0.0
    games = wins + wins.T

    def value(th: np.ndarray) -> float:
        d = th[:, None] - th[None, :]
        return float(np.sum(wins * np.logaddexp(0, -d)) + 0.5 * alpha * th @ th + 0.5 * gauge * th.sum() ** 2)

    def grad_hess(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = 1 / (1 + np.exp(-(th[:, None] - th[None, :])))
        g = (games * s).sum(axis=1) - wins.sum(axis=1) + alpha * th + gauge * th.sum()
        hh = games * s * (1 - s)
        h = np.diag(hh.sum(axis=1)) - hh + alpha * np.eye(m) + gauge
        return g, h

    th = _newton_matrix(grad_hess, value, np.zeros(m), tol=1e-11)
    return th - th.mean() if alpha == 0 else th


def _strongly_connected(wins: np.ndarray) -> bool:
    m = len(wins)
    reach = (wins > 0) | np.eye(m, dtype=bool)
    for k in range(m):
        reach = reach | (reach[:, [k]] & reach[[k], :])
    return bool(reach.all())


def bradley_terry_groups(
    group: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    p: np.ndarray,
    tie: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    alpha: float = 0.01,
    ties: str = "half",
) -> dict[int, tuple[np.ndarray, np.ndarray, bool]]:
    """Per group code: ``(sorted item codes, log-strengths, identifiable)``; NaN scores when
    ``alpha = 0`` and the group is not identifiable."""
    out = {}
    w_all = np.ones(len(a)) if weight is None else weight
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        items = np.unique(np.concatenate([a[rows], b[rows]]))
        pos = {int(c): k for k, c in enumerate(items)}
        m = len(items)
        wins = np.zeros((m, m))
        for r in rows:
            i, j, w = pos[int(a[r])], pos[int(b[r])], w_all[r]
            if tie[r]:
                if ties == "half":
                    wins[i, j] += 0.5 * w
                    wins[j, i] += 0.5 * w
            else:
                wins[i, j] += w * p[r]
                wins[j, i] += w * (1 - p[r])
        ident = _strongly_connected(wins)
        theta = _bt_dense(wins, alpha) if (ident or alpha > 0) else np.full(m, np.nan)
        out[int(g)] = (items, theta, ident)
    return out


# --------------------------------------------------------------------------------------------------
# Contextual


def contextual_bradley_terry(
    n_items: int,
    a: np.ndarray,
    b: np.ndarray,
    p: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    alpha: float = 0.0,
    alpha_beta: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression on ``[onehot(a) - onehot(b), x]`` with soft labels ``p``; returns
    ``(theta, beta)`` (theta centred when ``alpha = 0``)."""
    rows, d = x.shape
    design = np.zeros((rows, n_items + d))
    design[np.arange(rows), a] += 1.0
    design[np.arange(rows), b] -= 1.0
    design[:, n_items:] = x
    w = np.ones(rows) if weight is None else weight
    pen = np.concatenate([np.full(n_items, alpha), np.full(d, alpha_beta)])
    gauge = np.zeros(n_items + d)
    if alpha == 0:
        gauge[:n_items] = 1.0

    def value(par: np.ndarray) -> float:
        z = design @ par
        nll = np.sum(w * (p * np.logaddexp(0, -z) + (1 - p) * np.logaddexp(0, z)))
        return float(nll + 0.5 * np.sum(pen * par**2) + 0.5 * (gauge @ par) ** 2)

    def grad_hess(par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = 1 / (1 + np.exp(-(design @ par)))
        g = design.T @ (w * (s - p)) + pen * par + gauge * (gauge @ par)
        h = (design * (w * s * (1 - s))[:, None]).T @ design + np.diag(pen) + np.outer(gauge, gauge)
        return g, h

    par = _newton_matrix(grad_hess, value, np.zeros(n_items + d), tol=1e-10)
    theta = par[:n_items]
    if alpha == 0:
        theta = theta - theta.mean()
    return theta, par[n_items:]
