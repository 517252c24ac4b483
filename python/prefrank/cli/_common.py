"""Option and output helpers shared by the ``prefrank`` sub-commands."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from prefrank.exceptions import ParameterError, PrefrankError


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


# ---- one exit-code convention for every sub-command ---------------------------------------------
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


EPILOG = (
    "exit status: 0 success; 1 an input or model error (a PrefrankError, a missing file, a missing "
    "optional dependency); 2 a usage error (unknown, missing or malformed options, or an option value "
    "out of range: a ParameterError); 130 interrupted."
)


class UsageError(Exception):
    """A command line that parses but cannot run as written (exit status 2, like argparse's errors)."""


def guarded(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Decorator for a sub-command's ``run(args)``: its errors become the exit status of :data:`EPILOG`
    and one line on stderr, so a sub-command run directly and one run by ``main`` exit alike."""

    def wrap(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        @functools.wraps(run)
        def guarded_run(args: argparse.Namespace) -> int:
            try:
                return int(run(args))
            except (UsageError, ParameterError) as e:
                # A ParameterError names an option whose value the library refused: a usage error.
                print(f"prefrank {name}: error: {e}", file=sys.stderr)
                return EXIT_USAGE
            except BrokenPipeError:
                # The reader (e.g. `| head`) closed the pipe: stop quietly, as Unix tools do.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                return EXIT_OK
            except (PrefrankError, OSError, ImportError) as e:
                print(f"prefrank {name}: error: {e}", file=sys.stderr)
                return EXIT_ERROR
            except KeyboardInterrupt:
                print("prefrank: interrupted", file=sys.stderr)
                return EXIT_INTERRUPTED

        return guarded_run

    return wrap


# ---- the shared option vocabulary ----------------------------------------------------------------
METRICS = ("nominal", "ordinal", "interval", "ratio")


class DeprecatedAlias(argparse.Action):
    """An old option spelling that stores into the new option's ``dest`` and says so on stderr."""

    def __init__(self, option_strings: Sequence[str], dest: str, new: str, **kwargs: Any) -> None:
        self.new = new
        kwargs.setdefault("help", argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        print(f"{parser.prog}: {option} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def confidence_level(text: str) -> float:
    """``--level``: a confidence level in (0, 1) in every sub-command."""
    try:
        level = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < level < 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a confidence level in (0, 1)")
    return level


def rounds(text: str) -> int:
    """``--bootstrap`` / ``--seed``: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not >= 0")
    return value


def add_intervals(
    p: argparse.ArgumentParser, *, bootstrap: int, what: str, level: type[argparse.Action] | None = None
) -> None:
    """``--bootstrap``, ``--level`` and ``--seed`` with one meaning everywhere (the bootstrap rule:
    0 = no intervals; estimators default to 0, audits to 1000). ``level``: an action that reads
    ``--level`` itself (a sub-command's transition from an old meaning)."""
    p.add_argument(
        "--bootstrap", type=rounds, default=bootstrap, help=f"bootstrap rounds {what}; 0 = none (default {bootstrap})"
    )
    how: dict[str, Any] = {"action": level} if level is not None else {"type": confidence_level}
    p.add_argument("--level", default=0.95, help="confidence level of the intervals (default 0.95)", **how)
    p.add_argument("--seed", type=rounds, default=0, help="bootstrap seed, an integer >= 0 (default 0)")
