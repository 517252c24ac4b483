"""Result types of the ranking package: tables that stay readable whatever a fit returned."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import prefrank as pr


def test_group_rankings_table_with_a_group_without_finite_scores():
    # Found by the fuzz suite: a group whose scores are NaN (a fit that did not converge) made
    # to_pandas() and repr raise pandas' IntCastingNaNError; its rank is now missing instead.
    r = pr.bradley_terry_groups(
        a=["x", "y", "x", "y"], b=["y", "z", "z", "x"], outcome=["a", "a", "b", "b"], group=["g", "g", "h", "h"]
    )
    theta = r.theta.copy()
    theta[r.offsets[1] :] = np.nan
    bad = dataclasses.replace(r, theta=theta, converged=np.array([True, False]))
    df = bad.to_pandas()
    assert df.loc[df["group"] == "h", "rank"].isna().all()
    assert (df.loc[df["group"] == "g", "rank"] >= 1).all()
    assert "GroupRankings(groups=2" in repr(bad)
    json.dumps(bad.to_dict(), allow_nan=False)
    assert r.to_pandas()["rank"].dtype == np.int64  # finite scores keep integer ranks
