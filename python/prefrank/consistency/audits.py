"""The full judge-consistency audit: every check in one call, with an HTML report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from prefrank._options import (
    _check_batch_rows,
    check_batch_rows,
    check_bootstrap,
    check_int,
    check_level,
    check_real,
    renamed,
)
from prefrank.consistency._common import _stats
from prefrank.consistency.position import position_bias
from prefrank.consistency.results import Audit
from prefrank.consistency.scores import score_consistency
from prefrank.consistency.tournaments import tournament
from prefrank.consistency.triads import transitivity
from prefrank.data.comparisons import Comparisons, as_comparisons
from prefrank.exceptions import PrefrankError, input_error, parameter_error
from prefrank.io import _source, _to_numpy, read_table
from prefrank.stats import ComparisonStats
from prefrank.stream import wants_stream

__all__ = ["audit"]


def _audit_scores(data: Any, batch_rows: int | None, score_a: Any, score_b: Any) -> bool:
    """Whether the audit checks score consistency; refuses, before any work, a bad ``batch_rows``
    and scores that a :class:`~prefrank.ComparisonStats` or a streamed source cannot give."""

    if batch_rows is not None:
        _check_batch_rows(batch_rows)
    if score_a is None or score_b is None:
        return False
    if isinstance(data, ComparisonStats):
        raise input_error(
            "score consistency needs the rows themselves: it cannot run on merged statistics "
            "(pass the files, a directory or a glob instead: they are read in batches)"
        )
    if wants_stream(data, batch_rows):
        for role, col in (("score_a", score_a), ("score_b", score_b)):
            if not isinstance(col, str):
                raise parameter_error(role, f"{role}= must name a column when the data is a file, directory or glob")
    return True


@renamed(verdict="outcome")
def audit(
    data: Any = None,
    *,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    weight: Any = None,
    group: Any = None,
    judge: Any = None,
    position: Any = None,
    outcomes: Mapping[Any, Any] | None = None,
    batch_rows: int | None = None,
    score_a: Any = None,
    score_b: Any = None,
    aggregate: str | None = None,
    mode: str = "census",
    by_judge: bool = True,
    tolerance: float = 0.0,
    bootstrap: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    cycles: int = 20,
    worst: int = 10,
    progress: bool | None = None,
) -> Audit:
    """Run every applicable consistency check on one table of judgments.

    ``outcome=`` names the verdict column (``verdict=``, its old name, works with a DeprecationWarning
    until the next release). Runs :func:`transitivity` (when ``group`` is given;
    ``by_judge=False`` pools the judges' verdicts on each pair),
    :func:`tournament` on all rows pooled, :func:`position_bias` (when ``position`` is given) and
    :func:`score_consistency` (when ``score_a`` and ``score_b`` are given), and collects the worst
    ``worst`` groups with their non-transitive triples spelled out. ``progress`` shows a tqdm bar
    (default: when stderr is a terminal and the table has at least 1,000,000 rows).

    ``data`` may also be a :class:`~prefrank.ComparisonStats` (merged from batches or workers) or a
    directory / glob of files (or a file with ``batch_rows=``), streamed in batches of ``batch_rows``
    rows (default 1,000,000) and reduced to a :class:`~prefrank.ComparisonStats` (57 bytes per
    verdict cell: per (group, judge, pair, presentation order), at most one per row). With
    ``score_a=`` / ``score_b=`` (which must then name columns) a streamed source is read a second
    time for :func:`score_consistency`, each batch reduced to its 3 x 3 table (score relation x
    verdict) per judge (72 bytes per judge), so the whole audit holds one batch plus these
    statistics and equals the audit of the concatenated table. Score consistency cannot run on a
    :class:`~prefrank.ComparisonStats` (it has no scores).

    ``bootstrap`` (rounds over groups for the transitivity intervals, default 1000; 0 = none), ``level``
    (their confidence level and position bias's) and ``seed`` follow the rule of every audit: rates come
    with intervals by default.

    Judge-vs-human agreement is not part of the audit yet (it needs prefrank's agreement module).
    """
    check_batch_rows(batch_rows)
    check_real("tolerance", tolerance, min=0.0)
    check_bootstrap(bootstrap, seed)
    check_level(level)
    check_int("cycles", cycles)
    check_int("worst", worst)
    cols = dict(
        a=a,
        b=b,
        outcome=outcome,
        weight=weight,
        group=group,
        judge=judge,
        position=position,
        outcomes=outcomes,
    )
    scores = _audit_scores(data, batch_rows, score_a, score_b)
    st = _stats(data, batch_rows, cols)
    # Merged statistics: the verdict cells as weighted rows (one table serves the census and the
    # tournament; position bias reads the cells themselves).
    tbl = (
        st.table("probability" if aggregate == "probability" else "majority")
        if st is not None
        else as_comparisons(data, **cols)
    )
    n_rows = st.n_rows if st is not None else len(tbl)
    steps = ["transitivity", "tournament", "position bias", "score consistency"]
    bar = None
    import sys

    if progress is None:
        progress = n_rows >= 1_000_000 and sys.stderr.isatty()
    if progress:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(steps), desc="audit", unit="check")
        except ImportError:
            bar = None
    notes: list[str] = []

    def step(name: str) -> None:
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)

    tr = None
    worst_groups = worst_triples = None
    if tbl.group is not None:
        tr = transitivity(
            tbl,
            aggregate=aggregate,
            mode=mode,
            by_judge=by_judge,
            bootstrap=bootstrap,
            level=level,
            seed=seed,
        )
        wg = tr.worst(worst)
        wg = wg[wg["non_transitive"] > 0]
        worst_groups = wg
        if len(wg):
            tri = tr.triples(list(wg.index), limit_per_unit=5)
            rank = {g: k for k, g in enumerate(wg.index.tolist())}
            order = np.argsort([rank[g] for g in tri["group"].tolist()], kind="stable")
            worst_triples = tri.iloc[order].reset_index(drop=True)
    else:
        notes.append("no group= column: the within-group transitivity census was skipped")
    step("transitivity")
    to = None
    try:
        big = tbl.n_items > 5000
        if big:
            notes.append(f"{tbl.n_items:,} items: the most consistent order was skipped (at most 5,000)")
        to = tournament(tbl, aggregate=aggregate or "majority", cycles=cycles, order=not big)
    except PrefrankError as e:
        notes.append(f"tournament skipped: {e}")
    step("tournament")
    pb = None
    if tbl.first is not None:
        pb = position_bias(st if st is not None else tbl, level=level)
    else:
        notes.append("no position= column: position bias was skipped")
    step("position bias")
    sc = None
    if scores and st is not None:
        # A streamed source: a second pass reduces each batch to its 3 x 3 table per judge.
        sc = score_consistency(
            data, score_a=score_a, score_b=score_b, tolerance=tolerance, batch_rows=batch_rows, **cols
        )
    elif scores:
        src_data = None if isinstance(data, Comparisons) else data
        if isinstance(data, (str,)) or hasattr(data, "__fspath__"):
            src_data = read_table(data)

        src = _source(src_data)
        sa = _to_numpy(src.get(score_a, "score_a"))
        sb = _to_numpy(src.get(score_b, "score_b"))
        sc = score_consistency(tbl, score_a=sa, score_b=sb, tolerance=tolerance)
    else:
        notes.append("no score_a=/score_b= columns: score-vs-comparison consistency was skipped")
    step("score consistency")
    if bar is not None:
        bar.close()
    notes.append("judge-vs-human agreement is not included (needs prefrank's agreement module)")
    return Audit(
        n_rows=n_rows,
        n_items=tbl.n_items,
        transitivity=tr,
        tournament=to,
        position_bias=pb,
        score_consistency=sc,
        worst_groups=worst_groups,
        worst_triples=worst_triples,
        notes=notes,
        _table=tbl,
    )
