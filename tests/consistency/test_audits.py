"""Tests of prefrank.audit, the HTML report and the ``prefrank audit`` command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import prefrank as pr
import pytest
from prefrank.cli import audit as cli_audit
from prefrank.consistency import audit
from prefrank.exceptions import PrefrankError

DATA = Path(__file__).resolve().parents[1] / "fixtures"
GPT4 = DATA / "llmfao-gpt4.csv"


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    p = argparse.ArgumentParser(prog="prefrank")
    sub = p.add_subparsers()
    cli_audit.add_parser(sub)
    args = p.parse_args(["audit", *argv])
    rc = args.func(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_audit_on_llmfao_gpt4_matches_parts():
    res = audit(GPT4, a="left", b="right", verdict="winner", group="prompt", position="left", bootstrap=100)
    tr = pr.transitivity(GPT4, a="left", b="right", outcome="winner", group="prompt", position="left", bootstrap=100)
    assert res.transitivity is not None and res.transitivity.counts == tr.counts
    assert res.transitivity.ci == tr.ci
    to = pr.tournament(GPT4, a="left", b="right", outcome="winner", position="left", cycles=20)
    assert res.tournament is not None and res.tournament.circular == to.circular
    assert res.position_bias is not None
    # GPT-4 favours the response shown second (right) on these data.
    assert res.position_bias.first_win_share < 0.5
    assert res.score_consistency is None
    assert any("score" in n for n in res.notes) and any("agreement" in n for n in res.notes)
    # Worst groups come with their contradictions spelled out with item labels.
    assert res.worst_triples is not None and len(res.worst_triples) > 0
    first = res.worst_triples.iloc[0]
    assert str(first["x"]) in first["text"]
    labels, m = res.win_matrix(max_items=10)
    assert len(labels) == 10 and m.shape == (10, 10) and np.all(np.diag(m) == 0)
    d = res.to_dict()
    json.dumps(d)  # JSON-serialisable
    assert d["transitivity"]["counts"]["triples"] == tr.counts["triples"]


def test_audit_without_optional_columns_and_with_scores():
    a = ["x", "y", "z", "x"]
    b = ["y", "z", "x", "z"]
    out = ["a", "a", "a", "b"]
    res = audit(a=a, b=b, outcome=out, bootstrap=0)
    assert res.transitivity is None and res.position_bias is None
    assert res.tournament is not None and res.tournament.circular == 1
    assert any("group" in n for n in res.notes)
    sc = audit(
        {"a": a, "b": b, "o": out, "sa": [3, 2, 1, 3], "sb": [2, 1, 3, 1]},
        a="a",
        b="b",
        outcome="o",
        score_a="sa",
        score_b="sb",
        bootstrap=0,
    )
    assert sc.score_consistency is not None
    # Row 2: z (score 1) beat x (score 3) -> reversal; row 3: x (3) lost to z (1) -> reversal.
    assert sc.score_consistency.reversal_rate == 0.5
    html = sc.to_html()
    assert "Scores vs pairwise verdicts" in html and "Transitivity" not in html
    with pytest.raises(PrefrankError, match="not both"):
        audit(a=a, b=b, outcome=out, verdict=out)


def test_html_report_contents(tmp_path):
    res = audit(GPT4, a="left", b="right", verdict="winner", group="prompt", position="left", bootstrap=50)
    path = tmp_path / "r.html"
    html = res.to_html(path)
    assert path.read_text(encoding="utf-8") == html
    assert html.startswith("<!doctype html>")
    for needle in (
        "Transitivity within groups",
        "Contradictions, spelled out",
        "Position bias",
        "Win matrix",
        "<svg",
        "backward arcs",
    ):
        assert needle in html
    # A cycle is spelled with item labels: "X &gt; Y &gt; Z &gt; X".
    cyc = res.tournament.cycles[0]
    assert " &gt; ".join(str(c) for c in cyc) in html


def test_cli_json_and_html(tmp_path, capsys):
    html = tmp_path / "audit.html"
    rc, out, _ = _cli(
        [
            str(GPT4),
            "--a",
            "left",
            "--b",
            "right",
            "--verdict",
            "winner",
            "--group",
            "prompt",
            "--position",
            "left",
            "--bootstrap",
            "50",
            "--html",
            str(html),
            "--mode",
            "trustjudge",
        ],
        capsys,
    )
    assert rc == 0
    summary = json.loads(out)
    assert summary["transitivity"]["mode"] == "trustjudge"
    assert "ntr4" in summary["transitivity"]["rates"]
    assert summary["html"] == str(html) and html.exists()
    assert summary["position_bias"]["n_decisive"] > 0
    assert summary["tournament"]["n_items"] == 59
    crowd = DATA / "llmfao-crowd.csv"
    base = [
        str(crowd),
        "--a",
        "left",
        "--b",
        "right",
        "--verdict",
        "winner",
        "--group",
        "prompt",
        "--judge",
        "worker",
        "--position",
        "left",
        "--bootstrap",
        "0",
    ]
    rc, split, _ = _cli(base, capsys)
    rc2, pooled, _ = _cli([*base, "--pool-judges"], capsys)
    assert rc == rc2 == 0
    # Pooling the workers' verdicts per pair completes many more triples than each worker alone.
    assert (
        json.loads(pooled)["transitivity"]["counts"]["triples"] > json.loads(split)["transitivity"]["counts"]["triples"]
    )


def test_cli_errors(tmp_path, capsys):
    rc, _, err = _cli([str(tmp_path / "missing.csv"), "--a", "x", "--b", "y", "--verdict", "z"], capsys)
    assert rc == 1 and "no such file" in err
    rc, _, err = _cli([str(GPT4), "--a", "nope", "--b", "right", "--verdict", "winner"], capsys)
    assert rc == 1 and "nope" in err


def test_audit_notes_when_tournament_too_large():
    n = 20_001
    a = np.arange(n)
    b = (a + 1) % n
    with pytest.raises(PrefrankError, match="tournament limit"):
        pr.tournament(a=a, b=b, outcome=np.ones(n), order=False)
    res = audit(a=a, b=b, outcome=np.ones(n), bootstrap=0, progress=False)
    assert res.tournament is None
    assert any("tournament skipped" in note for note in res.notes)
    mid = audit(a=a[:6000], b=(a[:6000] + 1) % 6000, outcome=np.ones(6000), bootstrap=0)
    assert mid.tournament is not None and mid.tournament.order is None
    assert any("most consistent order was skipped" in note for note in mid.notes)
    assert "Win matrix" in mid.to_html()
