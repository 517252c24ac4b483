"""Fuzz the public API: bad cells, bad column forms, bad parameters, odd sizes; the property is in
fuzz.harness.check (a result equal to the reference or with no silent NaN, or a PrefrankError)."""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from fuzz.families import COMPARISON, GAMES, RANKINGS, RATINGS
from fuzz.harness import (
    CLEAN_FORMS,
    FUZZ,
    check,
    close,
    column_forms,
    describe,
    fail,
    params,
    with_bad_cell,
)
from hypothesis import given
from hypothesis import strategies as st
from prefrank.reference import agreement as ref_agreement
from prefrank.reference import ranking as ref_ranking

LABELS = {
    "str": ["m0", "m1", "m2", "m3", "m4"],
    "int": [0, 1, 2, 3, 4],
    "big int": [2**62, 2**63 - 1, -(2**63), 7, 2**40],
    "float": [0.5, 1.5, -2.0, 3.25, 1e300],
    "mixed": ["m0", 1, 2.5, "m3", True],
    "unicode": ["é", "模型", "", " ", "a\x00b"],
}
OUTCOME = {"a": 1.0, "b": 0.0, "tie": "tie"}


def _signature_names(fn: Any) -> list[str]:
    """The keyword-only options (the data arguments are fuzzed by the strategies)."""
    return [p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY]


def _target(name: str) -> Any:
    return pr.ComparisonStats.accumulate if name == "ComparisonStats" else getattr(pr, name)


@st.composite
def comparison_table(draw: Any) -> tuple[str, dict[str, list[Any]], list[Any]]:
    kind = draw(st.sampled_from(list(LABELS)))
    n_items = draw(st.integers(2, 5))
    labels = LABELS[kind][:n_items]
    n = draw(st.integers(0, 14))
    ia = draw(st.lists(st.integers(0, n_items - 1), min_size=n, max_size=n))
    shift = draw(st.lists(st.integers(1, n_items - 1), min_size=n, max_size=n))
    ib = [(x + s) % n_items for x, s in zip(ia, shift, strict=True)]
    outcome = draw(st.lists(st.sampled_from(["a", "b", "tie"]), min_size=n, max_size=n))
    weighted = draw(st.booleans())
    cols: dict[str, list[Any]] = {
        "a": [labels[i] for i in ia],
        "b": [labels[i] for i in ib],
        "outcome": outcome,
        "group": [f"g{k % 2}" for k in range(n)],
        "judge": [f"j{k % 3}" for k in range(n)],
        "position": [labels[i] if k % 2 else labels[j] for k, (i, j) in enumerate(zip(ia, ib, strict=True))],
        "score_a": [float(k % 5) for k in range(n)],
        "score_b": [float((k * 3) % 5) for k in range(n)],
        "slice": [f"s{k % 3}" for k in range(n)],
        "x": [float(k % 4) - 1.5 for k in range(n)],
    }
    if weighted:
        cols["weight"] = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=n, max_size=n))
    if n and draw(st.booleans()):  # duplicate rows
        reps = draw(st.integers(2, 4))
        cols = {k: v * reps for k, v in cols.items()}
    return f"{kind} labels, {len(cols['a'])} rows", cols, labels


