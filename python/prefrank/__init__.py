"""prefrank: fast preference and ranking computation with a Rust core.

Leaderboards from pairwise comparisons, robust ranking recovery, judge-consistency audits,
agreement statistics, Shapley attribution, and PyTorch preference losses (``prefrank.losses``).
"""

from __future__ import annotations

from prefrank import _core
from prefrank.attribution import banzhaf, semivalue, shapley, shift_attribution, slice_attribution
from prefrank.consistency import audit, position_bias, score_consistency, tournament, transitivity
from prefrank.data import Comparisons, PairCounts, comparisons, read_table
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, PrefrankError
from prefrank.ranking import Ranking, bradley_terry, elo

__version__: str = _core.__version__

__all__ = [
    "Comparisons",
    "ConvergenceWarning",
    "NotIdentifiableError",
    "PairCounts",
    "PrefrankError",
    "Ranking",
    "__version__",
    "audit",
    "banzhaf",
    "bradley_terry",
    "comparisons",
    "elo",
    "position_bias",
    "read_table",
    "score_consistency",
    "semivalue",
    "shapley",
    "shift_attribution",
    "slice_attribution",
    "tournament",
    "transitivity",
]
