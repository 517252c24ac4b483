"""Reference twins of the judge-consistency kernels (mirror prefrank-core ``consistency/``).

Written for clarity: a triple is classified by asking whether *any* weak order (a ranking with ties)
reproduces its three verdicts, with no lookup table; tournaments are plain dictionaries.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from typing import Any

# A pair relation seen from the first item: ">" it won, "<" it lost, "=" tie.
Relation = dict[tuple[Any, Any], str]


def verdict(p: float, tie: bool) -> str:
    """'a', 'b' or 'tie' for one row."""
    if tie or p == 0.5:
        return "tie"
    return "a" if p > 0.5 else "b"


def aggregate_pair(rows: Sequence[tuple[float, bool, float]], aggregate: str, margin: float = 0.0) -> str | None:
    """One relation ('>' first item won, '<' lost, '=' tie) from ``(p_first, tie, weight)`` rows."""
    rows = [r for r in rows if r[2] > 0]
    if not rows:
        return None
    if aggregate == "probability":
        num = sum(w * (0.5 if t else p) for p, t, w in rows)
        tot = sum(w for _, _, w in rows)
        share = num / tot
        # Within 1e-9 of the band's edge is a tie (rounding), as in the Rust kernel.
        if share > 0.5 + margin + 1e-9:
            return ">"
        if share < 0.5 - margin - 1e-9:
            return "<"
        return "="
    mass = {"a": 0.0, "b": 0.0, "tie": 0.0}
    for p, t, w in rows:
        mass[verdict(p, t)] += w
    if aggregate == "unanimous":
        if mass["b"] == 0 and mass["tie"] == 0:
            return ">"
        if mass["a"] == 0 and mass["tie"] == 0:
            return "<"
        return "="
    if aggregate != "majority":
        raise ValueError(aggregate)
    top = max(mass.values())
    winners = [k for k, v in mass.items() if v == top]
    if len(winners) > 1 or winners[0] == "tie":
        return "="
    return ">" if winners[0] == "a" else "<"


def _beats(rel: Relation, x: int, y: int) -> str:
    if (x, y) in rel:
        return rel[(x, y)]
    return {">": "<", "<": ">", "=": "="}[rel[(y, x)]]


def is_weak_order(rel: Relation, triple: tuple[int, int, int]) -> bool:
    """True when some assignment of ranks (ties allowed) reproduces the three verdicts."""
    for ranks in itertools.product(range(3), repeat=3):
        rank = dict(zip(triple, ranks, strict=False))
        ok = True
        for x, y in itertools.combinations(triple, 2):
            want = _beats(rel, x, y)
            got = ">" if rank[x] < rank[y] else "<" if rank[x] > rank[y] else "="
            if want != got:
                ok = False
                break
        if ok:
            return True
    return False


def classify(rel: Relation, triple: tuple[int, int, int]) -> str:
    """'transitive', 'circular', 'equivalence' or 'other'."""
    if is_weak_order(rel, triple):
        return "transitive"
    ties = sum(_beats(rel, x, y) == "=" for x, y in itertools.combinations(triple, 2))
    return {0: "circular", 2: "equivalence"}.get(ties, "other")


def relation_from_rows(
    a: Sequence[Any],
    b: Sequence[Any],
    p: Sequence[float],
    tie: Sequence[bool],
    weight: Sequence[float] | None,
    rows: Sequence[int],
    aggregate: str,
    margin: float = 0.0,
) -> Relation:
    """The aggregated relation over ``rows``, keyed by ``(i, j)`` with ``i < j``."""
    per_pair: dict[tuple[int, int], list[tuple[float, bool, float]]] = {}
    for r in rows:
        i, j = a[r], b[r]
        w = 1.0 if weight is None else float(weight[r])
        pf = float(p[r]) if i < j else 1.0 - float(p[r])
        per_pair.setdefault((min(i, j), max(i, j)), []).append((pf, bool(tie[r]), w))
    rel: Relation = {}
    for key, rs in per_pair.items():
        v = aggregate_pair(rs, aggregate, margin)
        if v is not None:
            rel[key] = v
    return rel


def census_of_relation(rel: Relation, ntr: bool = False) -> dict[str, int]:
    """Counts of the four classes (and k-subset counts for NTR_4, NTR_5)."""
    items = sorted({i for pair in rel for i in pair})
    out = {
        "n_items": len(items),
        "n_pairs": len(rel),
        "triples": 0,
        "circular": 0,
        "equivalence": 0,
        "other": 0,
    }
    bad_triples = set()
    for t in itertools.combinations(items, 3):
        if all(pair in rel for pair in itertools.combinations(t, 2)):
            out["triples"] += 1
            c = classify(rel, t)
            if c != "transitive":
                out[c] += 1
                bad_triples.add(t)
    if ntr:
        for k in (4, 5):
            total = bad = 0
            for s in itertools.combinations(items, k):
                if all(pair in rel for pair in itertools.combinations(s, 2)):
                    total += 1
                    bad += any(t in bad_triples for t in itertools.combinations(s, 3))
            out[f"k{k}"] = total
            out[f"bad{k}"] = bad
    return out


def triad_census(
    a: Sequence[int],
    b: Sequence[int],
    p: Sequence[float],
    tie: Sequence[bool],
    group: Sequence[Hashable],
    judge: Sequence[Hashable] | None = None,
    weight: Sequence[float] | None = None,
    aggregate: str = "majority",
    margin: float = 0.0,
    ntr: bool = False,
) -> dict[tuple[Hashable, Hashable], dict[str, int]]:
    """Per unit ``(group, judge)`` (judge ``None`` without judges): the census of its relation."""
    units: dict[tuple[Hashable, Hashable], list[int]] = {}
    for r in range(len(a)):
        key = (group[r], None if judge is None else judge[r])
        units.setdefault(key, []).append(r)
    out = {}
    for key, rows in sorted(units.items(), key=lambda kv: repr(kv[0])):
        res = census_of_relation(relation_from_rows(a, b, p, tie, weight, rows, aggregate, margin), ntr)
        # n_items counts every item named in the unit's rows (also rows of weight 0).
        res["n_items"] = len({a[r] for r in rows} | {b[r] for r in rows})
        out[key] = res
    return out


# ------------------------------------------------------------------------------------------------
# Tournaments


def arcs_and_ties(rel: Relation) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Strict arcs ``(winner, loser)`` and tie edges ``(i, j)``, ``i < j``."""
    arcs, ties = set(), set()
    for (i, j), v in rel.items():
        if v == ">":
            arcs.add((i, j))
        elif v == "<":
            arcs.add((j, i))
        else:
            ties.add((i, j))
    return arcs, ties


