"""Columns to coded tables: comparisons, ratings, rankings and score tables, with one missing-value policy."""

from __future__ import annotations

from prefrank.data.coding import code_labels, union_labels
from prefrank.data.comparisons import OUTCOME_VOCABULARY, Comparisons, PairCounts, as_comparisons, comparisons
from prefrank.io import read_table

__all__ = [
    "OUTCOME_VOCABULARY",
    "Comparisons",
    "PairCounts",
    "as_comparisons",
    "code_labels",
    "comparisons",
    "read_table",
    "union_labels",
]
