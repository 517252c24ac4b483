"""Shapley attribution: exact and sampled semivalues, and built-in games for leaderboards."""

from __future__ import annotations

from prefrank.attribution.games import majority_game, shift_game, slice_game
from prefrank.attribution.results import Attribution, Game
from prefrank.attribution.semivalues import (
    AUTO_EXACT_PLAYERS,
    DEFAULT_MAX_EVALUATIONS,
    MAX_EXACT_PLAYERS,
    banzhaf,
    semivalue,
    shapley,
    shift_attribution,
    slice_attribution,
)

__all__ = [
    "AUTO_EXACT_PLAYERS",
    "DEFAULT_MAX_EVALUATIONS",
    "MAX_EXACT_PLAYERS",
    "Attribution",
    "Game",
    "banzhaf",
    "majority_game",
    "semivalue",
    "shapley",
    "shift_attribution",
    "shift_game",
    "slice_attribution",
    "slice_game",
]
