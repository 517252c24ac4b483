"""The fuzz suite's property, its figures, its bad values, and the crash-isolating sandbox.

The property (``check``): a call on any input either returns a result (equal to the reference twin
where the test gives one, with no NaN in its numbers unless a prefrank warning said why, and whose
``to_dict``/``to_pandas``/``repr`` work) or raises a :class:`~prefrank.exceptions.PrefrankError`
whose message names what was wrong. Any other exception is a failure naming the case.

Cases that could abort the process (huge sizes, corrupt bytes) run in :class:`Sandbox`, a worker
process that is restarted after an abort, a signal or a timeout, so one crash cannot hide the others.
"""

from __future__ import annotations

import json
import math
import os
import select
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import prefrank
from hypothesis import settings
from hypothesis import strategies as st
from prefrank.exceptions import (
    ConvergenceWarning,
    InputError,
    ParameterError,
    PrefrankError,
    TooLargeError,
    UndefinedStatisticWarning,
)

PROFILE = os.environ.get("PREFRANK_FUZZ", "ci")
FUZZ = settings(settings.get_profile(f"fuzz-{PROFILE}"))  # the decorator every fuzz test carries


# --------------------------------------------------------------------------------------------------
# Figures


@dataclass
class Tally:
    """What the suite ran: cases, results returned, results checked against a reference, errors by type."""

    cases: int = 0
    results: int = 0
    reference_checked: int = 0
    isolated: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    by_function: Counter[str] = field(default_factory=Counter)
    checked_by: Counter[str] = field(default_factory=Counter)
    unfielded: int = 0
    unfielded_examples: list[str] = field(default_factory=list)
    examples: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def figures(self) -> dict[str, Any]:
        return {
            "profile": PROFILE,
            "cases": self.cases,
            "results": self.results,
            "reference_checked": self.reference_checked,
            "checked_by": dict(sorted(self.checked_by.items())),
            "isolated_cases": self.isolated,
            "prefrank_errors": dict(sorted(self.errors.items())),
            "failures": dict(sorted(self.failures.items())),
            "cases_by_function": dict(sorted(self.by_function.items())),
            "failure_examples": dict(sorted(self.examples.items())),
            "input_errors_without_fields": self.unfielded,
            "input_errors_without_fields_examples": self.unfielded_examples,
        }

    def lines(self) -> list[str]:
        errs = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items())) or "none"
        fails = ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items())) or "none"
        return [
            f"cases run: {self.cases} ({self.isolated} of them in the crash sandbox), "
            f"over {len(self.by_function)} functions and methods",
            f"results returned: {self.results}; checked: {self.reference_checked} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.checked_by.items())) or 'none'})",
            f"errors raised as answers: {sum(self.errors.values())} ({errs}); InputErrors with no "
            f"row/column/value/kind field: {self.unfielded}",
            f"property failures: {sum(self.failures.values())} ({fails})",
        ]


TALLY = Tally()


# --------------------------------------------------------------------------------------------------
# The property


class FuzzFailure(AssertionError):
    pass


KEEP_GOING = os.environ.get("PREFRANK_FUZZ_KEEP_GOING") == "1"


def fail(case: str, kind: str, detail: str) -> None:
    """Fail the test; with PREFRANK_FUZZ_KEEP_GOING=1 (scripts/fuzz_report.py) record it and go on, so
    that one run lists every kind of failure with examples."""
    TALLY.failures[kind] += 1
    if KEEP_GOING:
        seen = TALLY.examples[kind]
        if len(seen) < 12 and not any(s.endswith(detail[-80:][:600]) or detail[-80:] in s for s in seen):
            seen.append(f"{case}: {detail}"[:600])
        return
    raise FuzzFailure(f"{case}: {detail}")


