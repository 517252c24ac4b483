"""The ``prefrank`` console script: ``prefrank leaderboard FILE ...`` and the other sub-commands.

Tables go to stdout as CSV (default) or JSON; reports are written where ``--html`` says.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from prefrank._core import __version__
from prefrank.cli import agreement, audit, leaderboard
from prefrank.exceptions import PrefrankError

# Each sub-command module exposes add_parser(subparsers), which sets the function that runs it.
_COMMANDS = (leaderboard, audit, agreement)


def build_parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(prog="prefrank", description="Fast preference and ranking computation.")
    parser.add_argument("--version", action="version", version=f"prefrank {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except (PrefrankError, FileNotFoundError, ImportError) as e:
        print(f"prefrank: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("prefrank: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) closed the pipe: stop quietly, as Unix tools do.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
