"""Tests of prefrank.consistency: transitivity census, tournaments, position bias, score consistency."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import prefrank as pr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank import consistency as C
from prefrank.exceptions import PrefrankError
from prefrank.reference import consistency as ref

DATA = Path(__file__).resolve().parents[1] / "fixtures"


# ------------------------------------------------------------------------------------------------
# Helpers


def _random_groups(rng: np.random.Generator, n_groups: int, max_items: int, p_judged: float, repeats: int):
    a, b, p, g, j = [], [], [], [], []
    for grp in range(n_groups):
        m = int(rng.integers(2, max_items + 1))
        items = rng.choice(20, size=m, replace=False)
        for x, y in itertools.combinations(items.tolist(), 2):
            if rng.random() > p_judged:
                continue
            for _ in range(int(rng.integers(1, repeats + 1))):
                if rng.random() < 0.5:
                    x, y = y, x
                a.append(x)
                b.append(y)
                p.append(float(rng.choice([0.0, 0.5, 1.0, 0.3, 0.8])))
                g.append(grp)
                j.append(int(rng.integers(0, 2)))
    return (np.array(a), np.array(b), np.array(p), np.array(g), np.array(j))


def _census_rows(res: C.Transitivity) -> dict:
    u = res.units()
    out = {}
    for row in u.itertuples(index=False):
        key = (row.group, getattr(row, "judge", None))
        out[key] = {
            k: int(getattr(row, k)) for k in ("n_items", "n_pairs", "triples", "circular", "equivalence", "other")
        }
        if hasattr(row, "k4"):
            out[key].update({k: int(getattr(row, k)) for k in ("k4", "bad4", "k5", "bad5")})
    return out


# ------------------------------------------------------------------------------------------------
# Triple taxonomy


def test_pattern_table_matches_weak_order_definition():
    """All 27 verdict patterns: the Rust classes equal the reference (weak-order search), 13/2/6/6."""
    rels = [">", "<", "="]
    counts = dict.fromkeys(C.CLASS_NAMES, 0)
    a, b, p, g = [], [], [], []
    expected = []
    for k, (xy, xz, yz) in enumerate(itertools.product(rels, repeat=3)):
        rel = {(0, 1): xy, (0, 2): xz, (1, 2): yz}
        cls = ref.classify(rel, (0, 1, 2))
        counts[cls] += 1
        expected.append(cls)
        for (i, j), v in rel.items():
            a.append(i)
            b.append(j)
            p.append({">": 1.0, "<": 0.0, "=": 0.5}[v])
            g.append(k)
    assert counts == {"transitive": 13, "circular": 2, "equivalence": 6, "other": 6}
    res = pr.transitivity(a=a, b=b, outcome=p, group=g, bootstrap=0)
    u = res.units()
    got = []
    for row in u.itertuples(index=False):
        cls = [c for c in ("circular", "equivalence", "other") if getattr(row, c) == 1]
        got.append(cls[0] if cls else "transitive")
    assert got == expected
    # The TrustJudge examples: A>B>C>A is circular; A=B, B=C, A>C is an equivalence contradiction.
    assert ref.classify({(0, 1): ">", (1, 2): ">", (0, 2): "<"}, (0, 1, 2)) == "circular"
    assert ref.classify({(0, 1): "=", (1, 2): "=", (0, 2): ">"}, (0, 1, 2)) == "equivalence"


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    agg=st.sampled_from(["majority", "probability", "unanimous"]),
    by_judge=st.booleans(),
)
def test_census_matches_reference(seed, agg, by_judge):
    rng = np.random.default_rng(seed)
    a, b, p, g, j = _random_groups(rng, 6, 7, 0.85, 3)
    if len(a) == 0:
        return
    tie = p == 0.5
    res = pr.transitivity(
        a=a,
        b=b,
        outcome=p,
        group=g,
        judge=j,
        aggregate=agg,
        by_judge=by_judge,
        mode="trustjudge" if seed % 2 else "census",
        bootstrap=0,
    )
    want = ref.triad_census(
        a, b, p, tie, g.tolist(), j.tolist() if by_judge else None, aggregate=agg, ntr=bool(seed % 2)
    )
    got = _census_rows(res)
    assert got == {k: v for k, v in want.items()}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_census_does_not_depend_on_item_or_row_order(seed):
    rng = np.random.default_rng(seed)
    a, b, p, g, _ = _random_groups(rng, 5, 6, 0.9, 2)
    if len(a) == 0:
        return
    base = pr.transitivity(a=a, b=b, outcome=p, group=g, bootstrap=0).counts
    # Relabel items by a permutation, swap a/b (with p -> 1 - p) and shuffle rows.
    perm = rng.permutation(20)
    swap = rng.random(len(a)) < 0.5
    a2 = np.where(swap, perm[b], perm[a])
    b2 = np.where(swap, perm[a], perm[b])
    p2 = np.where(swap, 1 - p, p)
    order = rng.permutation(len(a))
    other = pr.transitivity(a=a2[order], b=b2[order], outcome=p2[order], group=g[order], bootstrap=0).counts
    assert other == base


def test_cycle_spelled_out_and_counts_add_up():
    a = ["x", "y", "z", "p", "q", "r"]
    b = ["y", "z", "x", "q", "r", "p"]
    out = ["a", "a", "a", "a", "a", "b"]
    g = ["g1"] * 3 + ["g2"] * 3
    res = pr.transitivity(a=a, b=b, outcome=out, group=g, bootstrap=0)
    assert res.counts["circular"] == 1 and res.counts["triples"] == 2
    assert res.rates["circular"] == 0.5
    tri = res.triples()
    assert tri["text"].tolist() == ["x > y > z > x"]
    assert tri["group"].tolist() == ["g1"]
    bg = res.by_group()
    assert bg.loc["g1", "circular"] == 1 and bg.loc["g2", "transitive"] == 1
    assert res.worst(1).index[0] == "g1"
    assert res.to_dict()["counts"]["circular"] == 1
    assert "circular=0.5000" in repr(res)


def test_trustjudge_merge_and_ntr():
    # Pair (A, B) judged in both orders with opposite verdicts -> tie under the both-orders merge.
    rows = [
        ("A", "B", "a"),
        ("B", "A", "a"),
        ("A", "C", "a"),
        ("C", "A", "b"),
        ("B", "C", "a"),
        ("C", "B", "b"),
    ]
    a, b, o = zip(*rows, strict=False)
    g = ["q"] * len(rows)
    tj = pr.transitivity(a=list(a), b=list(b), outcome=list(o), group=g, mode="trustjudge", bootstrap=0)
    assert tj.aggregate == "unanimous"
    # A = B, A > C, B > C: a weak order -> transitive.
    assert tj.counts["non_transitive"] == 0 and tj.rates["ntr3"] == 0.0
    # Break it: make B lose to C in both orders -> A = B, A > C > B: "other".
    rows[4] = ("B", "C", "b")
    rows[5] = ("C", "B", "a")
    a, b, o = zip(*rows, strict=False)
    tj = pr.transitivity(a=list(a), b=list(b), outcome=list(o), group=g, mode="trustjudge", bootstrap=0)
    assert tj.counts["other"] == 1
    assert math.isnan(tj.rates["ntr4"])  # no 4-subset


def test_ntr_on_groups_of_five_matches_reference():
    rng = np.random.default_rng(3)
    a, b, p, g = [], [], [], []
    for grp in range(30):
        for x, y in itertools.combinations(range(5), 2):
            for order in (0, 1):
                a.append(x if order == 0 else y)
                b.append(y if order == 0 else x)
                p.append(float(rng.choice([0.0, 1.0, 0.5])))
                g.append(grp)
    res = pr.transitivity(a=a, b=b, outcome=p, group=g, mode="trustjudge", bootstrap=0)
    want = ref.triad_census(a, b, p, [x == 0.5 for x in p], g, aggregate="unanimous", ntr=True)
    k4 = sum(v["k4"] for v in want.values())
    bad4 = sum(v["bad4"] for v in want.values())
    bad5 = sum(v["bad5"] for v in want.values())
    assert k4 == 150
    assert res.rates["ntr4"] == pytest.approx(bad4 / k4)
    assert res.rates["ntr5"] == pytest.approx(bad5 / 30)
    assert res.rates["ntr3"] <= res.rates["ntr4"] <= res.rates["ntr5"]


def test_bootstrap_is_seeded_and_brackets_estimate():
    rng = np.random.default_rng(0)
    a, b, p, g, j = _random_groups(rng, 60, 6, 1.0, 1)
    r1 = pr.transitivity(a=a, b=b, outcome=p, group=g, judge=j, bootstrap=300, seed=5)
    r2 = pr.transitivity(a=a, b=b, outcome=p, group=g, judge=j, bootstrap=300, seed=5)
    r3 = pr.transitivity(a=a, b=b, outcome=p, group=g, judge=j, bootstrap=300, seed=6)
    assert r1.ci == r2.ci
    assert r1.ci != r3.ci
    lo, hi = r1.ci["non_transitive"]
    assert lo <= r1.rates["non_transitive"] <= hi and lo < hi
    bj = r1.by_judge()
    assert set(bj.index) == {0, 1}
    assert (bj["non_transitive_lo"] <= bj["non_transitive_rate"]).all()
    assert (bj["non_transitive_rate"] <= bj["non_transitive_hi"]).all()
    assert bj["triples"].sum() == r1.counts["triples"]
    none = pr.transitivity(a=a, b=b, outcome=p, group=g, bootstrap=0)
    assert all(math.isnan(v[0]) for v in none.ci.values())


def test_bootstrap_kernel_thread_independent_values():
    num = np.array([1.0, 0.0, 3.0, 2.0])
    den = np.array([2.0, 1.0, 4.0, 4.0])
    reps = pr._core.cluster_ratio_bootstrap(num, den, 1, 200, 1)
    # Every replicate is a ratio of sums of resampled clusters: within [min ratio, max ratio].
    assert reps.min() >= 0.0 and reps.max() <= 0.75
    assert np.array_equal(reps, pr._core.cluster_ratio_bootstrap(num, den, 1, 200, 1))


def test_pooled_judges_and_probability_margin():
    # Two judges disagree on (x, y); pooled by majority -> tie; split -> each judge consistent.
    a = ["x", "x", "y", "z", "x", "y", "z"]
    b = ["y", "y", "z", "x", "z", "z", "y"]
    o = ["a", "b", "a", "a", "b", "a", "b"]
    judge = ["j1", "j2", "j1", "j1", "j2", "j2", "j2"]
    g = ["g"] * 7
    split = pr.transitivity(a=a, b=b, outcome=o, group=g, judge=judge, bootstrap=0)
    assert split.counts["circular"] == 1  # j1: x > y > z > x ; j2: z > x > y, z < y (z=y? no: y>z)
    pooled = pr.transitivity(a=a, b=b, outcome=o, group=g, judge=judge, by_judge=False, bootstrap=0)
    assert pooled.counts["triples"] == 1
    probs = [0.55, 0.45, 0.9, 0.9, 0.1]
    r = pr.transitivity(
        a=["x", "y", "z", "x", "x"],
        b=["y", "z", "x", "y", "z"],
        outcome=probs,
        group=[0] * 5,
        aggregate="probability",
        margin=0.1,
        bootstrap=0,
    )
    # (x,y): mean 0.5 -> tie; y > z; z beats x twice... x vs z: 0.9 (z won, as a) and 0.1 -> x lost.
    want = ref.triad_census(
        ["x", "y", "z", "x", "x"],
        ["y", "z", "x", "y", "z"],
        probs,
        [False] * 5,
        [0] * 5,
        aggregate="probability",
        margin=0.1,
    )
    assert r.counts["triples"] == 1
    assert r.counts["other"] == next(iter(want.values()))["other"]


def test_transitivity_errors():
    kw = {"a": ["x", "y"], "b": ["y", "z"], "outcome": ["a", "b"], "group": [0, 0]}
    with pytest.raises(PrefrankError, match="aggregate"):
        pr.transitivity(**kw, aggregate="mean")
    with pytest.raises(PrefrankError, match="margin"):
        pr.transitivity(**kw, margin=0.7)
    with pytest.raises(PrefrankError, match="level"):
        pr.transitivity(**kw, level=1.5)
    with pytest.raises(PrefrankError, match="bootstrap"):
        pr.transitivity(**kw, bootstrap=-1)
    with pytest.raises(PrefrankError, match="mode"):
        pr.transitivity(**kw, mode="fast")
    with pytest.raises(PrefrankError, match="by_judge"):
        pr.transitivity(**kw, bootstrap=0).by_judge()
    with pytest.raises(PrefrankError, match="unknown group"):
        pr.transitivity(**kw, bootstrap=0).triples(["nope"])
    # NTR needs groups of at most 64 items.
    n = 70
    big = {"a": list(range(n)), "b": [(i + 1) % n for i in range(n)], "outcome": [1.0] * n, "group": [0] * n}
    with pytest.raises(PrefrankError, match="at most 64"):
        pr.transitivity(**big, mode="trustjudge")
    with pytest.raises(PrefrankError, match="not found"):
        pr.transitivity({"a": ["x"], "b": ["y"], "o": ["a"]}, a="a", b="b", outcome="o", group="grp")
    with pytest.raises(PrefrankError):
        pr._core.triad_census(
            SimpleNamespace(
                n_items=3,
                a=np.array([0], np.uint32),
                b=np.array([1], np.uint32),
                p=np.array([1.0]),
                tie=np.array([0], np.uint8),
                weight=None,
            ),
            np.array([5], np.uint32),
            2,
        )


def test_group_too_large_for_dense_kernel():
    n = 4100
    with pytest.raises(PrefrankError, match="at most 4096"):
        pr.transitivity(a=list(range(n)), b=[(i + 1) % n for i in range(n)], outcome=[1.0] * n, bootstrap=0)


# ------------------------------------------------------------------------------------------------
# Tournaments


def _random_relation(rng, n, p_judged, p_tie):
    rel = {}
    for i, j in itertools.combinations(range(n), 2):
        if rng.random() < p_judged:
            u = rng.random()
            rel[(i, j)] = "=" if u < p_tie else (">" if u < (1 + p_tie) / 2 else "<")
    return rel


def _rows(rel):
    a = [i for i, _ in rel]
    b = [j for _, j in rel]
    p = [{">": 1.0, "<": 0.0, "=": 0.5}[v] for v in rel.values()]
    return a, b, p


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(3, 14),
    p_judged=st.sampled_from([0.5, 0.8, 1.0]),
    p_tie=st.sampled_from([0.0, 0.2]),
)
def test_tournament_matches_networkx_and_reference(seed, n, p_judged, p_tie):
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(seed)
    rel = _random_relation(rng, n, p_judged, p_tie)
    if not rel:
        return
    a, b, p = _rows(rel)
    t = pr.tournament(a=a, b=b, outcome=p, cycles=10_000, exact_max=8 if n <= 8 else 0)
    arcs, _ = ref.arcs_and_ties(rel)
    items = sorted({i for pair in rel for i in pair})
    G = nx.DiGraph()
    G.add_nodes_from(items)
    G.add_edges_from(arcs)
    nx_cycles = [c for c in nx.simple_cycles(G, length_bound=3) if len(c) == 3]
    assert t.circular == len(nx_cycles)
    want = ref.census_of_relation(rel)
    assert (t.triples, t.circular, t.equivalence, t.other) == (
        want["triples"],
        want["circular"],
        want["equivalence"],
        want["other"],
    )
    assert {frozenset(c) for c in t.components} == {frozenset(c) for c in nx.strongly_connected_components(G)}
    three = [tuple(c) for c in t.cycles if len(c) == 3]
    code = {v: k for k, v in enumerate(items)}
    assert sorted(tuple(code[x] for x in c) for c in three) == ref.three_cycles(
        len(items), {(code[u], code[v]) for u, v in arcs}
    )
    for c in t.cycles:  # every reported cycle is a cycle
        assert all((c[k], c[(k + 1) % len(c)]) in arcs for k in range(len(c)))
    assert t.backward_arcs == ref.backward_arcs(t.order, arcs)
    assert sorted(t.order) == items
    if len(items) <= 7:
        best = ref.min_feedback_arcs(len(items), {(code[u], code[v]) for u, v in arcs})
        assert t.backward_arcs == best and t.exact


def test_complete_tournament_closed_form_and_consistence():
    rng = np.random.default_rng(1)
    n = 9
    rel = _random_relation(rng, n, 1.0, 0.0)
    a, b, p = _rows(rel)
    t = pr.tournament(a=a, b=b, outcome=p)
    arcs, _ = ref.arcs_and_ties(rel)
    assert t.complete
    assert t.circular == len(ref.three_cycles(n, arcs))
    assert t.zeta == pytest.approx(ref.consistence(n, arcs))
    # A transitive tournament has zeta = 1; the regular 5-tournament has zeta = 0.
    trans = pr.tournament(
        a=[i for i in range(6) for j in range(i + 1, 6)],
        b=[j for i in range(6) for j in range(i + 1, 6)],
        outcome=[1.0] * 15,
    )
    assert trans.zeta == 1.0 and trans.circular == 0 and trans.backward_arcs == 0
    assert trans.order == [0, 1, 2, 3, 4, 5]
    reg_a = [i for i in range(5) for d in (1, 2)]
    reg_b = [(i + d) % 5 for i in range(5) for d in (1, 2)]
    reg = pr.tournament(a=reg_a, b=reg_b, outcome=[1.0] * 10)
    assert reg.circular == 5 == reg.c3_max and reg.zeta == 0.0
    assert len(reg.components) == 1
    # The same complete tournament through the bitset path (one extra tied item) agrees.
    t2 = pr.tournament(a=[*a, 0], b=[*b, 99], outcome=[*p, 0.5])
    assert not t2.complete and t2.circular == t.circular and t2.zeta is None


def test_tournament_from_matrix_and_labels():
    wins = np.array([[0, 3, 0], [1, 0, 2], [4, 0, 0]], float)
    t = pr.tournament(wins=wins, items=["a", "b", "c"], cycles=5)
    assert t.circular == 1 and t.cycles == [["a", "b", "c"]]
    assert t.components == [["a", "b", "c"]]
    assert t.backward_arcs == 1 and t.exact
    assert t.to_pandas().loc["a", "wins"] == 1
    assert t.to_dict()["cycles"] == [["a", "b", "c"]]
    ties = np.array([[0, 0, 5], [0, 0, 0], [5, 0, 0]], float)
    t2 = pr.tournament(wins=wins, ties=ties, items=["a", "b", "c"])
    assert t2.n_ties == 1 and t2.circular == 0 and t2.other == 1
    with pytest.raises(PrefrankError, match="square"):
        pr.tournament(wins=np.zeros((2, 3)))
    with pytest.raises(PrefrankError, match="symmetric"):
        pr.tournament(wins=wins, ties=np.triu(np.ones((3, 3))))
    with pytest.raises(PrefrankError, match="labels"):
        pr.tournament(wins=wins, items=["a"])
    with pytest.raises(PrefrankError, match="negative"):
        pr.tournament(wins=-wins)
    with pytest.raises(PrefrankError, match="not both"):
        pr.tournament({"x": [1]}, wins=wins)
    with pytest.raises(PrefrankError, match="exact_max"):
        pr.tournament(wins=wins, exact_max=30)
    with pytest.raises(PrefrankError, match="cycles"):
        pr.tournament(wins=wins, cycles=-1)
    with pytest.raises(PrefrankError, match="empty"):
        pr.tournament(wins=np.zeros((0, 0)))


def test_tournament_heuristic_close_to_exact():
    rng = np.random.default_rng(7)
    for _ in range(5):
        rel = _random_relation(rng, 16, 1.0, 0.0)
        a, b, p = _rows(rel)
        ex = pr.tournament(a=a, b=b, outcome=p, exact_max=20)
        he = pr.tournament(a=a, b=b, outcome=p, exact_max=0)
        assert ex.exact and not he.exact
        assert ex.backward_arcs <= he.backward_arcs <= ex.backward_arcs + 5


# ------------------------------------------------------------------------------------------------
# Position bias


def test_position_bias_patterns_match_reference():
    rng = np.random.default_rng(11)
    rows = []
    for g in range(3):
        for x, y in itertools.combinations(range(6), 2):
            for order in (0, 1) if rng.random() < 0.7 else (0,):
                for _ in range(int(rng.integers(1, 3))):
                    first = x if order == 0 else y
                    a, b = (x, y) if rng.random() < 0.5 else (y, x)
                    rows.append((a, b, float(rng.choice([0.0, 0.5, 1.0])), 0 if first == a else 1, g))
    a, b, p, first, g = map(np.array, zip(*rows, strict=False))
    res = pr.position_bias(a=a, b=b, outcome=p, position=first, group=g)
    want = ref.swap_patterns(a, b, p, p == 0.5, first, g.tolist())
    assert res.patterns == want
    n = sum(want.values())
    assert res.n_swapped_pairs == n
    assert res.swap_consistency == pytest.approx((want["consistent"] + want["tie_both"]) / n)
    decisive = p != 0.5
    first_won = np.where(first == 0, p, 1 - p)[decisive]
    assert res.first_win_share == pytest.approx(first_won.mean())
    lo, hi = res.ci
    assert lo < res.first_win_share < hi


def test_position_bias_detects_first_preference_and_per_judge():
    # Judge "biased" always picks the first-shown item; judge "fair" picks the better item (lower code).
    a, b, pos, out, judge = [], [], [], [], []
    for x, y in itertools.combinations(range(8), 2):
        for first in (x, y):
            a.append(x)
            b.append(y)
            pos.append(first)
            out.append("a" if first == x else "b")
            judge.append("biased")
            a.append(x)
            b.append(y)
            pos.append(first)
            out.append("a")
            judge.append("fair")
    res = pr.position_bias(a=a, b=b, outcome=out, position=pos, judge=judge)
    bj = res.by_judge()
    assert bj.loc["biased", "first_win_share"] == 1.0
    assert bj.loc["fair", "first_win_share"] == 0.5
    assert bj.loc["biased", "swap_consistency"] == 0.0 and bj.loc["biased", "first_both"] == 28
    assert bj.loc["fair", "swap_consistency"] == 1.0
    assert bj.loc["biased", "p_value"] < 1e-10 and bj.loc["fair", "p_value"] == pytest.approx(1.0)
    assert res.to_dict()["patterns"]["consistent"] == 28


def test_binomial_test_against_golden_scipy():
    golden = json.loads((DATA / "consistency_binomtest.json").read_text())
    for k, n, pv in golden["cases"]:
        assert C.binomial_test(k, n) == pytest.approx(pv, rel=1e-6, abs=1e-12)
    # Large n: normal approximation close to the exact value.
    assert C.binomial_test(50_400, 100_000) == pytest.approx(golden["large"], rel=0.02)
    assert math.isnan(C.binomial_test(0, 0))


def test_position_bias_errors():
    with pytest.raises(PrefrankError, match="position="):
        pr.position_bias(a=["x"], b=["y"], outcome=["a"])
    with pytest.raises(PrefrankError, match="level"):
        pr.position_bias(a=["x"], b=["y"], outcome=["a"], position=["a"], level=0)
    with pytest.raises(PrefrankError, match="judge="):
        pr.position_bias(a=["x"], b=["y"], outcome=["a"], position=["a"]).by_judge()


# ------------------------------------------------------------------------------------------------
# Score consistency


def test_score_consistency_table_matches_reference():
    rng = np.random.default_rng(5)
    n = 300
    a = rng.integers(0, 10, n)
    b = (a + rng.integers(1, 10, n)) % 10
    sa, sb = rng.integers(1, 6, n).astype(float), rng.integers(1, 6, n).astype(float)
    p = rng.choice([0.0, 0.5, 1.0], n)
    for tol in (0.0, 1.0):
        res = pr.score_consistency(a=a, b=b, outcome=p, score_a=sa, score_b=sb, tolerance=tol)
        want = np.array(ref.score_table(sa, sb, p, p == 0.5, tol))
        assert np.array_equal(res.table, want)
        assert res.conflict_rate == pytest.approx(1 - np.trace(want) / n)
        assert res.reversal_rate == pytest.approx((want[0, 2] + want[2, 0]) / n)
    assert res.crosstab().shape == (3, 3)


def test_score_consistency_aggregation_reduces_flip_noise():
    # Each pair judged in both orders; the judge flips once per pair when shown in the second order.
    a, b, out, sa, sb, pos = [], [], [], [], [], []
    for x, y in itertools.combinations(range(5), 2):
        for order in (0, 1):
            a.append(x)
            b.append(y)
            sa.append(5 - x)
            sb.append(5 - y)
            pos.append("a" if order == 0 else "b")
            out.append(0.9 if order == 0 else 0.4)
    per_row = pr.score_consistency(a=a, b=b, outcome=out, score_a=sa, score_b=sb)
    assert per_row.conflict_rate == 0.5 and per_row.reversal_rate == 0.5
    lik = pr.score_consistency(a=a, b=b, outcome=out, score_a=sa, score_b=sb, aggregate="probability")
    assert lik.n_pairs == 10 and lik.conflict_rate == 0.0
    una = pr.score_consistency(a=a, b=b, outcome=out, score_a=sa, score_b=sb, aggregate="unanimous")
    assert una.conflict_rate == 1.0 and una.reversal_rate == 0.0  # every pair becomes a tie
    maj = pr.score_consistency(a=a, b=b, outcome=out, score_a=sa, score_b=sb, aggregate="majority", judge=["j"] * 20)
    assert maj.by_judge().loc["j", "n_pairs"] == 10


def test_score_consistency_errors():
    kw = {"a": ["x"], "b": ["y"], "outcome": ["a"]}
    with pytest.raises(PrefrankError, match="score_a"):
        pr.score_consistency(**kw)
    with pytest.raises(PrefrankError, match="tolerance"):
        pr.score_consistency(**kw, score_a=[1.0], score_b=[2.0], tolerance=-1)
    with pytest.raises(PrefrankError, match="row 0: score_b"):
        pr.score_consistency(**kw, score_a=[1.0], score_b=[math.nan])
    with pytest.raises(PrefrankError, match="length mismatch"):
        pr.score_consistency(**kw, score_a=[1.0, 2.0], score_b=[2.0, 1.0])


def test_expected_score():
    probs = np.array([[0.1, 0.2, 0.7], [1.0, 0.0, 0.0], [2.0, 2.0, 0.0]])
    e = C.expected_score(probs)
    assert e == pytest.approx([0.1 + 0.4 + 2.1, 1.0, 1.5])
    e10 = C.expected_score(probs, values=[0, 5, 10])
    assert e10[0] == pytest.approx(0 * 0.1 + 5 * 0.2 + 10 * 0.7)
    op = C.expected_score(probs, method="odds_power", power=1.0)
    odds = np.array([0.1 / 0.9, 0.2 / 0.8, 0.7 / 0.3])
    assert op[0] == pytest.approx((odds * [1, 2, 3]).sum() / odds.sum())
    assert op[1] == 1.0
    sharp = C.expected_score(probs[:1], method="odds_power", power=4.0)
    assert e[0] < sharp[0] < 3.0
    with pytest.raises(PrefrankError, match="2-D"):
        C.expected_score([1.0, 2.0])
    with pytest.raises(PrefrankError, match="negative"):
        C.expected_score([[1.0, -1.0]])
    with pytest.raises(PrefrankError, match="sum to 0"):
        C.expected_score([[0.0, 0.0]])
    with pytest.raises(PrefrankError, match="values"):
        C.expected_score(probs, values=[1, 2])
    with pytest.raises(PrefrankError, match="method"):
        C.expected_score(probs, method="mode")
    with pytest.raises(PrefrankError, match="power"):
        C.expected_score(probs, method="odds_power", power=0)


# ------------------------------------------------------------------------------------------------
# Real data


def test_llmfao_crowd_census_consistent_views():
    pd = pytest.importorskip("pandas")
    crowd = pd.read_csv(DATA / "llmfao-crowd.csv")
    crowd["shown_first"] = "a"
    res = pr.transitivity(
        crowd,
        a="left",
        b="right",
        outcome="winner",
        position="shown_first",
        group="prompt",
        judge="worker",
        by_judge=False,
        bootstrap=200,
    )
    bg = res.by_group()
    assert bg["triples"].sum() == res.counts["triples"] > 100
    assert bg["non_transitive"].sum() == res.counts["non_transitive"]
    assert 0 < res.rates["non_transitive"] < 1
    lo, hi = res.ci["non_transitive"]
    assert lo <= res.rates["non_transitive"] <= hi
    pb = pr.position_bias(crowd, a="left", b="right", outcome="winner", position="shown_first", judge="worker")
    assert pb.first_win_share > 0.5 and pb.p_value < 0.01  # the crowd prefers the left response


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), agg=st.sampled_from(["majority", "probability", "unanimous"]))
def test_weighted_census_matches_reference(seed, agg):
    rng = np.random.default_rng(seed)
    a, b, p, g, _ = _random_groups(rng, 4, 6, 0.9, 3)
    if len(a) == 0:
        return
    w = rng.choice([0.0, 0.5, 1.0, 2.0], size=len(a))
    res = pr.transitivity(a=a, b=b, outcome=p, group=g, weight=w, aggregate=agg, bootstrap=0)
    want = ref.triad_census(a, b, p, p == 0.5, g.tolist(), weight=w, aggregate=agg)
    assert _census_rows(res) == want


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_per_group_circular_counts_match_networkx(seed):
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(seed)
    a, b, p, g, _ = _random_groups(rng, 8, 8, 0.8, 1)
    if len(a) == 0:
        return
    p = np.where(p == 0.5, 1.0, np.round(p))  # strict verdicts only
    res = pr.transitivity(a=a, b=b, outcome=p, group=g, bootstrap=0).by_group()
    for grp in np.unique(g):
        rows = g == grp
        G = nx.DiGraph()
        for x, y, q in zip(a[rows], b[rows], p[rows], strict=True):
            G.add_edge(*((x, y) if q == 1.0 else (y, x)))
        want = sum(1 for c in nx.simple_cycles(G, length_bound=3) if len(c) == 3)
        assert res.loc[grp, "circular"] == want
