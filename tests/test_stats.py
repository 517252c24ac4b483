"""Serialised statistics (issue 16 item 5): one framed, checksummed format for PairCounts,
ComparisonStats, RatingsStats and the coincidence matrix, validated on load.

The hand-built frames below follow the layout in ``rust/prefrank-core/src/stats.rs``: magic
``PFST``, version u16, kind u16, section count u32, (tag u32, length u64) per section, the
sections, CRC-32 (zlib's, the same IEEE polynomial) of everything before it.
"""

from __future__ import annotations

import pickle
import struct
import zlib

import numpy as np
import prefrank as pr
import prefrank.agreement as ag
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefrank import ComparisonStats, InputError, RatingsStats

CORRUPT = r"^corrupt or incompatible prefrank statistics: "
PAIRS, COINCIDENCE, COMPARISONS, RATINGS = 1, 2, 4, 5
T_ITEMS, T_META, T_PAIRS, T_CELLS = 1, 4, 5, 6


def frame(kind: int, sections: dict[int, bytes], version: int = 1) -> bytes:
    tags = sorted(sections)
    out = b"PFST" + struct.pack("<HHI", version, kind, len(tags))
    out += b"".join(struct.pack("<IQ", t, len(sections[t])) for t in tags)
    out += b"".join(sections[t] for t in tags)
    return out + struct.pack("<I", zlib.crc32(out))


def int64_labels(values: list[int], n: int | None = None) -> bytes:
    return b"\0" + struct.pack("<Q", len(values) if n is None else n) + struct.pack(f"<{len(values)}q", *values)


def str_labels(values: list[str]) -> bytes:
    out = b"\3" + struct.pack("<Q", len(values))
    for v in values:
        out += struct.pack("<I", len(v.encode())) + v.encode()
    return out


def pairs_section(n: int, cells: list[tuple[int, int, float, float, float]]) -> bytes:
    return struct.pack("<QQ", n, len(cells)) + b"".join(struct.pack("<IIddd", *c) for c in cells)


def load_pairs(data: bytes, **kw: object) -> pr.PairCounts:
    return pr.PairCounts.from_bytes(data, **kw)


def small_stats() -> tuple[pr.PairCounts, ComparisonStats, RatingsStats, ag.CoincidenceMatrix]:
    rows = {
        "a": ["x", "y", "x", "z"],
        "b": ["y", "z", "z", "x"],
        "o": ["a", "b", "tie", "a"],
        "g": ["p1", "p2", "p1", "p2"],
        "pos": ["a", "b", "a", "a"],
    }
    cs = ComparisonStats.accumulate(rows, a="a", b="b", outcome="o", group="g", position="pos")
    rs = RatingsStats.accumulate(
        {"u": [1, 1, 2, 2], "r": ["r1", "r2", "r1", "r2"], "v": [3, 3, 4, 5]}, unit="u", rater="r", value="v"
    )
    co = ag.coincidence([[1, 2, 2], [1, 2, 3]], levels=[1, 2, 3])
    return cs.pairs, cs, rs, co


# --------------------------------------------------------------------------------------------------
# The reported aborts and panics: claimed sizes the bytes cannot back


@pytest.mark.parametrize("n_items", [100_000, 3_000_000_000, 2**64 - 2])
def test_claimed_item_count_without_labels_to_back_it_is_an_error(n_items):
    blob = frame(PAIRS, {T_ITEMS: int64_labels([]), T_PAIRS: pairs_section(n_items, [])})
    with pytest.raises(InputError, match=CORRUPT + "the pair counts are over"):
        load_pairs(blob, dense=True)


