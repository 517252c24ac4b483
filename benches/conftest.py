"""Shared fixtures for the pytest-benchmark comparisons (run: python benches/compare.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Benchmarks run on the installed package; the in-tree build (scripts/dev-build.sh) works too.
ROOT = Path(__file__).resolve().parents[1]
if os.environ.get("PREFRANK_IN_TREE") == "1":
    sys.path.insert(0, str(ROOT / "python"))

SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared/data is not available")
    return SHARED