def check_error(case: str, e: PrefrankError) -> None:
    """A prefrank error is an answer when its message says what was wrong."""
    TALLY.errors[type(e).__name__] += 1
    msg = str(e)
    if not msg.strip():
        fail(case, "empty message", f"{type(e).__name__} with an empty message")
    if isinstance(e, ParameterError):
        param = getattr(e, "param", None)
        if not param:
            fail(case, "ParameterError without .param", f"ParameterError without .param: {msg}")
    elif isinstance(e, InputError) and not isinstance(e, TooLargeError):
        # Counted, not failed: shape errors ("ratings must be a 2-D raters x units array") name the
        # argument in words but set no field; the figure says how many there are.
        if all(getattr(e, f, None) is None for f in ("row", "column", "value", "kind", "file")):
            TALLY.unfielded += 1
            if len(TALLY.unfielded_examples) < 12 and msg[:40] not in "".join(TALLY.unfielded_examples):
                TALLY.unfielded_examples.append(f"{case}: {msg}"[:300])


def nan_paths(x: Any, path: str = "", depth: int = 0) -> list[str]:
    """Where ``x`` (a result's raw content: numbers, arrays, frames, dicts) holds a NaN."""
    if depth > 6:
        return []
    if isinstance(x, bool) or x is None:
        return []
    if isinstance(x, (float, np.floating)):
        return [path or "value"] if math.isnan(x) else []
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "fc" and x.size and np.isnan(x).any():
            return [path or "array"]
        return []
    if isinstance(x, pd.DataFrame):
        num = x.select_dtypes("number")
        return [f"{path}[{c!r}]" for c in num.columns if num[c].isna().any()]
    if isinstance(x, pd.Series):
        return [path] if x.dtype.kind in "fc" and x.isna().any() else []
    if isinstance(x, dict):
        out = []
        for k, v in x.items():
            out += nan_paths(v, f"{path}.{k}", depth + 1)
        return out
    if isinstance(x, (list, tuple)):
        out = []
        for k, v in enumerate(x[:1000]):
            out += nan_paths(v, f"{path}[{k}]", depth + 1)
        return out
    return []


def _raw(result: Any) -> Any:
    """The numbers of a result: its _dict() (a Result), or the object itself (arrays, tensors)."""
    dct = getattr(result, "_dict", None)
    if callable(dct):
        return dct()
    if type(result).__module__.startswith("torch"):
        return result.detach().cpu().double().numpy()
    return result


def exercise(case: str, result: Any) -> None:
    """A result's own methods answer too: to_dict (JSON-safe), to_pandas, to_arrow, ci, repr and the
    notebook view."""
    for name in ("to_dict", "to_pandas", "to_arrow", "ci", "__repr__", "_repr_html_"):
        fn = getattr(result, name, None)
        if fn is None or (name == "__repr__" and type(result).__repr__ is object.__repr__):
            continue
        try:
            out = fn()
            if name == "to_dict":
                json.dumps(out, allow_nan=False)
        except PrefrankError as e:
            if name == "ci" and str(e).endswith("has no intervals"):
                continue  # documented for results without intervals: not an error about the input
            check_error(f"{case}.{name}()", e)
        except Exception as e:
            fail(case, type(e).__name__, f"{type(result).__name__}.{name}() raised {type(e).__name__}: {e}")


def check(
    case: str,
    call: Callable[[], Any],
    *,
    function: str,
    reference: Callable[[Any], None] | None = None,
    allow_nan: bool = False,
    expected: tuple[type[BaseException], ...] = (),
    checked_by: str = "reference twin",
) -> Any:
    """Run ``call``: a result (checked by ``reference`` when given) or a PrefrankError, nothing else.

    ``case`` describes the input (it is in every failure message); ``function`` is what the figures
    count it under, ``checked_by`` what ``reference`` compares with (a twin in prefrank.reference,
    the same values in another form, an exact value, finiteness, a round trip). Returns the result,
    or None when the call raised a PrefrankError.
    """
    TALLY.cases += 1
    TALLY.by_function[function] += 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except PrefrankError as e:
            check_error(case, e)
            return None
        except expected as e:
            TALLY.errors[type(e).__name__] += 1
            return None
        except (KeyboardInterrupt, SystemExit, FuzzFailure):
            raise
        except BaseException as e:  # PanicException derives from BaseException
            fail(case, type(e).__name__, f"raised {type(e).__module__}.{type(e).__name__} (not a PrefrankError): {e}")
            return None
    TALLY.results += 1
    warned = any(issubclass(w.category, (ConvergenceWarning, UndefinedStatisticWarning)) for w in caught)
    if not (allow_nan or warned):
        bad = nan_paths(_raw(result))
        if bad:
            fail(case, "silent NaN", f"NaN in {', '.join(bad[:5])} with no warning")
    exercise(case, result)
    if reference is not None:
        try:
            reference(result)
        except AssertionError as e:
            fail(case, "differs from reference", f"differs from the reference: {e}")
        except PrefrankError as e:  # the reference call itself raised: an answer, counted as such
            check_error(case, e)
            return result
        TALLY.reference_checked += 1
        TALLY.checked_by[checked_by] += 1
    return result