def test_claimed_label_and_cell_counts_beyond_the_buffer_are_errors():
    huge_labels = frame(PAIRS, {T_ITEMS: int64_labels([], n=2**61), T_PAIRS: pairs_section(0, [])})
    with pytest.raises(InputError, match=CORRUPT + "section items: 2305843009213693952 labels claimed"):
        load_pairs(huge_labels)
    cells = struct.pack("<QQ", 2, 2**60)
    with pytest.raises(InputError, match=CORRUPT + "section pairs: .* cells claimed"):
        load_pairs(frame(PAIRS, {T_ITEMS: int64_labels([1, 2]), T_PAIRS: cells}))
    table = b"PFST" + struct.pack("<HHI", 1, PAIRS, 2**31)
    with pytest.raises(InputError, match=CORRUPT + "2147483648 sections claimed"):
        load_pairs(table + struct.pack("<I", zlib.crc32(table)))


def test_old_format_bytes_say_they_must_be_regenerated():
    # Today's PairCounts format: PFPL, label JSON length, JSON, then the core PFPC table.
    old = b"PFPL" + struct.pack("<Q", 2) + b"[]" + b"PFPC\x01" + struct.pack("<QQ", 100_000, 0)
    assert len(old) == 35
    for load, magic in (
        (load_pairs, b"PFPL"),
        (ComparisonStats.from_bytes, b"PFCS"),
        (RatingsStats.from_bytes, b"PFRS"),
        (ag.CoincidenceMatrix.from_bytes, b"PFCO"),
    ):
        with pytest.raises(InputError, match=CORRUPT + "these bytes were written by an older prefrank") as e:
            load(magic + old[4:])
        assert "regenerate" in str(e.value)


