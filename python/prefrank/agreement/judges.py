"""Agreement between judges on the same comparisons (Cohen's kappa per judge pair)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from prefrank._options import check_batch_rows, renamed
from prefrank.agreement.kappa import cohen_kappa
from prefrank.agreement.results import JudgeAgreement
from prefrank.exceptions import input_error
from prefrank.io import read_table
from prefrank.stats import accumulate_key_counts, key_counts
from prefrank.stream import wants_stream

__all__ = ["judge_agreement"]


@renamed(verdict="outcome", human_verdict="human_outcome")
def judge_agreement(
    judgments: Any,
    humans: Any,
    *,
    unit: str,
    outcome: str,
    judge: str | None = None,
    rater: str | None = None,
    human_outcome: str | None = None,
    batch_rows: int | None = None,
) -> JudgeAgreement:
    """Agreement of LLM judges with human labels on the same units.

    ``judgments`` and ``humans`` are tables (anything :func:`prefrank.read_table` reads, or DataFrames) with a
    ``unit`` column (the pair or item id, shared by both) and an outcome column (``outcome``, formerly
    ``verdict``; the humans' may be named by ``human_outcome``, formerly ``human_verdict``). ``judge`` names
    the judge column (one judge if omitted), ``rater`` the annotator column (needed for the per-annotator
    summary). Outcomes are compared as labels, so both tables must use the same vocabulary and item order
    (map them to the winning item's label first otherwise).

    Either table may be a directory or glob of files (or a file with ``batch_rows=``): it is read
    in batches of ``batch_rows`` rows, each reduced to its row counts per distinct (unit, outcome,
    judge) or (unit, outcome, rater), which are merged. Memory: one batch plus the counts (one
    entry per distinct key, at most one per row); Cohen's kappa of a judge then takes two label
    arrays over that judge's judgments of units with a human majority (16 bytes each). The result
    equals that of the in-memory call.

    Missing values: a row with a missing unit, judge or rater (where those columns are given), or a
    judgment with a missing outcome, is left out of every statistic (accuracy, kappa, units and the
    annotator table alike) and counted in ``dropped`` (reason -> rows, e.g. ``"judgments: missing
    outcome"``) and ``n_dropped``; so are judgments of units without any human label or without a
    human majority. A missing human outcome is an error (it would change the majority).

    Parameters
    ----------
    judgments, humans : table, path or batches
        The judges' and the humans' labels, with the columns named below.
    unit, outcome : str
        The unit id column (in both tables) and the outcome column (the humans' may be ``human_outcome``).
    judge, rater : str, optional
        The judge column of ``judgments`` and the annotator column of ``humans``.
    batch_rows : int, optional
        Rows per batch when a table is read in batches.

    Returns
    -------
    JudgeAgreement
        ``judges`` (per judge ``units``, ``accuracy``, ``kappa``), ``annotators``, the unit counts with
        and without a human majority, ``n_dropped`` and ``dropped``.

    Raises
    ------
    InputError
        A missing column, an empty table, a missing human outcome, or no usable humans row.

    Example
    -------
    >>> import pandas as pd
    >>> import prefrank as pr
    >>> humans = pd.DataFrame({"pair": [1, 1, 2], "winner": ["a", "a", "b"]})
    >>> judged = pd.DataFrame({"pair": [1, 2, None], "winner": ["a", None, "b"]})
    >>> r = pr.judge_agreement(judged, humans, unit="pair", outcome="winner")
    >>> r.n_dropped, r.dropped
    (2, {'judgments: missing unit': 1, 'judgments: missing outcome': 1})
    """
    check_batch_rows(batch_rows)
    import pandas as pd

    hv = human_outcome or outcome
    strings = [c for c in (unit, judge, rater) if c]

    def check_humans(df: Any) -> None:
        if df[hv].isna().any():
            row = int(np.flatnonzero(df[hv].isna().to_numpy())[0])
            raise input_error("verdict is missing", row=row, column=hv, table="humans")

    def counts_of(name: str, data: Any, cols: list[str], check: Any = None) -> Any:
        """Rows per distinct (unit, outcome, judge or rater): all that the statistics need."""
        if wants_stream(data, batch_rows):
            return accumulate_key_counts(data, cols, batch_rows=batch_rows, string_columns=strings, check=check)
        if isinstance(data, pd.DataFrame):
            df = data
        elif isinstance(data, (str, os.PathLike)):
            df = read_table(data, string_columns=strings)
            df = df.to_pandas() if hasattr(df, "to_pandas") else pd.DataFrame(df)
        else:
            df = data.to_pandas() if hasattr(data, "to_pandas") else pd.DataFrame(data)
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise input_error(
                f"column {missing[0]!r} not found; available columns: {', '.join(map(str, df.columns))}",
                column=missing[0],
                table=name,
            )
        if check is not None and len(df):
            check(df)
        return key_counts(df, cols)

    jn = counts_of("judgments", judgments, [unit, outcome] + ([judge] if judge else []))
    hn = counts_of("humans", humans, [unit, hv] + ([rater] if rater else []), check_humans)
    if len(hn) == 0 or len(jn) == 0:
        raise input_error("judge_agreement needs non-empty judgments and humans tables")
    # A row with a missing unit, judge, outcome or rater is left out of every statistic and counted
    # in `dropped` by reason, as are judgments of units that have no human label or no human majority.
    dropped: dict[str, int] = {}

    def keep_known(name: str, frame: Any, roles: list[tuple[str | None, str]]) -> Any:
        keep = np.ones(len(frame), bool)
        for col, role in roles:
            if col is None:
                continue
            miss = frame[col].isna().to_numpy() & keep
            if miss.any():
                dropped[f"{name}: missing {role}"] = int(frame["_n"].to_numpy()[miss].sum())
            keep &= ~miss
        return frame[keep]

    def drop_rows(reason: str, frame: Any, mask: Any) -> Any:
        n = int(frame["_n"].to_numpy()[~mask].sum())
        if n:
            dropped[reason] = n
        return frame[mask]

    hdf = keep_known("humans", hn.rename("_n").reset_index(), [(unit, "unit"), (rater, "rater")])
    hdf = hdf.rename(columns={hv: "_v"})
    if len(hdf) == 0:
        raise input_error(f"judge_agreement: every humans row has a missing value (dropped: {dropped})", table="humans")
    # Label counts per unit (vectorised); the majority must exceed half of the unit's labels.
    counts = pd.crosstab(hdf[unit], hdf["_v"], values=hdf["_n"], aggfunc="sum").fillna(0).astype(np.int64)
    totals = counts.sum(axis=1)
    top = counts.max(axis=1)
    has_majority = top > totals / 2
    majority = counts.idxmax(axis=1)[has_majority]

    j = keep_known("judgments", jn.rename("_n").reset_index(), [(unit, "unit"), (judge, "judge"), (outcome, "outcome")])
    j = j.rename(columns={outcome: "_v"})
    j["_judge"] = j[judge] if judge else "judge"
    j = drop_rows("judgments: unit has no human label", j, j[unit].isin(counts.index).to_numpy())
    j = drop_rows("judgments: unit has no human majority", j, j[unit].isin(majority.index).to_numpy())
    rows = []
    for name, g in j.groupby("_judge", sort=True):
        truth = majority.loc[g[unit]].to_numpy()
        pred = g["_v"].to_numpy()
        n = g["_n"].to_numpy()
        units = int(n.sum())
        # Kappa needs only the confusion table, which the counted rows give in any order.
        pairs = np.array([np.repeat(pred, n), np.repeat(truth, n)], dtype=object)
        kappa = cohen_kappa(pairs, undefined=np.nan).value if units else np.nan
        accuracy = float(n[pred == truth].sum() / units)
        rows.append({"judge": name, "units": units, "accuracy": accuracy, "kappa": kappa})
    judges_df = pd.DataFrame(rows, columns=["judge", "units", "accuracy", "kappa"]).set_index("judge")

    ann_rows = []
    if rater:
        # Leave-one-out: an annotator's label against the absolute majority of the other labels on the unit.
        own = counts.reindex(hdf[unit]).to_numpy().copy()
        col = counts.columns.get_indexer(hdf["_v"])
        own[np.arange(len(hdf)), col] -= 1
        rest = own.sum(axis=1)
        best = own.max(axis=1)
        ok = best > rest / 2
        loo = counts.columns.to_numpy()[own.argmax(axis=1)]
        agree = (loo == hdf["_v"].to_numpy()) & ok
        n_h = hdf["_n"].to_numpy()
        tmp = pd.DataFrame({"annotator": hdf[rater].to_numpy(), "ok": ok * n_h, "agree": agree * n_h})
        for name, g in tmp.groupby("annotator", sort=True):
            n = int(g["ok"].sum())
            ann_rows.append({"annotator": name, "units": n, "accuracy": float(g["agree"].sum() / n) if n else np.nan})
    annotators_df = pd.DataFrame(ann_rows, columns=["annotator", "units", "accuracy"]).set_index("annotator")
    return JudgeAgreement(
        judges=judges_df,
        annotators=annotators_df,
        units_with_majority=int(has_majority.sum()),
        units_without_majority=int((~has_majority).sum()),
        n_dropped=sum(dropped.values()),
        dropped=dropped,
    )
