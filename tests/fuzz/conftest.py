"""Hypothesis profiles of the fuzz suite, and its figures (cases run, errors by type, results checked).

The profiles are registered here and applied by ``fuzz.harness.FUZZ`` to the fuzz tests only, so the
other tests keep the settings that tests/conftest.py loads. ``PREFRANK_FUZZ=ci`` (the default) is
bounded and derandomized, so CI is reproducible and the suite stays within about 3 minutes on 2 cores;
``PREFRANK_FUZZ=long`` (scripts/fuzz.sh) explores many more, fresh examples. ``PREFRANK_FUZZ_REPORT=path``
writes the figures as JSON (scripts/fuzz_report.py reads them).
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
# CI: few examples, a fixed sequence, no shrinking (a failure is reported as found, with its case).
settings.register_profile(
    "fuzz-ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=_QUIET,
)
settings.register_profile("fuzz-long", max_examples=2000, deadline=None, print_blob=True, suppress_health_check=_QUIET)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from fuzz.harness import TALLY

    if not TALLY.cases:
        return
    figures = TALLY.figures()
    terminalreporter.write_sep("-", f"prefrank fuzz figures (profile {figures['profile']})")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
    path = os.environ.get("PREFRANK_FUZZ_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=2, sort_keys=True)
