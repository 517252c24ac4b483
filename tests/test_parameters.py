"""Every numeric parameter of every public function is validated by name (issue 16, item 6).

For each public function of ``prefrank.__all__`` (and the numeric arguments of ``prefrank.losses``) and
each of its numeric parameters, a bad value (negative, beyond 2**64, a float for an int, a string, a
bool, NaN or an infinity where a number must be finite) raises a ParameterError whose ``.param`` names
that parameter, before any work is done. ``test_the_table_covers_every_public_function`` keeps the
table complete: a new public function or numeric parameter must be added here.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import prefrank as pr
import pytest
from prefrank import ParameterError

# ---- bad values per kind of parameter ------------------------------------------------------------
NAN, INF = math.nan, math.inf
NOT_INT = [1.5, "7", True, None]
BAD: dict[str, list[Any]] = {
    # an int >= 0 (rounds, counts) and an int >= 1 (iteration caps, sizes)
    "count": [-1, 2**64, *NOT_INT],
    "positive_int": [0, -1, 2**64, *NOT_INT],
    "seed": [-1, 2**64, 1.5, "7", True, None],
    # a finite number, a finite number >= 0, > 0, and a fraction
    "finite": [NAN, INF, -INF, "7", True, None],
    "nonneg": [-1.0, NAN, INF, "7", True, None],
    "positive": [0.0, -1.0, NAN, INF, "7", True, None],
    "fraction": [-0.5, 1.5, NAN, INF, "7", True, None],
    # krippendorff_alpha's level: a string there is the deprecated spelling of metric=
    "level_number": [-0.5, 1.5, NAN, INF, True, None],
}


def optional(kind: str) -> list[Any]:
    """The bad values of ``kind`` for a parameter that also accepts None."""
    return [v for v in BAD[kind] if v is not None]


def comparison_data() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    items = ["m0", "m1", "m2", "m3"]
    n = 60
    a = rng.integers(0, 4, n)
    b = (a + rng.integers(1, 4, n)) % 4
    return {
        "a": [items[k] for k in a],
        "b": [items[k] for k in b],
        "outcome": rng.integers(0, 2, n).astype(float),
        "group": [f"p{k}" for k in rng.integers(0, 3, n)],
    }


def rankings() -> list[list[str]]:
    return [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "c", "b"]]


def ratings() -> np.ndarray:
    return np.array([[1, 2, 3, 1, 2], [1, 2, 3, 2, 2], [1, 3, 3, 1, 2]])


def game(c: np.ndarray) -> np.ndarray:
    return np.asarray(c, float).sum(axis=1)


CMP = comparison_data


def PAIRS() -> dict[str, Any]:
    return {k: v for k, v in CMP().items() if k != "group"}


DF_SCORES = pd.DataFrame(
    {"a": CMP()["a"], "b": CMP()["b"], "outcome": CMP()["outcome"], "sa": np.arange(60.0), "sb": np.ones(60)}
)

# function name -> (call with keyword overrides, {parameter: kind})
PAIRWISE_FIT = {
    "alpha": "nonneg",
    "offset": "finite",
    "max_iter": "positive_int",
    "tol": "positive",
    "batch_rows": "positive_int?",
}
GAME_OPTIONS = {
    "n_players": "positive_int?",
    "max_stderr": "nonneg?",
    "max_evaluations": "positive_int?",
    "seed": "seed",
    "batch_size": "positive_int",
    "max_memory": "count?",
}
CASES: dict[str, tuple[Callable[..., Any], dict[str, str]]] = {
    "bradley_terry": (
        lambda **kw: pr.bradley_terry(**PAIRS(), **kw),
        {**PAIRWISE_FIT, "bootstrap": "count", "seed": "seed", "anchor": "anchor"},
    ),
    "bradley_terry_groups": (
        lambda **kw: pr.bradley_terry_groups(**CMP(), **kw),
        {"alpha": "nonneg", "max_iter": "positive_int", "tol": "positive", "batch_rows": "positive_int?"},
    ),
    "contextual_bradley_terry": (
        lambda **kw: pr.contextual_bradley_terry(**PAIRS(), covariates=np.linspace(-1, 1, 60)[:, None], **kw),
        {**PAIRWISE_FIT, "alpha_beta": "nonneg?", "anchor": "anchor"},
    ),
    "elo": (
        lambda **kw: pr.elo(**PAIRS(), **kw),
        {
            "k": "nonneg",
            "offset": "finite",
            "divisor": "positive",
            "base": "positive",
            "shuffles": "count",
            "seed": "seed",
            "batch_rows": "positive_int?",
        },
    ),
    "rank_centrality": (
        lambda **kw: pr.rank_centrality(**PAIRS(), **kw),
        {**PAIRWISE_FIT, "anchor": "anchor"},
    ),
    "lsr_pairwise": (
        lambda **kw: pr.lsr_pairwise(**PAIRS(), **kw),
        {**PAIRWISE_FIT, "anchor": "anchor"},
    ),
    "ilsr_pairwise": (
        lambda **kw: pr.ilsr_pairwise(**PAIRS(), **kw),
        {**PAIRWISE_FIT, "anchor": "anchor"},
    ),
    "plackett_luce": (lambda **kw: pr.plackett_luce(rankings(), **kw), {**PAIRWISE_FIT, "anchor": "anchor"}),
    "lsr_rankings": (lambda **kw: pr.lsr_rankings(rankings(), **kw), {**PAIRWISE_FIT, "anchor": "anchor"}),
    "ilsr_rankings": (lambda **kw: pr.ilsr_rankings(rankings(), **kw), {**PAIRWISE_FIT, "anchor": "anchor"}),
    "plackett_luce_groups": (
        lambda **kw: pr.plackett_luce_groups(
            pd.DataFrame({"g": [0, 0, 0, 1, 1, 1], "item": list("abcabc"), "rank": [1, 2, 3, 3, 2, 1]}),
            group="g",
            **kw,
        ),
        {"alpha": "nonneg", "max_iter": "positive_int", "tol": "positive", "batch_rows": "positive_int?"},
    ),
    "label_noise": (
        lambda **kw: pr.label_noise(**PAIRS(), judge=CMP()["group"], **kw),
        {
            "shrink": "nonneg",
            "alpha": "nonneg",
            "level": "fraction",
            "eps_init": "fraction",
            "max_iter": "positive_int",
            "tol": "positive",
            "offset": "finite",
            "batch_rows": "positive_int?",
        },
    ),
    "robust_ranking": (
        lambda **kw: pr.robust_ranking(**PAIRS(), **kw),
        {
            "threshold": "positive",
            "max_corrupt_fraction": "fraction",
            "pseudo": "nonneg",
            "decay": "fraction",
            "max_iter": "positive_int",
            "min_degree": "count",
            "refit_fraction": "fraction",
            "alpha": "nonneg",
            "refit_max_iter": "positive_int",
            "offset": "finite",
        },
    ),
    "audit": (
        lambda **kw: pr.audit(**CMP(), **kw),
        {
            "batch_rows": "positive_int?",
            "tolerance": "nonneg",
            "bootstrap": "count",
            "level": "fraction",
            "seed": "seed",
            "cycles": "count",
            "worst": "count",
        },
    ),
    "transitivity": (
        lambda **kw: pr.transitivity(**CMP(), **kw),
        {"batch_rows": "positive_int?", "margin": "nonneg", "bootstrap": "count", "level": "fraction", "seed": "seed"},
    ),
    "tournament": (
        lambda **kw: pr.tournament(**PAIRS(), **kw),
        {
            "batch_rows": "positive_int?",
            "margin": "nonneg",
            "cycles": "count",
            "exact_max": "count",
            "max_passes": "count",
        },
    ),
    "score_consistency": (
        lambda **kw: pr.score_consistency(DF_SCORES, a="a", b="b", outcome="outcome", score_a="sa", score_b="sb", **kw),
        {"tolerance": "nonneg", "margin": "nonneg", "batch_rows": "positive_int?"},
    ),
    "position_bias": (
        lambda **kw: pr.position_bias(**PAIRS(), position=CMP()["a"], **kw),
        {"batch_rows": "positive_int?", "level": "fraction"},
    ),
    "krippendorff_alpha": (
        lambda **kw: pr.krippendorff_alpha(ratings(), **kw),
        {"bootstrap": "count", "level": "level_number", "seed": "seed", "draws": "positive_int?"},
    ),
    "shapley": (
        lambda **kw: pr.shapley(game, **({"n_players": 3} | kw)),
        GAME_OPTIONS,
    ),
    "banzhaf": (
        lambda **kw: pr.banzhaf(game, **({"n_players": 3} | kw)),
        GAME_OPTIONS,
    ),
    "semivalue": (
        lambda **kw: pr.semivalue(game, **({"n_players": 3} | kw)),
        {
            "alpha": "positive",
            "beta": "positive",
            "n_players": "positive_int?",
            "batch_size": "positive_int",
            "max_memory": "count?",
        },
    ),
    "shift_attribution": (
        lambda **kw: pr.shift_attribution(np.arange(6.0), {"x": np.ones(6), "y": np.linspace(0.5, 1.5, 6)}, **kw),
        {"max_stderr": "nonneg?", "max_evaluations": "positive_int?", "seed": "seed", "max_memory": "count?"},
    ),
    "slice_attribution": (
        lambda **kw: pr.slice_attribution(**PAIRS(), slice=CMP()["group"], item="m0", **kw),
        {
            "alpha": "nonneg",
            "max_stderr": "nonneg?",
            "max_evaluations": "positive_int?",
            "seed": "seed",
            "max_memory": "count?",
            "batch_rows": "positive_int?",
        },
    ),
    "judge_agreement": (
        lambda **kw: pr.judge_agreement(
            pd.DataFrame({"u": [1, 2, 3], "o": ["a", "b", "a"]}),
            pd.DataFrame({"u": [1, 2, 3], "o": ["a", "b", "b"]}),
            unit="u",
            outcome="o",
            **kw,
        ),
        {"batch_rows": "positive_int?"},
    ),
    "scan": (lambda **kw: pr.scan(pd.DataFrame({"x": [1, 2]}), **kw), {"batch_rows": "positive_int"}),
    "set_memory_limit": (lambda **kw: pr.set_memory_limit(**({"limit": None} | kw)), {"limit": "count?"}),
}


def _bad_values(kind: str) -> list[Any]:
    if kind == "anchor":
        return [("m0", NAN), ("m0", INF), ("m0", "7"), "m0"]
    if kind.endswith("?"):
        return optional(kind[:-1])
    return BAD[kind]


CALLS = [
    pytest.param(name, param, value, id=f"{name}-{param}-{value!r}")
    for name, (_, params) in CASES.items()
    for param, kind in params.items()
    for value in _bad_values(kind)
]


@pytest.mark.parametrize(("name", "param", "value"), CALLS)
def test_bad_numeric_parameter_is_a_parameter_error(name: str, param: str, value: Any) -> None:
    call, _ = CASES[name]
    with pytest.raises(ParameterError) as info:
        call(**{param: value})
    assert info.value.param == param, str(info.value)
    assert param in str(info.value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_good_defaults_run(name: str) -> None:
    """The calls of the table run as written: a refusal above is the parameter's, not the data's."""
    call, _ = CASES[name]
    call()


def test_the_table_covers_every_public_function() -> None:
    """A public function (or an option) with a numeric annotation must be in CASES."""
    numeric = {"int", "float", "int | None", "float | None", "tuple[Any, float] | None"}
    for name in pr.__all__:
        obj = getattr(pr, name)
        if inspect.isclass(obj) or not callable(obj):
            continue
        listed = CASES.get(name, (None, {}))[1]
        for p in inspect.signature(obj).parameters.values():
            if str(p.annotation) in numeric:
                assert p.name in listed, f"{name}({p.name}=...) is numeric but not in CASES"


def test_seed_accepts_the_whole_u64_range() -> None:
    a = pr.bradley_terry(**PAIRS(), bootstrap=3, seed=2**64 - 1)
    b = pr.bradley_terry(**PAIRS(), bootstrap=3, seed=np.uint64(2**64 - 1))
    assert np.array_equal(a.to_pandas()["score"], b.to_pandas()["score"])


def test_bootstrap_beyond_memory_is_too_large_before_any_round() -> None:
    with pytest.raises(pr.TooLargeError) as info:
        pr.bradley_terry(**PAIRS(), bootstrap=2**62)
    assert info.value.requested > info.value.limit
    with pytest.raises(pr.TooLargeError):
        pr.krippendorff_alpha(ratings(), bootstrap=2**62)
    with pytest.raises(pr.TooLargeError):
        pr.transitivity(**CMP(), bootstrap=2**62)
    with pytest.raises(pr.TooLargeError):
        pr.elo(**PAIRS(), shuffles=2**62)


def test_huge_player_counts_are_refused_before_labels() -> None:
    # 10**8 players: the exact table and one chunk of permutation samples cannot fit; refused before
    # the 10**8 labels are built (which took 3.9 GB).
    with pytest.raises(ParameterError, match="at most 30 players") as exact:
        pr.shapley(game, n_players=10**8, method="exact")
    assert exact.value.param == "n_players"
    with pytest.raises(pr.TooLargeError) as info:
        pr.shapley(game, n_players=10**8, max_evaluations=10**6)
    assert info.value.requested > info.value.limit
    # Beyond the u32 player codes of the core: a ParameterError naming n_players.
    with pytest.raises(ParameterError) as perr:
        pr.shapley(game, n_players=2**40)
    assert perr.value.param == "n_players"


def test_elo_initial_the_old_name_of_offset_is_checked_too() -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(ParameterError) as info:
        pr.elo(**PAIRS(), initial=math.nan)
    assert info.value.param == "offset"
