"""``prefrank audit FILE ...``: judge-consistency audit; JSON summary on stdout, optional HTML report."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from prefrank.cli._common import EPILOG, DeprecatedAlias, add_batch_rows, add_intervals, guarded
from prefrank.consistency import audit

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "audit",
        help="judge-consistency audit: transitivity, cycles, position bias, score consistency",
        description="Audit pairwise judgments for contradictions. Writes a JSON summary to stdout and, "
        "with --html, a report a person can read.",
        epilog=EPILOG,
    )
    p.add_argument("file", help="CSV, TSV, JSONL or Parquet file of judgments, or a directory or glob of them")
    p.add_argument("--a", required=True, help="column of the first item")
    p.add_argument("--b", required=True, help="column of the second item")
    outcome = p.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--outcome", help="column of the verdict (a/b/tie, left/right, 1/0/0.5, ...)")
    outcome.add_argument("--verdict", dest="outcome", action=DeprecatedAlias, new="--outcome")
    p.add_argument("--group", help="column grouping the responses to one prompt")
    p.add_argument("--judge", help="column naming the judge / annotator")
    p.add_argument("--position", help="column telling which item was shown first ('a'/'b', 0/1 or its label)")
    p.add_argument("--score-a", dest="score_a", help="column of item a's pointwise score")
    p.add_argument("--score-b", dest="score_b", help="column of item b's pointwise score")
    p.add_argument("--tolerance", type=float, default=0.0, help="score difference treated as equal (default 0)")
    p.add_argument(
        "--aggregate",
        choices=["majority", "probability", "unanimous"],
        help="how several verdicts on a pair combine (default majority; unanimous in trustjudge mode)",
    )
    p.add_argument(
        "--mode",
        choices=["census", "trustjudge"],
        default="census",
        help="trustjudge adds NTR_4/NTR_5 and the both-orders merge",
    )
    p.add_argument(
        "--pool-judges",
        dest="by_judge",
        action="store_false",
        default=True,
        help="pool the judges' verdicts on each pair (default: each judge is its own unit)",
    )
    add_intervals(p, bootstrap=1000, what="over groups")
    p.add_argument("--cycles", type=int, default=20, help="shortest cycles to list (default 20)")
    p.add_argument("--worst", type=int, default=10, help="worst groups to spell out (default 10)")
    p.add_argument("--html", help="write an HTML report to this path")
    add_batch_rows(p)
    p.add_argument(
        "--no-progress", dest="progress", action="store_false", default=None, help="never show a progress bar"
    )
    p.set_defaults(func=run)


def _clean(x: Any) -> Any:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and callable(x.item):
        return _clean(x.item())
    return x


@guarded("audit")
def run(args: argparse.Namespace) -> int:
    res = audit(
        args.file,
        a=args.a,
        b=args.b,
        outcome=args.outcome,
        group=args.group,
        judge=args.judge,
        position=args.position,
        score_a=args.score_a,
        score_b=args.score_b,
        tolerance=args.tolerance,
        aggregate=args.aggregate,
        mode=args.mode,
        by_judge=args.by_judge,
        bootstrap=args.bootstrap,
        level=args.level,
        seed=args.seed,
        cycles=args.cycles,
        worst=args.worst,
        progress=args.progress,
        batch_rows=args.batch_rows,
    )
    summary = _clean(res.to_dict())
    if args.html:
        res.to_html(args.html)
        summary["html"] = args.html
    json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
