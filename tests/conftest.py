from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
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
