"""The core score-consistency table (rows, or pair cells under the census's aggregation rules)
against its pure-Python twin in prefrank.reference.consistency."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import prefrank as pr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefrank import _core
from prefrank.exceptions import PrefrankError
from prefrank.reference import consistency as ref

_ROW = st.tuples(
    st.integers(0, 4),
    st.integers(1, 4),
    st.sampled_from([0.0, 0.5, 1.0, 0.3, 0.8]),
    st.booleans(),
    st.sampled_from([0.0, 1.0, 2.0, 0.5]),
    st.integers(0, 1),
    st.integers(0, 2),
    st.sampled_from([1.0, 2.0, 3.0, 2.5]),
    st.sampled_from([1.0, 2.0, 3.0, 2.5]),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_ROW, min_size=1, max_size=60),
    st.sampled_from([None, "majority", "probability", "unanimous"]),
    st.sampled_from([0.0, 0.1]),
    st.sampled_from([0.0, 0.5]),
)
def test_score_table_matches_twin(rows: list, aggregate: str | None, margin: float, tolerance: float) -> None:
    a = np.array([r[0] for r in rows], np.uint32)
    b = np.array([(r[0] + r[1]) % 5 for r in rows], np.uint32)
    p, tie, w = (np.array([r[k] for r in rows]) for k in (2, 3, 4))
    g, j = (np.array([r[k] for r in rows], np.uint32) for k in (5, 6))
    sa, sb = (np.array([r[k] for r in rows], np.float64) for k in (7, 8))
    tie = tie.astype(np.uint8)
    cmp = SimpleNamespace(n_items=5, a=a, b=b, p=p, tie=tie, weight=w)
    res = _core.score_table(
        cmp, sa, sb, group=g, judge=j, n_judges=3,
        aggregate=aggregate, margin=margin, tolerance=tolerance,
    )  # fmt: skip
    table, per = ref.score_consistency_table(
        a.tolist(), b.tolist(), p.tolist(), tie.tolist(), sa.tolist(), sb.tolist(),
        w.tolist(), g.tolist(), j.tolist(), aggregate, margin, tolerance,
    )  # fmt: skip
    assert res.table.tolist() == table
    for jj in range(3):
        want = per.get(jj, [0.0, 0.0, 0.0])
        assert [res.n[jj], res.conflicts[jj], res.reversals[jj]] == want
    # Through the public function: labels are coded in sorted order, so pairs keep their orientation;
    # a numeric outcome is a tie exactly when it is 0.5.
    out = pr.score_consistency(
        a=a, b=b, outcome=p, weight=w, group=g, judge=j, score_a=sa, score_b=sb,
        aggregate=aggregate, margin=margin, tolerance=tolerance,
    )  # fmt: skip
    table, _ = ref.score_consistency_table(
        a.tolist(), b.tolist(), p.tolist(), (p == 0.5).tolist(), sa.tolist(), sb.tolist(),
        w.tolist(), g.tolist(), j.tolist(), aggregate, margin, tolerance,
    )  # fmt: skip
    assert np.asarray(out.table, float).tolist() == table


def test_score_table_errors() -> None:
    one = (
        SimpleNamespace(
            n_items=2,
            a=np.array([0], np.uint32),
            b=np.array([1], np.uint32),
            p=np.array([1.0]),
            tie=np.array([0], np.uint8),
            weight=None,
        ),
    )
    with pytest.raises(PrefrankError, match="row 0: score_b"):
        _core.score_table(*one, np.array([1.0]), np.array([np.nan]))
    with pytest.raises(PrefrankError, match="aggregate"):
        _core.score_table(*one, np.array([1.0]), np.array([1.0]), aggregate="mean")
    with pytest.raises(PrefrankError, match="judge code 1 is out of range"):
        _core.score_table(*one, np.array([1.0]), np.array([1.0]), judge=np.array([1], np.uint32), n_judges=1)
