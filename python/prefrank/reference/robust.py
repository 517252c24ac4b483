"""Pure-Python (NumPy) twins of prefrank-core ``rank::robust``: the label-noise EM, the robust BTL
matrix step with its trimmed Bradley-Terry refit and the batched curation EM. Written for clarity;
they are the test oracle."""

from __future__ import annotations

from typing import Any

import numpy as np

EPS_MIN, EPS_MAX = 1e-9, 0.49

__all__ = ["curate_pairs", "curate_scores", "deviance_residual", "label_noise", "robust_btl", "trimmed_refit"]


def _sigmoid(z: np.ndarray | float) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def _bt_newton(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    alpha: float,
    theta: np.ndarray,
    tol: float = 1e-12,
    max_iter: int = 200,
) -> np.ndarray:
    """Bradley-Terry MLE (prior alpha, mean-zero gauge without one) by damped Newton on pair counts."""
    theta = theta.astype(float).copy()

    def nll(t: np.ndarray) -> float:
        d = t[i] - t[j]
        return float(np.sum(x * np.logaddexp(0, -d) + y * np.logaddexp(0, d)) + 0.5 * alpha * t @ t)

    for _ in range(max_iter):
        d = theta[i] - theta[j]
        s = _sigmoid(d)
        g = np.zeros(n)
        r = x - (x + y) * s
        np.add.at(g, i, r)
        np.add.at(g, j, -r)
        g -= alpha * theta
        w = (x + y) * s * (1 - s)
        h = np.zeros((n, n))
        np.add.at(h, (i, i), w)
        np.add.at(h, (j, j), w)
        np.add.at(h, (i, j), -w)
        np.add.at(h, (j, i), -w)
        h += alpha * np.eye(n)
        if alpha == 0:
            h += np.ones((n, n)) / n
        step = np.linalg.solve(h, g)
        t, f0 = 1.0, nll(theta)
        while t > 1e-10 and nll(theta + t * step) > f0 + 1e-12 * abs(f0):
            t *= 0.5
        theta = theta + t * step
        if alpha == 0:
            theta -= theta.mean()
        if np.max(np.abs(g)) < tol * max(1.0, (x.sum() + y.sum()) / n):
            break
    return theta


