"""Robust rankings and preference-data curation: corrupted votes, label noise, curation, fragility."""

from __future__ import annotations

from prefrank.robust.curation import curate
from prefrank.robust.noise import label_noise
from prefrank.robust.recovery import robust_ranking
from prefrank.robust.results import Curation, Fragility, LabelNoise, RobustRanking
from prefrank.robust.sensitivity import fragility

__all__ = [
    "Curation",
    "Fragility",
    "LabelNoise",
    "RobustRanking",
    "curate",
    "fragility",
    "label_noise",
    "robust_ranking",
]
