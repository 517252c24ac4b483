"""Exceptions and warnings raised by prefrank.

Every input or model error is a :class:`PrefrankError`, a subclass of :class:`ValueError`, whose
message names the offending row, column or value. The compiled core raises the subclasses, with the
fields as attributes (``None`` where unknown):

* :class:`InputError`: bad input data; ``.row``, ``.column``, ``.value`` (and ``.file`` for files);
* :class:`ParameterError`: a bad option; ``.param``;
* :class:`TooLargeError`: a request larger than the limit; ``.requested``, ``.limit``;
* :class:`NotIdentifiableError`: the model cannot be estimated from these data.

Non-convergence is never silent: it raises a :class:`ConvergenceWarning` and sets a flag on the result.

Example
-------
>>> import prefrank as pr
>>> try:
...     pr.bradley_terry(a=["x", "y"], b=["x", "x"], outcome=[1, 0])
... except pr.InputError as e:
...     print(e.row, e.kind)
0 self_comparison
"""

from __future__ import annotations

from prefrank._core import InputError, NotIdentifiableError, ParameterError, PrefrankError, TooLargeError

__all__ = [
    "ConvergenceWarning",
    "InputError",
    "NotIdentifiableError",
    "ParameterError",
    "PrefrankError",
    "TooLargeError",
    "UndefinedStatisticWarning",
]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped before meeting its tolerance (the result carries ``converged=False``)."""


class UndefinedStatisticWarning(UserWarning):
    """A statistic is undefined on these data and was returned as NaN (the result says why)."""
