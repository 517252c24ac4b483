"""The estimators that share their data arguments (``**columns: Unpack[...]`` with ``keywords_of``) or
their whole signature (``variant``) still show, take and refuse every keyword as when each spelled
them out: the same names and defaults in ``inspect.signature`` and ``help``, and a TypeError naming
an unknown keyword."""

from __future__ import annotations

import inspect
import pickle
import pydoc
import re
import warnings
from typing import Any, TypedDict

import numpy as np
import prefrank as pr
import pytest
from prefrank._options import keywords_of, variant

REQUIRED = inspect.Parameter.empty

# The signatures as each function spelled them out (parameter -> default), before they were shared.
SIGNATURES: dict[str, dict[str, Any]] = {
    "bradley_terry": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "weight": None,
        "position": None,
        "outcomes": None,
        "drop_self": False,
        "batch_rows": None,
        "ties": "half",
        "alpha": 0.0,
        "scale": "elo",
        "offset": 1000.0,
        "anchor": None,
        "bootstrap": 0,
        "seed": 0,
        "method": "auto",
        "max_iter": 10000,
        "tol": 1e-10,
        "progress": None,
    },
    "elo": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "weight": None,
        "position": None,
        "outcomes": None,
        "drop_self": False,
        "batch_rows": None,
        "k": 4.0,
        "offset": 1000.0,
        "divisor": 400.0,
        "base": 10.0,
        "scale": "elo",
        "shuffles": 0,
        "seed": 0,
    },
    "rank_centrality": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "weight": None,
        "position": None,
        "outcomes": None,
        "drop_self": False,
        "ties": "half",
        "alpha": 0.0,
        "scale": "elo",
        "offset": 1000.0,
        "anchor": None,
        "max_iter": 10000,
        "tol": 1e-10,
        "batch_rows": None,
    },
    "lsr_pairwise": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "weight": None,
        "position": None,
        "outcomes": None,
        "drop_self": False,
        "ties": "half",
        "alpha": 0.0,
        "scale": "elo",
        "offset": 1000.0,
        "anchor": None,
        "max_iter": 10000,
        "tol": 1e-10,
        "batch_rows": None,
    },
    "ilsr_pairwise": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "weight": None,
        "position": None,
        "outcomes": None,
        "drop_self": False,
        "ties": "half",
        "alpha": 0.0,
        "scale": "elo",
        "offset": 1000.0,
        "anchor": None,
        "max_iter": 10000,
        "tol": 1e-10,
        "batch_rows": None,
    },
    "lsr_rankings": {
        "data": None,
        "group": "group",
        "item": "item",
        "rank": "rank",
        "weight": None,
        "alpha": 0.0,
        "scale": "elo",
        "offset": 1000.0,
        "anchor": None,
        "max_iter": 10000,
        "tol": 1e-10,
        "batch_rows": None,
    },
    "ilsr_rankings": {
        "data": None,
        "group": "group",
        "item": "item",
        "rank": "rank",
        "weight": None,
        "alpha": 0.0,
        "scale": "elo",
        "offset": 1000.0,
        "anchor": None,
        "max_iter": 10000,
        "tol": 1e-10,
        "batch_rows": None,
    },
    "plackett_luce": {
        "data": None,
        "group": "group",
        "item": "item",
        "rank": "rank",
        "weight": None,
        "alpha": 0.0,
        "scale": "elo",
        "offset": 1000.0,
        "anchor": None,
        "method": "auto",
        "max_iter": 10000,
        "tol": 1e-10,
        "batch_rows": None,
    },
    "bradley_terry_groups": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "group": None,
        "weight": None,
        "position": None,
        "outcomes": None,
        "drop_self": False,
        "batch_rows": None,
        "ties": "half",
        "alpha": 0.01,
        "max_iter": 100,
        "tol": 1e-09,
    },
    "contextual_bradley_terry": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "covariates": None,
        "weight": None,
        "position": None,
        "outcomes": None,
        "batch_rows": None,
        "ties": "half",
        "alpha": 0.0,
        "alpha_beta": None,
        "scale": "elo",
        "offset": 1000.0,
        "anchor": None,
        "max_iter": 200,
        "tol": 1e-09,
    },
    "robust_ranking": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "weight": None,
        "position": None,
        "outcomes": None,
        "drop_self": False,
        "threshold": 3.0,
        "max_corrupt_fraction": 0.25,
        "pseudo": 0.5,
        "decay": 0.5,
        "max_iter": 100,
        "min_degree": 3,
        "refit": True,
        "refit_fraction": 0.49,
        "alpha": 0.0,
        "refit_max_iter": 50,
        "scale": "elo",
        "offset": 1000.0,
    },
    "label_noise": {
        "data": None,
        "a": None,
        "b": None,
        "outcome": None,
        "weight": None,
        "judge": None,
        "position": None,
        "outcomes": None,
        "drop_self": False,
        "batch_rows": None,
        "by_judge": True,
        "shrink": 10.0,
        "alpha": 0.0,
        "level": 0.95,
        "eps_init": 0.1,
        "max_iter": 1000,
        "tol": 1e-08,
        "scale": "elo",
        "offset": 1000.0,
    },
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature_shows_every_parameter_with_its_default(name):
    fn = getattr(pr, name)
    params = inspect.signature(fn).parameters
    assert {k: p.default for k, p in params.items()} == SIGNATURES[name]
    assert next(iter(params)) == "data" and params["data"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(params.values())[1:])
    text = pydoc.render_doc(fn, renderer=pydoc.plaintext)
    for param in SIGNATURES[name]:
        assert f"{param}=" in text or f"{param}:" in text, f"help({name}) does not show {param}"


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_every_parameter_is_documented(name):
    fn = getattr(pr, name)
    doc = fn.__doc__ or ""
    # A variant may refer to its sibling for the arguments ("See :func:`rank_centrality` for the arguments").
    shared = re.search(r"(?:See|Arguments as) :func:`(\w+)`", doc)
    if shared:
        doc += getattr(pr, shared.group(1)).__doc__ or ""
    missing = [p for p in SIGNATURES[name] if p != "data" and not re.search(rf"\b{p}\b", doc)]
    assert not missing, f"{name} does not document {missing}"


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_unknown_keyword_is_a_type_error_naming_it(name):
    fn = getattr(pr, name)
    with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument 'no_such_option'$"):
        fn(None, no_such_option=1)
    # A keyword of another comparison function is unknown here too.
    other = "judge" if "judge" not in SIGNATURES[name] else "group"
    with pytest.raises(TypeError, match=rf"{name}\(\) got an unexpected keyword argument '{other}'"):
        fn(None, **{other: "x"})
    with pytest.raises(TypeError):
        fn(None, "a")  # only data is positional


