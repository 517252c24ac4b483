"""Fuzz every Stats type's to_bytes/from_bytes: clean round trips in-process, corrupt bytes (bit flips,
truncations, appended bytes, forged size fields, wrong types) in the crash sandbox."""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import prefrank as pr
import pytest
from fuzz.harness import FUZZ, Sandbox, check, check_isolated
from hypothesis import given
from hypothesis import strategies as st
from prefrank.agreement.alpha import coincidence
from prefrank.agreement.results import CoincidenceMatrix

LABEL_SETS = [["x", "y", "z"], [0, 5, 9], [2**63 + 1, 2**64 - 1, 3], [0.5, -1.5, 2.0], ["é", "模型", ""]]


def _blobs() -> dict[str, tuple[bytes, str]]:
    """A valid blob of each type, and the expression that loads one (``BLOB`` is its bytes)."""
    a, b, o = ["x", "y", "x", "z"], ["y", "z", "z", "x"], ["a", "b", "tie", "a"]
    cmp = pr.comparisons(a=a, b=b, outcome=o)
    coin = coincidence([[1, 2, 2, 1], [1, 2, 1, 1]])
    return {
        "PairCounts": (cmp.pair_counts().to_bytes(), "pr.PairCounts.from_bytes(BLOB)"),
        "PairCounts dense": (cmp.pair_counts().to_bytes(), "pr.PairCounts.from_bytes(BLOB, dense=True)"),
        "ComparisonStats": (
            pr.ComparisonStats.accumulate(a=a, b=b, outcome=o, group=["g", "g", "h", "h"]).to_bytes(),
            "pr.ComparisonStats.from_bytes(BLOB)",
        ),
        "RatingsStats": (
            pr.RatingsStats.accumulate(unit=[1, 1, 2, 2], rater=["p", "q", "p", "q"], value=[1, 2, 2, 2]).to_bytes(),
            "pr.RatingsStats.from_bytes(BLOB)",
        ),
        "CoincidenceMatrix": (
            coin.to_bytes(),
            "__import__('prefrank.agreement.results', fromlist=['x']).CoincidenceMatrix.from_bytes(BLOB, [1, 2])",
        ),
    }


BLOBS = _blobs()


@pytest.fixture(scope="module")
def box() -> Any:
    sandbox = Sandbox()
    yield sandbox
    sandbox.close()


def _mutations(blob: bytes, draw: Any) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["flip", "truncate", "append", "forge", "zero", "random", "empty"]))
    if kind == "empty" or not blob:
        return "empty", b""
    if kind == "flip":
        bit = draw(st.integers(0, 8 * len(blob) - 1))
        out = bytearray(blob)
        out[bit // 8] ^= 1 << (bit % 8)
        return f"bit {bit} flipped", bytes(out)
    if kind == "truncate":
        cut = draw(st.integers(0, len(blob) - 1))
        return f"truncated to {cut} bytes", blob[:cut]
    if kind == "append":
        return "8 bytes appended", blob + b"\xff" * 8
    if kind == "zero":
        at = draw(st.integers(0, len(blob) - 1))
        return f"zeroed from byte {at}", blob[:at] + bytes(len(blob) - at)
    if kind == "random":
        n = draw(st.integers(0, 64))
        return f"{n} random bytes", draw(st.binary(min_size=n, max_size=n))
    # forge: overwrite an 8-byte field with a huge count (sizes claimed by the header)
    at = draw(st.integers(0, max(len(blob) - 8, 0)))
    value = draw(st.sampled_from([100_000, 3_000_000_000, 2**64 - 2, 2**63, 2**32 + 1]))
    return f"u64 {value} at byte {at}", blob[:at] + struct.pack("<Q", value) + blob[at + 8 :]


@FUZZ
@given(name=st.sampled_from(sorted(BLOBS)), data=st.data())
def test_corrupt_bytes_in_sandbox(box: Sandbox, name: str, data: Any) -> None:
    blob, expr = BLOBS[name]
    desc, bad = _mutations(blob, data.draw)
    check_isolated(box, f"{name}.from_bytes({desc})", expr.replace("BLOB", repr(bad)), function=f"{name}.from_bytes")


@pytest.mark.parametrize("name", sorted(BLOBS))
@pytest.mark.parametrize("value", ["str", None, 3, bytearray(b"ab"), memoryview(b""), np.zeros(3, np.uint8), [1, 2]])
def test_from_bytes_wrong_types(box: Sandbox, name: str, value: Any) -> None:
    _, expr = BLOBS[name]
    literal = (
        repr(value)
        if not isinstance(value, (memoryview, np.ndarray))
        else ("memoryview(b'')" if isinstance(value, memoryview) else "np.zeros(3, np.uint8)")
    )
    check_isolated(box, f"{name}.from_bytes({literal})", expr.replace("BLOB", literal), function=f"{name}.from_bytes")


@FUZZ
@given(
    labels=st.sampled_from(LABEL_SETS),
    rows=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 2), st.sampled_from(["a", "b", "tie"])), max_size=8),
    weight=st.sampled_from([None, 0.5, 2.0, 1e-300, 1e300]),
)
def test_round_trips(labels: list[Any], rows: list[Any], weight: Any) -> None:
    """What to_bytes writes, from_bytes reads back equal, for every label type the input accepts."""
    a = [labels[i] for i, _, _ in rows]
    b = [labels[(i + s) % 3] for i, s, _ in rows]
    o = [x for _, _, x in rows]
    w = None if weight is None else [weight] * len(rows)
    case = f"labels {labels}, {len(rows)} rows, weight {weight}"

    def pair_counts() -> Any:
        pc = pr.comparisons(a=a, b=b, outcome=o, weight=w).pair_counts()
        return pc, pr.PairCounts.from_bytes(pc.to_bytes())

    def stats() -> Any:
        s = pr.ComparisonStats.accumulate(a=a, b=b, outcome=o, weight=w)
        return s, pr.ComparisonStats.from_bytes(s.to_bytes())

    def ratings() -> Any:
        r = pr.RatingsStats.accumulate(unit=a, rater=b, value=o)
        return r, pr.RatingsStats.from_bytes(r.to_bytes())

    def coin() -> Any:
        c = (
            coincidence([[labels.index(x) for x in a], [labels.index(x) for x in b]])
            if rows
            else coincidence([[1], [1]])
        )
        return c, CoincidenceMatrix.from_bytes(c.to_bytes(), list(c.categories))

    def same(pair: Any) -> None:
        before, after = pair
        assert before.to_bytes() == after.to_bytes(), "the bytes of the loaded copy differ"
        if hasattr(before, "to_pandas"):
            assert before.to_pandas().equals(after.to_pandas()), "the loaded copy's table differs"

    for what, fn in [
        ("PairCounts", pair_counts),
        ("ComparisonStats", stats),
        ("RatingsStats", ratings),
        ("CoincidenceMatrix", coin),
    ]:
        check(
            f"{what} round trip ({case})",
            fn,
            function=f"{what}.to_bytes",
            reference=same,
            allow_nan=not math.isfinite(weight or 1),
            checked_by="round trip",
        )
