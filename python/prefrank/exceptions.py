"""Exceptions and warnings raised by prefrank.

Every input or model error is a :class:`PrefrankError`, a subclass of :class:`ValueError`, whose
message names the offending row, column or value. The errors are of five classes, with their fields
as attributes (``None`` where unknown):

* :class:`InputError`: bad input data; ``.row``, ``.column``, ``.value`` (and ``.file`` for files);
* :class:`ParameterError`: a bad option; ``.param``;
* :class:`TooLargeError`: a request larger than the limit; ``.requested``, ``.limit``;
* :class:`NotIdentifiableError`: the model cannot be estimated from these data;
* :class:`InternalError`: a bug in prefrank (a panic in the compiled core, caught at the boundary);
  its message asks for a report and carries the panic message.

A long call stops within about 0.1 s of Ctrl-C and raises :class:`KeyboardInterrupt`.

The compiled core raises them, and the Python layer builds its own with :func:`input_error`,
:func:`parameter_error` and :func:`too_large_error`, so an error raised in Python carries the same
fields as one raised by the core, plus ``.detail`` (the message without its file and row prefix);
:func:`rephrased` restates a core error in terms of labels, keeping its class and fields.

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

from typing import Any, TypeVar

from prefrank._core import InputError, InternalError, NotIdentifiableError, ParameterError, PrefrankError, TooLargeError

__all__ = [
    "ConvergenceWarning",
    "InputError",
    "InternalError",
    "NotIdentifiableError",
    "ParameterError",
    "PrefrankError",
    "TooLargeError",
    "UndefinedStatisticWarning",
    "input_error",
    "parameter_error",
    "rephrased",
    "reworded",
    "too_large_error",
]

E = TypeVar("E", bound=PrefrankError)

# The fields of an input error (None where unknown): the core's, and those the Python layer adds.
_INPUT_FIELDS = ("kind", "row", "code", "column", "value", "file", "table", "detail")


def _message(detail: str, row: int | None = None, file: Any = None, table: str | None = None) -> str:
    """``"{file}: {table}: row {row}: {detail}"``, each prefix only where known."""
    return (
        (f"{file}: " if file is not None else "")
        + (f"{table}: " if table is not None else "")
        + (f"row {row}: " if row is not None else "")
        + detail
    )


def _with_fields(err: E, fields: dict[str, Any]) -> E:
    for name, v in fields.items():
        setattr(err, name, v)
    return err


def input_error(
    detail: str,
    *,
    row: int | None = None,
    column: Any = None,
    value: Any = None,
    file: Any = None,
    table: str | None = None,
    kind: str | None = None,
    code: int | None = None,
) -> InputError:
    """An :class:`InputError` about the input data, with the fields it names as attributes.

    The message is ``"{file}: "`` when ``file`` is given (a path; ``.file`` is its text), then
    ``"{table}: "`` when ``table`` names one of several input tables, then ``"row {row}: "`` when
    ``row`` is not None, then ``detail``. ``.detail`` keeps the bare detail, so that the file and the
    row can be restated (rows made file-relative when a file is read in batches). ``kind`` and
    ``code`` mirror the core's fields of those names (None for errors the core did not raise).

    >>> e = input_error("outcome 'x' is not one of a, b, tie", row=3, column="winner", value="x")
    >>> str(e), e.row, e.column, e.value, e.file
    ("row 3: outcome 'x' is not one of a, b, tie", 3, 'winner', 'x', None)
    """
    file = None if file is None else str(file)
    fields = dict(kind=kind, row=row, code=code, column=column, value=value, file=file, table=table, detail=detail)
    return _with_fields(InputError(_message(detail, row, file, table)), fields)


def parameter_error(param: str, detail: str) -> ParameterError:
    """A :class:`ParameterError` about the option ``param`` (``.param``); the message is ``detail``.

    >>> e = parameter_error("ties", "ties='sometimes' is not one of 'davidson', 'rao_kupper'")
    >>> e.param, str(e)
    ('ties', "ties='sometimes' is not one of 'davidson', 'rao_kupper'")
    """
    fields = dict(kind="invalid_parameter", row=None, code=None, param=param, detail=detail)
    return _with_fields(ParameterError(detail), fields)


def too_large_error(detail: str, *, requested: int, limit: int, what: str | None = None) -> TooLargeError:
    """A :class:`TooLargeError`: ``.requested`` the size asked, ``.limit`` what fits, ``.what`` the
    thing measured; the message is ``detail`` (which says the alternative).

    >>> e = too_large_error("30 players: at most 25 are supported", requested=30, limit=25, what="players")
    >>> e.requested, e.limit, str(e)
    (30, 25, '30 players: at most 25 are supported')
    """
    fields = dict(kind="too_large", row=None, code=None, requested=requested, limit=limit, what=what, hint=None)
    return _with_fields(TooLargeError(detail), dict(fields, detail=detail))


def rephrased(err: E, detail: str, **fields: Any) -> E:
    """``err`` (a core error, say) restated as ``detail``: the same class, its fields kept and
    ``fields`` overriding them. The message is built as :func:`input_error` builds it, from ``.file``,
    ``.table``, ``.row`` and ``detail``.

    >>> core = input_error("item 2 is compared with itself", row=5, kind="self_comparison", code=2)
    >>> e = rephrased(core, "item 'gpt' is compared with itself", value="gpt")
    >>> type(e).__name__, str(e), e.kind, e.code, e.value
    ('InputError', "row 5: item 'gpt' is compared with itself", 'self_comparison', 2, 'gpt')
    """
    attrs: dict[str, Any] = dict.fromkeys(_INPUT_FIELDS) if isinstance(err, InputError) else {}
    attrs.update(vars(err))
    attrs.update(fields)
    attrs["detail"] = detail
    if attrs.get("file") is not None:
        attrs["file"] = str(attrs["file"])
    message = _message(detail, attrs.get("row"), attrs.get("file"), attrs.get("table"))
    return _with_fields(type(err)(message), attrs)


def reworded(err: E, old: str, new: str) -> E:
    """``err`` with ``old`` replaced by ``new`` in its message (and ``.detail``): the same class and
    fields, for a caller that names an option differently from the function it called.

    >>> e = reworded(input_error("column 'p' (for group=) not found", column="p"), "group=", "prompt=")
    >>> type(e).__name__, str(e), e.detail, e.column
    ('InputError', "column 'p' (for prompt=) not found", "column 'p' (for prompt=) not found", 'p')
    """
    out = _with_fields(type(err)(str(err).replace(old, new)), vars(err))
    if isinstance(getattr(out, "detail", None), str):
        out.detail = out.detail.replace(old, new)  # type: ignore[attr-defined]
    return out


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped before meeting its tolerance (the result carries ``converged=False``)."""


class UndefinedStatisticWarning(UserWarning):
    """A statistic is undefined on these data and was returned as NaN (the result says why)."""
