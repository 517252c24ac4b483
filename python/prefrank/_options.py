"""Parameter validation and the shared vocabulary of options.

One meaning per name across the API and the CLI (the table is in docs/vocabulary.md). A name that
changes keeps working for one release through :func:`renamed`, which maps the old keyword to the new
one with a :class:`DeprecationWarning` naming the new one.

Bootstrap rule (every function with ``bootstrap=``): ``bootstrap`` is a number of rounds, an int >= 0,
and 0 means no intervals. Estimators (:func:`prefrank.bradley_terry`, :func:`prefrank.krippendorff_alpha`)
default to 0: a point estimate, intervals on request, because each round repeats the fit. Audits whose
report is a rate with its interval (:func:`prefrank.transitivity`, :func:`prefrank.audit`) default to
1000: a round only resamples counted cells. ``seed`` is an int >= 0, and results are identical for any
thread count.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar, cast

from prefrank.exceptions import parameter_error

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")


class Alias(NamedTuple):
    """An old keyword that means ``new`` only for some values (``when(value)``), e.g. a ``level=``
    that was the level of measurement when it is a string and is the confidence level when a number."""

    new: str
    when: Callable[[Any], bool]
    note: str


def is_number(value: Any) -> bool:
    """A real number that is not a bool (the test of an :class:`Alias` for a once-numeric name)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def rename_keywords(func: str, kwargs: dict[str, Any], aliases: Mapping[str, str | Alias], stacklevel: int = 2) -> None:
    """Move each deprecated keyword in ``kwargs`` (in place) to its new name, warning once per name.

    Value-dependent aliases go first: ``level="ordinal"`` must become ``metric=`` before an old
    ``ci=`` becomes ``level=``. ``stacklevel`` counts from the function calling this one, as for
    :func:`warnings.warn` (2: that function's caller).
    Raises :class:`PrefrankError` when the old and the new name are both given.
    """
    order = sorted(aliases, key=lambda old: not isinstance(aliases[old], Alias))
    for old in order:
        if old not in kwargs:
            continue
        spec = aliases[old]
        if isinstance(spec, Alias):
            if not spec.when(kwargs[old]):
                continue  # the current meaning of the name
            value = f"{kwargs[old]!r}"
            message = f"{func}: {old}={value} is deprecated; use {spec.new}={value} ({spec.note})"
            new = spec.new
        else:
            new, message = spec, f"{func}: {old}= is deprecated; use {spec}="
        if new in kwargs:
            raise parameter_error(new, f"{func}: pass {new}= or the deprecated {old}=, not both")
        warnings.warn(message, DeprecationWarning, stacklevel=stacklevel + 1)
        kwargs[new] = kwargs.pop(old)


def renamed(**aliases: str | Alias) -> Callable[[F], F]:
    """Decorator: accept each ``old=`` keyword as ``new=`` for one release, with a DeprecationWarning.

    ``@renamed(verdict="outcome")`` maps ``verdict=`` to ``outcome=``; an :class:`Alias` maps only
    the values it matches. The wrapper keeps the function's name, docstring and signature (through
    ``functools.wraps``; ``help()`` and ``inspect.signature`` show the new names only) and lists its
    aliases in ``__deprecated_aliases__``.

    Example:
        >>> @renamed(verdict="outcome")
        ... def f(*, outcome=None):
        ...     return outcome
        >>> f(verdict="winner")  # DeprecationWarning: f: verdict= is deprecated; use outcome=
        'winner'
    """

    def wrap(func: F) -> F:
        name = func.__name__

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not aliases.keys().isdisjoint(kwargs):
                rename_keywords(name, kwargs, aliases, stacklevel=2)
            return func(*args, **kwargs)

        wrapper.__deprecated_aliases__ = dict(aliases)  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return wrap


def _check_batch_rows(batch_rows: Any) -> int:
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise parameter_error("batch_rows", f"batch_rows={batch_rows!r} must be a positive integer")
    return int(batch_rows)