@FUZZ
@given(name=st.sampled_from(sorted(COMPARISON)), table=comparison_table(), data=st.data())
def test_comparisons_family(name: str, table: Any, data: Any) -> None:
    desc, cols, labels = table
    fn = _target(name)
    names = _signature_names(getattr(pr, name)) if name != "ComparisonStats" else _signature_names(pr.comparisons)
    extra = {k: v for k, v in COMPARISON[name].items() if k in ("item",)}
    roles = ["a", "b", "outcome", "weight", *[k for k in COMPARISON[name] if k not in ("item", "covariates")]]
    roles = [r for r in roles if r in cols]
    if name == "contextual_bradley_terry":
        roles.append("x")
    pdesc, kw = data.draw(params(names), label="params")
    kw.update(extra)
    how = data.draw(st.sampled_from(["frame", "arrays", "bad cell", "form", "missing column"]), label="how")
    target = data.draw(st.sampled_from(roles), label="column")
    case = f"{name}({desc}; {how} {target}; {pdesc})"
    clean_cols = {r: cols[r] for r in roles}
    if how == "bad cell":
        cdesc, clean_cols[target] = with_bad_cell(cols[target], data.draw)
        case += f" {cdesc}"
    df = pd.DataFrame({r: pd.Series(v, dtype=object) for r, v in clean_cols.items()})

    def by_name(df: Any, missing: str | None = None) -> dict[str, Any]:
        out = {r: ("nope" if r == missing else r) for r in roles if r != "x"}
        if name == "contextual_bradley_terry":
            out["covariates"] = ["nope"] if missing == "x" else ["x"]
        return out

    equivalent = None
    if how in ("frame", "bad cell"):
        call = lambda: fn(df, **by_name(df), **kw)  # noqa: E731
    elif how == "missing column":
        call = lambda: fn(df, **by_name(df, target), **kw)  # noqa: E731
    else:
        arrays = {r: np.array(v, dtype=object) for r, v in clean_cols.items() if r != "x"}
        if name == "contextual_bradley_terry":
            arrays["covariates"] = np.array(cols["x"], dtype=float).reshape(-1, 1)
        if how == "form" and target != "x":
            fdesc, form = data.draw(column_forms(clean_cols[target]), label="form")
            case += f" as {fdesc}"
            if fdesc in CLEAN_FORMS:
                equivalent = dict(arrays)
            arrays[target] = form
        call = lambda: fn(**arrays, **kw)  # noqa: E731

    reference = None
    if equivalent is not None:
        want = _outcome(lambda: fn(**equivalent, **kw))
        reference = lambda got: _same_result(got, want)  # noqa: E731
    got = check(case, call, function=name, reference=reference, checked_by="equivalent input")
    if equivalent is not None and got is None and not isinstance(want, Exception):
        fail(
            case,
            "differs from equivalent input",
            "raised an error where the same values as a plain array gave a result",
        )
    if got is not None and how == "frame" and not pdesc:
        _check_ranking_reference(case, name, got, cols, labels)


def _outcome(call: Any) -> Any:
    try:
        return call()
    except pr.PrefrankError as e:
        return e
    except Exception as e:  # reported by check() on the form under test, not here
        return e


def _same_result(got: Any, want: Any) -> None:
    assert not isinstance(want, Exception), f"the plain array form raised {type(want).__name__}: {want}"
    g, w = got.to_dict(), want.to_dict()
    assert _round(g) == _round(w), "the result differs from the one for the same values as a plain array"


def _round(x: Any) -> Any:
    if isinstance(x, float):
        return round(x, 6)
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items() if k not in ("elapsed", "seconds")}
    if isinstance(x, list):
        return [_round(v) for v in x]
    return x


def _check_ranking_reference(case: str, name: str, got: Any, cols: dict[str, list[Any]], labels: list[Any]) -> None:
    """Clean data through a frame: Elo and Bradley-Terry equal their pure-Python twins."""
    if name not in ("elo", "bradley_terry") or "weight" in cols:
        return
    items = list(got.items)
    index = {lab: k for k, lab in enumerate(items)}
    try:
        rows = [(index[x], index[y], OUTCOME[o]) for x, y, o in zip(cols["a"], cols["b"], cols["outcome"], strict=True)]
    except KeyError:  # labels the library normalised (bools as ints...): compared elsewhere
        return
    n = len(items)
    if name == "elo":
        check(
            case + " [reference]",
            lambda: got,
            function="elo",
            reference=lambda r: close(r.score_array, ref_ranking.elo(n, rows)),
        )
        return
    fit = lambda: pr.bradley_terry(a=cols["a"], b=cols["b"], outcome=cols["outcome"], alpha=0.1, scale="log")  # noqa: E731

    def against(r: Any) -> None:
        theta, _ = ref_ranking.bt_newton(n, rows, ties="half", alpha=0.1)
        close(r.theta, theta, atol=1e-5)

    check(case + " [reference alpha=0.1]", fit, function="bradley_terry", reference=against)


