"""The ``prefrank`` console script, one module per sub-command."""

from __future__ import annotations

from prefrank.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
