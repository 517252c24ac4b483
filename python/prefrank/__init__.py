"""prefrank: fast preference and ranking computation with a Rust core.

Leaderboards from pairwise comparisons, robust ranking recovery, judge-consistency audits,
agreement statistics, Shapley attribution, and PyTorch preference losses (``prefrank.losses``).
"""

from __future__ import annotations

from prefrank import _core
from prefrank.agreement import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    item_disagreement,
    krippendorff_alpha,
    model_disagreement,
    percent_agreement,
    rater_agreement,
    scott_pi,
    soft_label_scores,
)
from prefrank.data import Comparisons, PairCounts, comparisons, read_table
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, PrefrankError

__version__: str = _core.__version__

__all__ = [
    "Comparisons",
    "ConvergenceWarning",
    "NotIdentifiableError",
    "PairCounts",
    "PrefrankError",
    "__version__",
    "brennan_prediger",
    "cohen_kappa",
    "comparisons",
    "fleiss_kappa",
    "gwet_ac",
    "item_disagreement",
    "krippendorff_alpha",
    "model_disagreement",
    "percent_agreement",
    "rater_agreement",
    "read_table",
    "scott_pi",
    "soft_label_scores",
]