# --------------------------------------------------------------------------------------------------
# Rankings (group, item, rank)


@st.composite
def ranking_table(draw: Any) -> tuple[str, dict[str, list[Any]]]:
    kind = draw(st.sampled_from(list(LABELS)))
    n_items = draw(st.integers(2, 4))
    labels = LABELS[kind][:n_items]
    n_obs = draw(st.integers(0, 5))
    group, item, rank = [], [], []
    for g in range(n_obs):
        perm = draw(st.permutations(range(n_items)))
        size = draw(st.integers(1, n_items))
        for r, i in enumerate(perm[:size]):
            group.append(g)
            item.append(labels[i])
            rank.append(r + 1)
    ann = [g % 2 for g in group]
    return f"{kind} labels, {n_obs} rankings", {"group": group, "item": item, "rank": rank, "annotator": ann}


@FUZZ
@given(name=st.sampled_from(RANKINGS), table=ranking_table(), data=st.data())
def test_rankings_family(name: str, table: Any, data: Any) -> None:
    desc, cols = table
    fn = getattr(pr, name)
    pdesc, kw = data.draw(params(_signature_names(fn), fast={"alpha": 0.1}), label="params")
    target = data.draw(st.sampled_from(["group", "item", "rank"]), label="column")
    cdesc, cols[target] = with_bad_cell(cols[target], data.draw)
    df = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()})
    if name == "plackett_luce_groups":
        call = lambda: fn(df, group="annotator", ranking="group", **kw)  # noqa: E731
    elif data.draw(st.booleans(), label="as lists"):
        lists = df.groupby("group", sort=True)["item"].agg(list).tolist() if len(df) and not cdesc else []
        call = lambda: fn(lists, **{k: v for k, v in kw.items() if k not in ("group", "item", "rank")})  # noqa: E731
    else:
        call = lambda: fn(df, **kw)  # noqa: E731
    check(f"{name}({desc}; {target} {cdesc}; {pdesc})", call, function=name)


# --------------------------------------------------------------------------------------------------
# Ratings (raters x units matrices and long tables)


@st.composite
def ratings_matrix(draw: Any) -> tuple[list[list[int | None]], int]:
    k = draw(st.integers(1, 4))
    r = draw(st.integers(1, 4))
    u = draw(st.integers(0, 8))
    cell = st.one_of(st.none(), st.integers(0, k - 1))
    return draw(st.lists(st.lists(cell, min_size=u, max_size=u), min_size=r, max_size=r)), k


_REFERENCE = {
    "cohen_kappa": "cohen",
    "scott_pi": "scott",
    "fleiss_kappa": "fleiss",
    "gwet_ac": "gwet",
    "brennan_prediger": "brennan_prediger",
    "percent_agreement": "percent",
}


@FUZZ
@given(name=st.sampled_from(RATINGS), matrix=ratings_matrix(), data=st.data())
def test_ratings_family(name: str, matrix: Any, data: Any) -> None:
    rows, k = matrix
    fn = pr.RatingsStats.accumulate if name == "RatingsStats" else getattr(pr, name)
    names = _signature_names(fn)
    pdesc, kw = data.draw(params(names), label="params")
    how = data.draw(st.sampled_from(["matrix", "long", "bad cell", "form"]), label="how")
    case = f"{name}({len(rows)}x{len(rows[0]) if rows else 0}, k={k}; {how}; {pdesc})"
    floats = np.array([[np.nan if v is None else float(v) for v in row] for row in rows], dtype=float)
    long = pd.DataFrame(
        [(u, f"r{r}", v) for r, row in enumerate(rows) for u, v in enumerate(row) if v is not None],
        columns=["unit", "rater", "value"],
    )
    if name == "RatingsStats":
        kw = {}
        how = "long" if how == "matrix" else how
    reference = None
    if how == "matrix":
        call = lambda: fn(floats, **kw)  # noqa: E731
        if not pdesc and name in (*_REFERENCE, "krippendorff_alpha"):
            reference, call = _ratings_reference(name, rows, k, floats)
    elif how == "long":
        call = lambda: fn(long, unit="unit", rater="rater", value="value", **kw)  # noqa: E731
    elif how == "bad cell":
        column = data.draw(st.sampled_from(["unit", "rater", "value"]), label="column")
        cdesc, long[column] = with_bad_cell(long[column].tolist(), data.draw) if len(long) else ("", long[column])
        case += f" {column} {cdesc}"
        bad = long.astype(object)
        call = lambda: fn(bad, unit="unit", rater="rater", value="value", **kw)  # noqa: E731
    else:
        fdesc, form = data.draw(column_forms([list(r) for r in rows]), label="form")
        case += f" matrix as {fdesc}"
        call = lambda: fn(form, **kw) if name != "RatingsStats" else fn(unit=form, rater=form, value=form)  # noqa: E731
    # The reference calls ask for undefined="nan": a NaN there is requested, not silent.
    check(case, call, function=name, reference=reference, allow_nan=reference is not None)