def test_foreign_truncated_newer_and_wrong_kind_bytes():
    pc, cs, _, _ = small_stats()
    data = pc.to_bytes()
    cases = {
        b"": "not serialised PairCounts",
        b"PK\x03\x04 a zip file": "not serialised PairCounts",
        data[:10]: "truncated",
        data[:-1]: "checksum mismatch",
        cs.to_bytes(): "these bytes hold ComparisonStats, not PairCounts",
        frame(PAIRS, {}, version=2): "written by a newer prefrank",
    }
    for blob, msg in cases.items():
        with pytest.raises(InputError, match=CORRUPT + msg):
            load_pairs(blob)
    for bad in ("text", None, 12, [1, 2]):
        with pytest.raises(InputError, match=CORRUPT + "expected bytes"):
            RatingsStats.from_bytes(bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Integrity: every single-bit flip and every truncation is refused


@pytest.mark.parametrize("which", ["PairCounts", "ComparisonStats", "RatingsStats", "Coincidence"])
def test_every_single_bit_flip_and_truncation_is_rejected(which):
    stats = dict(zip(["PairCounts", "ComparisonStats", "RatingsStats", "Coincidence"], small_stats()))
    s = stats[which]
    load = type(s).from_bytes
    data = s.to_bytes()
    assert type(load(data)) is type(s)
    buf = bytearray(data)
    for k in range(len(data) * 8):
        buf[k // 8] ^= 1 << (k % 8)
        with pytest.raises(InputError, match=CORRUPT):
            load(bytes(buf))
        buf[k // 8] ^= 1 << (k % 8)
    for n in range(len(data)):
        with pytest.raises(InputError, match=CORRUPT):
            load(data[:n])


# --------------------------------------------------------------------------------------------------
# Content validation (with a valid checksum): labels, counts, codes


@pytest.mark.parametrize(
    ("labels", "msg"),
    [
        (int64_labels([1, 1]), "items: labels 0 and 1 are equal"),
        (int64_labels([2, 1]), "items: labels 0 and 1 are out of order"),
        (str_labels(["b", "a"]), "out of order"),
        (b"\1" + struct.pack("<Qdd", 2, 0.5, float("nan")), "label 1 is NaN"),
        (b"\4" + struct.pack("<Q", 2) + b"\x09\x00\x09\x00", "unsupported type tag 9"),
        (b"\x07" + struct.pack("<Q", 0), "unsupported label array type 7"),
        (b"\3" + struct.pack("<QI", 2, 1) + b"\xff" + struct.pack("<I", 1) + b"a", "not valid UTF-8"),
    ],
)
def test_bad_labels_are_refused(labels, msg):
    blob = frame(PAIRS, {T_ITEMS: labels, T_PAIRS: pairs_section(2, [])})
    with pytest.raises(InputError, match=CORRUPT + ".*" + msg):
        load_pairs(blob)


@pytest.mark.parametrize(
    ("cell", "msg"),
    [
        ((0, 1, float("nan"), 0.0, 0.0), r"\(0, 1\) has count NaN"),
        ((0, 1, -1.0, 0.0, 0.0), r"\(0, 1\) has count -1"),
        ((0, 1, float("inf"), 0.0, 0.0), r"\(0, 1\) has count inf"),
        ((1, 1, 1.0, 0.0, 0.0), r"is \(1, 1\), not i < j < 2"),
        ((0, 5, 1.0, 0.0, 0.0), r"is \(0, 5\), not i < j < 2"),
    ],
)
def test_bad_counts_and_codes_are_refused(cell, msg):
    blob = frame(PAIRS, {T_ITEMS: int64_labels([1, 2]), T_PAIRS: pairs_section(2, [cell])})
    with pytest.raises(InputError, match=CORRUPT + "pairs: cell 0 " + msg):
        load_pairs(blob)
    repeated = pairs_section(2, [(0, 1, 1.0, 0.0, 0.0)] * 2)
    with pytest.raises(InputError, match=CORRUPT + "pairs: cell 1 is not after cell 0"):
        load_pairs(frame(PAIRS, {T_ITEMS: int64_labels([1, 2]), T_PAIRS: repeated}))


def _cells(n: int, lo: int, hi: int, weight: float) -> bytes:
    out = struct.pack("<Q", n)
    for v in (0, 0, lo, hi):
        out += struct.pack(f"<{n}I", *([v] * n))
    out += bytes(n)
    for v in (weight, 0.0, 0.0, weight, 0.0):
        out += struct.pack(f"<{n}d", *([v] * n))
    return out


def test_comparison_stats_codes_weights_and_counters_are_checked():
    def blob(cells: bytes, meta: bytes = struct.pack("<BQQ", 0, 1, 0)) -> bytes:
        return frame(
            COMPARISONS,
            {T_ITEMS: int64_labels([1, 2]), T_META: meta, T_PAIRS: pairs_section(2, []), T_CELLS: cells},
        )

    assert ComparisonStats.from_bytes(blob(_cells(1, 0, 1, 1.0))).n_cells == 1
    for cells, msg in (
        (_cells(1, 0, 7, 1.0), "cell 0: code 7 is out of range for 2 items"),
        (_cells(1, 0, 1, float("nan")), "lo_won 0 is NaN"),
        (_cells(1, 0, 1, -2.0), "lo_won 0 is -2"),
        (_cells(1, 1, 0, 1.0), "lo 1 is not below hi 0"),
    ):
        with pytest.raises(InputError, match=CORRUPT + ".*" + msg):
            ComparisonStats.from_bytes(blob(cells))
    with pytest.raises(InputError, match=CORRUPT + "meta: has_position is 2"):
        ComparisonStats.from_bytes(blob(_cells(1, 0, 1, 1.0), struct.pack("<BQQ", 2, 1, 0)))
    _, cs, _, _ = small_stats()
    for field in ("n_rows", "dropped_self"):
        bad = ComparisonStats(**{**cs.__dict__, field: -1})
        with pytest.raises(InputError, match=f"{field}=-1: it must be a non-negative integer"):
            bad.to_bytes()


def test_ratings_codes_out_of_range_are_an_input_error_not_an_index_error():
    _, _, rs, _ = small_stats()
    bad = RatingsStats(**{**rs.__dict__, "value": np.array([0, 1, 9, 1], np.uint32)})
    with pytest.raises(pr.PrefrankError, match="cannot be serialised: rating 2: code 9 is out of range for 3 values"):
        bad.to_bytes()
    # In bytes: the ratings section of a valid frame with one code past the label tables.
    data = bytearray(rs.to_bytes())
    end = len(data) - 4
    n = rs.n_ratings
    value_at = end - 4 * n + 8
    data[value_at : value_at + 4] = struct.pack("<I", 9)
    data[end:] = struct.pack("<I", zlib.crc32(bytes(data[:end])))
    with pytest.raises(InputError, match=CORRUPT + "rating 2: code 9 is out of range for 3 values"):
        RatingsStats.from_bytes(bytes(data))


def test_unsupported_or_unordered_labels_are_refused_when_writing():
    pc, _, _, _ = small_stats()
    nested = np.empty(3, dtype=object)
    nested[:] = [(1, 2), (3, 4), (5, 6)]
    with pytest.raises(InputError, match=r"items: label 0 \(tuple\) cannot be serialised"):
        pr.PairCounts(pc._core, nested).to_bytes()
    with pytest.raises(pr.ParameterError, match="labels 1 and 2 are equal"):
        pr.PairCounts(pc._core, np.array(["a", "b", "b"], dtype=object)).to_bytes()
    with pytest.raises(pr.ParameterError, match="label 1 is NaN"):
        pr.PairCounts(pc._core, np.array([0.5, np.nan, 2.0])).to_bytes()


# --------------------------------------------------------------------------------------------------
# Labels round-trip for every type coding accepts


@pytest.mark.parametrize(
    "labels",
    [
        ["gpt-4", "claude", "é", "日本"],
        [3, -7, 12, 0],
        [2**64 + 5, -(2**70), 2**63, -(2**63) - 1, 0],
        [0.5, -1.25, 3.75],
        [True, False],
        [b"a", b"b\x00", b"c"],
        ["a", 7, 2.5, 2**80],
    ],
)
def test_labels_round_trip(labels):
    a = np.empty(len(labels), dtype=object)
    a[:] = labels
    b = np.roll(a, 1)
    pc = pr.comparisons(a=a, b=b, outcome=np.ones(len(a))).pair_counts()
    back = pr.PairCounts.from_bytes(pc.to_bytes())
    assert back == pc
    assert back.items.dtype == pc.items.dtype
    assert [type(x) for x in back.items.tolist()] == [type(x) for x in pc.items.tolist()]
    assert pickle.loads(pickle.dumps(pc)) == pc


def test_labels_of_numpy_dtypes_keep_their_dtype():
    pc, _, _, _ = small_stats()
    for items in (np.array([4, 8, 9]), np.array([0.5, 1.5, 2.5]), np.array(["a", "b", "c"])):
        back = pr.PairCounts.from_bytes(pr.PairCounts(pc._core, items).to_bytes())
        assert back.items.dtype.kind == items.dtype.kind
        assert back.items.tolist() == items.tolist()


def test_coincidence_categories_travel_in_the_bytes():
    _, _, _, co = small_stats()
    back = ag.CoincidenceMatrix.from_bytes(co.to_bytes())
    assert back.categories.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(back.matrix, co.matrix)
    assert ag.CoincidenceMatrix.from_bytes(co.to_bytes(), [1, 2, 3]).categories.tolist() == [1, 2, 3]
    with pytest.raises(pr.ParameterError, match="categories"):
        ag.CoincidenceMatrix.from_bytes(co.to_bytes(), [3, 2, 1])
    # Ordinal categories keep the order the user gave (unique, not necessarily sorted).
    rev = ag.coincidence([["lo", "hi"], ["lo", "mid"]], levels=["lo", "mid", "hi"])
    assert ag.CoincidenceMatrix.from_bytes(rev.to_bytes()).categories.tolist() == ["lo", "mid", "hi"]
    assert pickle.loads(pickle.dumps(co)).categories.tolist() == [1, 2, 3]


# --------------------------------------------------------------------------------------------------
# Round trips: bytes(s) -> s, and merging commutes with the round trip


def _same(x: ComparisonStats, y: ComparisonStats) -> bool:
    return (
        x.to_bytes() == y.to_bytes()
        and x.pairs == y.pairs
        and x.n_rows == y.n_rows
        and all(np.array_equal(x.cells[k], y.cells[k]) for k in x.cells)
    )


labels = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(min_size=1, max_size=4),
)


@st.composite
def comparison_tables(draw: st.DrawFn) -> dict[str, list[object]]:
    pool = draw(st.lists(labels, min_size=2, max_size=6, unique=True).filter(lambda v: len({type(x) for x in v}) == 1))
    n = draw(st.integers(1, 12))
    a = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    b = [pool[(pool.index(x) + draw(st.integers(1, len(pool) - 1))) % len(pool)] for x in a]
    outcome = draw(st.lists(st.sampled_from(["a", "b", "tie"]), min_size=n, max_size=n))
    group = draw(st.lists(st.sampled_from(["g1", "g2", "g3"]), min_size=n, max_size=n))
    weight = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0]), min_size=n, max_size=n))
    return {"a": a, "b": b, "outcome": outcome, "group": group, "weight": weight}


