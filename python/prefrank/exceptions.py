"""Exceptions and warnings raised by prefrank.

Every input or model error is a :class:`PrefrankError`, a subclass of :class:`ValueError`, whose
message names the offending row, column or value. Non-convergence is never silent: it raises a
:class:`ConvergenceWarning` and sets a flag on the result.
"""

from __future__ import annotations

from prefrank._core import NotIdentifiableError, PrefrankError

__all__ = ["ConvergenceWarning", "NotIdentifiableError", "PrefrankError", "UndefinedStatisticWarning"]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped before meeting its tolerance (the result carries ``converged=False``)."""


class UndefinedStatisticWarning(UserWarning):
    """A statistic is undefined on these data and was returned as NaN (the result says why)."""