def _ratings_reference(name: str, rows: list[list[int | None]], k: int, floats: np.ndarray) -> tuple[Any, Any]:
    levels = [float(v) for v in range(k)]
    if name == "krippendorff_alpha":
        call = lambda: pr.krippendorff_alpha(floats, levels=levels, undefined="nan")  # noqa: E731
        want = ref_agreement.krippendorff_alpha(rows, k)
    else:
        fn = getattr(pr, name)
        call = lambda: fn(floats, levels=levels, undefined="nan")  # noqa: E731
        statistic = _REFERENCE[name]
        if name in ("cohen_kappa", "scott_pi") or len(rows) == 2:
            if len(rows) != 2:
                # No pairwise twin for this shape: the default undefined="warn" says why a NaN is one.
                return None, lambda: fn(floats, levels=levels)
            want = ref_agreement.pairwise(statistic, rows[0], rows[1], k)
        else:
            want = ref_agreement.multi(statistic, rows, k)
    return (lambda got: close(got.value, want, atol=1e-9)), call


# --------------------------------------------------------------------------------------------------
# Games and attribution


def _table_game(n: int, bad: Any) -> list[float]:
    t = [float(bin(s).count("1")) for s in range(2**n)]
    if bad is not None:
        t[len(t) // 2] = bad
    return t


@FUZZ
@given(
    name=st.sampled_from(GAMES),
    n=st.integers(0, 4),
    form=st.sampled_from(["table", "callable", "bad table", "bad callable", "odd length", "2-D", "strings"]),
    bad=st.sampled_from([math.nan, math.inf, None, "x", 2**70]),
    data=st.data(),
)
def test_games(name: str, n: int, form: str, bad: Any, data: Any) -> None:
    fn = getattr(pr, name)
    pdesc, kw = data.draw(params(_signature_names(fn)), label="params")
    reference = None
    if form == "table":
        game: Any = _table_game(n, None)
        reference = lambda r: close(r.values, [1.0] * n)  # noqa: E731  (every player adds exactly 1)
        if name == "banzhaf" or pdesc:
            reference = None
    elif form == "bad table":
        game = _table_game(max(n, 1), bad)
    elif form == "odd length":
        game = [0.0, 1.0, 2.0]
    elif form == "2-D":
        game = np.zeros((2**n, 2))
    elif form == "strings":
        game = ["a"] * (2**n)
    elif form == "callable":
        game = lambda s: np.asarray(s, dtype=float).sum(axis=1)  # noqa: E731
        kw.setdefault("n_players", n)
    else:
        game = lambda s: np.full(len(s), bad, dtype=object)  # noqa: E731
        kw.setdefault("n_players", n)
    check(
        f"{name}({form} n={n} bad={describe(bad)}; {pdesc})",
        lambda: fn(game, **kw),
        function=name,
        reference=reference,
        checked_by="exact value",
    )


@FUZZ
@given(
    k=st.integers(0, 4),
    rows=st.integers(0, 3),
    bad=st.sampled_from([None, math.nan, math.inf, -1.0, 0.0, "x"]),
    where=st.sampled_from(["none", "ratios", "weight", "metric"]),
    data=st.data(),
)
def test_shift_attribution(k: int, rows: int, bad: Any, where: str, data: Any) -> None:
    pdesc, kw = data.draw(params(_signature_names(pr.shift_attribution)), label="params")
    ratios = np.ones((rows, k)) * 1.5
    if where == "ratios" and ratios.size:
        ratios = ratios.astype(object)
        ratios[0, 0] = bad
    if where == "weight":
        kw["weight"] = [bad] * rows
    metric = (lambda r: float("nan") if bad != bad else bad) if where == "metric" else (lambda r: float(np.sum(r)))
    check(
        f"shift_attribution(ratios {rows}x{k}, {where}={describe(bad)}; {pdesc})",
        lambda: pr.shift_attribution(metric, ratios, **kw),
        function="shift_attribution",
    )


# --------------------------------------------------------------------------------------------------
# Score tables: model_disagreement, soft_label_scores


PROBS = st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, math.nan, math.inf, -0.5, 2.0, None]), min_size=0, max_size=3)