def _obj(v: list[object]) -> np.ndarray:
    out = np.empty(len(v), dtype=object)
    out[:] = v
    return out


def _stats(t: dict[str, list[object]]) -> ComparisonStats:
    return ComparisonStats.accumulate(**{k: _obj(v) if k in "ab" else v for k, v in t.items()})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(comparison_tables(), comparison_tables())
def test_round_trip_and_merge_commute(x, y):
    if {type(v) for v in x["a"]} != {type(v) for v in y["a"]}:
        return  # str and int labels do not mix in one table
    a, b = _stats(x), _stats(y)
    ra, rb = (ComparisonStats.from_bytes(s.to_bytes()) for s in (a, b))
    assert _same(ra, a) and _same(rb, b)
    merged = a.merge(b)
    assert _same(ComparisonStats.from_bytes(merged.to_bytes()), ra.merge(rb))
    assert _same(pickle.loads(pickle.dumps(merged)), merged)
    assert pr.PairCounts.from_bytes(merged.pairs.to_bytes()) == ra.pairs.merge(rb.pairs)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(["r1", "r2", "r3"]), st.integers(-(2**53), 2**53)),
        min_size=1,
        max_size=10,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_ratings_round_trip(rows):
    u, r, v = (list(c) for c in zip(*rows))
    s = RatingsStats.accumulate({"u": u, "r": r, "v": _obj(v)}, unit="u", rater="r", value="v")
    back = RatingsStats.from_bytes(s.to_bytes())
    for k in ("units", "raters", "values", "unit", "rater", "value"):
        assert getattr(back, k).tolist() == getattr(s, k).tolist(), k
    assert back.to_bytes() == s.to_bytes()


def test_dask_runs_with_labels_beyond_int64():
    pytest.importorskip("dask.dataframe")
    import dask
    import dask.dataframe as dd
    import pandas as pd
    from prefrank import distributed

    big = [2**64 + 1, 2**64 + 2, 2**64 + 3]
    df = pd.DataFrame({"a": _obj(big * 4), "b": _obj((big[1:] + big[:1]) * 4), "o": ["a", "b", "tie"] * 4})
    with dask.config.set({"dataframe.convert-string": False}):  # keep the ints Python ints
        ddf = dd.from_pandas(df, npartitions=3)
        got = distributed.pair_counts(ddf, a="a", b="b", outcome="o")
    want = pr.comparisons(df, a="a", b="b", outcome="o").pair_counts()
    assert got == want
    assert got.items.tolist() == big
