"""Pure-Python twins of the agreement kernels (prefrank-core ``agreement``), written for clarity.

Ratings are lists of rows (raters) of category indices ``0..k-1`` with ``None`` for missing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Ratings = Sequence[Sequence[int | None]]


def unit_counts(ratings: Ratings, k: int) -> list[list[int]]:
    """Per-unit value counts (units x k)."""
    n_units = len(ratings[0]) if ratings else 0
    out = [[0] * k for _ in range(n_units)]
    for row in ratings:
        for u, v in enumerate(row):
            if v is not None:
                out[u][v] += 1
    return out


def coincidence(counts: Sequence[Sequence[int]], k: int) -> list[list[float]]:
    """Krippendorff's coincidence matrix from per-unit value counts."""
    o = [[0.0] * k for _ in range(k)]
    for row in counts:
        m = sum(row)
        if m < 2:
            continue
        for c in range(k):
            for e in range(k):
                pairs = row[c] * (row[e] - (1 if c == e else 0))
                o[c][e] += pairs / (m - 1)
    return o


def delta2(level: str, k: int, marginals: Sequence[float], values: Sequence[float] | None = None) -> list[list[float]]:
    """Squared distances of Krippendorff's metrics."""
    d = [[0.0] * k for _ in range(k)]
    for c in range(k):
        for e in range(k):
            if c == e:
                continue
            if level == "nominal":
                d[c][e] = 1.0
            elif level == "ordinal":
                lo, hi = min(c, e), max(c, e)
                s = sum(marginals[lo : hi + 1]) - (marginals[lo] + marginals[hi]) / 2
                d[c][e] = s * s
            elif level == "interval":
                assert values is not None
                d[c][e] = (values[c] - values[e]) ** 2
            elif level == "ratio":
                assert values is not None
                s = values[c] + values[e]
                d[c][e] = 0.0 if s == 0 else ((values[c] - values[e]) / s) ** 2
            else:
                raise ValueError(level)
    return d


def krippendorff_alpha(
    ratings: Ratings,
    k: int,
    level: str = "nominal",
    values: Sequence[float] | None = None,
    distance: Sequence[Sequence[float]] | None = None,
) -> float:
    """Alpha = 1 - (n - 1) sum o d2 / sum n_c n_k d2 (NaN when undefined)."""
    o = coincidence(unit_counts(ratings, k), k)
    marg = [sum(r) for r in o]
    n = sum(marg)
    d = [list(r) for r in distance] if distance is not None else delta2(level, k, marg, values)
    num = sum(o[c][e] * d[c][e] for c in range(k) for e in range(k))
    den = sum(marg[c] * marg[e] * d[c][e] for c in range(k) for e in range(k))
    if n == 0 or den <= 0:
        return math.nan
    return 1 - (n - 1) * num / den


def _weights(k: int, weights: str | None) -> list[list[float]]:
    span = max(k - 1, 1)
    w = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            if weights is None:
                w[i][j] = 1.0 if i == j else 0.0
            elif weights == "linear":
                w[i][j] = 1 - abs(i - j) / span
            else:
                w[i][j] = 1 - (i - j) ** 2 / span**2
    return w