def strongly_connected_components(n: int, arcs: set[tuple[int, int]]) -> list[set[int]]:
    """Kosaraju's two passes (recursive-free)."""
    out: dict[int, list[int]] = {v: [] for v in range(n)}
    inn: dict[int, list[int]] = {v: [] for v in range(n)}
    for u, v in arcs:
        out[u].append(v)
        inn[v].append(u)
    seen: set[int] = set()
    finish: list[int] = []
    for s in range(n):
        if s in seen:
            continue
        stack = [(s, iter(out[s]))]
        seen.add(s)
        while stack:
            v, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                finish.append(v)
            elif nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, iter(out[nxt])))
    comps: list[set[int]] = []
    assigned: set[int] = set()
    for s in reversed(finish):
        if s in assigned:
            continue
        comp = {s}
        assigned.add(s)
        todo = [s]
        while todo:
            v = todo.pop()
            for u in inn[v]:
                if u not in assigned:
                    assigned.add(u)
                    comp.add(u)
                    todo.append(u)
        comps.append(comp)
    return comps


def backward_arcs(order: Sequence[int], arcs: set[tuple[int, int]]) -> int:
    pos = {v: k for k, v in enumerate(order)}
    return sum(pos[u] > pos[v] for u, v in arcs)


def min_feedback_arcs(n: int, arcs: set[tuple[int, int]]) -> int:
    """Fewest backward arcs over all orders (brute force; small n only)."""
    return min(backward_arcs(order, arcs) for order in itertools.permutations(range(n)))