def close(got: Any, want: Any, *, atol: float = 1e-6, rtol: float = 1e-6) -> None:
    """Assert numbers (scalars or arrays) agree, NaN matching NaN."""
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), atol=atol, rtol=rtol)


# --------------------------------------------------------------------------------------------------
# Bad values

BAD_CELLS: list[Any] = [
    None,
    math.nan,
    pd.NA,
    pd.NaT,
    math.inf,
    -math.inf,
    "",
    2**70,
    -(2**63) - 1,
    -1,
    1.5,
    True,
    b"bytes",
    (1, 2),
    [1],
    {"k": 1},
    np.datetime64("2020-01-01"),
    complex(1, 1),
    object(),
]
BAD_NUMBERS: list[Any] = [math.nan, math.inf, -math.inf, -1.0, 0.0, 1e308, -1e308, 1e-320, 2**70, "1", None, True]


def describe(v: Any) -> str:
    r = repr(v)
    return r if len(r) < 60 else r[:57] + "..."


def column_forms(values: list[Any]) -> st.SearchStrategy[tuple[str, Any]]:
    """One column in many representations: (description, column). The clean forms hold the same
    values as ``values``; the others are wrong on purpose (2-D, wrong length, wrong type)."""
    arr = np.array(values, dtype=object) if values else np.array([], dtype=object)

    def plain() -> Any:
        try:
            return np.array(values)
        except Exception:
            return arr

    def strided() -> Any:
        base = plain()
        wide = np.empty(2 * len(base), dtype=base.dtype)
        wide[::2] = base
        return wide[::2]

    def readonly() -> Any:
        x = plain().copy()
        x.setflags(write=False)
        return x

    def arrow() -> Any:
        import pyarrow as pa

        return pa.array(values)

    forms: list[tuple[str, Callable[[], Any]]] = [
        ("list", lambda: list(values)),
        ("numpy", plain),
        ("object array", lambda: arr),
        ("strided", strided),
        ("read-only", readonly),
        ("pandas Series", lambda: pd.Series(values, dtype=object)),
        ("pandas Series with a shuffled index", lambda: pd.Series(values, index=list(range(len(values)))[::-1])),
        ("categorical", lambda: pd.Series(values).astype("category")),
        ("arrow", arrow),
        ("tuple", lambda: tuple(values)),
        ("2-D", lambda: plain().reshape(-1, 1)),
        ("2-D wide", lambda: np.stack([plain(), plain()])),
        ("one short", lambda: list(values[:-1])),
        ("scalar", lambda: values[0] if values else 0),
        ("string", lambda: "not a column"),
        ("dict", lambda: {"x": 1}),
        ("set", lambda: set(range(len(values)))),
    ]

    def make(k: int) -> tuple[str, Any]:
        name, fn = forms[k]
        try:
            return name, fn()
        except Exception:  # a form the values do not allow (arrow over mixed objects): the plain list
            return "list", list(values)

    return st.integers(0, len(forms) - 1).map(make)


CLEAN_FORMS = {
    "list",
    "numpy",
    "object array",
    "strided",
    "read-only",
    "pandas Series",
    "tuple",
    "categorical",
    "arrow",
}


def with_bad_cell(values: list[Any], draw: Any) -> tuple[str, list[Any]]:
    """``values`` with one cell replaced by a bad value (or unchanged)."""
    if not values or not draw(st.booleans()):
        return "", values
    r = draw(st.integers(0, len(values) - 1))
    v = draw(st.sampled_from(BAD_CELLS))
    out = list(values)
    out[r] = v
    return f"row {r} = {describe(v)}", out


