"""Every plain-number argument of every function of ``prefrank.losses`` is validated by name (issue 16,
item 6): NaN, an infinity, a bool, a string or a float for an int is a ParameterError whose ``.param``
names it, raised before the tensors are looked at (so placeholder tensors suffice here)."""

from __future__ import annotations

import inspect
import math
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import prefrank.losses as losses  # noqa: E402
from prefrank import ParameterError  # noqa: E402

NUMBER = {"float", "float | None"}
INTEGER = {"int", "int | None"}


def _cases() -> list[Any]:
    out = []
    for name in losses.__all__:
        f = getattr(losses, name)
        if inspect.isclass(f) or not callable(f):
            continue
        for p in inspect.signature(f).parameters.values():
            if p.annotation in NUMBER:
                bad: list[Any] = [math.nan, math.inf, True, "7"]
            elif p.annotation in INTEGER:
                bad = [1.5, math.nan, True, "7"]
            else:
                continue
            out += [pytest.param(name, p.name, v, id=f"{name}-{p.name}-{v!r}") for v in bad]
    return out


CASES = _cases()


def test_the_losses_have_numeric_arguments() -> None:
    assert len({(c.values[0], c.values[1]) for c in CASES}) >= 40


@pytest.mark.parametrize(("name", "param", "value"), CASES)
def test_bad_number_is_a_parameter_error(name: str, param: str, value: Any) -> None:
    f = getattr(losses, name)
    sig = inspect.signature(f)
    required = {
        p.name: torch.zeros(4)
        for p in sig.parameters.values()
        if p.default is p.empty and p.kind is not p.VAR_KEYWORD and p.kind is not p.VAR_POSITIONAL
    }
    with pytest.raises(ParameterError) as info:
        f(**required, **{param: value})
    assert getattr(info.value, "param", None) == param, str(info.value)
