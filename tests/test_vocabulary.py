"""One vocabulary: the renamed keywords keep working for one release, warn naming the new name, and give
the same results; no public function still uses an old name."""

from __future__ import annotations

import importlib
import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import prefrank as pr
import pytest
from prefrank import PrefrankError, agreement, attribution, cli, consistency, data, distributed, ranking, robust
from prefrank._options import Alias, check_bootstrap, check_level, is_number, rename_keywords, renamed
from prefrank.robust import fragility

# --------------------------------------------------------------------------------------------------
# The helper


@renamed(verdict="outcome", per_judge="by_judge")
def _f(data=None, *, outcome=None, by_judge=True):
    """A test function."""
    return data, outcome, by_judge


@renamed(level=Alias("metric", lambda v: isinstance(v, str), "level= is now the confidence level"), ci="level")
def _g(*, metric="nominal", level=0.95):
    return metric, level


def test_renamed_maps_the_old_keyword_with_a_warning_at_the_caller():
    with pytest.warns(DeprecationWarning, match=r"^_f: verdict= is deprecated; use outcome=$") as rec:
        assert _f(1, verdict="w") == (1, "w", True)
    assert rec[0].filename == __file__  # stacklevel points at the caller, not at the wrapper


def test_renamed_new_names_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _f(outcome="w", by_judge=False) == (None, "w", False)


def test_renamed_refuses_both_names():
    with pytest.raises(PrefrankError, match="outcome= or the deprecated verdict="):
        _f(verdict="w", outcome="w")


def test_renamed_keeps_name_doc_and_signature():
    assert _f.__name__ == "_f" and _f.__doc__ == "A test function."
    assert list(inspect.signature(_f).parameters) == ["data", "outcome", "by_judge"]
    assert _f.__deprecated_aliases__ == {"verdict": "outcome", "per_judge": "by_judge"}


def test_value_dependent_alias_goes_first():
    assert _g(level=0.9) == ("nominal", 0.9)  # the current meaning: no warning
    with pytest.warns(DeprecationWarning, match=r"level='ordinal' is deprecated; use metric='ordinal'"):
        assert _g(level="ordinal") == ("ordinal", 0.95)
    with pytest.warns(DeprecationWarning) as rec:
        # Both old meanings at once: level= (a string) becomes metric= before ci= becomes level=.
        assert _g(level="interval", ci=0.8) == ("interval", 0.8)
    said = {str(w.message).split(";")[0] for w in rec}
    assert said == {"_g: level='interval' is deprecated", "_g: ci= is deprecated"}
    with pytest.raises(PrefrankError, match="not both"):
        _g(level=0.9, ci=0.9)


def test_rename_keywords_in_place():
    kw = {"verdict": "w", "a": "x"}
    with pytest.warns(DeprecationWarning, match="fn: verdict= is deprecated; use outcome="):
        rename_keywords("fn", kw, {"verdict": "outcome"})
    assert kw == {"outcome": "w", "a": "x"}


def test_checks():
    assert is_number(0.5) and is_number(3) and not is_number(True) and not is_number("0.5")
    assert check_level(0.9) == 0.9
    for bad in (0, 1, 1.5, "0.9", None):
        with pytest.raises(PrefrankError, match="level"):
            check_level(bad)
    assert check_bootstrap(0, 0) == 0
    with pytest.raises(PrefrankError, match="bootstrap must be a non-negative integer"):
        check_bootstrap(-1, 0)
    with pytest.raises(PrefrankError, match="seed must be a non-negative integer"):
        check_bootstrap(10, 1.5)


# --------------------------------------------------------------------------------------------------
# position= wherever comparisons are: left / right outcomes with a position column fit as a / b do


