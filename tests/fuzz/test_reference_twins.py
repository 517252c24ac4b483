"""Clean but odd inputs (any label type, duplicate rows, weights spanning magnitudes, tiny tables)
against the pure-Python twins in prefrank.reference: the answer is the twin's, or a PrefrankError."""

from __future__ import annotations

from typing import Any

import prefrank as pr
from fuzz.harness import FUZZ, check, close
from hypothesis import given
from hypothesis import strategies as st
from prefrank.reference import agreement as ref_agreement
from prefrank.reference import data as ref_data
from prefrank.reference import ranking as ref_ranking

LABELS = [["m0", "m1", "m2", "m3"], [3, 1, 2, 0], [0.5, -1.5, 2.25, 10.0], ["é", "模型", " ", "z"]]
OUTCOME = {"a": 1.0, "b": 0.0, "tie": "tie"}


@st.composite
def table(draw: Any) -> tuple[list[Any], list[Any], list[str], list[float] | None, list[Any]]:
    labels = draw(st.sampled_from(LABELS))
    n = draw(st.integers(1, 12))
    ia = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    ib = [(i + s) % 4 for i, s in zip(ia, draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)), strict=True)]
    o = draw(st.lists(st.sampled_from(["a", "b", "tie"]), min_size=n, max_size=n))
    w = draw(st.one_of(st.none(), st.lists(st.sampled_from([0.5, 1.0, 3.0]), min_size=n, max_size=n)))
    reps = draw(st.integers(1, 3))
    return (
        [labels[i] for i in ia] * reps,
        [labels[i] for i in ib] * reps,
        o * reps,
        None if w is None else w * reps,
        labels,
    )


def _rows(got: Any, a: list[Any], b: list[Any], o: list[str], w: list[float] | None) -> list[tuple[Any, ...]]:
    index = {lab: k for k, lab in enumerate(got.items.tolist())}
    return [
        (index[x], index[y], OUTCOME[r], *(() if w is None else (w[k],)))
        for k, (x, y, r) in enumerate(zip(a, b, o, strict=True))
    ]


@FUZZ
@given(t=table(), method=st.sampled_from(["bradley_terry", "elo", "pair_counts"]))
def test_against_reference_twins(t: Any, method: str) -> None:
    a, b, o, w, _ = t
    case = f"{method}(a={a}, b={b}, outcome={o}, weight={w})"
    if method == "bradley_terry":

        def against(got: Any) -> None:
            theta, _ = ref_ranking.bt_newton(len(got.items), _rows(got, a, b, o, w), ties="half", alpha=0.1)
            close(got.theta, theta, atol=1e-5)

        fit = lambda: pr.bradley_terry(a=a, b=b, outcome=o, weight=w, alpha=0.1, scale="log")  # noqa: E731
        check(case, fit, function="bradley_terry", reference=against)
    elif method == "elo":

        def against(got: Any) -> None:
            close(got.score_array, ref_ranking.elo(len(got.items), _rows(got, a, b, o, w)), atol=1e-9)

        check(case, lambda: pr.elo(a=a, b=b, outcome=o, weight=w), function="elo", reference=against)
    else:

        def against(got: Any) -> None:
            items = got.items.tolist()
            code = {lab: k for k, lab in enumerate(items)}
            p = [1.0 if r == "a" else 0.0 if r == "b" else 0.5 for r in o]
            tie = [r == "tie" for r in o]
            want = ref_data.pair_counts([code[x] for x in a], [code[y] for y in b], p, tie, w)
            i, j, x, y, ties = got.cells()
            have = {
                (int(u), int(v)): (float(p_), float(q), float(r))
                for u, v, p_, q, r in zip(i, j, x, y, ties, strict=True)
            }
            assert set(have) == set(want), f"pairs {sorted(have)} != {sorted(want)}"
            for key, cell in want.items():
                close(have[key], cell, atol=1e-12)

        pairs = lambda: pr.comparisons(a=a, b=b, outcome=o, weight=w).pair_counts()  # noqa: E731
        check(case, pairs, function="Comparisons.pair_counts", reference=against)


@FUZZ
@given(
    rows=st.lists(st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=4, max_size=4), min_size=2, max_size=4),
    statistic=st.sampled_from(["krippendorff_alpha", "fleiss_kappa", "gwet_ac", "percent_agreement", "cohen_kappa"]),
)
def test_ratings_against_reference_twins(rows: list[list[int | None]], statistic: str) -> None:
    if statistic == "cohen_kappa":
        rows = rows[:2]
    k, levels = 3, [0, 1, 2]
    fn = getattr(pr, statistic)
    if statistic == "krippendorff_alpha":
        want = ref_agreement.krippendorff_alpha(rows, k)
    elif statistic == "cohen_kappa":
        want = ref_agreement.pairwise("cohen", rows[0], rows[1], k)
    else:
        want = ref_agreement.multi(
            {"fleiss_kappa": "fleiss", "gwet_ac": "gwet", "percent_agreement": "percent"}[statistic], rows, k
        )
    check(
        f"{statistic}({rows})",
        lambda: fn(rows, levels=levels, undefined="nan"),
        function=statistic,
        reference=lambda got: close(got.value, want, atol=1e-9),
        allow_nan=True,  # undefined="nan" asks for NaN where the statistic is undefined (the twin says so too)
    )