def label_noise(
    n_items: int,
    a: np.ndarray,
    b: np.ndarray,
    p: np.ndarray,
    tie: np.ndarray,
    weight: np.ndarray | None = None,
    judge: np.ndarray | None = None,
    n_judges: int = 0,
    shrink: float = 10.0,
    alpha: float = 0.0,
    eps_init: float = 0.1,
    max_iter: int = 500,
    tol: float = 1e-9,
) -> dict[str, Any]:
    """Twin of ``noise::label_noise``: EM over the (judge, i, j) cells; returns theta, eps, posteriors."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    p, tie = np.asarray(p, float), np.asarray(tie, bool)
    w = np.ones(len(a)) if weight is None else np.asarray(weight, float)
    g = np.zeros(len(a), np.int64) if judge is None else np.asarray(judge, np.int64)
    nj = max(n_judges, 1) if judge is not None else 1
    # Cells: orient each row as i < j.
    i, j = np.minimum(a, b), np.maximum(a, b)
    pa = np.where(a < b, p, 1 - p)
    keep = w > 0
    key = (g * n_items + i) * n_items + j
    cells, row_cell = np.unique(key[keep], return_inverse=True)
    cg = cells // (n_items * n_items)
    ci = (cells // n_items) % n_items
    cj = cells % n_items
    cx = np.bincount(row_cell, (w * pa * ~tie)[keep], len(cells))
    cy = np.bincount(row_cell, (w * (1 - pa) * ~tie)[keep], len(cells))
    ct = np.bincount(row_cell, (w * tie)[keep], len(cells))
    pairs, cell_pair = np.unique(ci * n_items + cj, return_inverse=True)
    pi, pj = pairs // n_items, pairs % n_items
    tot = np.bincount(cg, cx + cy, nj)
    total = tot.sum()
    eps = np.full(nj, eps_init)
    theta = np.zeros(n_items)
    ll_prev = -np.inf
    converged = False
    it = 0
    for it in range(1, max(max_iter, 1) + 1):  # noqa: B007 (reported)
        d = theta[ci] - theta[cj]
        s = _sigmoid(d)
        e = eps[cg]
        px = (1 - e) * s + e * (1 - s)
        py = (1 - e) * (1 - s) + e * s
        qx, qy = (1 - e) * s / px, (1 - e) * (1 - s) / py
        ll = float(
            np.sum(
                np.where(cx > 0, cx * np.log(px), 0)
                + np.where(cy > 0, cy * np.log(py), 0)
                + np.where(ct > 0, 0.5 * ct * (np.log(s) + np.log(1 - s)), 0)
            )
        )
        if abs(ll - ll_prev) <= tol * (1 + abs(ll)):
            converged = True
            break
        ll_prev = ll
        wrong = np.bincount(cg, cx * (1 - qx) + cy * (1 - qy), nj)
        pooled = wrong.sum() / total if total > 0 else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            v = (wrong + shrink * pooled) / (tot + shrink)
        eps = np.clip(np.where(np.isfinite(v), v, pooled), EPS_MIN, EPS_MAX)
        sx = np.bincount(cell_pair, cx * qx + cy * (1 - qy) + 0.5 * ct, len(pairs))
        sy = np.bincount(cell_pair, cy * qy + cx * (1 - qx) + 0.5 * ct, len(pairs))
        theta = _bt_newton(n_items, pi, pj, sx, sy, alpha, theta)
    d = theta[ci] - theta[cj]
    s = _sigmoid(d)
    e = eps[cg]
    qx = (1 - e) * s / ((1 - e) * s + e * (1 - s))
    qy = (1 - e) * (1 - s) / ((1 - e) * (1 - s) + e * s)
    wrong = np.bincount(cg, cx * (1 - qx) + cy * (1 - qy), nj)
    post = np.full(len(a), np.nan)
    rows = np.flatnonzero(keep)
    k = row_cell
    pr = pa[rows] * qx[k] + (1 - pa[rows]) * qy[k]
    post[rows] = np.where(tie[rows], np.nan, pr)
    return {
        "theta": theta,
        "judge_epsilon": eps,
        "epsilon": float(wrong.sum() / total) if total else 0.0,
        "posterior": post,
        "iterations": it,
        "converged": converged,
    }


def robust_btl(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    threshold: float = 3.0,
    max_corrupt_fraction: float = 0.25,
    pseudo: float = 0.5,
    decay: float = 0.5,
    max_iter: int = 100,
    refit: bool = True,
    refit_fraction: float = 0.49,
    alpha: float = 0.0,
    refit_max_iter: int = 50,
) -> dict[str, Any]:
    """Twin of ``_core.robust_btl_fit``: ``matrix::robust_btl`` (observed cells with i < j; ties
    already folded into x, y), then with ``refit`` the trimmed refit of ``refit::trimmed_refit``.

    Alternating: weighted least squares of the empirical logits on ``theta_i - theta_j`` over the
    kept entries (dense solve with a mean-zero gauge), then hard thresholding of the standardised
    residuals with a geometrically decreasing threshold and a per-item budget.
    """
    out = _matrix_step(n, i, j, x, y, threshold, max_corrupt_fraction, pseudo, decay, max_iter)
    out["matrix_corrupted"] = out["corrupted"].copy()
    if refit:
        r = trimmed_refit(
            n, i, j, x, y, out["theta"], out["corrupted"], threshold, refit_fraction, alpha, max_iter=refit_max_iter
        )
        out.update(
            theta=r["theta"],
            corrupted=r["corrupted"],
            residual=r["residual"],
            sigma=r["sigma"],
            iterations=out["iterations"] + r["rounds"],
            converged=out["converged"] and r["converged"],
            refit_rounds=r["rounds"],
            alpha_used=r["alpha_used"],
        )
    return out


def _matrix_step(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    threshold: float,
    max_corrupt_fraction: float,
    pseudo: float,
    decay: float,
    max_iter: int,
) -> dict[str, Any]:
    """Twin of ``matrix::robust_btl``."""
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    x, y = np.asarray(x, float), np.asarray(y, float)
    m = len(i)
    nn = x + y
    pe = (x + pseudo) / (nn + 2 * pseudo)
    logit = np.log(pe / (1 - pe))
    w = nn * pe * (1 - pe)
    sw = np.sqrt(w)
    deg = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    budget = np.minimum(np.floor(max_corrupt_fraction * deg).astype(int), np.maximum(deg - 1, 0))

    def project(keep: np.ndarray) -> np.ndarray:
        lap = np.zeros((n, n))
        rhs = np.zeros(n)
        wk = w * keep
        np.add.at(lap, (i, i), wk)
        np.add.at(lap, (j, j), wk)
        np.add.at(lap, (i, j), -wk)
        np.add.at(lap, (j, i), -wk)
        np.add.at(rhs, i, wk * logit)
        np.add.at(rhs, j, -wk * logit)
        c = np.diag(lap).sum() / n
        theta = np.linalg.solve(lap + max(c, 1e-12) / n * np.ones((n, n)), rhs)
        return theta - theta.mean()

    keep = np.ones(m, bool)
    theta = project(keep)
    z = (logit - theta[i] + theta[j]) * sw
    zeta = float(np.max(np.abs(z)))
    converged = False
    sigma = 1.0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (reported)
        kept = np.abs(z[keep])
        sigma = max(1.4826 * float(np.sort(kept)[len(kept) // 2]) if len(kept) else 0.0, 1.0)
        floor = threshold * sigma
        zeta = max(zeta * decay, floor)
        over = np.flatnonzero(np.abs(z) > zeta)
        over = over[np.lexsort((over, -np.abs(z[over])))]
        used = np.zeros(n, int)
        new_keep = np.ones(m, bool)
        for k in over:
            if used[i[k]] < budget[i[k]] and used[j[k]] < budget[j[k]]:
                used[i[k]] += 1
                used[j[k]] += 1
                new_keep[k] = False
        same = bool(np.array_equal(new_keep, keep))
        keep = new_keep
        theta = project(keep)
        z = (logit - theta[i] + theta[j]) * sw
        if same and zeta <= floor:
            converged = True
            break
    return {
        "theta": theta,
        "corrupted": ~keep,
        "residual": z,
        "sigma": sigma,
        "iterations": it,
        "converged": converged,
    }


def deviance_residual(x: np.ndarray, y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Signed deviance residual of pairs with ``x`` wins of i and ``y`` of j at ``d = theta_i - theta_j``:
    ``sign(x - n s) sqrt(2 [x ln(x / (n s)) + y ln(y / (n (1 - s)))])``, ``s = sigma(d)``."""
    x, y, d = (np.asarray(v, float) for v in (x, y, d))
    nn = x + y
    ls, l1s = -np.logaddexp(0, -d), -np.logaddexp(0, d)  # ln s, ln(1 - s)
    with np.errstate(divide="ignore", invalid="ignore"):
        tx = np.where(x > 0, x * (np.log(x) - np.log(nn) - ls), 0.0)
        ty = np.where(y > 0, y * (np.log(y) - np.log(nn) - l1s), 0.0)
    dev = np.maximum(2 * (tx + ty), 0.0)
    sign = np.where(x - nn * np.exp(ls) >= 0, 1.0, -1.0)
    return np.where(nn > 0, sign * np.sqrt(dev), 0.0)


