"""The ``prefrank agreement`` sub-command (python/prefrank/cli/agreement.py)."""

from __future__ import annotations

import argparse
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import prefrank.agreement as ag
import pytest
from prefrank.cli import agreement as cli_agreement

CROWD = Path(__file__).resolve().parents[1] / "fixtures" / "llmfao-crowd.csv"


def _run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="prefrank")
    cli_agreement.add_parser(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = args.func(args)
    return rc, out.getvalue(), err.getvalue()


COLS = ("--unit", "id", "--rater", "worker", "--value", "winner")


def test_cli_summary_matches_api():
    rc, out, _ = _run("agreement", str(CROWD), *COLS, "--statistic", "alpha", "--statistic", "fleiss")
    assert rc == 0
    got = json.loads(out)
    df = pd.read_csv(CROWD)
    want = ag.krippendorff_alpha(df, unit="id", rater="worker", value="winner").value
    assert got["alpha"]["alpha"] == pytest.approx(want)
    assert got["fleiss"]["value"] == pytest.approx(ag.fleiss_kappa(df, unit="id", rater="worker", value="winner").value)
    assert set(got) == {"file", "alpha", "fleiss"}


def test_cli_bootstrap_items_and_matrix():
    rc, out, _ = _run("agreement", str(CROWD), *COLS, "--statistic", "alpha", "--bootstrap", "200")
    a = json.loads(out)["alpha"]
    assert rc == 0 and a["ci_low"] < a["alpha"] < a["ci_high"]
    rc, out, _ = _run("agreement", str(CROWD), *COLS, "--items")
    items = pd.read_csv(io.StringIO(out))
    assert rc == 0 and {"unit", "majority", "share", "split"} <= set(items.columns)
    assert set(items["majority"].dropna()) <= {"left", "right", "tie"}
    rc, out, _ = _run("agreement", str(CROWD), *COLS, "--matrix", "percent")
    m = pd.read_csv(io.StringIO(out), index_col=0)
    assert rc == 0 and m.shape[0] == m.shape[1]


def test_cli_errors(tmp_path):
    rc, _, err = _run("agreement", str(CROWD), "--unit", "id", "--rater", "nope", "--value", "winner")
    assert rc == 1 and "nope" in err  # an input error (the exit-code convention: 1)
    p = tmp_path / "one.csv"
    p.write_text("u,r,v\n1,a,x\n2,a,y\n")
    rc, out, _ = _run("agreement", str(p), "--unit", "u", "--rater", "r", "--value", "v", "--statistic", "alpha")
    got = json.loads(out)
    assert rc == 0 and got["alpha"]["alpha"] is None and got["alpha"]["reason"] == "one_rater"
    assert any("one_rater" in w for w in got["warnings"])
