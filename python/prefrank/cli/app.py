"""The ``prefrank`` console script: ``prefrank leaderboard FILE ...`` and the other sub-commands.

Tables go to stdout as CSV (default) or JSON; reports are written where ``--html`` says.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from prefrank._core import __version__
from prefrank.cli import agreement, audit, leaderboard
from prefrank.cli._common import EPILOG, EXIT_USAGE

# Each sub-command module exposes add_parser(subparsers), which sets the function that runs it.
_COMMANDS = (leaderboard, audit, agreement)


def build_parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(
        prog="prefrank", description="Fast preference and ranking computation.", epilog=EPILOG
    )
    parser.add_argument("--version", action="version", version=f"prefrank {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; returns the exit status of :data:`~prefrank.cli._common.EPILOG`
    (argparse's own exits, 0 for ``--help`` / ``--version`` and 2 for a usage error, included)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # Each sub-command's run is guarded: its errors are already exit statuses.
    return int(args.func(args))
