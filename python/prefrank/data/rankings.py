"""Rankings and choice sets (lists, long tables, choix's top-1 form) to the flat coded form the core takes."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from prefrank.data.coding import code_labels, label_index, plain_value, run_lengths, union_labels
from prefrank.data.comparison_rows import _is_float, recode_onto
from prefrank.exceptions import PrefrankError, input_error, parameter_error, rephrased
from prefrank.io import _source, _to_numpy
from prefrank.stream import _needed, accumulate, wants_stream


class LongRows:
    """Mergeable coded long-form rows: label columns as uint32 codes with one label table each
    (united on merge), number columns as float64; merging appends the other side's rows."""

    def __init__(self, codes: dict[str, Any], labels: dict[str, Any], numbers: dict[str, Any]) -> None:
        self.codes, self.labels, self.numbers = codes, labels, numbers

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.codes.values())))

    def merge(self, other: LongRows) -> LongRows:
        import numpy as np

        codes, labels = {}, {}
        for name in self.codes:
            labels[name], mx, my = union_labels(self.labels[name], other.labels[name])
            codes[name] = np.concatenate([recode_onto(self.codes[name], mx), recode_onto(other.codes[name], my)])
        numbers = {k: np.concatenate([v, other.numbers[k]]) for k, v in self.numbers.items()}
        return LongRows(codes, labels, numbers)


