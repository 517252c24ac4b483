"""Judge-consistency audits: transitivity and cycles, tournaments, position bias, score-vs-comparison."""

from __future__ import annotations

import warnings
from typing import Any

from prefrank.consistency._common import CLASS_NAMES
from prefrank.consistency.audits import audit
from prefrank.consistency.position import SWAP_PATTERNS, binomial_test, position_bias
from prefrank.consistency.results import Audit, PositionBias, ScoreConsistency, TournamentStats, Transitivity
from prefrank.consistency.scores import expected_score, score_consistency
from prefrank.consistency.tournaments import tournament
from prefrank.consistency.triads import transitivity

__all__ = [
    "CLASS_NAMES",
    "SWAP_PATTERNS",
    "Audit",
    "PositionBias",
    "ScoreConsistency",
    "TournamentStats",
    "Transitivity",
    "audit",
    "binomial_test",
    "expected_score",
    "position_bias",
    "score_consistency",
    "tournament",
    "transitivity",
]


_MOVED = {"judge_agreement": "prefrank.agreement", "JudgeAgreement": "prefrank.agreement"}


def __getattr__(name: str) -> Any:
    # Agreement between judges lives in prefrank.agreement since 0.2; the old path works for one release.
    if name in _MOVED:
        import importlib

        warnings.warn(
            f"prefrank.consistency.{name} moved to {_MOVED[name]}.{name}; the old path goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module 'prefrank.consistency' has no attribute {name!r}")
