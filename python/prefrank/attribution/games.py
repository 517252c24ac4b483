"""Built-in games for leaderboards: shift, majority and slice games."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from prefrank import _core
from prefrank._options import _check_batch_rows, check_bool
from prefrank.attribution.results import Game
from prefrank.data.coding import as_floats, code_labels
from prefrank.data.comparisons import Comparisons, as_comparisons
from prefrank.data.rankings import LongRows
from prefrank.exceptions import input_error, parameter_error
from prefrank.io import _source, _to_numpy, scan
from prefrank.stats import pair_cells
from prefrank.stream import _needed, _rows, accumulate, wants_stream

__all__ = ["majority_game", "shift_game", "slice_game"]


def _labels(players: Sequence[Hashable] | None, n: int, what: str) -> tuple[Hashable, ...]:
    if players is None:
        return tuple(range(n))
    labels = tuple(players)
    if len(labels) != n:
        raise parameter_error("players", f"players has {len(labels)} labels but the {what} has {n} players")
    if len(set(labels)) != len(labels):
        raise parameter_error("players", "players labels must be distinct")
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
    normalize = check_bool("normalize", normalize)
    m = as_floats(metric, "metric")
    if isinstance(ratios, Mapping):
        names = list(ratios.keys())
        r = np.column_stack([as_floats(ratios[k], f"ratios[{k!r}]") for k in names])
    elif type(ratios).__module__.startswith("pandas") and hasattr(ratios, "columns"):
        names = list(ratios.columns)
        r = np.column_stack([as_floats(ratios[k], f"ratios[{k!r}]") for k in names])
    else:
        r = as_floats(ratios, "ratios")
        if r.ndim == 1:
            r = r[:, None]
        names = None
    if r.ndim != 2:
        raise input_error(f"ratios must be 2-D (n_samples, n_mechanisms), got shape {r.shape}")
    if r.shape[0] != m.shape[0]:
        raise input_error(f"ratios has {r.shape[0]} rows but metric has {m.shape[0]}")
    labels = _labels(mechanisms if mechanisms is not None else names, r.shape[1], "ratios")
    w = None if weight is None else as_floats(weight, "weight")
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

    roles = {"unit": unit, "rater": rater, "label": label}
    if wants_stream(data, batch_rows):
        codes, tables = _streamed_ratings(data, batch_rows, roles)
    else:
        src = _source(data)
        cols = [_to_numpy(src.get(c, role)) for role, c in roles.items()]
        if not (len(cols[0]) == len(cols[1]) == len(cols[2])):
            raise input_error("unit, rater and label columns must have the same length")
        if len(cols[0]) == 0:
            raise input_error("empty input: no ratings")
        cols[2] = cols[2] if cols[2].dtype == object else np.asarray(cols[2], dtype=object)
        codes, tables = {}, {}
        for role, col in zip(roles, cols):
            (codes[role],), tables[role] = code_labels(col, names=[role])
    if hasattr(reference, "to_dict") and callable(reference.to_dict):
        reference = reference.to_dict()
    if not isinstance(reference, Mapping):
        raise parameter_error("reference", "reference must map each unit to its reference label (a dict or a Series)")
    units, raters = tables["unit"], tables["rater"]
    unit_list = list(units)
    ref_vals = [reference.get(u) for u in unit_list]
    has = np.array([v is not None for v in ref_vals], dtype=bool)
    if not has.any():
        raise parameter_error("reference", "no rated unit has a reference label (check the keys of reference)")
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

    if batch_rows is not None:
        _check_batch_rows(batch_rows)
    for role, col in roles.items():
        if not isinstance(col, str):
            raise parameter_error(role, f"{role}= must name a column when the data is a file, directory or glob")

    def build(table: Any) -> LongRows:
        codes, tables = {}, {}
        for role, col in roles.items():
            (codes[role],), tables[role] = code_labels(_to_numpy(table.column(col)), names=[role])
        return LongRows(codes, tables, {})

    state: LongRows = accumulate(source, build, columns=_needed(*roles.values()), batch_rows=batch_rows)
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
    position: Any = None,
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

    if target not in _TARGETS:
        raise parameter_error("target", f"target must be one of {', '.join(_TARGETS)}; got {target!r}")
    if not (math.isfinite(alpha) and alpha >= 0):
        raise parameter_error("alpha", f"alpha must be a finite number >= 0, got {alpha!r}")
    if isinstance(data, Comparisons):
        comps = as_comparisons(data, a=a, b=b, outcome=outcome, weight=weight, position=position)
        if isinstance(slice, str) and slice in ("group", "judge"):
            codes, labels = (comps.group, comps.groups) if slice == "group" else (comps.judge, comps.judges)
            if codes is None or labels is None:
                raise input_error(f"the Comparisons table has no {slice} column", column=slice)
        else:
            (codes,), labels = code_labels(_to_numpy(slice), names=["slice"])
        n_rows = len(comps)
    else:
        cols = dict(a=a, b=b, outcome=outcome, weight=weight, position=position, outcomes=outcomes, drop_self=drop_self)
        if wants_stream(data, batch_rows):
            comps, n_rows = _streamed_slice_cells(data, batch_rows, slice=slice, **cols)
        else:
            comps = as_comparisons(data, group=slice, **cols)
            n_rows = len(comps)
        codes, labels = comps.group, comps.groups
    assert codes is not None and labels is not None
    if len(codes) != len(comps):
        raise input_error(f"slice has {len(codes)} entries but there are {len(comps)} comparisons")
    items = list(comps.items)
    pos = {lab: k for k, lab in enumerate(items)}

    def code_of(name: str, lab: Hashable | None) -> int:
        if lab is None:
            raise parameter_error(name, f"target={target!r} needs {name}=")
        if lab not in pos:
            raise parameter_error(name, f"{name}={lab!r} is not an item of the comparisons")
        return pos[lab]

    it = oth = 0
    ref_arr = None
    if target in ("score", "rank", "gap"):
        it = code_of("item", item)
    if target == "gap":
        oth = code_of("other", other)
    if target == "kendall_tau":
        if reference is None:
            raise parameter_error("reference", "target='kendall_tau' needs reference= (item -> reference score)")
        if hasattr(reference, "to_dict") and callable(reference.to_dict):
            reference = reference.to_dict()
        missing = [lab for lab in items if lab not in reference]
        if missing:
            raise parameter_error("reference", f"reference has no score for item {missing[0]!r}")
        ref_arr = np.array([float(reference[lab]) for lab in items], dtype=np.float64)
    core = _core.Game.slices(
        comps,
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

    if batch_rows is not None:
        _check_batch_rows(batch_rows)
    if not isinstance(slice, str):
        raise parameter_error("slice", "slice= must name a column when the data is a file, directory or glob")
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


_NO_REFERENCE = 2**32 - 1
