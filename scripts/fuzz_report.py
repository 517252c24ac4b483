"""Run the fuzz suite and print its figures: cases run, errors raised by type, results checked
against a reference, and every kind of property failure with examples (the run does not stop at
the first failure: PREFRANK_FUZZ_KEEP_GOING=1).

    python3 scripts/fuzz_report.py             # CI profile
    PREFRANK_FUZZ=long python3 scripts/fuzz_report.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = dict(os.environ, PREFRANK_FUZZ_KEEP_GOING="1", PREFRANK_FUZZ_REPORT=str(report))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "python"), env.get("PYTHONPATH")) if p)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests" / "fuzz"),
            *sys.argv[1:],
        ]
        subprocess.run(cmd, env=env, cwd=ROOT, check=False)
        if not report.exists():
            print("the fuzz suite ran no cases", file=sys.stderr)
            return 2
        fig = json.loads(report.read_text())
    print(f"\nprofile: {fig['profile']}")
    print(f"cases run: {fig['cases']} (in the crash sandbox: {fig['isolated_cases']})")
    print(f"functions and methods fuzzed: {len(fig['cases_by_function'])}")
    print(f"results returned: {fig['results']}; checked: {fig['reference_checked']}")
    for name, n in fig["checked_by"].items():
        print(f"  by {name}: {n}")
    print(f"errors raised as answers: {sum(fig['prefrank_errors'].values())}")
    for name, n in fig["prefrank_errors"].items():
        print(f"  {name}: {n}")
    print(f"InputErrors with no row/column/value/kind field: {fig['input_errors_without_fields']}")
    print(f"property failures: {sum(fig['failures'].values())}")
    for kind, n in fig["failures"].items():
        print(f"  {kind}: {n}")
        for example in fig["failure_examples"].get(kind, []):
            print(f"    - {example[:300]}")
    return 1 if fig["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
