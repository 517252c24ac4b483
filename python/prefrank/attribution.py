"""Shapley attribution: exact and sampled semivalues, and built-in games.

A *game* gives a value ``v(S)`` to every coalition ``S`` of ``n`` players. prefrank accepts

* a **table** of the ``2**n`` coalition values (any 1-D array-like). **Bit order:** bit ``k`` of the
  index is player ``k``, so ``table[0]`` is the empty coalition, ``table[0b101]`` the coalition of
  players 0 and 2 and ``table[2**n - 1]`` the grand coalition;
* a **callable** evaluated on batches of coalitions: ``f(coalitions) -> values`` where ``coalitions``
  is an ``(m, n)`` boolean array (row = coalition, column ``k`` = player ``k``), or, with
  ``coalitions="bitmask"``, an ``int64`` array of ``m`` bitmasks in the bit order above. The exact
  route evaluates every coalition exactly once, in increasing bitmask order, ``batch_size`` at a time;
* a built-in :class:`Game` (:func:`shift_game`, :func:`majority_game`), evaluated entirely in Rust.

:func:`shapley`, :func:`banzhaf` and :func:`semivalue` return an :class:`Attribution` keyed by the
player labels. Every result reports the **efficiency residual**
``sum(values) - (v(N) - v(empty set))`` (zero for Shapley up to rounding; non-zero in general for
Banzhaf and Beta-Shapley).

Exact values use the ``O(2**n)`` halving fold of prefrank-core (n <= 30; the memory for the table is
checked before anything is allocated). Sampled values: Shapley by antithetic permutations, Banzhaf by
maximum sample reuse (MSR), with standard errors, stopping at ``max_stderr`` or ``max_evaluations``;
results depend only on ``seed``, never on the number of threads.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from prefrank import _core
from prefrank.data import _source, _to_numpy, code_labels
from prefrank.exceptions import ConvergenceWarning, PrefrankError

__all__ = [
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

#: Largest number of players for exact values from a table.
MAX_EXACT_PLAYERS = 30
#: ``method="auto"`` computes exact values up to this many players for callables and games.
AUTO_EXACT_PLAYERS = 20
#: Default budget of coalition evaluations for the samplers.
DEFAULT_MAX_EVALUATIONS = 100_000

_NO_REFERENCE = 2**32 - 1


@dataclass(frozen=True, repr=False)
class Attribution:
    """Values of the players of a game (exact or sampled).

    ``values`` and ``stderr`` are pandas Series keyed by the player labels; ``raw`` and ``raw_stderr``
    are the same numbers as numpy arrays in player order. ``v_empty`` and ``v_full`` are the values of
    the empty and the grand coalition; ``efficiency_residual`` is ``sum(values) - (v_full - v_empty)``.
    """

    players: tuple[Hashable, ...]
    raw: np.ndarray
    raw_stderr: np.ndarray | None
    kind: str
    method: str
    v_empty: float
    v_full: float
    efficiency_residual: float
    n_evaluations: int
    n_samples: int | None = None
    converged: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> Any:
        """pandas Series of the values, keyed by player."""
        import pandas as pd

        return pd.Series(self.raw, index=pd.Index(list(self.players), name="player"), name=self.kind)

    @property
    def stderr(self) -> Any:
        """pandas Series of the standard errors (``None`` for exact values)."""
        if self.raw_stderr is None:
            return None
        import pandas as pd

        return pd.Series(self.raw_stderr, index=pd.Index(list(self.players), name="player"), name="stderr")

    def __getitem__(self, player: Hashable) -> float:
        try:
            return float(self.raw[self.players.index(player)])
        except ValueError:
            raise KeyError(player) from None

    def to_pandas(self) -> Any:
        """DataFrame with one row per player: ``value`` (and ``stderr``), sorted by value, descending."""
        import pandas as pd

        cols: dict[str, Any] = {"value": self.raw}
        if self.raw_stderr is not None:
            cols["stderr"] = self.raw_stderr
        df = pd.DataFrame(cols, index=pd.Index(list(self.players), name="player"))
        return df.sort_values("value", ascending=False, kind="stable")

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-friendly when the labels are)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "method": self.method,
            "players": list(self.players),
            "values": [float(x) for x in self.raw],
            "stderr": None if self.raw_stderr is None else [float(x) for x in self.raw_stderr],
            "v_empty": self.v_empty,
            "v_full": self.v_full,
            "efficiency_residual": self.efficiency_residual,
            "n_evaluations": self.n_evaluations,
            "n_samples": self.n_samples,
            "converged": self.converged,
        }
        out.update({k: v for k, v in self.extra.items() if isinstance(v, (int, float, str, bool))})
        return out

    def __repr__(self) -> str:
        order = np.argsort(-self.raw, kind="stable")
        lines = [
            f"Attribution({self.kind}, {self.method}, {len(self.players)} players, "
            f"v(empty)={self.v_empty:.6g}, v(N)={self.v_full:.6g}, "
            f"efficiency residual={self.efficiency_residual:.3g}, evaluations={self.n_evaluations})"
        ]
        for i in order[:20]:
            se = "" if self.raw_stderr is None else f"  +/- {self.raw_stderr[i]:.3g}"
            lines.append(f"  {self.players[i]!s:>24}  {self.raw[i]: .6g}{se}")
        if len(order) > 20:
            lines.append(f"  ... {len(order) - 20} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Games


@dataclass(frozen=True, repr=False)
class Game:
    """A game built into prefrank's Rust core (no Python call per coalition).

    Build one with :func:`shift_game` or :func:`majority_game`; pass it to :func:`shapley`,
    :func:`banzhaf` or :func:`semivalue`. Calling it on an ``(m, n)`` boolean array returns the ``m``
    coalition values; :meth:`table` returns all ``2**n`` values (bit ``k`` = player ``k``).
    """

    core: Any
    players: tuple[Hashable, ...]
    name: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_players(self) -> int:
        return len(self.players)

    def __call__(self, coalitions: Any) -> np.ndarray:
        members = np.ascontiguousarray(np.asarray(coalitions, dtype=bool), dtype=np.uint8)
        if members.ndim != 2:
            raise PrefrankError(f"coalitions must be a 2-D (m, n) boolean array, got shape {members.shape}")
        return np.asarray(self.core.values(members))

    def table(self, *, max_memory: int | None = None) -> np.ndarray:
        """All ``2**n`` coalition values (refused beforehand if the table would not fit)."""
        return np.asarray(self.core.table(max_memory))

    def __repr__(self) -> str:
        return f"Game({self.name}, {self.n_players} players)"


def _labels(players: Sequence[Hashable] | None, n: int, what: str) -> tuple[Hashable, ...]:
    if players is None:
        return tuple(range(n))
    labels = tuple(players)
    if len(labels) != n:
        raise PrefrankError(f"players has {len(labels)} labels but the {what} has {n} players")
    if len(set(labels)) != len(labels):
        raise PrefrankError("players labels must be distinct")
    return labels


def shift_game(
    metric: Any,
    ratios: Any,
    *,
    mechanisms: Sequence[Hashable] | None = None,
    weight: Any = None,
    normalize: bool = True,
) -> Game:
    """Distribution-shift game (Zhang et al., ICML 2023).

    ``metric[j]`` is the per-sample metric on the *source* data (e.g. 1 if model A won comparison
    ``j``); ``ratios`` gives, per sample and per shift mechanism ``k``, the density ratio
    ``r_k(x_j) = p_target(.) / p_source(.)`` of that mechanism's factor (an ``(n_samples, K)`` array, a
    DataFrame whose columns are the mechanisms, or a dict ``{mechanism: column}``). ``v(S)`` is the
    metric under the source reweighted by ``prod_{k in S} r_k``:

    * ``normalize=True`` (default, self-normalised): ``sum_j w_j m_j R_j(S) / sum_j w_j R_j(S)``;
    * ``normalize=False`` (unnormalised importance weighting): ``sum_j w_j m_j R_j(S) / sum_j w_j``.

    ``v(empty)`` is the source metric and ``v(all)`` the estimated target metric, so the players'
    Shapley values split the change ``v(all) - v(empty)`` between the mechanisms.
    """
    m = np.ascontiguousarray(_to_numpy(metric), dtype=np.float64)
    if isinstance(ratios, Mapping):
        names = list(ratios.keys())
        r = np.column_stack([np.asarray(_to_numpy(ratios[k]), dtype=np.float64) for k in names])
    elif type(ratios).__module__.startswith("pandas") and hasattr(ratios, "columns"):
        names = list(ratios.columns)
        r = ratios.to_numpy(dtype=np.float64)
    else:
        r = np.asarray(ratios, dtype=np.float64)
        if r.ndim == 1:
            r = r[:, None]
        names = None
    if r.ndim != 2:
        raise PrefrankError(f"ratios must be 2-D (n_samples, n_mechanisms), got shape {r.shape}")
    if r.shape[0] != m.shape[0]:
        raise PrefrankError(f"ratios has {r.shape[0]} rows but metric has {m.shape[0]}")
    labels = _labels(mechanisms if mechanisms is not None else names, r.shape[1], "ratios")
    w = None if weight is None else np.ascontiguousarray(_to_numpy(weight), dtype=np.float64)
    core = _core.Game.shift(m, np.ascontiguousarray(r), w, normalize)
    est = "self-normalised" if normalize else "unnormalised"
    return Game(core, labels, f"distribution shift, {est}", {"normalize": normalize})


def majority_game(
    data: Any = None,
    *,
    unit: Any = "unit",
    rater: Any = "rater",
    label: Any = "label",
    reference: Any,
    batch_rows: int | None = None,
) -> Game:
    """Majority-label agreement game: players are annotators or judges.

    ``data`` holds one rating per row (long form: columns ``unit``, ``rater``, ``label``; or pass the
    columns themselves). ``reference`` maps a unit to its reference label (a dict or a pandas Series
    indexed by unit); units without a reference are left out and reference entries for unrated
    units are ignored. ``v(S)`` is the mean over the reference units of the agreement of the
    majority label among ``S``'s ratings of the unit with its reference label: 1 when the majority is
    the reference, ``1/t`` when ``t`` labels tie for the majority and the reference is one of them,
    0 otherwise and 0 when no member of ``S`` rated the unit. ``v(empty) = 0``.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches of
    ``batch_rows`` rows (default 1,000,000); ``unit``, ``rater`` and ``label`` must then name
    columns. Each batch is reduced to its coded ratings (unit, rater and label codes, labels united
    on merge): memory is one batch plus 12 bytes per rating (a merge holds at most twice that),
    then the game's 8 bytes per rating of a unit with a reference. The game equals the one built
    from the concatenated table; an error names the file and the row within it.
    """
    from prefrank.stream import wants_stream

    roles = {"unit": unit, "rater": rater, "label": label}
    if wants_stream(data, batch_rows):
        codes, tables = _streamed_ratings(data, batch_rows, roles)
    else:
        src = _source(data)
        cols = [_to_numpy(src.get(c, role)) for role, c in roles.items()]
        if not (len(cols[0]) == len(cols[1]) == len(cols[2])):
            raise PrefrankError("unit, rater and label columns must have the same length")
        if len(cols[0]) == 0:
            raise PrefrankError("empty input: no ratings")
        cols[2] = cols[2] if cols[2].dtype == object else np.asarray(cols[2], dtype=object)
        codes, tables = {}, {}
        for role, col in zip(roles, cols):
            (codes[role],), tables[role] = code_labels(col, names=[role])
    if hasattr(reference, "to_dict") and callable(reference.to_dict):
        reference = reference.to_dict()
    if not isinstance(reference, Mapping):
        raise PrefrankError("reference must map each unit to its reference label (a dict or a Series)")
    units, raters = tables["unit"], tables["rater"]
    unit_list = list(units)
    ref_vals = [reference.get(u) for u in unit_list]
    has = np.array([v is not None for v in ref_vals], dtype=bool)
    if not has.any():
        raise PrefrankError("no rated unit has a reference label (check the keys of reference)")
    ref_col = np.empty(int(has.sum()), dtype=object)
    ref_col[:] = [v for v in ref_vals if v is not None]
    # The rating labels and the reference labels share one table (codes in sorted label order).
    seen = tables["label"] if tables["label"].dtype == object else np.asarray(tables["label"], dtype=object)
    (seen_codes, ref_codes), labels = code_labels(seen, ref_col, names=["label", "reference"])
    label_codes = seen_codes[codes["label"]]
    ref = np.full(len(unit_list), _NO_REFERENCE, dtype=np.uint32)
    ref[has] = ref_codes
    core = _core.Game.majority(codes["unit"], codes["rater"], label_codes, ref, len(raters), max(len(labels), 1))
    return Game(
        core,
        tuple(raters.tolist()),
        "majority-label agreement",
        {"n_units": int(has.sum()), "labels": tuple(labels.tolist())},
    )


def _streamed_ratings(
    source: Any, batch_rows: int | None, roles: Mapping[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The coded ratings of a file, directory or glob read in batches: per role (unit, rater,
    label) the uint32 codes of every row, in row order, and the sorted label table."""
    from prefrank.stream import _check_batch_rows, _LongRows, _needed, accumulate

    if batch_rows is not None:
        _check_batch_rows(batch_rows)
    for role, col in roles.items():
        if not isinstance(col, str):
            raise PrefrankError(f"{role}= must name a column when the data is a file, directory or glob")

    def build(table: Any) -> _LongRows:
        codes, tables = {}, {}
        for role, col in roles.items():
            (codes[role],), tables[role] = code_labels(_to_numpy(table.column(col)), names=[role])
        return _LongRows(codes, tables, {})

    state: _LongRows = accumulate(source, build, columns=_needed(*roles.values()), batch_rows=batch_rows)
    return state.codes, state.labels