@pytest.mark.parametrize("name", ["rank_centrality", "lsr_pairwise", "ilsr_pairwise", "lsr_rankings", "ilsr_rankings"])
def test_variants_are_plain_public_functions(name):
    fn = getattr(pr, name)
    assert inspect.isfunction(fn) and fn.__name__ == fn.__qualname__ == name
    assert fn.__module__ == "prefrank.ranking.spectral"
    assert pickle.loads(pickle.dumps(fn)) is fn
    assert fn.__doc__ and "_spectral" not in fn.__doc__ and "_fit" not in fn.__doc__


def test_variants_fit_as_before():
    a = np.array([0, 0, 1, 1, 2, 2, 0, 1])
    b = np.array([1, 2, 2, 0, 0, 1, 2, 2])
    o = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    ilsr = pr.ilsr_pairwise(a=a, b=b, outcome=o)
    np.testing.assert_allclose(ilsr.score_array, pr.bradley_terry(a=a, b=b, outcome=o).score_array, atol=1e-6)
    assert pr.rank_centrality(a=a, b=b, outcome=o).method == "rank_centrality"
    rankings = [["x", "y", "z"], ["y", "x", "z"], ["z", "x", "y"], ["x", "z", "y"]]
    assert pr.ilsr_rankings(rankings).method == "ilsr_rankings"
    np.testing.assert_allclose(
        pr.ilsr_rankings(rankings).score_array, pr.plackett_luce(rankings).score_array, atol=1e-6
    )


def test_convergence_warnings_point_at_the_caller():
    a, b, o = np.array([0, 1, 2, 0]), np.array([1, 2, 0, 2]), np.array([1, 1, 1, 0])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        pr.ilsr_pairwise(a=a, b=b, outcome=o, max_iter=1, tol=1e-300)
        pr.ilsr_rankings([["x", "y", "z"], ["y", "z", "x"], ["z", "x", "y"]], max_iter=1, tol=1e-300)
    assert len(rec) == 2 and all(w.filename == __file__ for w in rec), [(w.filename, str(w.message)) for w in rec]


# --------------------------------------------------------------------------------------------------
# The helpers


def _template(data=None, *, a=None, b="b", c=0):
    return data


class _AB(TypedDict, total=False):
    a: Any
    b: Any


def test_keywords_of_fills_the_defaults_and_refuses_others():
    @keywords_of(_template, _AB)
    def f(data=None, *, scale=1, **columns):
        """f's doc."""
        return data, scale, columns

    assert str(inspect.signature(f)) == "(data=None, *, a=None, b='b', scale=1)"
    assert f.__name__ == "f" and f.__doc__ == "f's doc."
    assert f(1, a="x") == (1, 1, {"a": "x", "b": "b"})
    with pytest.raises(TypeError, match=r"^f\(\) got an unexpected keyword argument 'c'$"):
        f(c=1)


def test_keywords_of_needs_the_names_in_the_template():
    class Other(TypedDict, total=False):
        a: Any
        z: Any

    with pytest.raises(TypeError, match=r"_template\(\) has no parameters z"):
        keywords_of(_template, Other)


def test_variant_fixes_the_first_argument():
    def impl(kind: str, data: Any = None, *, x: int = 1) -> tuple[str, Any, int]:
        return kind, data, x

    g = variant(impl, "k", name="g", doc="g's doc.")
    assert g(2, x=3) == ("k", 2, 3)
    assert str(inspect.signature(g)) == "(data: 'Any' = None, *, x: 'int' = 1) -> 'tuple[str, Any, int]'"
    assert g.__name__ == "g" and g.__doc__ == "g's doc."
    with pytest.raises(TypeError, match=r"^g\(\) got an unexpected keyword argument 'kind'$"):
        g(kind="other")