def check_bootstrap(bootstrap: Any, seed: Any) -> int:
    """The bootstrap rule's checks: ``bootstrap`` an int >= 0 (0 = no intervals), ``seed`` an int >= 0."""
    for name, v in (("bootstrap", bootstrap), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
            raise parameter_error(name, f"{name} must be a non-negative integer, got {v!r}")
    return int(bootstrap)


def check_level(level: Any) -> float:
    """A confidence level in (0, 1), the one meaning of ``level=`` in prefrank."""
    if not (is_number(level) and 0.0 < level < 1.0):
        raise parameter_error("level", f"level must be a confidence level in (0, 1), got {level!r}")
    return float(level)


SCALES = ("elo", "log", "strength")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise parameter_error(name, f"{name}={value!r} is not one of {', '.join(map(repr, choices))}")


# --------------------------------------------------------------------------------------------------
# Shared signatures: a group of keyword arguments written once (a TypedDict for mypy, a template
# function for the defaults), and families of estimators that differ in one argument.


def _refuse_unknown(name: str, kwargs: Mapping[str, Any], known: Collection[str]) -> None:
    for key in kwargs:
        if key not in known:
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")


def _keyword_names(sig: inspect.Signature) -> frozenset[str]:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(p.name for p in sig.parameters.values() if p.kind in kinds)


def keywords_of(template: Callable[..., Any], spec: Any) -> Callable[[F], F]:
    """Decorator for ``def f(data, *, ..., **columns: Unpack[Spec])``, where ``spec`` (``Spec``, a
    ``TypedDict``) names some keyword parameters of ``template``: the keyword arguments ``f`` takes
    in its ``**columns`` are those parameters, with ``template``'s defaults and annotations.

    ``inspect.signature(f)`` and ``help(f)`` show them by name after ``f``'s positional parameters;
    ``f`` receives every one of them (the defaults filled in), and any other keyword raises the
    ``TypeError`` Python raises for an unknown keyword. mypy checks the names and types at call sites
    through the ``TypedDict``.

    Example:
        >>> from typing import TypedDict
        >>> def table(*, a=None, b=None, c=0): ...
        >>> class AB(TypedDict, total=False):
        ...     a: object
        ...     b: object
        >>> @keywords_of(table, AB)
        ... def f(data=None, *, scale=1, **columns):
        ...     return columns
        >>> f(a="x")
        {'a': 'x', 'b': None}
        >>> import inspect; str(inspect.signature(f))
        '(data=None, *, a=None, b=None, scale=1)'
    """
    names = spec.__required_keys__ | spec.__optional_keys__
    taken = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in inspect.signature(template).parameters.values()]
    taken = [p for p in taken if p.name in names]
    if len(taken) < len(names):
        missing = sorted(names - {p.name for p in taken})
        raise TypeError(f"{template.__name__}() has no parameters {', '.join(missing)}")
    defaults = {p.name: p.default for p in taken}

    def wrap(func: F) -> F:
        sig = inspect.signature(func)
        own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        at = sum(p.kind is not inspect.Parameter.KEYWORD_ONLY for p in own)
        full = sig.replace(parameters=[*own[:at], *taken, *own[at:]])
        known = _keyword_names(full)
        name = func.__name__

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _refuse_unknown(name, kwargs, known)
            return func(*args, **{**defaults, **kwargs})

        wrapper.__signature__ = full  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return wrap


def variant(impl: Callable[Concatenate[str, P], R], kind: str, *, name: str, doc: str) -> Callable[P, R]:
    """The public function ``name`` (docstring ``doc``) of a family of estimators that differ only in
    the first argument of their shared implementation ``impl``: ``impl(kind, ...)``.

    Its parameters are those of ``impl`` without the first: what ``inspect.signature``, ``help`` and
    mypy see, so the signature is written once, on ``impl``; an unknown keyword raises the
    ``TypeError`` Python raises, naming ``name``."""
    sig = inspect.signature(impl)
    public = sig.replace(parameters=list(sig.parameters.values())[1:])
    known = _keyword_names(public)

    def fn(*args: P.args, **kwargs: P.kwargs) -> R:
        _refuse_unknown(name, kwargs, known)
        return impl(kind, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = impl.__module__
    fn.__doc__ = doc
    fn.__signature__ = public  # type: ignore[attr-defined]
    return fn