@FUZZ
@given(
    models=st.integers(0, 3),
    items=st.integers(0, 4),
    bad=st.sampled_from([None, math.nan, "x", 2**70, -1, 1.5]),
    data=st.data(),
)
def test_model_disagreement(models: int, items: int, bad: Any, data: Any) -> None:
    preds: list[list[Any]] = [[(m + i) % 2 for i in range(items)] for m in range(models)]
    if models and items and data.draw(st.booleans()):
        preds[0][0] = bad
    target = data.draw(st.sampled_from([None, "first", "bad"]))
    kw: dict[str, Any] = {}
    if target == "first" and items:
        kw["target"] = [0] * items
    elif target == "bad":
        kw["target"] = [bad] * max(items - 1, 0)
    check(
        f"model_disagreement({models}x{items} {preds}; {kw})",
        lambda: pr.model_disagreement(preds, **kw),
        function="model_disagreement",
    )


@FUZZ
@given(
    n=st.integers(0, 3),
    k=st.integers(1, 3),
    cell=st.sampled_from([0.5, math.nan, math.inf, -0.5, 2.0, None, "x"]),
    data=st.data(),
)
def test_soft_label_scores(n: int, k: int, cell: Any, data: Any) -> None:
    pred: list[list[Any]] = [[1.0 / k] * k for _ in range(n)]
    human: list[list[Any]] = [[1.0 / k] * k for _ in range(n)]
    if n and data.draw(st.booleans()):
        (pred if data.draw(st.booleans()) else human)[0][0] = cell
    counts = data.draw(st.booleans())
    check(
        f"soft_label_scores(pred={pred}, human={human}, human_counts={counts})",
        lambda: pr.soft_label_scores(pred, human, human_counts=counts),
        function="soft_label_scores",
    )


# --------------------------------------------------------------------------------------------------
# judge_agreement


