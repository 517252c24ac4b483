"""One vocabulary: the renamed keywords keep working for one release, warn naming the new name, and give
the same results; no public function still uses an old name."""

from __future__ import annotations

import inspect
import warnings

import pytest
from prefrank import PrefrankError
from prefrank._options import Alias, check_bootstrap, check_level, is_number, rename_keywords, renamed

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
