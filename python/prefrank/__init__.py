"""prefrank: fast preference and ranking computation with a Rust core.

Leaderboards from pairwise comparisons, robust ranking recovery, judge-consistency audits,
agreement statistics, Shapley attribution, and PyTorch preference losses (``prefrank.losses``).
"""

from __future__ import annotations

from prefrank import _core
from prefrank._options import get_memory_limit, set_memory_limit
from prefrank.agreement import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    item_disagreement,
    judge_agreement,
    krippendorff_alpha,
    model_disagreement,
    percent_agreement,
    rater_agreement,
    scott_pi,
    soft_label_scores,
)
from prefrank.attribution import banzhaf, semivalue, shapley, shift_attribution, slice_attribution
from prefrank.consistency import audit, position_bias, score_consistency, tournament, transitivity
from prefrank.data import Comparisons, PairCounts, comparisons
from prefrank.exceptions import (
    ConvergenceWarning,
    InputError,
    InternalError,
    NotIdentifiableError,
    ParameterError,
    PrefrankError,
    TooLargeError,
)
from prefrank.io import read_table, scan
from prefrank.ranking import (
    ContextualRanking,
    GroupRankings,
    Ranking,
    bradley_terry,
    bradley_terry_groups,
    contextual_bradley_terry,
    elo,
    ilsr_pairwise,
    ilsr_rankings,
    lsr_pairwise,
    lsr_rankings,
    plackett_luce,
    plackett_luce_groups,
    rank_centrality,
)
from prefrank.robust import label_noise, robust_ranking
from prefrank.stats import ComparisonStats, RatingsStats

__version__: str = _core.__version__

__all__ = [
    "ComparisonStats",
    "Comparisons",
    "ContextualRanking",
    "ConvergenceWarning",
    "GroupRankings",
    "InputError",
    "InternalError",
    "NotIdentifiableError",
    "PairCounts",
    "ParameterError",
    "PrefrankError",
    "Ranking",
    "RatingsStats",
    "TooLargeError",
    "__version__",
    "audit",
    "banzhaf",
    "bradley_terry",
    "bradley_terry_groups",
    "brennan_prediger",
    "cohen_kappa",
    "comparisons",
    "contextual_bradley_terry",
    "elo",
    "fleiss_kappa",
    "get_memory_limit",
    "gwet_ac",
    "ilsr_pairwise",
    "ilsr_rankings",
    "item_disagreement",
    "judge_agreement",
    "krippendorff_alpha",
    "label_noise",
    "lsr_pairwise",
    "lsr_rankings",
    "model_disagreement",
    "percent_agreement",
    "plackett_luce",
    "plackett_luce_groups",
    "position_bias",
    "rank_centrality",
    "rater_agreement",
    "read_table",
    "robust_ranking",
    "scan",
    "score_consistency",
    "scott_pi",
    "semivalue",
    "set_memory_limit",
    "shapley",
    "shift_attribution",
    "slice_attribution",
    "soft_label_scores",
    "tournament",
    "transitivity",
]
