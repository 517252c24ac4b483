"""``prefrank agreement FILE ...``: agreement statistics of long-form ratings in a CSV/JSONL/Parquet
file, written to stdout as JSON (summary statistics) or CSV (per-item table, rater matrix).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from prefrank import agreement as ag
from prefrank.cli._common import (
    EPILOG,
    METRICS,
    DeprecatedAlias,
    add_batch_rows,
    add_intervals,
    confidence_level,
    guarded,
)
from prefrank.data import read_table
from prefrank.io import is_multi_source
from prefrank.stats import accumulate_ratings

STATISTICS = ("alpha", "cohen", "scott", "fleiss", "gwet", "brennan_prediger", "percent")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "agreement",
        help="inter-rater agreement (Krippendorff's alpha, kappas) of long-form ratings",
        epilog=EPILOG,
        description=(
            "Agreement statistics of ratings in long form (one row per rating). By default prints a "
            "JSON object with Krippendorff's alpha and the multi-rater coefficients; --items prints the "
            "per-item table and --matrix the rater-by-rater table as CSV."
        ),
    )
    p.add_argument("file", help="CSV, TSV, JSONL or Parquet file, or a directory or glob of them")
    p.add_argument("--unit", required=True, help="column naming the rated unit (item)")
    p.add_argument("--rater", required=True, help="column naming the rater (annotator)")
    p.add_argument("--value", required=True, help="column holding the rating")
    p.add_argument(
        "--statistic",
        action="append",
        choices=STATISTICS,
        help="statistic(s) to report (repeatable; default: alpha, fleiss, gwet, percent)",
    )
    p.add_argument(
        "--metric", default="nominal", choices=METRICS, help="Krippendorff's level of measurement (default nominal)"
    )
    p.add_argument("--weights", default=None, choices=["linear", "quadratic"], help="kappa weights")
    p.add_argument("--levels", default=None, help="comma-separated ordered value domain")
    add_intervals(p, bootstrap=0, what="for alpha's interval", level=_LevelOrMetric)
    p.add_argument("--ci", dest="level", type=confidence_level, action=DeprecatedAlias, new="--level")
    p.add_argument("--method", default="units", choices=["units", "krippendorff"])
    add_batch_rows(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--items", action="store_true", help="per-item disagreement table (CSV)")
    out.add_argument(
        "--matrix", choices=[s for s in STATISTICS if s not in ("alpha", "fleiss")], help="rater matrix (CSV)"
    )
    p.set_defaults(func=run)


class _LevelOrMetric(argparse.Action):
    """``--level``: the confidence level; a level of measurement (its old meaning) is read as ``--metric``."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        if values in METRICS:
            print(f"{parser.prog}: --level {values} is deprecated; use --metric {values}", file=sys.stderr)
            namespace.metric = values
            return
        try:
            namespace.level = confidence_level(values)
        except argparse.ArgumentTypeError as e:
            parser.error(f"argument --level: {e}")


def _clean(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


@guarded("agreement")
def run(args: argparse.Namespace) -> int:
    import warnings

    levels = args.levels.split(",") if args.levels else None
    if levels is not None:
        try:
            levels = [int(v) for v in levels]
        except ValueError:
            pass
    cols: dict[str, Any] = {"unit": args.unit, "rater": args.rater, "value": args.value, "levels": levels}
    table: Any
    if args.batch_rows is not None or is_multi_source(args.file):
        # Coded ratings merged batch by batch (12 bytes per rating instead of the text).
        table = accumulate_ratings(
            args.file, unit=args.unit, rater=args.rater, value=args.value, batch_rows=args.batch_rows
        )
        cols = {"levels": levels}
    else:
        table = read_table(args.file)
    if args.items:
        ag.item_disagreement(table, **cols).to_pandas().to_csv(sys.stdout)
        return 0
    if args.matrix:
        m = ag.rater_agreement(table, statistic=args.matrix, weights=args.weights, **cols)
        m.to_pandas().to_csv(sys.stdout)
        return 0
    out: dict[str, Any] = {"file": str(args.file)}
    stats = args.statistic or ["alpha", "fleiss", "gwet", "percent"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for s in stats:
            if s == "alpha":
                r = ag.krippendorff_alpha(
                    table,
                    metric=args.metric,
                    bootstrap=args.bootstrap,
                    method=args.method,
                    level=args.level,
                    seed=args.seed,
                    **cols,
                )
                out["alpha"] = {k: _clean(v) for k, v in r.to_dict().items()}
            else:
                fn = {
                    "cohen": ag.cohen_kappa,
                    "scott": ag.scott_pi,
                    "fleiss": ag.fleiss_kappa,
                    "gwet": ag.gwet_ac,
                    "brennan_prediger": ag.brennan_prediger,
                    "percent": ag.percent_agreement,
                }[s]
                res = fn(table, weights=args.weights, **cols)
                out[s] = {k: _clean(v) for k, v in res.to_dict().items()}
    if caught:
        out["warnings"] = [str(w.message) for w in caught]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
