"""Ctrl-C stops every long call, and a panic in the core is an InternalError, not a crash.

Each case runs a call sized to take far more than 10 s in a subprocess, sends SIGINT once the call
is under way and asserts the child ends in KeyboardInterrupt within 2 s (the target is 0.5 s).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import prefrank as pr
import pytest
from prefrank import _core

# Every child builds its data, prints "go" just before the long call, and exits 3 if the call
# ever returns (it must not: the parent interrupts it first).
PRELUDE = """
import sys
import numpy as np
import prefrank as pr
rng = np.random.default_rng(0)

def pairs(n, m):
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    return a, b, (rng.random(m) < 0.5).astype(float)
"""

CASES = {
    "bradley_terry newton 5000 items": """
a, b, o = pairs(5000, 200_000)
go()
pr.bradley_terry(a=a, b=b, outcome=o, method="newton")
""",
    "bradley_terry mm tiny tol": """
a, b, o = pairs(2000, 1_000_000)
go()
pr.bradley_terry(a=a, b=b, outcome=o, method="mm", tol=1e-300, max_iter=10**7)
""",
    "elo shuffles": """
a, b, o = pairs(1000, 300_000)
go()
pr.elo(a=a, b=b, outcome=o, shuffles=100_000)
""",
    "label_noise EM": """
a, b, o = pairs(200, 500_000)
judge = rng.integers(0, 8, a.size)
go()
pr.label_noise(a=a, b=b, outcome=o, judge=judge, tol=1e-300, max_iter=10**7)
""",
    "contextual_bradley_terry": """
a, b, o = pairs(2000, 300_000)
x = rng.normal(size=(a.size, 30))
go()
pr.contextual_bradley_terry(a=a, b=b, outcome=o, covariates=x, tol=1e-300, max_iter=10**6)
""",
    "transitivity bootstrap": """
# 20,000 prompts, each a triad judged by 12 judges: thousands of distinct per-prompt patterns,
# so each replicate draws every prompt.
G, J = 20_000, 12
g = np.repeat(np.arange(G), 3 * J)
judge = np.tile(np.repeat(np.arange(J), 3), G)
a = np.tile([0, 1, 2], G * J)
b = np.tile([1, 2, 0], G * J)
o = (rng.random(a.size) < 0.5).astype(float)
go()
pr.transitivity(a=a, b=b, outcome=o, group=g, judge=judge, bootstrap=10**6)
""",
    "krippendorff_alpha bootstrap": """
r = rng.integers(0, 5, (5, 100_000))
go()
pr.krippendorff_alpha(r, bootstrap=10**7)
""",
    "shift_attribution exact": """
metric = rng.integers(0, 2, 2000).astype(float)
ratios = rng.uniform(0.1, 3, (2000, 24))
go()
pr.shift_attribution(metric, ratios, method="exact")
""",
    "slice_attribution exact": """
a, b, o = pairs(30, 200_000)
s = rng.integers(0, 20, a.size)
go()
pr.slice_attribution(a=a, b=b, outcome=o, slice=s, item=0, method="exact")
""",
    "plackett_luce mm tiny tol": """
n, g, k = 3000, 200_000, 5
items = rng.integers(0, n, g * k)
group = np.repeat(np.arange(g), k)
rank = np.tile(np.arange(k), g)
import pandas as pd
d = pd.DataFrame({"group": group, "item": items, "rank": rank}).drop_duplicates(["group", "item"])
go()
pr.plackett_luce(d, method="mm", tol=1e-300, max_iter=10**7)
""",
    "bradley_terry_groups many groups": """
# 200,000 groups of 5 items; a tolerance no fit meets keeps every group at max_iter steps.
G, per = 200_000, 20
g = np.repeat(np.arange(G), per)
a = rng.integers(0, 5, G * per)
b = (a + rng.integers(1, 5, G * per)) % 5
o = (rng.random(a.size) < 0.5).astype(float)
go()
pr.bradley_terry_groups(a=a, b=b, outcome=o, group=g, tol=1e-300, max_iter=20_000)
""",
    "plackett_luce_groups many groups": """