# Parameter values that must be rejected by name (or accepted, when valid), by parameter name.
# Values that could run for a long time or allocate without bound (bootstrap=2**70) are in the
# sandboxed cases (test_crash.py), not here.
BAD_PARAMS: dict[str, list[Any]] = {
    "seed": [-1, 1.5, "7", True, 2**64, None, math.nan],
    "bootstrap": [-1, 1.5, True, "3", None, math.nan],
    "shuffles": [-1, 1.5, True, "2"],
    "draws": [-1, 0, 1.5, True],
    "max_iter": [-1, 0, 1.5, True, "5", 2**64],
    "refit_max_iter": [-1, 1.5, 2**64],
    "max_passes": [-1, 1.5],
    "cycles": [-1, 1.5, 2**64],
    "worst": [-1, 1.5],
    "exact_max": [-1, 1.5, 2**64],
    "min_degree": [-1, 1.5, 2**64],
    "batch_rows": [0, -1, 1.5, True, "10"],
    "batch_size": [0, -1, 1.5, True],
    "max_memory": [-1, 0, 1.5, 2**64],
    "max_evaluations": [-1, 0, 1.5],
    "n_players": [-1, 1.5, True],
    "tol": [math.nan, math.inf, -1.0, 0.0, "x"],
    "alpha": [math.nan, math.inf, -1.0, "x", None],
    "alpha_beta": [math.nan, math.inf, -1.0],
    "beta": [math.nan, math.inf, -1.0, 0.0],
    "shrink": [math.nan, -1.0, math.inf],
    "eps_init": [math.nan, -0.1, 0.5, 1.0, 2.0],
    "offset": [math.nan, math.inf, -math.inf, "x"],
    "k": [math.nan, math.inf, -1.0, 0.0],
    "divisor": [math.nan, 0.0, -1.0, math.inf],
    "base": [math.nan, 1.0, 0.0, -2.0],
    "level": [0.0, 1.0, math.nan, 1.5, -0.1, "0.9"],
    "margin": [math.nan, -1.0, math.inf],
    "tolerance": [math.nan, -1.0, math.inf],
    "threshold": [math.nan, -1.0, math.inf],
    "max_corrupt_fraction": [math.nan, -0.1, 1.5],
    "pseudo": [math.nan, -1.0],
    "decay": [math.nan, -1.0, 2.0],
    "refit_fraction": [math.nan, -0.1, 1.5],
    "max_stderr": [math.nan, -1.0, 0.0],
    "ties": ["bogus", None, 3],
    "scale": ["bogus", None, 3],
    "method": ["bogus", None],
    "metric": ["bogus", None],
    "aggregate": ["bogus", 3],
    "mode": ["bogus"],
    "layout": ["bogus"],
    "statistic": ["bogus"],
    "undefined": ["bogus"],
    "weights": ["bogus", 3],
    "target": ["bogus"],
    "kind": ["bogus"],
    "coalitions": ["bogus"],
    "anchor": ["x", ("no such item", 0.0), (None, 1.0), ("m0", math.nan), ("m0", math.inf), ("m0",)],
    "drop_self": ["yes", 2],
    "by_judge": ["yes"],
    "refit": ["yes"],
    "order": ["yes"],
    "normalize": ["yes"],
    "levels": [[], [None], "ab", [1, 1]],
    "outcomes": [{"a": "bogus"}, {"a": 2.0}, {"a": math.nan}, "a"],
    "progress": ["yes"],
}

# Keep runs short: values used in place of a slow default (bootstrap=1000) when not fuzzing that parameter.
FAST: dict[str, Any] = {"bootstrap": 10, "draws": None}


