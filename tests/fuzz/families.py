"""Which fuzz test covers which public callable (test_coverage.py fails for a callable in none)."""

from __future__ import annotations

# Comparison tables (a, b, outcome, weight ...), with the extra columns each needs.
COMPARISON = {
    "audit": {"group": "group", "judge": "judge", "position": "position"},
    "bradley_terry": {},
    "bradley_terry_groups": {"group": "group"},
    "comparisons": {"group": "group", "judge": "judge", "position": "position"},
    "contextual_bradley_terry": {"covariates": ["x"]},
    "elo": {},
    "ilsr_pairwise": {},
    "label_noise": {"judge": "judge"},
    "lsr_pairwise": {},
    "position_bias": {"position": "position", "group": "group"},
    "rank_centrality": {},
    "robust_ranking": {},
    "score_consistency": {"score_a": "score_a", "score_b": "score_b"},
    "slice_attribution": {"slice": "slice", "item": "m0"},
    "tournament": {},
    "transitivity": {"group": "group"},
    "ComparisonStats": {"group": "group", "judge": "judge", "position": "position"},
}
RANKINGS = ["plackett_luce", "lsr_rankings", "ilsr_rankings", "plackett_luce_groups"]
RATINGS = [
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac",
    "item_disagreement",
    "krippendorff_alpha",
    "percent_agreement",
    "rater_agreement",
    "scott_pi",
    "RatingsStats",
]
GAMES = ["shapley", "banzhaf", "semivalue"]
OTHER = {
    "shift_attribution": "test_shift_attribution",
    "model_disagreement": "test_model_disagreement",
    "soft_label_scores": "test_soft_label_scores",
    "judge_agreement": "test_judge_agreement",
    "read_table": "test_read_table_and_scan",
    "scan": "test_read_table_and_scan",
    "set_memory_limit": "test_memory_limit",
    "get_memory_limit": "test_memory_limit",
    "PairCounts": "test_serialisation.py",
    "Comparisons": "test_comparisons_family (comparisons) and test_serialisation.py",
    # result types: built by the functions above; to_dict/to_pandas/repr exercised on every result
    "Ranking": "every ranking function's result",
    "GroupRankings": "bradley_terry_groups / plackett_luce_groups results",
    "ContextualRanking": "contextual_bradley_terry results",
}


def covered() -> set[str]:
    return set(COMPARISON) | set(RANKINGS) | set(RATINGS) | set(GAMES) | set(OTHER)
