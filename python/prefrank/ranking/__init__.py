"""Leaderboards from comparisons and rankings: Bradley-Terry (with ties, bootstrap, groups, covariates),
Elo, Plackett-Luce and the spectral estimators."""

from __future__ import annotations

from prefrank.ranking._common import ELO_FACTOR
from prefrank.ranking.contextual import contextual_bradley_terry
from prefrank.ranking.grouped import bradley_terry_groups, plackett_luce_groups
from prefrank.ranking.listwise import plackett_luce
from prefrank.ranking.online import elo
from prefrank.ranking.pairwise import bradley_terry
from prefrank.ranking.results import ContextualRanking, GroupRankings, Ranking
from prefrank.ranking.spectral import ilsr_pairwise, ilsr_rankings, lsr_pairwise, lsr_rankings, rank_centrality

__all__ = [
    "ELO_FACTOR",
    "ContextualRanking",
    "GroupRankings",
    "Ranking",
    "bradley_terry",
    "bradley_terry_groups",
    "contextual_bradley_terry",
    "elo",
    "ilsr_pairwise",
    "ilsr_rankings",
    "lsr_pairwise",
    "lsr_rankings",
    "plackett_luce",
    "plackett_luce_groups",
    "rank_centrality",
]