def three_cycles(n: int, arcs: set[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Every directed 3-cycle once, starting at its smallest item."""
    out = []
    for i, j, k in itertools.permutations(range(n), 3):
        if i < j and i < k and (i, j) in arcs and (j, k) in arcs and (k, i) in arcs:
            out.append((i, j, k))
    return sorted(out)


def consistence(n: int, arcs: set[tuple[int, int]]) -> float:
    """Kendall-Babington Smith zeta of a complete tournament: 1 - c3 / c3_max."""
    c3 = len(three_cycles(n, arcs))
    c3_max = (n**3 - n) // 24 if n % 2 else (n**3 - 4 * n) // 24
    return 1.0 - c3 / c3_max


# ------------------------------------------------------------------------------------------------
# Position bias and score consistency


def swap_patterns(
    a: Sequence[int],
    b: Sequence[int],
    p: Sequence[float],
    tie: Sequence[bool],
    first: Sequence[int],
    group: Sequence[Hashable] | None = None,
    judge: Sequence[Hashable] | None = None,
) -> dict[str, int]:
    """Pattern counts over (group, judge, pair) cells judged in both orders (majority per order)."""
    cells: dict[tuple[Hashable, Hashable, int, int], dict[int, dict[str, int]]] = {}
    for r in range(len(a)):
        i, j = int(a[r]), int(b[r])
        lo, hi = min(i, j), max(i, j)
        v = verdict(float(p[r]), bool(tie[r]))
        winner = None if v == "tie" else (i if v == "a" else j)
        shown_first = i if first[r] == 0 else j
        order = 0 if shown_first == lo else 1
        g = None if group is None else group[r]
        jj = None if judge is None else judge[r]
        pos = "T" if winner is None else ("F" if winner == shown_first else "S")
        cells.setdefault((g, jj, lo, hi), {}).setdefault(order, {"F": 0, "S": 0, "T": 0})[pos] += 1
    names = {
        frozenset(["F", "S"]): "consistent",
        frozenset(["T"]): "tie_both",
        frozenset(["F"]): "first_both",
        frozenset(["S"]): "second_both",
        frozenset(["F", "T"]): "first_tie",
        frozenset(["S", "T"]): "second_tie",
    }
    out = dict.fromkeys(names.values(), 0)
    for orders in cells.values():
        if 0 not in orders or 1 not in orders:
            continue
        picks = []
        for o in (0, 1):
            m = orders[o]
            top = max(m.values())
            best = [k for k, v in m.items() if v == top]
            picks.append("T" if len(best) > 1 else best[0])
        out[names[frozenset(picks)]] += 1
    return out


def score_table(
    score_a: Sequence[float],
    score_b: Sequence[float],
    p: Sequence[float],
    tie: Sequence[bool],
    tolerance: float,
) -> list[list[int]]:
    """3 x 3 counts: score relation (a, tie, b) x verdict (a, tie, b), one row per comparison."""
    idx = {"a": 0, "tie": 1, "b": 2}
    table = [[0] * 3 for _ in range(3)]
    for sa, sb, pp, t in zip(score_a, score_b, p, tie, strict=False):
        d = sa - sb
        s = "a" if d > tolerance else "b" if d < -tolerance else "tie"
        table[idx[s]][idx[verdict(pp, t)]] += 1
    return table


def verdict_cells(
    a: Sequence[int],
    b: Sequence[int],
    p: Sequence[float],
    tie: Sequence[int],
    weight: Sequence[float] | None = None,
    group: Sequence[int] | None = None,
    judge: Sequence[int] | None = None,
    first: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Verdict cells (mirrors ``Cells::accumulate`` in ``consistency/cells.rs``).

    One cell per ``(group, judge, lo, hi, order)``: ``lo``/``hi`` the smaller/larger item code, ``order``
    1 when ``hi`` was shown first (``first[r]`` is 0 when ``a`` was shown first, 1 when ``b`` was). Sums the
    weight of each verdict seen from ``lo`` (classes as in the census) and the masses ``q_lo``/``q_hi``
    (a tie counts one half). Returns numpy arrays sorted by key.
    """
    import numpy as np

    n = len(a)
    for name, col in (
        ("b", b),
        ("outcome", p),
        ("tie", tie),
        ("weight", weight),
        ("group", group),
        ("judge", judge),
        ("first", first),
    ):
        if col is not None and len(col) != n:
            raise ValueError(f"length mismatch: a has {n} rows but {name} has {len(col)}")
    cells: dict[tuple[int, int, int, int, int], list[float]] = {}
    for r in range(n):
        ar, br = int(a[r]), int(b[r])
        if ar == br:
            raise ValueError(f"row {r}: item {ar} is compared with itself")
        lo, hi = min(ar, br), max(ar, br)
        shown_first = ar if first is None or first[r] == 0 else br
        order = int(first is not None and shown_first == hi)
        key = (int(group[r]) if group is not None else 0, int(judge[r]) if judge is not None else 0, lo, hi, order)
        cell = cells.setdefault(key, [0.0] * 5)  # lo_won, hi_won, tie, q_lo, q_hi
        w = float(weight[r]) if weight is not None else 1.0
        if w <= 0:
            continue  # the cell exists (the census counts its items) but gains nothing
        p_lo = float(p[r]) if ar < br else 1.0 - float(p[r])
        is_tie = bool(tie[r])
        if is_tie or p_lo == 0.5:
            cell[2] += w
        elif p_lo > 0.5:
            cell[0] += w
        else:
            cell[1] += w
        q = 0.5 if is_tie else p_lo
        cell[3] += w * q
        cell[4] += w * (1.0 - q)
    keys = sorted(cells)
    out: dict[str, Any] = {}
    for k, (name, dtype) in enumerate(
        (("group", np.uint32), ("judge", np.uint32), ("lo", np.uint32), ("hi", np.uint32), ("order", np.uint8))
    ):
        out[name] = np.array([key[k] for key in keys], dtype=dtype)
    for k, name in enumerate(("lo_won", "hi_won", "tie", "q_lo", "q_hi")):
        out[name] = np.array([cells[key][k] for key in keys], dtype=np.float64)
    return out


# ------------------------------------------------------------------------------------------------
# Binomial test, Wilson interval and position bias from cells (mirror consistency/binomial.rs and
# consistency/position.rs)

SWAP_PATTERN_NAMES = ("consistent", "tie_both", "first_both", "second_both", "first_tie", "second_tie")


def binomial_test(k: float, n: float) -> float:
    """scipy's two-sided ``binomtest(k, n, 0.5)`` with exact integers for whole counts (no more
    likely than ``k``: relative tolerance 1e-7, lower side ``P(X <= min(k, n - k))`` plus the
    mirrored side); the normal approximation with continuity correction for fractional counts."""
    import math
    from fractions import Fraction

    if n <= 0:
        return math.nan
    if float(k).is_integer() and float(n).is_integer():
        ni, ki = int(n), int(k)
        if 2 * ki == ni:
            return 1.0
        kk = min(ki, ni - ki)
        combs = [1]  # C(n, j) for j = 0 .. n // 2
        for j in range(ni // 2):
            combs.append(combs[-1] * (ni - j) // (j + 1))
        d = combs[kk]
        lower = sum(combs[: kk + 1])
        # Mirrored side: every j <= n // 2 with C(n, j) <= C(n, kk) (1 + 1e-7), exactly.
        mirrored = sum(c for c in combs if c * 10**7 <= d * (10**7 + 1))
        return float(min(Fraction(1), Fraction(lower + mirrored, 2**ni)))
    z = (abs(k - n / 2) - 0.5) / math.sqrt(n / 4)
    return min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))


def wilson(k: float, n: float, level: float) -> tuple[float, float]:
    """The Wilson score interval (NaNs when ``n <= 0``)."""
    import math
    from statistics import NormalDist

    if not n > 0:
        return math.nan, math.nan
    z = NormalDist().inv_cdf((1 + level) / 2)
    ph = k / n
    den = 1 + z * z / n
    centre = (ph + z * z / (2 * n)) / den
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den
    return centre - half, centre + half


def position_from_cells(cells: dict[str, Any], n_judges: int | None, level: float) -> dict[str, Any]:
    """Position-bias sums, intervals, tests and swap patterns from verdict cells (see
    :func:`verdict_cells`), pooled and, with ``n_judges``, per judge code: dicts of plain lists."""
    n = len(cells["lo"])
    row = [{k: cells[k][i].item() for k in cells} for i in range(n)]
    judges = range(n_judges or 0)
    sums = {key: {"k": 0.0, "n": 0.0, "t": 0.0} for key in ["all", *judges]}
    pats = {key: dict.fromkeys(SWAP_PATTERN_NAMES, 0) for key in ["all", *judges]}

    def verdict_pos(c: dict[str, Any]) -> str:
        """The cell's majority verdict in position terms: F first shown won, S second, T tie."""
        mass = {"lo": c["lo_won"], "hi": c["hi_won"], "tie": c["tie"]}
        top = max(mass.values())
        best = [k for k, v in mass.items() if v == top]
        if len(best) > 1 or best[0] == "tie":
            return "T"
        first = "hi" if c["order"] == 1 else "lo"
        return "F" if best[0] == first else "S"

    names = {
        frozenset("FS"): "consistent",
        frozenset("T"): "tie_both",
        frozenset("F"): "first_both",
        frozenset("S"): "second_both",
        frozenset("FT"): "first_tie",
        frozenset("ST"): "second_tie",
    }
    by_pair: dict[tuple[int, int, int, int], dict[int, dict[str, Any]]] = {}
    for c in row:
        k = (c["q_hi"] if c["order"] == 1 else c["q_lo"]) - 0.5 * c["tie"]
        for key in ("all", c["judge"]) if n_judges is not None else ("all",):
            sums[key]["k"] += k
            sums[key]["n"] += c["lo_won"] + c["hi_won"]
            sums[key]["t"] += c["tie"]
        by_pair.setdefault((c["group"], c["judge"], c["lo"], c["hi"]), {})[c["order"]] = c
    for (_, j, _, _), orders in by_pair.items():
        if 0 in orders and 1 in orders:
            name = names[frozenset(verdict_pos(orders[0]) + verdict_pos(orders[1]))]
            for key in ("all", j) if n_judges is not None else ("all",):
                pats[key][name] += 1

    def block(key: Any) -> dict[str, Any]:
        s = sums[key]
        lo, hi = wilson(s["k"], s["n"], level)
        kk = min(max(s["k"], 0.0), s["n"]) if s["n"] > 0 else s["k"]
        return {
            "first_wins": s["k"],
            "n_decisive": s["n"],
            "n_ties": s["t"],
            "lo": lo,
            "hi": hi,
            "p_value": binomial_test(kk, s["n"]),
            "patterns": pats[key],
        }

    out = block("all")
    if n_judges is not None:
        out["by_judge"] = [block(j) for j in judges]
    return out


def score_consistency_table(
    a: Sequence[int],
    b: Sequence[int],
    p: Sequence[float],
    tie: Sequence[bool],
    score_a: Sequence[float],
    score_b: Sequence[float],
    weight: Sequence[float] | None = None,
    group: Sequence[int] | None = None,
    judge: Sequence[int] | None = None,
    aggregate: str | None = None,
    margin: float = 0.0,
    tolerance: float = 0.0,
) -> tuple[list[list[float]], dict[int, list[float]]]:
    """The 3 x 3 score-relation x verdict table (mirrors ``consistency/scores.rs``) and per judge
    ``[n, conflicts, reversals]``. Without ``aggregate`` each row counts with its weight; with one,
    each (group, judge, pair) cell counts once, seen from the lower item code, with the census's
    rule (:func:`aggregate_pair`) and the weighted mean scores; a cell without weight is left out."""
    idx = {"a": 0, "tie": 1, "b": 2, ">": 0, "=": 1, "<": 2}

    def srel(d: float) -> int:
        return 0 if d > tolerance else 2 if d < -tolerance else 1

    table = [[0.0] * 3 for _ in range(3)]
    per: dict[int, list[float]] = {}

    def add(j: int | None, s: int, v: int, w: float) -> None:
        table[s][v] += w
        if j is not None:
            acc = per.setdefault(j, [0.0, 0.0, 0.0])
            acc[0] += w
            acc[1] += w if s != v else 0.0
            acc[2] += w if abs(s - v) == 2 else 0.0

    ws = [1.0] * len(a) if weight is None else [float(x) for x in weight]
    if aggregate is None:
        for r in range(len(a)):
            v = idx[verdict(float(p[r]), bool(tie[r]))]
            add(None if judge is None else int(judge[r]), srel(score_a[r] - score_b[r]), v, ws[r])
        return table, per
    cells: dict[tuple[int, int, int, int], list[int]] = {}
    for r in range(len(a)):
        key = (
            0 if group is None else int(group[r]),
            0 if judge is None else int(judge[r]),
            min(a[r], b[r]),
            max(a[r], b[r]),
        )
        cells.setdefault(key, []).append(r)
    for (_, j, lo, _), rows in sorted(cells.items()):
        flip = [a[r] != lo for r in rows]
        rel = aggregate_pair(
            [(1.0 - p[r] if f else p[r], bool(tie[r]), ws[r]) for r, f in zip(rows, flip, strict=True)],
            aggregate,
            margin,
        )
        if rel is None:
            continue
        cnt = s_lo = s_hi = 0.0
        for r, f in zip(rows, flip, strict=True):
            cnt += ws[r]
            s_lo += (score_b[r] if f else score_a[r]) * ws[r]
            s_hi += (score_a[r] if f else score_b[r]) * ws[r]
        den = cnt if cnt > 0 else 1.0
        add(None if judge is None else j, srel(s_lo / den - s_hi / den), idx[rel], 1.0)
    return table, per
