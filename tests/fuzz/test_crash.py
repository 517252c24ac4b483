"""Cases that could abort, hang or exhaust the process (huge sizes and counts), each in the sandbox:
the answer is a result or a PrefrankError (TooLargeError, ParameterError) within the time limit; an
abort, a signal, a timeout or another exception is a failure that names the case."""

from __future__ import annotations

from typing import Any

import pytest
from fuzz.harness import Sandbox, check_isolated

SETUP_PAIRS = "n = 100_000; a = np.arange(n - 1); b = a + 1; o = np.ones(n - 1)"
SMALL = "a = ['x', 'y', 'x']; b = ['y', 'z', 'z']; o = ['a', 'a', 'b']"

CASES: dict[str, tuple[str, str]] = {
    # dense tables and Hessians over 100,000 items
    "pair_counts dense over 100k items": (SETUP_PAIRS, "pr.comparisons(a=a, b=b, outcome=o).pair_counts(dense=True)"),
    "bradley_terry newton over 100k items": (
        SETUP_PAIRS,
        "pr.bradley_terry(a=a, b=b, outcome=o, method='newton', alpha=0.1)",
    ),
    "bradley_terry_groups one group of 100k items": (
        SETUP_PAIRS,
        "pr.bradley_terry_groups(a=a, b=b, outcome=o, group=np.zeros(n - 1))",
    ),
    "plackett_luce over 100k items": (
        "n = 100_000; r = np.arange(n); t = pd.DataFrame({'group': r // 2, 'item': r % (n - 1), 'rank': r % 2 + 1})",
        "pr.plackett_luce(t, alpha=0.1)",
    ),
    # unbounded counts
    "bradley_terry bootstrap=2**70": (SMALL, "pr.bradley_terry(a=a, b=b, outcome=o, bootstrap=2**70, alpha=0.1)"),
    "transitivity bootstrap=2**70": (SMALL, "pr.transitivity(a=a, b=b, outcome=o, bootstrap=2**70)"),
    "krippendorff_alpha bootstrap=2**70": ("", "pr.krippendorff_alpha([[1, 2, 1], [1, 2, 2]], bootstrap=2**70)"),
    "elo shuffles=2**70": (SMALL, "pr.elo(a=a, b=b, outcome=o, shuffles=2**70)"),
    "shapley n_players=10**8": ("", "pr.shapley(lambda s: s.sum(axis=1), n_players=10**8)"),
    "shapley n_players=2**40": ("", "pr.shapley(lambda s: s.sum(axis=1), n_players=2**40)"),
    "shapley max_evaluations=2**70": (
        "",
        "pr.shapley(lambda s: s.sum(axis=1).astype(float), n_players=25, max_evaluations=2**70)",
    ),
    "semivalue table of 2**31 entries claimed by n_players": ("", "pr.semivalue([0.0, 1.0], n_players=31)"),
    "tournament exact_max=64 over 64 items": (
        "n = 64; pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]; a, b = zip(*pairs)",
        "pr.tournament(a=a, b=b, outcome=np.ones(len(a)), exact_max=64)",
    ),
    "bradley_terry max_iter=2**63": (SMALL, "pr.bradley_terry(a=a, b=b, outcome=o, max_iter=2**63, tol=0.0)"),
    "elo batch_rows=2**62": (SMALL, "pr.elo(a=a, b=b, outcome=o, batch_rows=2**62)"),
    "comparisons over 2**31 identical rows claimed by a broadcast weight": (
        SMALL,
        "pr.comparisons(a=a, b=b, outcome=o, weight=np.broadcast_to(1.0, (2**31,)))",
    ),
    "krippendorff_alpha draws=2**62": ("", "pr.krippendorff_alpha([[1, 2, 1], [1, 2, 2]], bootstrap=10, draws=2**62)"),
}


@pytest.fixture(scope="module")
def box() -> Any:
    sandbox = Sandbox()
    yield sandbox
    sandbox.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_huge_sizes_in_sandbox(box: Sandbox, case: str) -> None:
    setup, expr = CASES[case]
    check_isolated(box, case, expr, setup=setup, function=case.split(" ")[0])
