"""Score tables (prompt, response, judge, score) pivoted to the coded form curation takes."""

from __future__ import annotations

from typing import Any

import numpy as np

from prefrank.data.coding import code_labels
from prefrank.exceptions import input_error
from prefrank.io import _source, _to_numpy


def pivot_scores(
    data: Any, prompt: Any, response: Any, judge: Any, score: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Long form (one row per prompt, response, judge, score) -> tensor, prompt, response, judge labels."""

    src = _source(data)
    cols = [src.get(c, r) for c, r in ((prompt, "prompt"), (response, "response"), (judge, "judge"), (score, "score"))]
    n = len(cols[0])
    for c, name in zip(cols[1:], ("response", "judge", "score"), strict=True):
        if len(c) != n:
            raise input_error(f"length mismatch: prompt has {n} rows but {name} has {len(c)}")
    if n == 0:
        raise input_error("empty input: the score table has no rows")
    (pc,), prompts = code_labels(cols[0], names=["prompt"])
    (rc,), responses = code_labels(cols[1], names=["response"])
    (jc,), judges = code_labels(cols[2], names=["judge"])
    s = _to_numpy(cols[3])
    try:
        s = s.astype(np.float64)
    except (TypeError, ValueError):
        raise input_error("column score is not numeric", column="score") from None
    bad = np.isinf(s)
    if bad.any():
        row = int(np.argmax(bad))
        raise input_error(f"score value {s[row]} is not a finite number", row=row, column="score", value=s[row])
    # Local response index within each prompt (responses sorted by label code).
    key = pc.astype(np.int64) * len(responses) + rc
    uniq, inv = np.unique(key, return_inverse=True)
    up = (uniq // len(responses)).astype(np.int64)
    start = np.searchsorted(up, np.arange(len(prompts)))
    local = np.arange(len(uniq)) - start[up]
    n_resp = int(local.max()) + 1
    if n_resp < 2:
        raise input_error("every prompt has a single response: nothing to compare")
    tensor = np.full((len(prompts), n_resp, len(judges)), np.nan)
    row_local = local[inv]
    dup = np.zeros(tensor.shape, dtype=np.int64)
    np.add.at(dup, (pc, row_local, jc), 1)
    if (dup > 1).any():
        p_, r_, j_ = np.argwhere(dup > 1)[0]
        raise input_error(
            f"judge {judges[j_]!r} scored response {responses[uniq[start[p_] + r_] % len(responses)]!r} "
            f"of prompt {prompts[p_]!r} more than once"
        )
    tensor[pc, row_local, jc] = s
    labels = np.full((len(prompts), n_resp), None, dtype=object)
    labels[up, local] = responses[uniq % len(responses)]
    return tensor, prompts, labels, judges
