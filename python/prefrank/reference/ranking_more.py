"""Reference twins of prefrank-core's `rank::{plackett_luce, spectral, spectral_rankings, batched, contextual}`.

Plain loops and numpy, written for clarity: the test oracle and the "pure Python" benchmark
baseline. Items are integer codes ``0..n-1``; every function returns centred log-strengths when no
prior is used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "bradley_terry_groups",
    "contextual_bradley_terry",
    "ilsr_pairwise",
    "ilsr_rankings",
    "lsr_pairwise",
    "lsr_rankings",
    "plackett_luce",
    "plackett_luce_loglik",
    "rank_centrality",
]


def _newton(grad_hess, value, x0: np.ndarray, max_iter: int = 200, tol: float = 1e-10) -> np.ndarray:
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

    th = _newton(grad_hess, value, np.zeros(n), tol=tol)
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

    th = _newton(grad_hess, value, np.zeros(m), tol=1e-11)
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

    par = _newton(grad_hess, value, np.zeros(n_items + d), tol=1e-10)
    theta = par[:n_items]
    if alpha == 0:
        theta = theta - theta.mean()
    return theta, par[n_items:]
