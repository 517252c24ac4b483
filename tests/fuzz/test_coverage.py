"""Every public callable has a fuzz strategy: a new function fails here until it is added to a family."""

from __future__ import annotations

import inspect

import prefrank as pr
from fuzz.families import covered
from fuzz.test_losses import LOSS_COVERED

NOT_CALLABLE_API = {"__version__"}


def _public_callables(module: object, names: list[str]) -> set[str]:
    out = set()
    for name in names:
        obj = getattr(module, name)
        if name in NOT_CALLABLE_API or not callable(obj):
            continue
        if inspect.isclass(obj) and issubclass(obj, (BaseException, Warning)):
            continue  # exception and warning classes are what the suite expects, not inputs
        out.add(name)
    return out


def test_every_public_callable_has_a_fuzz_strategy() -> None:
    missing = _public_callables(pr, pr.__all__) - covered()
    assert not missing, f"add a fuzz strategy for {sorted(missing)} in tests/fuzz/families.py"
    assert not covered() - set(pr.__all__) - {"ComparisonStats", "RatingsStats"}, "families name an unknown function"


def test_every_loss_has_a_fuzz_strategy() -> None:
    import prefrank.losses as losses

    missing = _public_callables(losses, losses.__all__) - LOSS_COVERED
    assert not missing, f"add a fuzz strategy for {sorted(missing)} in tests/fuzz/test_losses.py"