def _judged(n: int = 400, seed: int = 7) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same comparisons twice: outcomes a / b / tie, and left / right / tie with the item shown
    first in ``first`` (both tables carry the position column)."""
    rng = np.random.default_rng(seed)
    items = np.array(["m0", "m1", "m2", "m3", "m4"])
    i = rng.integers(0, 5, n)
    j = (i + rng.integers(1, 5, n)) % 5
    strength = np.array([1.0, 0.5, 0.0, -0.5, -1.0])
    p = 1 / (1 + np.exp(strength[j] - strength[i]))
    u = rng.random(n)
    won = np.where(u < 0.1, "tie", np.where(u < 0.1 + 0.9 * p, "a", "b"))
    first = np.where(rng.random(n) < 0.5, "a", "b")
    shown_first_won = won == first
    side = np.where(won == "tie", "tie", np.where(shown_first_won, "left", "right"))
    common = {
        "x": items[i],
        "y": items[j],
        "first": first,
        "prompt": rng.integers(0, 40, n),
        "judge": rng.choice(["j1", "j2", "j3"], n),
        "sa": rng.integers(1, 6, n).astype(float),
        "sb": rng.integers(1, 6, n).astype(float),
        "len": rng.normal(size=n),
    }
    return {**common, "o": won}, {**common, "o": side}


_COLS = {"a": "x", "b": "y", "outcome": "o", "position": "first"}


def _summary(res: Any) -> Any:
    """A comparable picture of any result: its scores, else its plain dict."""
    for r in (res, getattr(res, "ranking", None)):
        if r is not None and hasattr(r, "score_array"):
            return np.round(r.score_array, 9).tolist()
    if hasattr(res, "values") and hasattr(res, "players"):
        return np.round(np.asarray(res.values, float), 9).tolist()
    if hasattr(res, "theta"):
        return np.round(np.asarray(res.theta, float), 9).tolist()
    return repr(res.to_dict())


_POSITIONED = {
    "bradley_terry": {},
    "elo": {},
    "rank_centrality": {},
    "lsr_pairwise": {},
    "ilsr_pairwise": {},
    "bradley_terry_groups": {"group": "prompt"},
    "contextual_bradley_terry": {"covariates": ["len"]},
    "label_noise": {"judge": "judge"},
    "robust_ranking": {"min_degree": 1},
    "slice_attribution": {"slice": "judge", "item": "m0"},
    "tournament": {},
    "transitivity": {"group": "prompt", "bootstrap": 20},
    "position_bias": {"judge": "judge"},
    "score_consistency": {"score_a": "sa", "score_b": "sb"},
    "audit": {"group": "prompt", "bootstrap": 20},
}


@pytest.mark.parametrize("name", sorted(_POSITIONED))
def test_position_is_accepted_and_left_right_fit_as_a_b(name):
    fn = getattr(pr, name)
    ab, lr = _judged()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # convergence / undefined-statistic notes
        got_ab = fn(ab, **_COLS, **_POSITIONED[name])
        got_lr = fn(lr, **_COLS, **_POSITIONED[name])
    if name == "bradley_terry_groups":
        got_ab, got_lr = got_ab.to_pandas().to_dict(), got_lr.to_pandas().to_dict()
    else:
        got_ab, got_lr = _summary(got_ab), _summary(got_lr)
    assert got_ab == got_lr


def test_position_without_left_right_changes_nothing():
    ab, _ = _judged()
    plain = pr.bradley_terry(ab, a="x", b="y", outcome="o")
    with_position = pr.bradley_terry(ab, **_COLS)
    np.testing.assert_allclose(plain.score_array, with_position.score_array)


def test_fragility_accepts_position():
    ab, lr = _judged(120)
    assert repr(fragility(ab, **_COLS).to_dict()) == repr(fragility(lr, **_COLS).to_dict())


def test_every_function_taking_comparisons_takes_position():
    for name, fn in _public_functions():
        params = inspect.signature(fn).parameters
        if {"a", "b", "outcome"} <= set(params):
            assert "position" in params, f"{name} takes comparisons but not position="


# --------------------------------------------------------------------------------------------------
# The signatures follow the vocabulary


_OLD_NAMES = {"verdict", "per_judge", "ci", "initial", "human_verdict"}


def _public_functions() -> list[tuple[str, Any]]:
    out, seen = [], set()
    for mod in (pr, agreement, attribution, consistency, data, ranking, robust, distributed):
        for name in getattr(mod, "__all__", []):
            fn = getattr(mod, name)
            if inspect.isfunction(fn) and id(fn) not in seen:
                seen.add(id(fn))
                out.append((f"{mod.__name__}.{name}", fn))
    return out


def test_no_public_parameter_has_an_old_name():
    found = []
    for name, fn in _public_functions():
        found += [f"{name}({p}=)" for p in inspect.signature(fn).parameters if p in _OLD_NAMES]
    assert not found


def test_level_is_a_confidence_level_wherever_present():
    for name, fn in _public_functions():
        p = inspect.signature(fn).parameters.get("level")
        if p is not None:
            assert p.default is None or (is_number(p.default) and 0 < p.default < 1), name


def test_old_names_are_only_documented_aliases():
    for name, fn in _public_functions():
        params = inspect.signature(fn).parameters
        for old, new in getattr(fn, "__deprecated_aliases__", {}).items():
            target = new.new if isinstance(new, Alias) else new
            assert target in params, f"{name}: alias {old}= maps to {target}=, which it does not take"
            assert f"``{old}" in (fn.__doc__ or ""), f"{name}: the deprecated {old}= is not documented"


# --------------------------------------------------------------------------------------------------
# Each renamed parameter: the old name works for one release, warns naming the new one, gives the
# same result, and may not be given with the new one


_RATINGS = np.array(
    [[1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan], [1, 2, 3, 3, 2, 2, 4, 1, 2, 5], [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5]]
)


def _judge_tables() -> tuple[Any, Any]:
    import pandas as pd

    judgments = pd.DataFrame({"pair": [1, 2, 3, 4, 1, 2, 3, 4], "w": list("abaabbab"), "judge": ["g"] * 4 + ["c"] * 4})
    humans = pd.DataFrame({"pair": [1, 1, 2, 2, 3, 3, 4, 4], "h": list("aabbaabb"), "worker": list("xyxyxyxy")})
    return judgments, humans


def _call(name: str) -> Any:
    ab, _ = _judged(200)
    judgments, humans = _judge_tables()
    calls = {
        "krippendorff_alpha": (pr.krippendorff_alpha, (_RATINGS,), {"bootstrap": 50}),
        "judge_agreement": (pr.judge_agreement, (judgments, humans), {"unit": "pair", "judge": "judge"}),
        "audit": (pr.audit, (ab,), {"a": "x", "b": "y", "group": "prompt", "bootstrap": 20}),
        "label_noise": (pr.label_noise, (ab,), {"a": "x", "b": "y", "outcome": "o", "judge": "judge"}),
        "elo": (pr.elo, (ab,), {"a": "x", "b": "y", "outcome": "o"}),
    }
    return calls[name]


# (function, old keyword and value, new keyword and value)
_RENAMES = [
    ("krippendorff_alpha", ("level", "interval"), ("metric", "interval")),
    ("krippendorff_alpha", ("ci", 0.9), ("level", 0.9)),
    ("judge_agreement", ("verdict", "w"), ("outcome", "w")),
    ("audit", ("verdict", "o"), ("outcome", "o")),
    ("label_noise", ("per_judge", False), ("by_judge", False)),
    ("elo", ("initial", 1500.0), ("offset", 1500.0)),
    ("elo", ("scale", 200.0), ("divisor", 200.0)),
]


def _picture(res: Any) -> Any:
    return repr(res.to_dict()) if hasattr(res, "to_dict") else repr(res)


@pytest.mark.parametrize(("name", "old", "new"), _RENAMES, ids=[f"{n}-{o[0]}" for n, o, _ in _RENAMES])
def test_old_name_warns_and_gives_the_same_result(name, old, new):
    fn, args, kwargs = _call(name)
    if name == "judge_agreement":
        kwargs = {**kwargs, "human_outcome": "h"}
    want = fn(*args, **kwargs, **{new[0]: new[1]})
    with pytest.warns(DeprecationWarning, match=rf"^{name}: {old[0]}=.* is deprecated; use {new[0]}=") as rec:
        got = fn(*args, **kwargs, **{old[0]: old[1]})
    assert rec[0].filename == __file__
    assert _picture(got) == _picture(want)
    with pytest.raises(PrefrankError, match="not both"):
        fn(*args, **kwargs, **{old[0]: old[1], new[0]: new[1]})


def test_judge_agreement_human_verdict():
    judgments, humans = _judge_tables()
    want = pr.judge_agreement(judgments, humans, unit="pair", outcome="w", human_outcome="h", rater="worker")
    with pytest.warns(DeprecationWarning, match="human_verdict= is deprecated; use human_outcome="):
        got = pr.judge_agreement(judgments, humans, unit="pair", outcome="w", human_verdict="h", rater="worker")
    assert _picture(got) == _picture(want)


def test_krippendorff_level_and_metric_transition():
    base = pr.krippendorff_alpha(_RATINGS, metric="ordinal", bootstrap=50, level=0.9)
    with pytest.warns(DeprecationWarning) as rec:
        old = pr.krippendorff_alpha(_RATINGS, level="ordinal", bootstrap=50, ci=0.9)
    assert len(rec) == 2 and _picture(old) == _picture(base)
    # A float level= is the confidence level and does not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pr.krippendorff_alpha(_RATINGS, level=0.9, bootstrap=10)
    with pytest.raises(PrefrankError, match="metric='circular'"):
        pr.krippendorff_alpha(_RATINGS, metric="circular")
    # metric= also takes the squared distances, as distance= does.
    d = (np.subtract.outer(np.arange(5), np.arange(5)) ** 2).astype(float)
    a1 = pr.krippendorff_alpha(_RATINGS, metric=d).value
    assert a1 == pytest.approx(pr.krippendorff_alpha(_RATINGS, distance=d).value)
    assert a1 == pytest.approx(pr.krippendorff_alpha(_RATINGS, metric="interval").value)


def test_elo_scale_is_the_output_scale():
    ab, _ = _judged(200)
    cols = {"a": "x", "b": "y", "outcome": "o"}
    ratings = pr.elo(ab, **cols)
    on_log = pr.elo(ab, **cols, scale="log")
    np.testing.assert_allclose(on_log.score_array, (ratings.score_array - 1000.0) * np.log(10) / 400)
    with pytest.raises(PrefrankError, match="scale="):
        pr.elo(ab, **cols, scale="points")


@pytest.mark.parametrize("fn", ["audit", "leaderboard", "transitivity", "position_bias"])
def test_distributed_verdict_alias(fn):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    ab, _ = _judged(200)
    ddf = dd.from_pandas(pd.DataFrame(ab), npartitions=2)
    kw = {"a": "x", "b": "y", "position": "first"}
    kw |= {"group": "prompt", "bootstrap": 0} if fn in ("audit", "transitivity") else {}
    want = getattr(distributed, fn)(ddf, outcome="o", **kw)
    with pytest.warns(DeprecationWarning, match=f"distributed.{fn}: verdict= is deprecated; use outcome=") as rec:
        got = getattr(distributed, fn)(ddf, verdict="o", **kw)
    assert rec[0].filename == __file__
    assert _picture(got) == _picture(want)
    with pytest.raises(PrefrankError, match="not both"):
        getattr(distributed, fn)(ddf, verdict="o", outcome="o", **kw)


# --------------------------------------------------------------------------------------------------
# The command line: the same names, one exit-code convention


FIXTURES = Path(__file__).resolve().parent / "fixtures"
GPT4 = str(FIXTURES / "llmfao-gpt4.csv")
CROWD = str(FIXTURES / "llmfao-crowd.csv")

_JUDGED = "--a left --b right --outcome winner --position left".split()
_ARGS = {
    "leaderboard": ["leaderboard", GPT4, *_JUDGED],
    "audit": ["audit", GPT4, *_JUDGED, "--bootstrap", "0"],
    "agreement": ["agreement", CROWD, *"--unit id --rater worker --value winner".split()],
}
# What each sub-command calls first with the data (patched to raise an interrupt).
_ENTRY = {"leaderboard": "bradley_terry", "audit": "audit", "agreement": "read_table"}


def _cli(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    rc = cli.main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("command", sorted(_ARGS))
def test_exit_codes(command, capsys, monkeypatch, tmp_path):
    args = _ARGS[command]
    assert _cli(args, capsys)[0] == 0
    # 1: an input or model error (a missing file, a missing column).
    rc, _, err = _cli([command, str(tmp_path / "missing.csv"), *args[2:]], capsys)
    assert rc == 1 and err.startswith(f"prefrank {command}: error:") and "no such file" in err
    bad_column = [a if a not in ("right", "worker") else "nope" for a in args]
    rc, _, err = _cli(bad_column, capsys)
    assert rc == 1 and "nope" in err
    # 2: usage errors (argparse): an unknown option, a level outside (0, 1), negative rounds.
    for extra in (["--no-such-option"], ["--level", "1.5"], ["--level", "x"], ["--bootstrap", "-1"], ["--seed", "-2"]):
        assert _cli([*args, *extra], capsys)[0] == 2, extra
    # 130: interrupted.
    module = importlib.import_module(f"prefrank.cli.{command}")

    def interrupted(*a: Any, **k: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(module, _ENTRY[command], interrupted)
    rc, _, err = _cli(args, capsys)
    assert rc == 130 and "interrupted" in err


def test_usage_errors_outside_argparse_exit_2(capsys):
    assert _cli(["leaderboard"], capsys)[0] == 2
    assert _cli(["leaderboard", "--example", "--anchor", "gpt-4"], capsys)[0] == 2
    assert _cli([], capsys)[0] == 2
    assert _cli(["audit", GPT4, "--a", "left", "--b", "right", "--position", "left"], capsys)[0] == 2  # no --outcome


def test_help_states_the_exit_codes(capsys):
    for argv in (["--help"], *([c, "--help"] for c in _ARGS)):
        rc, out, _ = _cli(list(argv), capsys)
        assert rc == 0 and "exit status: 0 success; 1" in " ".join(out.split()), argv


def test_cli_level_is_the_confidence_level_everywhere():
    parser = cli.build_parser()
    for command, args in _ARGS.items():
        assert parser.parse_args([*args, "--level", "0.9"]).level == 0.9, command


def test_cli_audit_verdict_is_a_deprecated_alias(capsys):
    rc, want, _ = _cli(_ARGS["audit"], capsys)
    old = [a if a != "--outcome" else "--verdict" for a in _ARGS["audit"]]
    rc_old, got, err = _cli(old, capsys)
    assert rc == rc_old == 0 and got == want
    assert "--verdict is deprecated; use --outcome" in err
    assert _cli([*_ARGS["audit"], "--verdict", "winner"], capsys)[0] == 2  # not both


def test_cli_agreement_metric_and_level(capsys):
    base = [*_ARGS["agreement"], "--statistic", "alpha", "--bootstrap", "50"]
    rc, want, _ = _cli([*base, "--metric", "ordinal", "--level", "0.9"], capsys)
    ordinal = pr.krippendorff_alpha(pr.read_table(CROWD), unit="id", rater="worker", value="winner", metric="ordinal")
    assert rc == 0 and json.loads(want)["alpha"]["alpha"] == pytest.approx(ordinal.value)
    rc, got, err = _cli([*base, "--level", "ordinal", "--ci", "0.9"], capsys)
    assert rc == 0 and got == want
    assert "--level ordinal is deprecated; use --metric ordinal" in err and "--ci is deprecated; use --level" in err