_TARGETS = ("score", "rank", "gap", "kendall_tau")


def slice_game(
    data: Any = None,
    *,
    slice: Any,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    outcomes: Any = None,
    drop_self: bool = False,
    target: Literal["score", "rank", "gap", "kendall_tau"] = "score",
    item: Hashable | None = None,
    other: Hashable | None = None,
    reference: Any = None,
    ties: Literal["half", "drop", "davidson", "rao_kupper"] = "half",
    alpha: float = 0.01,
    max_iter: int = 10_000,
    tol: float = 1e-8,
    batch_rows: int | None = None,
) -> Game:
    """Leaderboard-slices game: players are slices of the comparisons; ``v(S)`` comes from a
    Bradley-Terry fit (prefrank-core ``rank::bt``) on the comparisons of the slices in ``S``.

    ``slice`` names the column (or passes the array) that assigns each comparison to a slice: prompt
    category, judge, annotator. With a :class:`~prefrank.data.Comparisons` table, ``slice`` may be
    ``"group"`` or ``"judge"`` (its coded columns) or an array with one entry per comparison.
    ``target``:

    * ``"score"``: the centred log-strength of ``item``;
    * ``"rank"``: the rank of ``item`` (1 = best; scores within 1e-8 tie);
    * ``"gap"``: ``theta[item] - theta[other]``;
    * ``"kendall_tau"``: Kendall tau-b between the fitted scores and ``reference`` (a mapping or Series
      from item to reference score; items it lacks are an error), the agreement of the coalition's
      ranking with a reference ranking (players are then judges or annotators).

    ``ties``, ``alpha`` (Gaussian prior precision), ``max_iter``, ``tol`` are those of
    :func:`prefrank.bradley_terry` (``tol`` defaults to 1e-8 here: scores to about 1e-8, plenty for
    attribution). The default ``alpha=0.01`` (a weak prior) lets coalitions that
    miss some items, or whose comparison graph is not strongly connected, still fit; with
    ``alpha=0`` such a coalition is an error naming its slices. The empty coalition's value is the
    value at all-equal scores (score 0, gap 0, rank ``(n + 1) / 2``, tau 0).

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches of
    ``batch_rows`` rows (default 1,000,000); ``slice`` and the other columns must then name
    columns. The game needs only per-slice pair counts, so each batch is reduced to its (slice,
    pair) cells, the weights of either side winning and of ties, which are merged (see
    :func:`prefrank.stream.pair_cells`): memory is one batch plus 44 bytes per (slice, pair) cell,
    then the cell table (29 bytes per cell row, at most three per cell), however many rows repeat a
    cell; the game itself holds 24 bytes per slice and observed pair, streamed or not. With
    ``weight=`` the item column is read once more to count the rows (``n_comparisons``). The game
    equals the one built from the concatenated table (exactly with whole-number weights;
    fractional ones summed in another order may differ in the last bits).
    """
    from prefrank.data import Comparisons, as_comparisons
    from prefrank.stream import wants_stream

    if target not in _TARGETS:
        raise PrefrankError(f"target must be one of {', '.join(_TARGETS)}; got {target!r}")
    if not (math.isfinite(alpha) and alpha >= 0):
        raise PrefrankError(f"alpha must be a finite number >= 0, got {alpha!r}")
    if isinstance(data, Comparisons):
        comps = as_comparisons(data, a=a, b=b, outcome=outcome, weight=weight)
        if isinstance(slice, str) and slice in ("group", "judge"):
            codes, labels = (comps.group, comps.groups) if slice == "group" else (comps.judge, comps.judges)
            if codes is None or labels is None:
                raise PrefrankError(f"the Comparisons table has no {slice} column")
        else:
            (codes,), labels = code_labels(_to_numpy(slice), names=["slice"])
        n_rows = len(comps)
    else:
        cols = dict(a=a, b=b, outcome=outcome, weight=weight, outcomes=outcomes, drop_self=drop_self)
        if wants_stream(data, batch_rows):
            comps, n_rows = _streamed_slice_cells(data, batch_rows, slice=slice, **cols)
        else:
            comps = as_comparisons(data, group=slice, **cols)
            n_rows = len(comps)
        codes, labels = comps.group, comps.groups
    assert codes is not None and labels is not None
    if len(codes) != len(comps):
        raise PrefrankError(f"slice has {len(codes)} entries but there are {len(comps)} comparisons")
    items = list(comps.items)
    pos = {lab: k for k, lab in enumerate(items)}

    def code_of(name: str, lab: Hashable | None) -> int:
        if lab is None:
            raise PrefrankError(f"target={target!r} needs {name}=")
        if lab not in pos:
            raise PrefrankError(f"{name}={lab!r} is not an item of the comparisons")
        return pos[lab]

    it = oth = 0
    ref_arr = None
    if target in ("score", "rank", "gap"):
        it = code_of("item", item)
    if target == "gap":
        oth = code_of("other", other)
    if target == "kendall_tau":
        if reference is None:
            raise PrefrankError("target='kendall_tau' needs reference= (item -> reference score)")
        if hasattr(reference, "to_dict") and callable(reference.to_dict):
            reference = reference.to_dict()
        missing = [lab for lab in items if lab not in reference]
        if missing:
            raise PrefrankError(f"reference has no score for item {missing[0]!r}")
        ref_arr = np.array([float(reference[lab]) for lab in items], dtype=np.float64)
    core = _core.Game.slices(
        len(items),
        comps.a,
        comps.b,
        comps.p,
        comps.tie,
        comps.weight,
        np.ascontiguousarray(codes, dtype=np.uint32),
        len(labels),
        target,
        it,
        oth,
        ref_arr,
        ties,
        float(alpha),
        int(max_iter),
        float(tol),
    )
    desc = {"score": f"score of {item!r}", "rank": f"rank of {item!r}", "gap": f"gap {item!r} - {other!r}"}
    return Game(
        core,
        tuple(labels.tolist()),
        f"leaderboard slices, {desc.get(target, 'Kendall tau with the reference')}",
        {"target": target, "n_comparisons": n_rows},
    )