def pairwise(
    statistic: str, a: Sequence[int | None], b: Sequence[int | None], k: int, weights: str | None = None
) -> float:
    """Two-rater coefficient (cohen, scott, gwet, brennan_prediger, percent) over units both rated."""
    both = [(x, y) for x, y in zip(a, b, strict=False) if x is not None and y is not None]
    if not both:
        return math.nan
    n = len(both)
    w = _weights(k, weights)
    p = [[0.0] * k for _ in range(k)]
    for x, y in both:
        p[x][y] += 1 / n
    rows = [sum(p[i]) for i in range(k)]
    cols = [sum(p[i][j] for i in range(k)) for j in range(k)]
    pi = [(r + c) / 2 for r, c in zip(rows, cols, strict=False)]
    po = sum(w[i][j] * p[i][j] for i in range(k) for j in range(k))
    tw = sum(map(sum, w))
    if statistic == "percent":
        return po
    if statistic == "cohen":
        pe = sum(w[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    elif statistic == "scott":
        pe = sum(w[i][j] * pi[i] * pi[j] for i in range(k) for j in range(k))
    elif statistic == "gwet":
        pe = tw / (k * (k - 1)) * sum(x * (1 - x) for x in pi) if k > 1 else 1.0
    else:
        pe = tw / k**2
    return (po - pe) / (1 - pe) if 1 - pe > 1e-15 else math.nan


def multi(statistic: str, ratings: Ratings, k: int, weights: str | None = None) -> float:
    """Multi-rater coefficient (fleiss, gwet, brennan_prediger, percent), Gwet (2014) formulation."""
    counts = unit_counts(ratings, k)
    w = _weights(k, weights)
    rated = [row for row in counts if sum(row) >= 1]
    pairable = [row for row in counts if sum(row) >= 2]
    if not pairable:
        return math.nan
    pa = 0.0
    for row in pairable:
        r = sum(row)
        for c in range(k):
            star = sum(w[c][e] * row[e] for e in range(k))
            pa += row[c] * (star - 1) / (r * (r - 1))
    pa /= len(pairable)
    pi = [sum(row[c] / sum(row) for row in rated) / len(rated) for c in range(k)]
    tw = sum(map(sum, w))
    if statistic == "percent":
        return pa
    if statistic == "fleiss":
        pe = sum(w[i][j] * pi[i] * pi[j] for i in range(k) for j in range(k))
    elif statistic == "gwet":
        pe = tw / (k * (k - 1)) * sum(x * (1 - x) for x in pi) if k > 1 else 1.0
    else:
        pe = tw / k**2
    return (pa - pe) / (1 - pe) if 1 - pe > 1e-15 else math.nan


def item_stats(counts: Sequence[Sequence[int]]) -> list[dict[str, float | int | bool | None]]:
    """Per-unit n, majority (lowest index on ties), share, entropy, normalised entropy, distinct, split."""
    out: list[dict[str, float | int | bool | None]] = []
    for row in counts:
        k = len(row)
        m = sum(row)
        if m == 0:
            out.append(
                {
                    "n": 0,
                    "majority": None,
                    "share": math.nan,
                    "entropy": math.nan,
                    "entropy_norm": math.nan,
                    "distinct": 0,
                    "split": False,
                }
            )
            continue
        top = max(row)
        h = -sum((x / m) * math.log(x / m) for x in row if x)
        out.append(
            {
                "n": m,
                "majority": row.index(top),
                "share": top / m,
                "entropy": max(h, 0.0),
                "entropy_norm": max(h, 0.0) / math.log(k) if k > 1 else 0.0,
                "distinct": sum(1 for x in row if x),
                "split": sum(1 for x in row if x == top) > 1,
            }
        )
    return out


def model_disagreement(labels: Sequence[Sequence[int | None]]) -> list[list[float]]:
    """Disagreement rate of each pair of models over items both labelled."""
    n = len(labels)
    out = [[math.nan] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            both = [(x, y) for x, y in zip(labels[i], labels[j], strict=False) if x is not None and y is not None]
            if both:
                out[i][j] = sum(x != y for x, y in both) / len(both)
    return out


def js_distance(p: Sequence[float], q: Sequence[float]) -> float:
    s = 0.0
    for a, b in zip(p, q, strict=False):
        m = (a + b) / 2
        if a > 0:
            s += 0.5 * a * math.log(a / m)
        if b > 0:
            s += 0.5 * b * math.log(b / m)
    return math.sqrt(max(s, 0.0))


def prob_disagreement(probs: Sequence[Sequence[Sequence[float]]]) -> tuple[list[list[float]], ...]:
    """Expected disagreement, total variation and JS distance, averaged over items."""
    n = len(probs)
    m = len(probs[0])
    ed = [[0.0] * n for _ in range(n)]
    tv = [[0.0] * n for _ in range(n)]
    js = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            for t in range(m):
                p, q = probs[i][t], probs[j][t]
                ed[i][j] += (1 - sum(a * b for a, b in zip(p, q, strict=False))) / m
                if i != j:
                    tv[i][j] += 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=False)) / m
                    js[i][j] += js_distance(p, q) / m
    return ed, tv, js


def soft_scores(pred: Sequence[Sequence[float]], human: Sequence[Sequence[float]]) -> list[dict[str, float]]:
    """Cross-entropy, JS distance, Manhattan and Wasserstein-1 per item."""
    out = []
    for p, h in zip(pred, human, strict=False):
        ce = -sum(b * math.log(max(a, 1e-12)) for a, b in zip(p, h, strict=False) if b > 0)
        cp = ch = w = 0.0
        for c in range(len(p) - 1):
            cp += p[c]
            ch += h[c]
            w += abs(cp - ch)
        out.append(
            {
                "cross_entropy": ce,
                "jensen_shannon": js_distance(p, h),
                "manhattan": sum(abs(a - b) for a, b in zip(p, h, strict=False)),
                "wasserstein": w,
            }
        )
    return out
