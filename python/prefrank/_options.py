"""Parameter validation and the shared vocabulary of options."""

from __future__ import annotations

from typing import Any

from prefrank.exceptions import PrefrankError


def _check_batch_rows(batch_rows: Any) -> int:
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise PrefrankError(f"batch_rows={batch_rows!r} must be a positive integer")
    return int(batch_rows)