def _strongly_connected(n: int, i: np.ndarray, j: np.ndarray, x: np.ndarray, y: np.ndarray) -> bool:
    """Is the win graph (an edge from winner to loser wherever a pair has a win) strongly connected?"""
    fwd: list[list[int]] = [[] for _ in range(n)]
    bwd: list[list[int]] = [[] for _ in range(n)]
    for a, b, wa, wb in zip(i.tolist(), j.tolist(), x.tolist(), y.tolist(), strict=True):
        if wa > 0:
            fwd[a].append(b)
            bwd[b].append(a)
        if wb > 0:
            fwd[b].append(a)
            bwd[a].append(b)
    for adj in (fwd, bwd):
        seen = {0}
        stack = [0]
        while stack:
            for v in adj[stack.pop()]:
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        if len(seen) < n:
            return False
    return True


def trimmed_refit(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    theta0: np.ndarray,
    corrupted0: np.ndarray,
    threshold: float = 3.0,
    max_corrupt_fraction: float = 0.49,
    alpha: float = 0.0,
    fallback_alpha: float = 1e-6,
    max_iter: int = 50,
) -> dict[str, Any]:
    """Twin of ``refit::trimmed_refit``: from a robust start, repeat (Bradley-Terry fit on the kept
    pairs; signed deviance residuals of all pairs; flag those above ``threshold`` robust scales,
    largest first, within a per-item budget) until the flagged set is stable (confirmed by a fit at
    the full tolerance) or repeats."""
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    x, y = np.asarray(x, float), np.asarray(y, float)
    m = len(i)
    deg = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    budget = np.minimum(np.floor(max_corrupt_fraction * deg).astype(int), np.maximum(deg - 1, 0))
    keep = ~np.asarray(corrupted0, bool)
    theta = np.asarray(theta0, float).copy()
    seen: list[bytes] = []
    converged = tight = False
    sigma, a_used, rounds = 1.0, alpha, 0
    r = np.zeros(m)
    for rounds in range(1, max(max_iter, 1) + 1):  # noqa: B007 (reported)
        ki, kj, kx, ky = i[keep], j[keep], x[keep], y[keep]
        a_used = alpha if alpha > 0 or _strongly_connected(n, ki, kj, kx, ky) else fallback_alpha
        # Loose fits while the flags move; a full-tolerance fit must then reproduce them.
        theta = _bt_newton(n, ki, kj, kx, ky, a_used, theta, tol=1e-10 if tight else 1e-6)
        r = deviance_residual(x, y, theta[i] - theta[j])
        kept = np.abs(r[keep])
        sigma = max(1.4826 * float(np.sort(kept)[len(kept) // 2]) if len(kept) else 0.0, 1.0)
        over = np.flatnonzero(np.abs(r) > threshold * sigma)
        over = over[np.lexsort((over, -np.abs(r[over])))]
        used = np.zeros(n, int)
        new_keep = np.ones(m, bool)
        for k in over:
            if used[i[k]] < budget[i[k]] and used[j[k]] < budget[j[k]]:
                used[i[k]] += 1
                used[j[k]] += 1
                new_keep[k] = False
        if np.array_equal(new_keep, keep):
            if tight:
                converged = True
                break
            tight = True
            continue
        tight = False
        if new_keep.tobytes() in seen:
            break
        seen.append(keep.tobytes())
        keep = new_keep
    return {
        "theta": theta,
        "corrupted": ~keep,
        "residual": r,
        "sigma": sigma,
        "rounds": rounds,
        "converged": converged,
        "alpha_used": a_used,
    }


def curate_scores(
    scores: np.ndarray, alpha: float = 1.0, eps_init: float = 0.1, max_iter: int = 100, tol: float = 1e-4
) -> dict[str, Any]:
    """Twin of ``curate::curate_scores`` (the EM part): per-judge flip rates and per-prompt strengths."""
    scores = np.asarray(scores, float)
    n_r = scores.shape[1]
    theta = np.where(np.all(np.isnan(scores), axis=2), np.nan, 0.0)
    ia, ib = np.triu_indices(n_r, 1)
    # votes[p, pair, judge]: +1 first preferred, -1 second, 0 none.
    with np.errstate(invalid="ignore"):
        votes = np.sign(scores[:, ia, :] - scores[:, ib, :])
    votes = np.nan_to_num(votes)
    return _curate_em((votes > 0).astype(float), (votes < 0).astype(float), theta, alpha, eps_init, max_iter, tol)


def curate_pairs(
    prompt: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    judge: np.ndarray,
    vote: np.ndarray,
    n_judges: int,
    alpha: float = 1.0,
    eps_init: float = 0.1,
    max_iter: int = 100,
    tol: float = 1e-4,
) -> dict[str, Any]:
    """Twin of ``curate::curate_pairs`` (the EM part) on coded verdicts (vote 1: ``a``, -1: ``b``, 0: tie).

    A prompt's responses are the responses of its rows, in the order of their codes; every row is a
    separate vote. Returns the EM result and ``items[p, local]`` (response code, -1 for padding)."""
    prompt, a, b, judge, vote = (np.asarray(x, dtype=np.int64) for x in (prompt, a, b, judge, vote))
    n_p = int(prompt.max()) + 1
    lists = [np.unique(np.concatenate([a[prompt == p], b[prompt == p]])) for p in range(n_p)]
    n_r = max(2, max(len(x) for x in lists))
    items = np.full((n_p, n_r), -1, dtype=np.int64)
    theta = np.full((n_p, n_r), np.nan)
    for p, x in enumerate(lists):
        items[p, : len(x)] = x
        theta[p, : len(x)] = 0.0
    pair_of = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(*np.triu_indices(n_r, 1), strict=True))}
    n1 = np.zeros((n_p, len(pair_of), n_judges))
    n2 = np.zeros_like(n1)
    for p, x, y, r, v in zip(prompt, a, b, judge, vote, strict=True):
        if v == 0:
            continue
        lx, ly = int(np.searchsorted(lists[p], x)), int(np.searchsorted(lists[p], y))
        first = (lx < ly) == (v > 0)
        (n1 if first else n2)[p, pair_of[(min(lx, ly), max(lx, ly))], r] += 1
    out = _curate_em(n1, n2, theta, alpha, eps_init, max_iter, tol)
    out["items"] = items
    return out


def _curate_em(
    n1: np.ndarray, n2: np.ndarray, theta: np.ndarray, alpha: float, eps_init: float, max_iter: int, tol: float
) -> dict[str, Any]:
    """The batched EM: ``n1[p, pair, judge]`` / ``n2``: votes for the first / second response of each
    pair ``(i < j)`` (``np.triu_indices`` order), ``theta``: 0 for responses, NaN for absent ones."""
    n_p, n_r = theta.shape
    n_j = n1.shape[2]
    eps = np.full(n_j, eps_init)
    ia, ib = np.triu_indices(n_r, 1)
    net = n1 - n2
    decisive = np.any(n1 + n2 > 0, axis=2)
    n_votes = (n1 + n2).sum(axis=(0, 1))
    converged = False
    it = 0
    hist = [eps.copy()]
    for it in range(1, max(max_iter, 1) + 1):
        lo = np.log((1 - eps) / eps)
        wrong = np.zeros(n_j)
        new_theta = theta.copy()
        for p in range(n_p):
            th = theta[p]
            d = th[ia] - th[ib]
            s = _sigmoid(d)
            mu = _sigmoid(d + net[p] @ lo)
            mu = np.where(decisive[p], mu, 0.0)
            for r in range(n_j):
                wrong[r] += np.sum(n1[p, :, r] * (1 - mu) + n2[p, :, r] * mu)
            g = np.zeros(n_r)
            h = np.zeros((n_r, n_r))
            gr = np.where(decisive[p], mu - s, 0.0)
            ww = np.where(decisive[p], s * (1 - s), 0.0)
            np.add.at(g, ia, gr)
            np.add.at(g, ib, -gr)
            np.add.at(h, (ia, ia), ww)
            np.add.at(h, (ib, ib), ww)
            np.add.at(h, (ia, ib), -ww)
            np.add.at(h, (ib, ia), -ww)
            nan = np.isnan(th)
            g = np.where(nan, 0.0, g - alpha * np.nan_to_num(th))
            h[np.diag_indices(n_r)] += np.where(nan, 0.0, alpha)
            h[nan, :] = 0.0
            h[:, nan] = 0.0
            h[nan, nan] = 1.0
            new_theta[p] = th + np.linalg.solve(h, g)
        theta = new_theta
        new_eps = np.clip(np.where(n_votes > 0, wrong / np.maximum(n_votes, 1e-300), eps), EPS_MIN, EPS_MAX)
        change = float(np.max(np.abs(new_eps - eps)))
        eps = new_eps
        if it > 1 and change <= tol:
            converged = True
            break
        # SQUAREM-style extrapolation every two EM maps, as in the core.
        hist.append(eps.copy())
        if len(hist) == 3:
            e0, e1, e2 = hist
            r1, v = e1 - e0, e2 - 2 * e1 + e0
            if np.sum(v * v) > 0:
                step = -max(np.sqrt(np.sum(r1 * r1) / np.sum(v * v)), 1.0)
                eps = np.clip(e0 - 2 * step * r1 + step * step * v, EPS_MIN, EPS_MAX)
            hist = [eps.copy()]
    return {"judge_epsilon": eps, "theta": theta, "iterations": it, "converged": converged}


def label_noise_eps_covariance(
    n_items: int,
    a: np.ndarray,
    b: np.ndarray,
    p: np.ndarray,
    tie: np.ndarray,
    judge: np.ndarray,
    theta: np.ndarray,
    eps: np.ndarray,
    h: float = 1e-4,
) -> np.ndarray:
    """Twin of the joint-information intervals of ``noise::label_noise``, derived independently: the
    covariance of the judges' flip rates as the eps-block of the inverse of the negative Hessian of the
    observed log-likelihood in (theta with sum-to-zero gauge, eps), by central finite differences."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    p, tie, judge = np.asarray(p, float), np.asarray(tie, bool), np.asarray(judge, np.int64)
    nj = len(eps)

    def loglik(v: np.ndarray) -> float:
        th = np.append(v[: n_items - 1], -v[: n_items - 1].sum())
        e = v[n_items - 1 :][judge]
        s = _sigmoid(th[a] - th[b])
        q = e + (1 - 2 * e) * s  # P(record "a beat b")
        dec = ~tie
        ll = np.sum(p[dec] * np.log(q[dec]) + (1 - p[dec]) * np.log(1 - q[dec]))
        return float(ll + np.sum(0.5 * (np.log(s[tie]) + np.log(1 - s[tie]))))

    th0 = np.asarray(theta, float) - np.mean(theta)
    v0 = np.concatenate([th0[: n_items - 1], np.asarray(eps, float)])
    m = len(v0)
    hess = np.zeros((m, m))
    for r in range(m):
        for c in range(r, m):

            def f(dr: float, dc: float, r: int = r, c: int = c) -> float:
                v = v0.copy()
                v[r] += dr
                v[c] += dc
                return loglik(v)

            val = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h * h)
            hess[r, c] = hess[c, r] = val
    cov = np.linalg.inv(-hess)
    return cov[n_items - 1 :, n_items - 1 :][:nj, :nj]
