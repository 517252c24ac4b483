"""Exact and sampled semivalues: Shapley, Banzhaf and general semivalues."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from prefrank import _core
from prefrank._options import U64_MAX, check_batch_rows, check_int, check_memory, check_real, check_seed
from prefrank.attribution.games import _labels, shift_game, slice_game
from prefrank.attribution.results import Attribution, Game
from prefrank.data.coding import as_floats
from prefrank.exceptions import ConvergenceWarning, input_error, parameter_error, too_large_error

__all__ = ["banzhaf", "semivalue", "shapley", "shift_attribution", "slice_attribution"]


#: Largest number of players for exact values from a table.
MAX_EXACT_PLAYERS = 30


#: ``method="auto"`` computes exact values up to this many players for callables and games.
AUTO_EXACT_PLAYERS = 20


#: Default budget of coalition evaluations for the samplers.
DEFAULT_MAX_EVALUATIONS = 100_000


# --------------------------------------------------------------------------------------------------
# Driving a game


@dataclass
class _Resolved:
    n: int
    players: tuple[Hashable, ...]
    table: np.ndarray | None = None
    func: Callable[[np.ndarray], np.ndarray] | None = None  # uint8 (m, n) -> float64 (m,)
    game: Game | None = None


def _wrap_callable(f: Callable[[Any], Any], n: int, coalitions: str) -> Callable[[np.ndarray], np.ndarray]:
    if coalitions not in ("bool", "bitmask"):
        raise parameter_error("coalitions", f"coalitions must be 'bool' or 'bitmask', got {coalitions!r}")
    if coalitions == "bitmask" and n > 62:
        raise parameter_error("coalitions", f"coalitions='bitmask' supports at most 62 players, got {n}")
    powers = (np.int64(1) << np.arange(n, dtype=np.int64)) if coalitions == "bitmask" else None

    def call(members: np.ndarray) -> np.ndarray:
        arg = members.view(bool) if powers is None else members.astype(np.int64) @ powers
        out = np.asarray(f(arg), dtype=np.float64).reshape(-1)
        if out.shape[0] != members.shape[0]:
            raise input_error(f"the game returned {out.shape[0]} values for {members.shape[0]} coalitions")
        bad = ~np.isfinite(out)
        if bad.any():
            r = int(np.argmax(bad))
            raise input_error(
                f"the game returned a non-finite value {out[r]} for coalition row {r}", value=float(out[r])
            )
        return np.ascontiguousarray(out)

    return call


def _check_options(
    n_players: Any = None,
    max_stderr: Any = None,
    max_evaluations: Any = None,
    seed: Any = 0,
    batch_size: Any = 1,
    max_memory: Any = None,
) -> None:
    """The numeric options of the attribution functions, checked before any work."""
    check_int("n_players", n_players, min=1, max=2**32 - 1, none=True)
    check_real("max_stderr", max_stderr, min=0.0, min_open=True, none=True)
    check_int("max_evaluations", max_evaluations, min=1, max=U64_MAX, none=True)
    check_seed(seed)
    check_int("batch_size", batch_size, min=1)
    check_int("max_memory", max_memory, min=0, max=U64_MAX, none=True)


def _check_request(game: Any, n_players: Any, method: str, sampled: str, max_memory: int | None) -> None:
    """Refuse a callable game of ``n_players`` whose work cannot fit, before its labels are built: the
    table of an exact computation, or for sampling the labels and one chunk of sampled coalitions."""
    if not callable(game) or isinstance(game, Game) or n_players is None:
        return
    n = int(n_players)
    if method == "exact" or (method == "auto" and n <= AUTO_EXACT_PLAYERS):
        _core.check_table_memory(n, max_memory)
        return
    # Labels (a tuple of ints: about 40 bytes each) and the sampler's first chunk of coalitions
    # (permutation: 4 antithetic pairs of n - 1 rows of n bytes; MSR: 256 rows).
    rows = 8 * (n - 1) if sampled == "permutation" else 256
    check_memory(f"sampling a game of {n} players", 40 * n + rows * (n + 8), "pass fewer players (or group them)")


def _resolve(game: Any, players: Sequence[Hashable] | None, n_players: int | None, coalitions: str) -> _Resolved:
    if isinstance(game, Game):
        labels = game.players if players is None else _labels(players, game.n_players, "game")
        return _Resolved(game.n_players, labels, game=game)
    if callable(game):
        if n_players is None and players is None:
            raise parameter_error("n_players", "a callable game needs n_players= or players=")
        n = int(n_players) if n_players is not None else len(tuple(players or ()))
        if n < 1:
            raise parameter_error("n_players", f"a game needs at least one player, got n_players={n}")
        labels = _labels(players, n, "game")
        return _Resolved(n, labels, func=_wrap_callable(game, n, coalitions))
    size_hint = getattr(game, "shape", None)
    if size_hint is not None and len(size_hint) == 1 and getattr(game, "dtype", None) != np.float64:
        # Converting to float64 copies the table: check that the copy fits first.
        m = int(size_hint[0])
        if m >= 2 and not m & (m - 1):
            _core.check_table_memory(m.bit_length() - 1, None)
    table = as_floats(game, "game")
    if table.ndim != 1:
        raise input_error(f"a table of coalition values must be 1-D, got shape {table.shape}")
    size = table.shape[0]
    if size < 2 or size & (size - 1):
        raise input_error(f"a table of coalition values has 2**n entries (n >= 1, bit k = player k); got length {size}")
    n = size.bit_length() - 1
    if n > MAX_EXACT_PLAYERS:
        raise too_large_error(
            f"a table of 2**{n} values: at most {MAX_EXACT_PLAYERS} players are supported",
            requested=n,
            limit=MAX_EXACT_PLAYERS,
            what="players",
        )
    return _Resolved(n, _labels(players, n, "table"), table=table)


def _progress(total: int, enabled: bool | None, desc: str) -> Any:
    """A tqdm bar (None when disabled, when stderr is not a TTY by default, or without tqdm)."""
    import sys

    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="coalition")


def _build_table(
    res: _Resolved, batch_size: int, max_memory: int | None, progress: bool | None = None
) -> tuple[np.ndarray, int]:
    if res.table is not None:
        return res.table, 0
    _core.check_table_memory(res.n, max_memory)
    if res.game is not None:
        return res.game.table(max_memory=max_memory), 1 << res.n
    assert res.func is not None
    if batch_size < 1:
        raise parameter_error("batch_size", f"batch_size must be positive, got {batch_size}")
    size = 1 << res.n
    table = np.empty(size, dtype=np.float64)
    shifts = np.arange(res.n, dtype=np.int64)
    bar = _progress(size, progress, "coalitions")
    try:
        for start in range(0, size, batch_size):
            stop = min(start + batch_size, size)
            idx = np.arange(start, stop, dtype=np.int64)
            members = ((idx[:, None] >> shifts) & 1).astype(np.uint8)
            table[start:stop] = res.func(members)
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()
    return table, size


def _game_extra(res: _Resolved) -> dict[str, Any]:
    if res.game is None:
        return {}
    extra = dict(res.game.extra)
    bad = int(res.game.core.n_unconverged)
    if bad:
        extra["n_unconverged_fits"] = bad
        warnings.warn(f"{bad} coalition fits stopped before meeting the tolerance", ConvergenceWarning, stacklevel=4)
    return extra


def _exact(
    res: _Resolved,
    kind: str,
    label: str,
    *,
    alpha: float = 1.0,
    beta: float = 1.0,
    weights: np.ndarray | None = None,
    batch_size: int,
    max_memory: int | None,
    progress: bool | None = None,
) -> Attribution:
    table, evals = _build_table(res, batch_size, max_memory, progress)
    vals, v0, vn, resid = _core.semivalues_table(table, kind, alpha, beta, weights)
    extra = _game_extra(res)
    return Attribution(
        players=res.players,
        raw=np.asarray(vals),
        raw_stderr=None,
        kind=label,
        method="exact",
        v_empty=float(v0),
        v_full=float(vn),
        efficiency_residual=float(resid),
        n_evaluations=evals,
        extra=extra,
    )


def _sampled(
    res: _Resolved,
    sampler: str,
    label: str,
    *,
    max_stderr: float | None,
    max_evaluations: int | None,
    seed: int,
    progress: bool | None = None,
) -> Attribution:
    if max_stderr is not None and not (max_stderr > 0 and math.isfinite(max_stderr)):
        raise parameter_error("max_stderr", f"max_stderr must be a positive number, got {max_stderr}")
    budget = DEFAULT_MAX_EVALUATIONS if max_evaluations is None else int(max_evaluations)
    if budget < 1:
        raise parameter_error("max_evaluations", f"max_evaluations must be positive, got {max_evaluations}")
    chunk = 4 if sampler == "permutation" else 256
    se = 0.0 if max_stderr is None else float(max_stderr)
    if res.table is not None:
        table = res.table
        powers = np.int64(1) << np.arange(res.n, dtype=np.int64)
        out = _core.sample_callable(
            lambda m: table[m.astype(np.int64) @ powers], res.n, sampler, se, budget, seed, chunk, 16
        )
    elif res.game is not None:
        out = res.game.core.sample(sampler, se, budget, seed, chunk, 16)
    else:
        func = res.func
        assert func is not None
        bar = _progress(budget, progress, "evaluations")

        def counted(m: np.ndarray) -> np.ndarray:
            out = func(m)
            if bar is not None:
                bar.update(m.shape[0])
            return out

        try:
            out = _core.sample_callable(counted, res.n, sampler, se, budget, seed, chunk, 16)
        finally:
            if bar is not None:
                bar.close()
    vals, stderr, n_samples, n_evals, converged, v0, vn, resid = out
    if max_stderr is not None and not converged:
        warnings.warn(
            f"sampling stopped at the budget of {budget} evaluations before every standard error "
            f"reached {max_stderr} (largest: {float(np.max(stderr)):.3g})",
            ConvergenceWarning,
            stacklevel=3,
        )
    extra = _game_extra(res)
    return Attribution(
        players=res.players,
        raw=np.asarray(vals),
        raw_stderr=np.asarray(stderr),
        kind=label,
        method="permutation sampling" if sampler == "permutation" else "MSR sampling",
        v_empty=float(v0),
        v_full=float(vn),
        efficiency_residual=float(resid),
        n_evaluations=int(n_evals),
        n_samples=int(n_samples),
        converged=bool(converged) if max_stderr is not None else True,
        extra=extra,
    )


def _choose(method: str, res: _Resolved, sampled: str) -> str:
    if method == "auto":
        if res.table is not None or res.n <= AUTO_EXACT_PLAYERS:
            return "exact"
        return sampled
    if method not in ("exact", sampled):
        raise parameter_error("method", f"method must be 'auto', 'exact' or {sampled!r}, got {method!r}")
    return method


def shapley(
    game: Any,
    *,
    players: Sequence[Hashable] | None = None,
    n_players: int | None = None,
    method: Literal["auto", "exact", "permutation"] = "auto",
    max_stderr: float | None = None,
    max_evaluations: int | None = None,
    seed: int = 0,
    coalitions: Literal["bool", "bitmask"] = "bool",
    batch_size: int = 65_536,
    max_memory: int | None = None,
    progress: bool | None = None,
) -> Attribution:
    """Shapley values of a game (a table, a batch callable or a built-in :class:`Game`).

    ``method="auto"`` (default) is exact for tables and for games of at most 20 players, and
    antithetic permutation sampling otherwise. Sampling stops when every standard error is at most
    ``max_stderr`` or after ``max_evaluations`` coalition evaluations (default 100,000); a
    :class:`~prefrank.exceptions.ConvergenceWarning` says when ``max_stderr`` was not reached.
    ``max_memory`` (bytes) caps the table of an exact computation; tables that would not fit in the
    available memory are refused before anything is evaluated. ``progress`` shows a tqdm bar while a
    Python callable is evaluated (default: when stderr is a TTY; built-in games run in Rust without one).
    """
    _check_options(n_players, max_stderr, max_evaluations, seed, batch_size, max_memory)
    _check_request(game, n_players, method, "permutation", max_memory)
    res = _resolve(game, players, n_players, coalitions)
    if _choose(method, res, "permutation") == "exact":
        return _exact(res, "shapley", "shapley", batch_size=batch_size, max_memory=max_memory, progress=progress)
    return _sampled(
        res,
        "permutation",
        "shapley",
        max_stderr=max_stderr,
        max_evaluations=max_evaluations,
        seed=seed,
        progress=progress,
    )


def banzhaf(
    game: Any,
    *,
    players: Sequence[Hashable] | None = None,
    n_players: int | None = None,
    method: Literal["auto", "exact", "msr"] = "auto",
    max_stderr: float | None = None,
    max_evaluations: int | None = None,
    seed: int = 0,
    coalitions: Literal["bool", "bitmask"] = "bool",
    batch_size: int = 65_536,
    max_memory: int | None = None,
    progress: bool | None = None,
) -> Attribution:
    """Banzhaf values (``p_s = 2**-(n-1)``); sampled by maximum sample reuse (MSR) for large games.

    Options as in :func:`shapley`. Banzhaf values are not efficient: the result's
    ``efficiency_residual`` says by how much their sum misses ``v(N) - v(empty)``.
    """
    _check_options(n_players, max_stderr, max_evaluations, seed, batch_size, max_memory)
    _check_request(game, n_players, method, "msr", max_memory)
    res = _resolve(game, players, n_players, coalitions)
    if _choose(method, res, "msr") == "exact":
        return _exact(res, "banzhaf", "banzhaf", batch_size=batch_size, max_memory=max_memory, progress=progress)
    return _sampled(
        res,
        "msr",
        "banzhaf",
        max_stderr=max_stderr,
        max_evaluations=max_evaluations,
        seed=seed,
        progress=progress,
    )


def semivalue(
    game: Any,
    *,
    alpha: float = 1.0,
    beta: float = 1.0,
    weights: Any = None,
    players: Sequence[Hashable] | None = None,
    n_players: int | None = None,
    coalitions: Literal["bool", "bitmask"] = "bool",
    batch_size: int = 65_536,
    max_memory: int | None = None,
) -> Attribution:
    """Exact semivalue ``phi_i = sum_{S not containing i} p_|S| (v(S + i) - v(S))``.

    By default the Beta-Shapley(alpha, beta) weights of Kwon and Zou (2022),
    ``p_s = B(s + beta, n - 1 - s + alpha) / B(alpha, beta)``: ``alpha = beta = 1`` is Shapley,
    ``alpha=16, beta=1`` favours small coalitions. ``weights`` (length ``n``: ``p_0 .. p_{n-1}``)
    overrides them with any semivalue weights.
    """
    _check_options(n_players=n_players, batch_size=batch_size, max_memory=max_memory)
    if weights is None:
        for name, val in (("alpha", alpha), ("beta", beta)):
            check_real(name, val, min=0.0, min_open=True)
    _check_request(game, n_players, "exact", "", max_memory)
    res = _resolve(game, players, n_players, coalitions)
    if weights is not None:
        w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64).reshape(-1))
        if w.shape[0] != res.n:
            raise parameter_error("weights", f"weights has {w.shape[0]} entries but the game has {res.n} players")
        return _exact(res, "weights", "semivalue", weights=w, batch_size=batch_size, max_memory=max_memory)
    return _exact(
        res,
        "beta",
        f"beta-shapley({alpha:g}, {beta:g})",
        alpha=alpha,
        beta=beta,
        batch_size=batch_size,
        max_memory=max_memory,
    )


def shift_attribution(
    metric: Any,
    ratios: Any,
    *,
    mechanisms: Sequence[Hashable] | None = None,
    weight: Any = None,
    normalize: bool = True,
    method: Literal["auto", "exact", "permutation"] = "auto",
    max_stderr: float | None = None,
    max_evaluations: int | None = None,
    seed: int = 0,
    max_memory: int | None = None,
) -> Attribution:
    """Attribute the change of a metric between a source and a target distribution to shift mechanisms.

    Shapley values of :func:`shift_game` (see there for ``metric``, ``ratios``, ``weight`` and the
    two estimators). ``v_empty`` of the result is the source metric, ``v_full`` the estimated target
    metric; the values add up to their difference.
    """
    _check_options(None, max_stderr, max_evaluations, seed, 1, max_memory)
    g = shift_game(metric, ratios, mechanisms=mechanisms, weight=weight, normalize=normalize)
    return shapley(
        g,
        method=method,
        max_stderr=max_stderr,
        max_evaluations=max_evaluations,
        seed=seed,
        max_memory=max_memory,
    )


def slice_attribution(
    data: Any = None,
    *,
    slice: Any,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    position: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    target: Literal["score", "rank", "gap", "kendall_tau"] = "score",
    item: Hashable | None = None,
    other: Hashable | None = None,
    reference: Any = None,
    ties: Literal["half", "drop", "davidson", "rao_kupper"] = "half",
    alpha: float = 0.01,
    kind: Literal["shapley", "banzhaf"] = "shapley",
    method: Literal["auto", "exact", "permutation", "msr"] = "auto",
    max_stderr: float | None = None,
    max_evaluations: int | None = None,
    seed: int = 0,
    max_memory: int | None = None,
    batch_rows: int | None = None,
) -> Attribution:
    """Which slices of the comparisons (prompt categories, judges, annotators) drive a leaderboard?

    Shapley (or Banzhaf) values of :func:`slice_game` (see there for ``slice``, ``target``,
    ``item``, ``other``, ``reference``, ``ties``, ``alpha``). Exact (Gray-code walk, warm-started
    refits) up to 20 slices by default, sampled beyond (``method`` as in :func:`shapley`).
    ``data`` may be a directory or glob of files (or a file with ``batch_rows=``): it is read in
    batches and reduced to per-slice pair counts (memory bound in :func:`slice_game`).
    """
    _check_options(None, max_stderr, max_evaluations, seed, 1, max_memory)
    check_real("alpha", alpha, min=0.0)
    check_batch_rows(batch_rows)
    g = slice_game(
        data,
        slice=slice,
        a=a,
        b=b,
        outcome=outcome,
        weight=weight,
        position=position,
        outcomes=outcomes,
        drop_self=drop_self,
        target=target,
        item=item,
        other=other,
        reference=reference,
        ties=ties,
        alpha=alpha,
        batch_rows=batch_rows,
    )
    if kind == "shapley":
        return shapley(
            g,
            method=method,  # type: ignore[arg-type]
            max_stderr=max_stderr,
            max_evaluations=max_evaluations,
            seed=seed,
            max_memory=max_memory,
        )
    if kind == "banzhaf":
        return banzhaf(
            g,
            method=method,  # type: ignore[arg-type]
            max_stderr=max_stderr,
            max_evaluations=max_evaluations,
            seed=seed,
            max_memory=max_memory,
        )
    raise parameter_error("kind", f"kind must be 'shapley' or 'banzhaf', got {kind!r}")
