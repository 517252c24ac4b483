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
