"""Option and output helpers shared by the ``prefrank`` sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _add_table_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="output format on stdout (default csv)")
    p.add_argument("--output", "-o", help="write the table to this file instead of stdout")


def _emit(table: Any, args: argparse.Namespace, payload: dict[str, Any] | None = None) -> None:
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        if args.format == "json":
            body = payload if payload is not None else {"rows": table.to_dict(orient="records")}
            json.dump(body, out, indent=2, default=_json_default)
            out.write("\n")
        else:
            table.to_csv(out, index=False, float_format="%.6g")
    finally:
        if out is not sys.stdout:
            out.close()


def _json_default(x: Any) -> Any:
    if hasattr(x, "tolist"):  # numpy arrays and scalars
        return x.tolist()
    return str(x)


def add_batch_rows(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--batch-rows",
        dest="batch_rows",
        type=int,
        default=None,
        help="read the input in batches of this many rows and merge their statistics (bounded memory); "
        "directories and globs are always read in batches (default 1000000)",
    )