@st.composite
def params(draw: Any, names: list[str], fast: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Keyword options for a call: defaults (made fast), or one parameter set to a bad value."""
    out = {k: v for k, v in {**FAST, **(fast or {})}.items() if k in names}
    fuzzable = [n for n in names if n in BAD_PARAMS]
    if fuzzable and draw(st.integers(0, 2)) == 0:
        name = draw(st.sampled_from(fuzzable))
        value = draw(st.sampled_from(BAD_PARAMS[name]))
        out[name] = value
        return f"{name}={describe(value)}", out
    return "", out


# --------------------------------------------------------------------------------------------------
# The crash sandbox

_WORKER = r"""
import json, os, resource, sys
limit = int(os.environ.get("PREFRANK_FUZZ_MEMORY", str(4 << 30)))
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
out = sys.stdout
sys.stdout = sys.stderr
import numpy as np, pandas as pd, prefrank as pr
from prefrank.exceptions import PrefrankError
out.write(json.dumps({"status": "ready"}) + "\n"); out.flush()
for line in sys.stdin:
    case = json.loads(line)
    ns = {"pr": pr, "np": np, "pd": pd}
    try:
        exec(case.get("setup", ""), ns)
        value = eval(case["expr"], ns)
        rep = {"status": "ok", "type": type(value).__name__}
    except PrefrankError as e:
        rep = {"status": "prefrank", "type": type(e).__name__, "message": str(e)[:400],
               "param": getattr(e, "param", None)}
    except BaseException as e:
        rep = {"status": "other", "type": type(e).__module__ + "." + type(e).__name__, "message": str(e)[:400]}
    out.write(json.dumps(rep) + "\n"); out.flush()
"""


class Sandbox:
    """A worker process that evaluates one case at a time; an abort, a signal or a timeout kills only
    that worker (the case is reported), and the next case gets a fresh one."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout if timeout is not None else float(os.environ.get("PREFRANK_FUZZ_TIMEOUT", "10"))
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        env = dict(os.environ)
        # The prefrank this process imported (the installed wheel in CI, python/ in a dev tree), not
        # the source tree's, which has no compiled _core in a fresh clone.
        here = str(Path(prefrank.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join([here, env.get("PYTHONPATH", "")])
        env.setdefault("RAYON_NUM_THREADS", "2")
        self._err = tempfile.TemporaryFile("w+", encoding="utf-8")  # the worker's stderr, kept for reports
        proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
            env=env,
        )
        ready = self._read(proc, 60.0)
        if ready is None or ready.get("status") != "ready":
            raise RuntimeError(f"the fuzz worker did not start: {self._stderr()}")
        return proc

    def _read(self, proc: subprocess.Popen[str], timeout: float) -> dict[str, Any] | None:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = proc.stdout.readline()
        return json.loads(line) if line else None

    def _stderr(self) -> str:
        self._err.flush()
        self._err.seek(0)
        return self._err.read()[-600:]

    def _kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self._err.close()

    def run(self, expr: str, setup: str = "") -> dict[str, Any]:
        """``{"status": "ok" | "prefrank" | "other" | "crash" | "timeout", ...}`` for one case."""
        if self.proc is None or self.proc.poll() is not None:
            self._kill()
            self.proc = self._start()
        assert self.proc.stdin is not None
        start = time.monotonic()
        try:
            self.proc.stdin.write(json.dumps({"expr": expr, "setup": setup}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        rep = self._read(self.proc, self.timeout)
        if rep is not None:
            return rep
        if self.proc.poll() is None:
            self._kill()
            return {"status": "timeout", "message": f"no answer within {self.timeout:.0f} s"}
        code = self.proc.returncode
        err = self._stderr()
        self._kill()
        return {"status": "crash", "returncode": code, "seconds": time.monotonic() - start, "message": err}

    def close(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
            self.proc = None
            self._err.close()


def check_isolated(box: Sandbox, case: str, expr: str, *, function: str, setup: str = "") -> dict[str, Any]:
    """The property for a sandboxed case: an answer or a PrefrankError; an abort, a signal, a timeout
    or another exception is a failure naming the case (with the expression that reproduces it)."""
    TALLY.cases += 1
    TALLY.isolated += 1
    TALLY.by_function[function] += 1
    rep = box.run(expr, setup)
    where = f"{case} [reproduce: {setup + '; ' if setup else ''}{expr}]"
    status = rep["status"]
    if status == "ok":
        TALLY.results += 1
    elif status == "prefrank":
        TALLY.errors[rep["type"]] += 1
        if rep["type"] == "ParameterError" and not rep.get("param"):
            fail(where, "ParameterError without .param", f"ParameterError without .param: {rep['message']}")
    elif status == "other":
        fail(where, rep["type"], f"raised {rep['type']} (not a PrefrankError): {rep['message']}")
    elif status == "timeout":
        fail(where, "timeout", rep["message"])
    else:
        fail(where, "crash", f"the process died (exit status {rep['returncode']}): {rep['message'].strip()[-300:]}")
    return rep