def _streamed_slice_cells(
    source: Any, batch_rows: int | None, *, slice: Any, weight: Any, drop_self: bool, **columns: Any
) -> tuple[Any, int]:
    """The (slice, pair) cells of a file, directory or glob read in batches, as a weighted
    :class:`~prefrank.data.Comparisons` whose group is the slice, and the number of rows."""
    from prefrank.stream import _check_batch_rows, _needed, _rows, pair_cells, scan

    if batch_rows is not None:
        _check_batch_rows(batch_rows)
    if not isinstance(slice, str):
        raise PrefrankError("slice= must name a column when the data is a file, directory or glob")
    cells = pair_cells(
        source, key="group", batch_rows=batch_rows, group=slice, weight=weight, drop_self=drop_self, **columns
    )
    if weight is None:
        # Every row weighs 1, so the cells' weights add up to the number of rows (exactly).
        return cells, round(float(cells.weight.sum()))
    # Weighted rows: count them on a second read of the item columns (a self-comparison, dropped
    # with drop_self=True, is not counted).
    a, b = columns.get("a"), columns.get("b")
    n_rows = 0
    names = _needed(a, b)
    for _, _, table in scan(source, batch_rows=_rows(batch_rows), columns=names, string_columns=names):
        n_rows += table.num_rows
        if drop_self:
            import pyarrow.compute as pc

            n_rows -= int(pc.sum(pc.equal(table.column(a), table.column(b))).as_py() or 0)
    return cells, n_rows


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
        raise PrefrankError(f"coalitions must be 'bool' or 'bitmask', got {coalitions!r}")
    if coalitions == "bitmask" and n > 62:
        raise PrefrankError(f"coalitions='bitmask' supports at most 62 players, got {n}")
    powers = (np.int64(1) << np.arange(n, dtype=np.int64)) if coalitions == "bitmask" else None

    def call(members: np.ndarray) -> np.ndarray:
        arg = members.view(bool) if powers is None else members.astype(np.int64) @ powers
        out = np.asarray(f(arg), dtype=np.float64).reshape(-1)
        if out.shape[0] != members.shape[0]:
            raise PrefrankError(f"the game returned {out.shape[0]} values for {members.shape[0]} coalitions")
        bad = ~np.isfinite(out)
        if bad.any():
            r = int(np.argmax(bad))
            raise PrefrankError(f"the game returned a non-finite value {out[r]} for coalition row {r}")
        return np.ascontiguousarray(out)

    return call


