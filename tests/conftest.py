from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples so a submission's result does not depend on
# the draw; locally they explore new examples each run (HYPOTHESIS_PROFILE=ci reproduces CI).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

DATA = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def shared_data() -> Path:
    """The project's shared real data sets (../shared/data); tests using it skip when it is absent."""
    if not SHARED.exists():
        pytest.skip("../shared/data is not available")
    return SHARED
