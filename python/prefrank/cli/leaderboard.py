"""``prefrank leaderboard FILE ...``: a Bradley-Terry leaderboard, with intervals, fragility and an HTML report."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from prefrank.cli._common import EPILOG, UsageError, _add_table_args, _emit, add_batch_rows, add_intervals, guarded
from prefrank.data import comparisons
from prefrank.exceptions import PrefrankError
from prefrank.io import is_multi_source
from prefrank.ranking import bradley_terry
from prefrank.report.leaderboard import write_html
from prefrank.robust import fragility


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "leaderboard",
        help="Bradley-Terry leaderboard from a file of pairwise comparisons",
        description="Fit Bradley-Terry to comparisons in FILE (CSV, TSV, JSONL or Parquet) and print the "
        "leaderboard: rank, item, score, interval, games.",
        epilog=EPILOG,
    )
    p.add_argument("file", nargs="?", help="comparisons file, directory or glob; omit with --example")
    p.add_argument("--example", action="store_true", help="use the bundled Chatbot Arena 2023 battles")
    p.add_argument("--a", default="model_a", help="column of the first item (default model_a)")
    p.add_argument("--b", default="model_b", help="column of the second item (default model_b)")
    p.add_argument("--outcome", default="winner", help="outcome column (default winner)")
    p.add_argument("--weight", help="weight column")
    p.add_argument("--position", help="column with the item shown first (for left/right outcomes)")
    p.add_argument("--ties", default="half", choices=["half", "drop", "davidson", "rao_kupper"])
    p.add_argument("--alpha", type=float, default=0.0, help="Gaussian prior precision (default 0)")
    p.add_argument("--scale", default="elo", choices=["elo", "log", "strength"])
    p.add_argument("--offset", type=float, default=1000.0, help="Elo-scale offset (default 1000)")
    p.add_argument("--anchor", type=_anchor, help="pin an item on the Elo scale, ITEM=VALUE (e.g. gpt-4=1114)")
    add_intervals(p, bootstrap=0, what="for intervals")
    p.add_argument("--drop-self", action="store_true", help="drop self-comparisons instead of failing")
    p.add_argument("--html", help="write an HTML report (interval chart, win-rate heatmap) here")
    p.add_argument(
        "--fragility",
        action="store_true",
        help="also find how many comparisons the top item rests on (the fewest whose removal changes the "
        "Bradley-Terry top item; ties count half) and show it in the --html report and the JSON output. "
        "A directory, glob or --batch-rows input is read twice in batches (pair counts, then the removed "
        "rows); at most 1,500 items and whole-number weights, otherwise the report says why",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_batch_rows(p)
    _add_table_args(p)
    p.set_defaults(func=run)


def _anchor(text: str) -> tuple[str, float]:
    item, sep, value = text.rpartition("=")
    try:
        if not sep:
            raise ValueError
        return item, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected ITEM=VALUE") from None


@guarded("leaderboard")
def run(args: argparse.Namespace) -> int:

    if args.example:
        from prefrank.datasets import arena_2023_path

        path: Any = arena_2023_path()
    elif args.file:
        path = args.file
    else:
        raise UsageError("give a FILE or --example")
    fit: dict[str, Any] = dict(
        ties=args.ties,
        alpha=args.alpha,
        scale=args.scale,
        offset=args.offset,
        anchor=args.anchor,
        bootstrap=args.bootstrap,
        seed=args.seed,
        progress=False if args.no_progress else None,
    )
    # --fragility on one file: read the rows once and fit the board from them too. A directory, glob
    # or --batch-rows input streams (the board here, the fragility search in _leaderboard_fragility).
    comps = None
    if args.fragility and args.batch_rows is None and not is_multi_source(path):
        comps = _leaderboard_rows(args, path)
    if comps is not None:
        ranking = bradley_terry(comps, **fit)
    else:
        ranking = bradley_terry(path, batch_rows=args.batch_rows, **_leaderboard_columns(args), **fit)
    frag = _leaderboard_fragility(args, path, comps) if args.fragility else None
    table = ranking.to_pandas(level=args.level)
    payload = {"leaderboard": table.to_dict(orient="records"), **_summary(ranking)}
    if frag is not None:
        payload["fragility"] = frag.to_dict() if hasattr(frag, "to_dict") else {"error": str(frag)}
    _emit(table, args, payload)
    if frag is not None and args.format != "json" and not args.html:
        what = repr(frag) if hasattr(frag, "to_dict") else f"not computed: {frag}"
        print(f"prefrank: fragility: {what}", file=sys.stderr)
    if args.html:
        write_html(ranking, args.html, level=args.level, fragility=frag)
        print(f"wrote {args.html}", file=sys.stderr)
    return 0


def _leaderboard_columns(args: argparse.Namespace) -> dict[str, Any]:
    """The leaderboard's column options, as :func:`prefrank.comparisons` takes them."""
    return dict(
        a=args.a,
        b=args.b,
        outcome=args.outcome,
        weight=args.weight,
        position=args.position,
        drop_self=args.drop_self,
    )


def _leaderboard_rows(args: argparse.Namespace, path: Any) -> Any:
    """The leaderboard's comparisons from one file, read whole, with its column options."""

    return comparisons(path, **_leaderboard_columns(args))


def _leaderboard_fragility(args: argparse.Namespace, path: Any, comps: Any) -> Any:
    """:func:`prefrank.robust.fragility` on the leaderboard's comparisons (``comps``, read whole from
    one file), or streamed from ``path`` in batches (a directory, a glob, or ``--batch-rows``); or the
    message of the :class:`PrefrankError` that prevented it (the report then says why)."""

    try:
        if comps is not None:
            return fragility(comps, alpha=args.alpha)
        return fragility(path, batch_rows=args.batch_rows, alpha=args.alpha, **_leaderboard_columns(args))
    except PrefrankError as e:
        return str(e)


def _summary(r: Any) -> dict[str, Any]:
    return {
        "method": r.method,
        "ties": r.ties,
        "tie_param": r.tie_param,
        "scale": r.scale,
        "converged": r.converged,
        "iterations": r.iterations,
        "loglik": r.loglik,
        "bootstrap": {k: v for k, v in r.bootstrap_info.items() if k not in ("tie_param", "acceleration")},
    }