def _resolve(game: Any, players: Sequence[Hashable] | None, n_players: int | None, coalitions: str) -> _Resolved:
    if isinstance(game, Game):
        labels = game.players if players is None else _labels(players, game.n_players, "game")
        return _Resolved(game.n_players, labels, game=game)
    if callable(game):
        if n_players is None and players is None:
            raise PrefrankError("a callable game needs n_players= or players=")
        n = int(n_players) if n_players is not None else len(tuple(players or ()))
        if n < 1:
            raise PrefrankError(f"a game needs at least one player, got n_players={n}")
        labels = _labels(players, n, "game")
        return _Resolved(n, labels, func=_wrap_callable(game, n, coalitions))
    size_hint = getattr(game, "shape", None)
    if size_hint is not None and len(size_hint) == 1 and getattr(game, "dtype", None) != np.float64:
        # Converting to float64 copies the table: check that the copy fits first.
        m = int(size_hint[0])
        if m >= 2 and not m & (m - 1):
            _core.check_table_memory(m.bit_length() - 1, None)
    table = np.ascontiguousarray(np.asarray(game, dtype=np.float64))
    if table.ndim != 1:
        raise PrefrankError(f"a table of coalition values must be 1-D, got shape {table.shape}")
    size = table.shape[0]
    if size < 2 or size & (size - 1):
        raise PrefrankError(
            f"a table of coalition values has 2**n entries (n >= 1, bit k = player k); got length {size}"
        )
    n = size.bit_length() - 1
    if n > MAX_EXACT_PLAYERS:
        raise PrefrankError(f"a table of 2**{n} values: at most {MAX_EXACT_PLAYERS} players are supported")
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
        raise PrefrankError(f"batch_size must be positive, got {batch_size}")
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
        raise PrefrankError(f"max_stderr must be a positive number, got {max_stderr}")
    budget = DEFAULT_MAX_EVALUATIONS if max_evaluations is None else int(max_evaluations)
    if budget < 1:
        raise PrefrankError(f"max_evaluations must be positive, got {max_evaluations}")
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
        raise PrefrankError(f"method must be 'auto', 'exact' or {sampled!r}, got {method!r}")
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
    res = _resolve(game, players, n_players, coalitions)
    if weights is not None:
        w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64).reshape(-1))
        if w.shape[0] != res.n:
            raise PrefrankError(f"weights has {w.shape[0]} entries but the game has {res.n} players")
        return _exact(res, "weights", "semivalue", weights=w, batch_size=batch_size, max_memory=max_memory)
    for name, val in (("alpha", alpha), ("beta", beta)):
        if not (math.isfinite(val) and val > 0):
            raise PrefrankError(f"{name} must be a positive number, got {val}")
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
    g = slice_game(
        data,
        slice=slice,
        a=a,
        b=b,
        outcome=outcome,
        weight=weight,
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
    raise PrefrankError(f"kind must be 'shapley' or 'banzhaf', got {kind!r}")
