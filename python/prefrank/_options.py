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
import math
import numbers
import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar, cast

import numpy as np

from prefrank import _core
from prefrank.exceptions import parameter_error, too_large_error

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


# --------------------------------------------------------------------------------------------------
# Numeric parameters: one set of validators for every public function. Each raises a ParameterError
# naming the parameter (``.param``) and returns the value as a plain int or float. "An int" means an
# integer (Python or numpy), never a bool, a float or a string.

#: Largest value of an unsigned 64-bit parameter (a seed).
U64_MAX = 2**64 - 1
#: Largest count (rounds, iterations, sizes) the core takes.
COUNT_MAX = 2**63 - 1


def is_int(value: Any) -> bool:
    """An integer (Python or numpy) that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int_text(lo: int | None, hi: int | None) -> str:
    """``a non-negative integer <= 2**63 - 1`` and the like."""
    base = (
        {0: "a non-negative integer", 1: "a positive integer"}.get(lo, f"an integer >= {lo}")
        if lo is not None
        else "an integer"
    )
    if hi is None:
        return base
    return f"{base} <= {_BOUNDS.get(hi, str(hi))}"


_BOUNDS = {COUNT_MAX: "2**63 - 1", U64_MAX: "2**64 - 1"}


def check_int(name: str, value: Any, *, min: int | None = 0, max: int | None = COUNT_MAX, none: bool = False) -> Any:
    """``value`` as an int in ``[min, max]`` (``None`` passes through when ``none``).

    >>> check_int("max_iter", 5, min=1)
    5
    >>> try:
    ...     check_int("max_iter", -1, min=1)
    ... except ValueError as e:
    ...     print(e.param, "|", e)
    max_iter | max_iter must be a positive integer <= 2**63 - 1, got -1
    """
    if value is None and none:
        return None
    if not is_int(value) or not ((min is None or value >= min) and (max is None or value <= max)):
        kind = "" if is_int(value) else f" ({type(value).__name__})"
        raise parameter_error(name, f"{name} must be {_int_text(min, max)}, got {value!r}{kind}")
    return int(value)


def check_bool(name: str, value: Any) -> bool:
    """``value`` as a bool: ``True``/``False`` (or numpy's), never a string or a number.

    >>> check_bool("normalize", False)
    False
    >>> try:
    ...     check_bool("normalize", "yes")
    ... except ValueError as e:
    ...     print(e.param, "|", e)
    normalize | normalize must be True or False, got 'yes' (str)
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise parameter_error(name, f"{name} must be True or False, got {value!r} ({type(value).__name__})")


def check_real(
    name: str,
    value: Any,
    *,
    min: float | None = None,
    max: float | None = None,
    min_open: bool = False,
    max_open: bool = False,
    none: bool = False,
) -> Any:
    """``value`` as a finite float in the range (``min_open``/``max_open``: that end excluded;
    ``None`` passes through when ``none``)."""
    if value is None and none:
        return None
    try:
        v = float(value) if is_number(value) else math.nan
    except OverflowError:  # an int beyond the float range
        v = math.inf
    low = min is not None and (v <= min if min_open else v < min)
    high = max is not None and (v >= max if max_open else v > max)
    if not math.isfinite(v) or low or high:
        lo = "" if min is None else f"{'>' if min_open else '>='} {min:g}"
        hi = "" if max is None else f"{'<' if max_open else '<='} {max:g}"
        bounds = " and ".join(b for b in (lo, hi) if b)
        raise parameter_error(name, f"{name} must be a finite number{' ' + bounds if bounds else ''}, got {value!r}")
    return v


def check_finite(name: str, value: Any, *, none: bool = False) -> Any:
    """``value`` as a finite float (an offset, a score)."""
    return check_real(name, value, none=none)


def check_tol(value: Any, name: str = "tol") -> float:
    """A convergence tolerance: a finite number > 0."""
    return float(check_real(name, value, min=0.0, min_open=True))


def check_seed(value: Any, name: str = "seed") -> int:
    """A seed: an int in ``[0, 2**64 - 1]``."""
    return int(check_int(name, value, min=0, max=U64_MAX))


def check_rounds(name: str, value: Any) -> int:
    """A number of rounds (``bootstrap``, ``shuffles``): an int >= 0 (0 = none). Its memory is
    checked against the limit with :func:`check_memory` once the size of a round is known."""
    return int(check_int(name, value, min=0))


def check_max_iter(value: Any, name: str = "max_iter") -> int:
    """An iteration cap: an int >= 1."""
    return int(check_int(name, value, min=1))


def _check_batch_rows(batch_rows: Any) -> int:
    return int(check_int("batch_rows", batch_rows, min=1))


def check_batch_rows(batch_rows: Any) -> int | None:
    """The streaming batch size: None (the default) or an int >= 1."""
    return None if batch_rows is None else _check_batch_rows(batch_rows)


def check_anchor(anchor: Any) -> Any:
    """``anchor``: None or a pair ``(label, score)`` with a finite score."""
    if anchor is None:
        return None
    if not (isinstance(anchor, (tuple, list)) and len(anchor) == 2):
        raise parameter_error("anchor", f"anchor must be a pair (label, score), got {anchor!r}")
    check_finite("anchor", anchor[1])
    return anchor


def check_bootstrap(bootstrap: Any, seed: Any) -> int:
    """The bootstrap rule's checks: ``bootstrap`` an int >= 0 (0 = no intervals), ``seed`` an int >= 0."""
    check_seed(seed)
    return check_rounds("bootstrap", bootstrap)


def get_memory_limit() -> int:
    """The memory limit in force now, in bytes: what :func:`set_memory_limit` set, else the
    ``PREFRANK_MEMORY_LIMIT`` environment variable (bytes, or with a suffix ``K``/``M``/``G``/``T``),
    else 90% of the memory available now (bounded by a container's cgroup limit).

    Every allocation whose size depends on the input (a dense matrix, a table of coalition values,
    the bootstrap replicates) is checked against it first, and refused with a
    :class:`~prefrank.TooLargeError` that names the size, the limit and what to use instead.

    Returns:
        int: the limit in bytes.

    Raises:
        ParameterError: ``PREFRANK_MEMORY_LIMIT`` is set but is not a size.

    Example:
        >>> import prefrank as pr
        >>> pr.get_memory_limit() > 0
        True
    """
    return int(_core.get_memory_limit())


def set_memory_limit(limit: int | None) -> None:
    """Set the memory limit (bytes) for this process; ``None`` restores the default (see
    :func:`get_memory_limit`). A per-call ``max_memory=`` (attribution) can only lower it.

    Parameters:
        limit: an int >= 0, or None.

    Raises:
        ParameterError: ``limit`` is not None or an int >= 0.

    Example:
        >>> import prefrank as pr
        >>> pr.set_memory_limit(8 << 30)
        >>> pr.get_memory_limit()
        8589934592
        >>> pr.set_memory_limit(None)
    """
    _core.set_memory_limit(check_int("limit", limit, min=0, max=U64_MAX - 1, none=True))


def check_memory(what: str, nbytes: int, hint: str) -> None:
    """Refuse, before it is made, an allocation of ``nbytes`` for ``what`` beyond the memory limit,
    with a TooLargeError whose message says ``hint`` (what to do instead)."""
    limit = get_memory_limit()
    if nbytes > limit:
        raise too_large_error(
            f"{what} needs {nbytes} bytes, more than the memory limit of {limit}; {hint} "
            "(or raise the limit with prefrank.set_memory_limit() or PREFRANK_MEMORY_LIMIT)",
            requested=int(nbytes),
            limit=limit,
            what=what,
        )


#: Most elementary steps (row updates, resampled cells) one call may be asked for: at about 10^9
#: steps a second, some weeks of work. A request beyond it is a TooLargeError, not an attempt.
MAX_WORK = 10**15


def check_work(what: str, steps: int, hint: str) -> None:
    """Refuse up front a request of ``steps`` elementary steps beyond :data:`MAX_WORK`."""
    if steps > MAX_WORK:
        raise too_large_error(
            f"{what}: the request needs about {steps:.3g} steps, more than the {MAX_WORK:.0e} one call may "
            f"take; {hint}",
            requested=int(steps),
            limit=MAX_WORK,
            what="steps",
        )


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