def _ranks(table: Any, column: str) -> Any:
    """A rank column of a batch as float64 (null = NaN = unranked); text or an infinite rank is an
    error naming its row, worded as :func:`prefrank.plackett_luce` words it."""
    import numpy as np

    raw = _to_numpy(table.column(column))
    try:
        rk = np.array([np.nan if v is None else v for v in raw.tolist()], np.float64) if raw.dtype.kind == "O" else raw
        rk = np.asarray(rk, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next(k for k, v in enumerate(raw.tolist()) if v is not None and not _is_float(v))
        raise input_error(
            f"rank {raw[bad]!r} in column {column!r} is not a number", row=bad, column=column, value=raw[bad]
        ) from None
    if np.isinf(rk).any():
        r = int(np.argmax(np.isinf(rk)))
        raise input_error(
            f"rank {rk[r]} in column {column!r} is not finite (use NaN for unranked)", row=r, column=column, value=rk[r]
        )
    return rk


def ranking_rows(
    source: str | os.PathLike[str],
    *,
    batch_rows: int | None = None,
    labels: Mapping[str, Any],
    rank: Any = None,
    weight: Any = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The long-form ranking table (``labels``: role -> label column, e.g. group and item; ``rank``;
    optional ``weight``; ``values``: role -> any other numeric column, e.g. scores) of a file,
    directory or glob, read in batches whose rows are kept coded (4 bytes per label column and 8
    per number per row, no text) and concatenated in row order. Returns the columns by name,
    labels rebuilt as arrays of the (shared) label objects (8 bytes per row each), for the
    in-memory fit; the rows equal those of the concatenated files."""
    import numpy as np

    values = dict(values or {})
    roles = {**labels, "rank": rank, "weight": weight, **values}
    for role, v in roles.items():
        if v is not None and not isinstance(v, str):
            raise parameter_error(role, f"{role}= must name a column when the data is a file, directory or glob")
    label_cols = [c for c in labels.values() if c is not None]
    numbers = (
        ({rank: "rank"} if rank is not None else {})
        | ({weight: "weight"} if weight is not None else {})
        | {col: role for role, col in values.items()}
    )

    def build(table: Any) -> LongRows:
        codes, tables = {}, {}
        for col in label_cols:
            (codes[col],), tables[col] = code_labels(table.column(col), names=[col])
        nums = {}
        for col, role in numbers.items():
            if role == "rank":
                nums[col] = _ranks(table, col)
                continue
            try:
                nums[col] = np.asarray(_to_numpy(table.column(col)), dtype=np.float64)
            except (TypeError, ValueError):
                raise input_error(f"column {col!r} ({role}) is not numeric", column=col) from None
        return LongRows(codes, tables, nums)

    state: LongRows = accumulate(source, build, columns=_needed(*label_cols, *numbers), batch_rows=batch_rows)
    out: dict[str, Any] = {col: state.labels[col][state.codes[col]] for col in label_cols}
    out.update(state.numbers)
    return out


# --------------------------------------------------------------------------------------------------
# Plackett-Luce


@dataclass(frozen=True)
class RankingObs:
    """Observations in the flat form the core takes."""

    items: np.ndarray  # labels by code
    offsets: np.ndarray  # uint64, n_obs + 1
    members: np.ndarray  # uint32 codes, ranked first (best first), then unranked
    n_ranked: np.ndarray  # uint32
    weight: np.ndarray | None
    obs_labels: np.ndarray | None  # group label per observation (long form)


def _is_ranking_list(data: Any) -> bool:
    if not isinstance(data, (list, tuple)) or not data:
        return False
    first = data[0]
    return isinstance(first, (list, tuple, np.ndarray)) and not isinstance(first, Mapping)


def _members(obs: Sequence[Any]) -> tuple[list[Any], int]:
    """(members best first, number ranked) of one listed observation: a ranking (labels best first,
    all ranked) or, as in choix's top-1 data, a choice ``(winner, [losers])`` (one ranked)."""
    if len(obs) == 2 and isinstance(obs[1], (list, tuple, np.ndarray)) and not isinstance(obs[0], (list, np.ndarray)):
        return [obs[0], *obs[1]], 1
    return list(obs), len(obs)


def _obs_from_lists(rankings: Sequence[Sequence[Any]], weight: Any) -> RankingObs:
    parts = [_members(r) for r in rankings]
    sizes = np.fromiter((len(m) for m, _ in parts), np.int64, len(parts))
    n_ranked = np.fromiter((k for _, k in parts), np.uint32, len(parts))
    flat = [v for m, _ in parts for v in m]
    if not flat:
        raise input_error("empty input: the rankings hold no items")
    offsets = np.zeros(len(rankings) + 1, np.uint64)
    np.cumsum(sizes, out=offsets[1:])
    try:
        (codes,), items = code_labels(_to_numpy(flat), names=["item"])
    except PrefrankError as e:
        row: int | None = getattr(e, "row", None)
        if row is None or getattr(e, "column", None) != "item":
            raise
        # A missing item: its row is a position in the flattened lists; name the ranking and the place.
        r = int(np.searchsorted(offsets, row, side="right")) - 1
        value = getattr(e, "value", None)
        detail = f"ranking {r}, position {row - int(offsets[r])}: the item is missing ({value!r})"
        raise rephrased(e, detail, row=None) from None
    w = None
    if weight is not None:
        w = np.ascontiguousarray(weight, dtype=np.float64)
        if w.shape != (len(rankings),):
            raise input_error(f"weight has {w.size} values, but there are {len(rankings)} rankings", column="weight")
    obs = RankingObs(items, offsets, codes, n_ranked, w, None)
    _check_duplicates(obs)
    return obs


def _check_duplicates(obs: RankingObs) -> None:
    sizes = run_lengths(obs.offsets.astype(np.int64))
    owner = np.repeat(np.arange(len(sizes)), sizes)
    order = np.lexsort((obs.members, owner))
    dup = (owner[order][1:] == owner[order][:-1]) & (obs.members[order][1:] == obs.members[order][:-1])
    if dup.any():
        k = int(np.argmax(dup))
        r = int(owner[order][k])
        where = f"group {plain_value(obs.obs_labels[r])!r}" if obs.obs_labels is not None else f"ranking {r}"
        raise input_error(
            f"{where}: item {plain_value(obs.items[obs.members[order][k]])!r} appears more than once",
            value=plain_value(obs.items[obs.members[order][k]]),
        )


def obs_from_table(data: Any, group: Any, item: Any, rank: Any, weight: Any) -> RankingObs:
    src = _source(data)
    g_col, i_col, r_col = src.get(group, "group"), src.get(item, "item"), src.get(rank, "rank")
    n = len(i_col)
    for role, col in (("group", g_col), ("rank", r_col)):
        if len(col) != n:
            raise input_error(f"length mismatch: item has {n} rows but {role} has {len(col)}")
    if n == 0:
        raise input_error("empty input: the ranking table has no rows")
    (gc,), groups = code_labels(g_col, names=[str(group)])
    (ic,), items = code_labels(i_col, names=[str(item)])
    r_raw = _to_numpy(r_col)
    try:
        if r_raw.dtype.kind == "O":
            rk = np.array([np.nan if v is None else v for v in r_raw.tolist()], dtype=np.float64)
        else:
            rk = r_raw.astype(np.float64)
    except (TypeError, ValueError):
        bad = next(k for k, v in enumerate(r_raw.tolist()) if not _is_number_or_missing(v))
        raise input_error(
            f"rank {r_raw[bad]!r} in column {rank!r} is not a number",
            row=bad,
            column=rank if isinstance(rank, str) else "rank",
            value=r_raw[bad],
        ) from None
    if np.isinf(rk).any():
        row = int(np.argmax(np.isinf(rk)))
        raise input_error(
            f"rank {rk[row]} in column {rank!r} is not finite (use NaN for unranked)",
            row=row,
            column=rank if isinstance(rank, str) else "rank",
            value=rk[row],
        )
    ranked = ~np.isnan(rk)
    key = np.where(ranked, rk, np.inf)
    order = np.lexsort((ic, key, gc))
    gs, isorted, ks = gc[order], ic[order], key[order]
    same_group = gs[1:] == gs[:-1]
    tied = same_group & (ks[1:] == ks[:-1]) & np.isfinite(ks[1:])
    if tied.any():
        k = int(np.argmax(tied))
        raise input_error(
            f"group {plain_value(groups[gs[k]])!r}: items {plain_value(items[isorted[k]])!r} and "
            f"{plain_value(items[isorted[k + 1]])!r} share rank {ks[k]:g} (Plackett-Luce needs distinct ranks)",
            column=rank if isinstance(rank, str) else "rank",
        )
    sizes = np.bincount(gc, minlength=len(groups))
    offsets = np.zeros(len(groups) + 1, np.uint64)
    np.cumsum(sizes, out=offsets[1:])
    n_ranked = np.bincount(gc, weights=ranked.astype(np.float64), minlength=len(groups)).astype(np.uint32)
    w = None
    if weight is not None:
        w_col = _to_numpy(src.get(weight, "weight"))
        try:
            w_rows = np.ascontiguousarray(w_col, dtype=np.float64)[order]
        except (TypeError, ValueError):
            raise input_error(
                f"column {weight!r} (weight) is not numeric", column=weight if isinstance(weight, str) else "weight"
            ) from None
        w = np.ascontiguousarray(w_rows[offsets[:-1].astype(np.int64)])
        differs = w_rows != np.repeat(w, sizes)
        if differs.any():
            g = gs[int(np.argmax(differs))]
            raise input_error(
                f"group {plain_value(groups[g])!r}: weight must be the same on every row of a group",
                column=weight if isinstance(weight, str) else "weight",
            )
    obs = RankingObs(items, offsets, np.ascontiguousarray(isorted, np.uint32), n_ranked, w, groups)
    _check_duplicates(obs)
    return obs


def _is_number_or_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def ranking_observations(
    data: Any, group: Any, item: Any, rank: Any, weight: Any, anchor: Any, batch_rows: int | None = None
) -> RankingObs:
    """Observations from a long-form table or a list of rankings (see :func:`plackett_luce`); a
    directory, glob or file with ``batch_rows=`` is read in batches of coded rows."""

    if data is None:
        raise input_error("no data: pass a long-form table (group, item, rank) or a list of rankings")
    if wants_stream(data, batch_rows):
        data = ranking_rows(
            data, batch_rows=batch_rows, labels={"group": group, "item": item}, rank=rank, weight=weight
        )
    if _is_ranking_list(data):
        obs = _obs_from_lists(data, weight)
    else:
        obs = obs_from_table(data, group, item, rank, weight)
    if anchor is not None:
        label_index(obs.items, anchor[0])
    return obs
