"""prefrank.robust.curate on pairwise verdicts (prompt, a, b, judge, outcome) instead of scores."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank import _core
from prefrank.exceptions import ConvergenceWarning, PrefrankError
from prefrank.reference import robust as ref
from prefrank.robust import Curation, curate


def _score_table(prompts: int, resp: int, judges: int, seed: int) -> pd.DataFrame:
    """Long score table: integer scores (ties), 2..resp responses per prompt, judges of varied noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(prompts):
        n = int(rng.integers(2, resp + 1))
        # Response labels drawn from a shared pool, so that labels repeat across prompts.
        labels = rng.choice(resp + 3, size=n, replace=False)
        q = rng.normal(size=n) * 1.5
        for r in range(judges):
            s = np.round(q + rng.normal(size=n) * (0.3 + r))
            rows += [(f"p{p}", f"r{labels[k]}", f"j{r}", float(s[k])) for k in range(n)]
    df = pd.DataFrame(rows, columns=["prompt", "response", "judge", "score"])
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _implied_verdicts(scores: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Every pair both scored by a judge -> one verdict row ("a" / "b" / "tie"), random orientation."""
    rng = np.random.default_rng(seed)
    rows = []
    for (p, j), g in scores.groupby(["prompt", "judge"], sort=False):
        resp, sc = g["response"].to_numpy(), g["score"].to_numpy()
        for x in range(len(resp)):
            for y in range(x + 1, len(resp)):
                u, v = (x, y) if rng.random() < 0.5 else (y, x)
                out = "a" if sc[u] > sc[v] else "b" if sc[u] < sc[v] else "tie"
                rows.append((p, resp[u], resp[v], j, out))
    df = pd.DataFrame(rows, columns=["prompt", "a", "b", "judge", "verdict"])
    return df.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)


def _sorted_pairs(c: Curation) -> pd.DataFrame:
    return c.to_pandas().sort_values(["prompt", "chosen", "rejected"]).reset_index(drop=True)


def _assert_same(x: Curation, y: Curation, tol: float = 1e-12) -> None:
    px, py = _sorted_pairs(x), _sorted_pairs(y)
    assert len(px) == len(py) > 0
    for col in ("prompt", "chosen", "rejected"):
        assert list(px[col]) == list(py[col])
    np.testing.assert_allclose(px["weight"], py["weight"], rtol=0, atol=tol)
    np.testing.assert_allclose(x.judge_epsilon, y.judge_epsilon, rtol=0, atol=tol)
    np.testing.assert_array_equal(x.judge_votes, y.judge_votes)
    np.testing.assert_allclose(x.theta, y.theta, rtol=0, atol=tol)  # NaN (padding) compares equal
    assert abs(x.epsilon - y.epsilon) <= tol
    assert abs(x.label_epsilon - y.label_epsilon) <= tol
    assert list(x.judges) == list(y.judges)
    assert (x.iterations, x.converged) == (y.iterations, y.converged)


@pytest.mark.parametrize("pairs", ["all", "best_worst"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_verdicts_implied_by_scores_give_the_score_curation(pairs: str, seed: int) -> None:
    scores = _score_table(400, 6, 3, seed)
    verdicts = _implied_verdicts(scores, seed)
    by_score = curate(scores, prompt="prompt", response="response", judge="judge", score="score", pairs=pairs)
    by_pair = curate(verdicts, prompt="prompt", a="a", b="b", judge="judge", outcome="verdict", pairs=pairs)
    _assert_same(by_score, by_pair)
    # The judges differ in noise: the sharpest judge has the lowest flip rate.
    assert by_pair.judge_epsilon[0] < by_pair.judge_epsilon[2]


def test_outcome_vocabularies_agree() -> None:
    verdicts = _implied_verdicts(_score_table(120, 5, 2, 7), 7)
    base = curate(verdicts, prompt="prompt", a="a", b="b", judge="judge", outcome="verdict")
    v = verdicts["verdict"].to_numpy()
    numeric = verdicts.assign(o=np.select([v == "a", v == "b"], [1.0, 0.0], 0.5))
    _assert_same(base, curate(numeric, prompt="prompt", a="a", b="b", judge="judge", outcome="o"))
    arena = verdicts.assign(o=np.select([v == "a", v == "b"], ["model_a", "model_b"], "tie (bothbad)"))
    _assert_same(base, curate(arena, prompt="prompt", a="a", b="b", judge="judge", outcome="o"))
    mapped = verdicts.assign(o=np.select([v == "a", v == "b"], ["A>B", "B>A"], "A=B"))
    _assert_same(
        base,
        curate(
            mapped,
            prompt="prompt",
            a="a",
            b="b",
            judge="judge",
            outcome="o",
            outcomes={"A>B": "a", "B>A": "b", "A=B": "tie"},
        ),
    )
    # left / right with the position of a: a shown first when pos == "a".
    rng = np.random.default_rng(0)
    pos = np.where(rng.random(len(v)) < 0.5, "a", "b")
    lr = np.where(v == "tie", "tie", np.where((v == "a") == (pos == "a"), "left", "right"))
    shown = verdicts.assign(o=lr, pos=pos)
    _assert_same(base, curate(shown, prompt="prompt", a="a", b="b", judge="judge", outcome="o", position="pos"))
    # Booleans (True: a won) on the decisive rows only: ties carry no information.
    dec = verdicts[v != "tie"].assign(o=lambda d: d["verdict"] == "a")
    _assert_same(base, curate(dec, prompt="prompt", a="a", b="b", judge="judge", outcome="o"), tol=0.0)


def test_probabilities_vote_by_side_of_one_half() -> None:
    verdicts = _implied_verdicts(_score_table(80, 4, 2, 3), 3)
    v = verdicts["verdict"].to_numpy()

    def run(p_a: float, p_b: float) -> Curation:
        o = np.select([v == "a", v == "b"], [p_a, p_b], 0.5)
        return curate(verdicts.assign(o=o), prompt="prompt", a="a", b="b", judge="judge", outcome="o")

    _assert_same(run(1.0, 0.0), run(0.8, 0.1), tol=0.0)


def test_without_judge_column_one_judge() -> None:
    verdicts = _implied_verdicts(_score_table(60, 4, 1, 4), 4)
    with_j = curate(verdicts, prompt="prompt", a="a", b="b", judge="judge", outcome="verdict")
    without = curate(verdicts, prompt="prompt", a="a", b="b", outcome="verdict")
    assert len(without.judges) == 1
    np.testing.assert_array_equal(with_j.weight, without.weight)
    np.testing.assert_array_equal(with_j.judge_epsilon, without.judge_epsilon)


def test_responses_are_labels_within_a_prompt() -> None:
    # Response "x" of prompt 1 and "x" of prompt 2 are different responses: "x" wins in one, loses in the
    # other, and neither result leaks into the other prompt (a pair never spans two prompts: each row
    # has one prompt).
    d = {
        "prompt": ["q1"] * 3 + ["q2"] * 3,
        "a": ["x", "x", "y"] * 2,
        "b": ["y", "z", "z"] * 2,
        "verdict": ["a", "a", "a", "b", "b", "b"],
    }
    c = curate(d, prompt="prompt", a="a", b="b", outcome="verdict", min_weight=0.0)
    df = c.to_pandas()
    q1, q2 = df[df.prompt == "q1"], df[df.prompt == "q2"]
    assert set(zip(q1.chosen, q1.rejected, strict=True)) == {("x", "y"), ("x", "z"), ("y", "z")}
    assert set(zip(q2.chosen, q2.rejected, strict=True)) == {("y", "x"), ("z", "x"), ("z", "y")}
    assert c.theta.shape == (2, 3)
    np.testing.assert_allclose(c.theta[0], -c.theta[1], atol=1e-12)


def test_repeated_verdicts_are_separate_votes() -> None:
    verdicts = _implied_verdicts(_score_table(100, 4, 2, 9), 9)
    once = curate(verdicts, prompt="prompt", a="a", b="b", judge="judge", outcome="verdict")
    twice = curate(pd.concat([verdicts, verdicts]), prompt="prompt", a="a", b="b", judge="judge", outcome="verdict")
    np.testing.assert_array_equal(twice.judge_votes, 2 * once.judge_votes)
    # Doubled evidence: the emitted pairs are at least as confident on average.
    assert twice.epsilon <= once.epsilon
    # A judge voting both ways on one pair: the votes cancel in the pair's log-odds.
    d = {"prompt": ["q"] * 3, "a": ["x", "x", "y"], "b": ["y", "y", "x"], "verdict": ["a", "b", "a"]}
    with pytest.warns(ConvergenceWarning):
        c = curate(d, prompt="prompt", a="a", b="b", outcome="verdict", min_weight=0.0, max_iter=1)
    assert c.judge_votes.tolist() == [3.0]
    assert c.to_pandas().chosen.tolist() == ["y"]


def _codes(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(1, 60))
    n_prompts = draw(st.integers(1, 6))
    n_items = draw(st.integers(2, 7))
    n_judges = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n_items, n)
    b = (a + rng.integers(1, n_items, n)) % n_items
    prompt = np.sort(rng.integers(0, n_prompts, n))
    # Every prompt code in 0..max is used (as comparisons() would code them).
    _, prompt = np.unique(prompt, return_inverse=True)
    judge = rng.integers(0, n_judges, n)
    vote = rng.choice(np.array([-1, 0, 1], dtype=np.int8), n, p=[0.4, 0.2, 0.4])
    return (
        prompt.astype(np.uint32),
        a.astype(np.uint32),
        b.astype(np.uint32),
        judge.astype(np.uint32),
        vote,
        np.array([int(prompt.max()) + 1, n_items, n_judges]),
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data(), alpha=st.floats(0.3, 3.0), iters=st.integers(1, 8))
def test_curate_pairs_matches_reference(data: st.DataObject, alpha: float, iters: int) -> None:
    prompt, a, b, judge, vote, (n_p, n_i, n_j) = data.draw(st.composite(_codes)())
    # Vote patterns: per judge, (c + 1)(c + 2) / 2 states for at most c decisive votes on one pair (c >= 1).
    dec = vote != 0
    keys = np.stack([prompt, np.minimum(a, b), np.maximum(a, b), judge])[:, dec]
    uniq, counts = np.unique(keys, axis=1, return_counts=True)
    most = np.array([max([1, *counts[uniq[3] == r]]) for r in range(int(n_j))], dtype=np.int64)
    if np.prod((most + 1) * (most + 2) // 2) > 65536:
        with pytest.raises(PrefrankError, match="patterns"):
            _core.robust_curate_pairs(prompt, a, b, judge, vote, int(n_p), int(n_i), int(n_j))
        return
    o = _core.robust_curate_pairs(prompt, a, b, judge, vote, int(n_p), int(n_i), int(n_j), alpha, 0.2, iters, 1e-300)
    r = ref.curate_pairs(prompt, a, b, judge, vote, int(n_j), alpha=alpha, eps_init=0.2, max_iter=iters, tol=1e-300)
    items = np.where(o.items == np.iinfo(np.uint32).max, -1, o.items.astype(np.int64))
    np.testing.assert_array_equal(items, r["items"])
    np.testing.assert_allclose(o.judge_epsilon, r["judge_epsilon"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(o.theta, r["theta"], rtol=1e-9, atol=1e-9)
    # With tol=1e-300 only an exact fixed point (a change of 0.0) stops early; rounding may reach it
    # one step apart in the two implementations, whose values agree above.
    its = sorted((int(o.iterations), int(r["iterations"])))
    assert its[0] == its[1] or (its[1] - its[0] == 1 and its[0] < iters), its


def test_reference_pairs_equal_reference_scores() -> None:
    rng = np.random.default_rng(5)
    s = np.round(rng.normal(size=(20, 4, 2)) * 2)
    ia, ib = np.triu_indices(4, 1)
    rows = [
        (p, i, j, r, int(np.sign(s[p, i, r] - s[p, j, r])))
        for p in range(20)
        for i, j in zip(ia, ib, strict=True)
        for r in range(2)
    ]
    prompt, a, b, judge, vote = (np.array(c) for c in zip(*rows, strict=True))
    x = ref.curate_scores(s, max_iter=6, tol=1e-300)
    y = ref.curate_pairs(prompt, a, b, judge, vote, 2, max_iter=6, tol=1e-300)
    np.testing.assert_allclose(x["judge_epsilon"], y["judge_epsilon"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(x["theta"], y["theta"], rtol=0, atol=1e-12)


def test_curate_pairs_errors() -> None:
    d = {"p": ["q", "q", "r"], "a": ["x", "y", "x"], "b": ["y", "z", "y"], "j": ["g", "g", "h"], "o": ["a", "b", "tie"]}
    kw = {"prompt": "p", "a": "a", "b": "b", "judge": "j", "outcome": "o"}
    assert len(curate(d, **kw, min_weight=0.0)) == 2
    with pytest.raises(PrefrankError, match=r"row 1: outcome 'zzz' in column 'o'"):
        curate({**d, "o": ["a", "zzz", "b"]}, **kw)
    with pytest.raises(PrefrankError, match=r"row 2: .*'x'.* compared with itself \(drop such rows first\)"):
        curate({**d, "b": ["y", "z", "x"]}, **kw)
    with pytest.raises(PrefrankError, match="empty input"):
        curate({k: [] for k in d}, **kw)
    with pytest.raises(PrefrankError, match=r"column 'pp' \(for prompt=\) not found"):
        curate(d, **{**kw, "prompt": "pp"})
    with pytest.raises(PrefrankError, match=r"column 'jj' \(for judge=\) not found"):
        curate(d, **{**kw, "judge": "jj"})
    with pytest.raises(PrefrankError, match=r"column 'bb' .*not found"):
        curate(d, **{**kw, "b": "bb"})
    with pytest.raises(PrefrankError, match="need prompt="):
        curate(d, a="a", b="b", outcome="o")
    with pytest.raises(PrefrankError, match="need outcome="):
        curate(d, prompt="p", a="a", b="b")
    with pytest.raises(PrefrankError, match="need b="):
        curate(d, prompt="p", a="a", outcome="o")
    with pytest.raises(PrefrankError, match="cannot be combined with score="):
        curate(d, **kw, score="o")
    with pytest.raises(PrefrankError, match="cannot be combined with judges="):
        curate(d, **kw, judges=["g", "h"])
    with pytest.raises(PrefrankError, match="length mismatch"):
        curate(None, prompt=["q", "q"], a=["x", "y"], b=["y"], outcome=["a", "b"])
    with pytest.raises(PrefrankError, match="pairs"):
        curate(d, **kw, pairs="some")
    with pytest.raises(PrefrankError, match="alpha"):
        curate(d, **kw, alpha=0.0)
    with pytest.raises(PrefrankError, match="min_weight"):
        curate(d, **kw, min_weight=2.0)
    with pytest.raises(PrefrankError, match="eps_init"):
        curate(d, **kw, eps_init=0.7)
    # More than 255 responses in one prompt.
    big = {"p": ["q"] * 255, "a": [f"r{k}" for k in range(255)], "b": [f"r{k + 1}" for k in range(255)]}
    with pytest.raises(PrefrankError, match="256 responses"):
        curate({**big, "o": ["a"] * 255}, prompt="p", a="a", b="b", outcome="o")
    # More than 10 judges (as for a score tensor).
    many_j = {"p": ["q"] * 11, "a": ["x"] * 11, "b": ["y"] * 11, "j": [f"j{k}" for k in range(11)], "o": ["a"] * 11}
    with pytest.raises(PrefrankError, match="1 to 10 judges"):
        curate(many_j, prompt="p", a="a", b="b", judge="j", outcome="o")
    # A judge judging one pair hundreds of times: too many vote patterns.
    rep = {"p": ["q"] * 400, "a": ["x"] * 400, "b": ["y"] * 400, "o": ["a"] * 400}
    with pytest.raises(PrefrankError, match="patterns"):
        curate(rep, prompt="p", a="a", b="b", outcome="o")


def test_core_rejects_bad_codes() -> None:
    u = np.array([0, 0], dtype=np.uint32)
    one = np.array([1, 1], dtype=np.uint32)
    vote = np.array([1, 3], dtype=np.int8)
    with pytest.raises(PrefrankError, match="row 1: vote 3"):
        _core.robust_curate_pairs(u, u, one, u, vote, 1, 2, 1)
    with pytest.raises(PrefrankError, match="row 0: code 1"):
        _core.robust_curate_pairs(one, u, one, u, vote, 1, 2, 1)
    with pytest.raises(PrefrankError, match="row 0: response 0 is compared with itself"):
        _core.robust_curate_pairs(u, u, u, u, vote, 1, 2, 1)
    with pytest.raises(PrefrankError):
        _core.robust_curate_pairs(u, u, one[:1], u, vote, 1, 2, 1)


def test_not_converged_warns() -> None:
    verdicts = _implied_verdicts(_score_table(50, 4, 2, 1), 1)
    with pytest.warns(ConvergenceWarning):
        c = curate(verdicts, prompt="prompt", a="a", b="b", judge="judge", outcome="verdict", max_iter=1)
    assert not c.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert curate(verdicts, prompt="prompt", a="a", b="b", judge="judge", outcome="verdict").converged


def test_curate_streams_scores_and_verdicts_from_files(tmp_path) -> None:
    from support import _split_files

    scores = _score_table(80, 5, 3, 11)
    verdicts = _implied_verdicts(scores, 12)
    kinds = ("parquet", "csv", "jsonl")
    s_root = _split_files(scores, tmp_path / "scores", kinds)
    v_root = _split_files(verdicts, tmp_path / "verdicts", kinds)
    score_cols = dict(prompt="prompt", response="response", judge="judge", score="score")
    verdict_cols = dict(prompt="prompt", a="a", b="b", judge="judge", outcome="verdict")
    one_s = curate(scores, **score_cols)
    one_v = curate(verdicts, **verdict_cols)
    for src in (str(s_root), str(s_root / "part-*")):
        _assert_same(curate(src, batch_rows=23, **score_cols), one_s, tol=0.0)
    for src in (str(v_root), str(v_root / "part-*")):
        _assert_same(curate(src, batch_rows=23, **verdict_cols), one_v, tol=0.0)
    single = tmp_path / "verdicts.parquet"
    verdicts.to_parquet(single, index=False)
    _assert_same(curate(single, batch_rows=50, **verdict_cols), one_v, tol=0.0)
    # Errors name the file and the row within it; bad options fail before reading.
    bad = verdicts.copy()
    bad.loc[len(bad) - 2, "verdict"] = "maybe"
    b_root = _split_files(bad, tmp_path / "bad", ("csv", "csv"))
    row = len(bad) - 2 - len(np.array_split(np.arange(len(bad)), 2)[0])
    with pytest.raises(PrefrankError, match=rf"part-1\.csv: row {row}: outcome 'maybe'"):
        curate(b_root, batch_rows=23, **verdict_cols)
    with pytest.raises(PrefrankError, match=r"batch_rows must be a positive integer.*got 0"):
        curate(v_root, batch_rows=0, **verdict_cols)
    with pytest.raises(PrefrankError, match="score= must name a column"):
        curate(s_root, prompt="prompt", response="response", judge="judge", score=scores["score"].to_numpy())