@FUZZ
@given(n=st.integers(0, 6), data=st.data())
def test_judge_agreement(n: int, data: Any) -> None:
    judged = pd.DataFrame(
        {"unit": list(range(n)), "outcome": [["a", "b", "tie"][k % 3] for k in range(n)]}, dtype=object
    )
    humans = pd.DataFrame(
        {
            "unit": [k // 2 for k in range(2 * n)],
            "outcome": [["a", "b"][k % 2] for k in range(2 * n)],
            "rater": [f"h{k % 2}" for k in range(2 * n)],
        },
        dtype=object,
    )
    which = data.draw(st.sampled_from(["judged", "humans"]))
    column = data.draw(st.sampled_from(["unit", "outcome"]))
    frame = judged if which == "judged" else humans
    cdesc, frame[column] = with_bad_cell(frame[column].tolist(), data.draw) if len(frame) else ("", frame[column])
    missing = data.draw(st.sampled_from([None, "unit", "outcome"]))
    kw = {"unit": "unit", "outcome": "outcome", "rater": data.draw(st.sampled_from([None, "rater", "nope"]))}
    if missing:
        kw[missing] = "nope"
    check(
        f"judge_agreement({n} rows; {which}.{column} {cdesc}; {kw})",
        lambda: pr.judge_agreement(judged, humans, **kw),
        function="judge_agreement",
    )


# --------------------------------------------------------------------------------------------------
# read_table and scan over bad files

FILES: dict[str, bytes] = {
    "empty.csv": b"",
    "header-only.csv": b"a,b,outcome\n",
    "ragged.csv": b"a,b,outcome\nx,y\nx,y,a,extra\n",
    "binary.csv": bytes(range(256)),
    "latin1.csv": "a,b,outcome\n\xe9,y,a\n".encode("latin-1"),
    "nul.csv": b"a,b,outcome\nx\x00,y,a\n",
    "bad.parquet": b"PAR1garbagePAR1",
    "truncated.parquet": b"PAR1",
    "bad.jsonl": b'{"a": "x", "b": \n{"a": 1}\n',
    "empty.jsonl": b"",
    "bad.json": b"[1, 2",
    "bad.csv.gz": b"\x1f\x8b not gzip",
    "bad.arrow": b"ARROW1\x00\x00garbage",
    "bad.feather": b"not feather",
    "noext": b"a,b\n1,2\n",
    "dupcols.csv": b"a,a,b\n1,2,3\n",
    "bad.zst": b"\x28\xb5\x2f\xfd garbage",
}


@FUZZ
@given(
    name=st.sampled_from(sorted(FILES)),
    fn=st.sampled_from(["read_table", "scan", "scan dir", "bradley_terry", "stats scan", "missing", "string_columns"]),
    batch=st.sampled_from([1, 2, 1000, 0, -1]),
)
def test_read_table_and_scan(tmp_path_factory: Any, name: str, fn: str, batch: int) -> None:
    root = tmp_path_factory.mktemp("files")
    path = root / name
    path.write_bytes(FILES[name])
    if fn == "read_table":
        call = lambda: pr.read_table(path)  # noqa: E731
    elif fn == "string_columns":
        call = lambda: pr.read_table(path, string_columns=["a", "nope"])  # noqa: E731
    elif fn == "scan":
        call = lambda: list(pr.scan(path, batch_rows=batch))  # noqa: E731
    elif fn == "scan dir":
        call = lambda: list(pr.scan(root, batch_rows=batch, columns=["a"]))  # noqa: E731
    elif fn == "missing":
        # A path that does not exist raises FileNotFoundError (Python's convention, pinned by
        # tests/data/test_comparisons.py), the one non-prefrank error the suite accepts.
        call = lambda: pr.read_table(root / "no-such-file.csv")  # noqa: E731
        check("read_table(missing file)", call, function="read_table", expected=(FileNotFoundError,))
        return
    elif fn == "stats scan":
        call = lambda: pr.ComparisonStats.scan(root, a="a", b="b", outcome="outcome", batch_rows=batch)  # noqa: E731
    else:
        call = lambda: pr.bradley_terry(str(path), a="a", b="b", outcome="outcome")  # noqa: E731
    check(f"{fn}({name}, batch_rows={batch})", call, function="scan" if "scan" in fn else "read_table", allow_nan=True)


@pytest.mark.parametrize("source", [None, 3, b"bytes", ["a.csv", 3], {"a": 1}, "", "*.nothing"])
def test_read_table_bad_sources(source: Any) -> None:
    check(f"read_table({source!r})", lambda: pr.read_table(source), function="read_table", allow_nan=True)
    check(f"scan({source!r})", lambda: list(pr.scan(source)), function="scan", allow_nan=True)


# --------------------------------------------------------------------------------------------------
# set_memory_limit / get_memory_limit


@FUZZ
@given(
    value=st.one_of(
        st.none(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=4), st.booleans()
    )
)
def test_memory_limit(value: Any) -> None:
    accepted = []

    def set_it() -> None:
        pr.set_memory_limit(value)
        accepted.append(True)

    try:
        check(f"set_memory_limit({value!r})", set_it, function="set_memory_limit")
        now = check("get_memory_limit()", pr.get_memory_limit, function="get_memory_limit", checked_by="exact value")
        if accepted and value is not None:
            # Accepted: the limit in force is the one set.
            assert now == value, (value, now)
        assert isinstance(now, int) and now >= 0
    finally:
        pr.set_memory_limit(None)