import pandas as pd
G, per, k = 100_000, 4, 5
obs = G * per
d = pd.DataFrame({
    "g": np.repeat(np.arange(G), per * k),
    "obs": np.repeat(np.arange(obs), k),
    "item": np.argsort(rng.random((obs, k)), axis=1).ravel(),
    "rank": np.tile(np.arange(k), obs),
})
go()
pr.plackett_luce_groups(d, group="g", ranking="obs", tol=1e-300, max_iter=20_000)
""",
    "curate EM": """
import pandas as pd
P, R, J = 200_000, 4, 8
d = pd.DataFrame({
    "prompt": np.repeat(np.arange(P), R * J),
    "response": np.tile(np.repeat(np.arange(R), J), P),
    "judge": np.tile(np.arange(J), P * R),
    # Judges of different reliability keep the flip rates inside their bounds.
    "score": np.repeat(rng.normal(size=P * R), J) + (rng.normal(size=(P * R, J)) * np.linspace(0.3, 3, J)).ravel(),
})
go()
pr.robust.curate(d, prompt="prompt", response="response", judge="judge", score="score", tol=1e-300, max_iter=10**7)
""",
    "fragility greedy removals": """
# 1,000 items in a clear order: swapping the first and the last takes many removals, each a
# Cholesky solve and a refit.
n, m = 1000, 300_000
a, b, _ = pairs(n, m)
o = (rng.random(m) < 1 / (1 + np.exp((a - b) / 100))).astype(float)
go()
pr.robust.fragility(a=a, b=b, outcome=o, pair=(0, n - 1), max_remove=10**6)
""",
    "lsr_rankings power iteration": """
import pandas as pd
# Beyond 1,000 items the chain is solved by power iteration; no step meets the tolerance.
n, obs, k = 20_000, 500_000, 5
d = pd.DataFrame({
    "group": np.repeat(np.arange(obs), k),
    "item": rng.integers(0, n, (obs, k)).ravel(),
    "rank": np.tile(np.arange(k), obs),
}).drop_duplicates(["group", "item"])
go()
pr.lsr_rankings(d, alpha=0.01, tol=1e-300, max_iter=10**8)
""",
    "shift_attribution permutation sampling": """
metric = rng.integers(0, 2, 20_000).astype(float)
ratios = rng.uniform(0.1, 3, (20_000, 24))
go()
pr.shift_attribution(metric, ratios, method="permutation", max_evaluations=10**12)
""",
}

# How long after "go" the parent waits, so that SIGINT lands inside the compiled kernel.
SETTLE_S = 1.5


def _child(body: str) -> str:
    go = "def go():\n    print('go', flush=True)\n"
    tail = "\nprint('finished', flush=True)\nsys.exit(3)\n"
    return PRELUDE + go + textwrap.dedent(body) + tail


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
@pytest.mark.parametrize("name", sorted(CASES))
def test_ctrl_c_stops_a_long_call_quickly(name: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(pr.__file__).parents[1])}
    child = subprocess.Popen(
        [sys.executable, "-c", _child(CASES[name])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "go", child.communicate(timeout=30)[1]
        time.sleep(SETTLE_S)
        assert child.poll() is None, f"{name} ended before the interrupt: {child.communicate()}"
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=20)
        took = time.perf_counter() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    print(f"\n{name}: SIGINT to exit {took:.3f} s")
    assert child.returncode != 3, f"{name} finished instead of being interrupted"
    assert "KeyboardInterrupt" in err, err
    # Exit time includes the interpreter's shutdown; the stop itself is well under it.
    assert took < 2.0, f"{name}: {took:.2f} s from SIGINT to exit"


def test_a_panic_in_the_core_is_an_internal_error() -> None:
    with pytest.raises(pr.InternalError) as e:
        _core._panic_for_test()
    assert isinstance(e.value, pr.PrefrankError)
    msg = str(e.value)
    assert "bug in prefrank" in msg
    assert "please report it" in msg
    assert msg.endswith("deliberate panic to test the guard")
    assert e.value.kind == "internal"  # type: ignore[attr-defined]
