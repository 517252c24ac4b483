"""Fragility in the leaderboard report: `prefrank leaderboard --html ... --fragility` and its JSON key."""

from __future__ import annotations

import csv
import json
import re

import pytest
from prefrank.cli import main
from prefrank.datasets import arena_2023_path
from prefrank.robust import fragility

ARENA = ["--a", "model_a", "--b", "model_b", "--outcome", "winner"]


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _cycle_rows(n_rounds=4):
    # Three items beating each other in a cycle: a connected, well-posed fit.
    rows = []
    for _ in range(n_rounds):
        rows += [("x", "y", "a"), ("y", "z", "a"), ("z", "x", "a"), ("x", "z", "a"), ("x", "y", "b")]
    return rows


def test_arena_report_and_json_carry_fragility(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    direct = fragility(arena_2023_path(), a="model_a", b="model_b", outcome="winner")
    assert direct.found and direct.size > 0
    report = tmp_path / "board.html"
    code = main(
        ["leaderboard", str(arena_2023_path()), *ARENA, "--html", str(report), "--fragility", "--format", "json"]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    frag = payload["fragility"]
    assert frag["size"] == direct.size and frag["found"] is True
    assert frag["top_before"] == "gpt-4" == payload["leaderboard"][0]["item"]
    assert frag["top_after"] == direct.top_after
    assert frag["comparisons"] == direct.total
    assert frag["rows"] == direct.rows.tolist()

    text = report.read_text(encoding="utf-8")
    assert '<h2 id="fragility">' in text
    m = re.search(r"rests on <strong>([\d,]+) of ([\d,]+)</strong>", text)
    assert m is not None
    assert int(m.group(1).replace(",", "")) == direct.size
    assert int(m.group(2).replace(",", "")) == direct.total
    assert f"<strong>{direct.top_after}</strong> the top item" in text
    # At most 20 removed comparisons are listed, each with its row number, pair and outcome.
    listed = re.findall(r"<tr><td>(\d+)</td><td>([^<]+) vs ([^<]+)</td><td>([^<]+) won</td></tr>", text)
    assert len(listed) == min(20, direct.size)
    assert [int(r[0]) for r in listed] == direct.rows[:20].tolist()
    assert all(r[1] == r[3] for r in listed)
    assert text.count("data:image/png;base64,") == 2


def test_fractional_weights_report_says_why(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    rows = [(*r, 1.5) for r in _cycle_rows()]
    data = _write_csv(tmp_path / "weighted.csv", ["model_a", "model_b", "winner", "w"], rows)
    report = tmp_path / "board.html"
    code = main(
        ["leaderboard", str(data), *ARENA, "--weight", "w", "--html", str(report), "--fragility", "--format", "json"]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert "whole numbers" in payload["fragility"]["error"]
    assert len(payload["leaderboard"]) == 3
    text = report.read_text(encoding="utf-8")
    assert '<h2 id="fragility">' in text and "Fragility was not computed" in text and "whole numbers" in text
    assert "<h1>Leaderboard</h1>" in text


def test_plain_report_has_no_fragility_section(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    report = tmp_path / "board.html"
    assert main(["leaderboard", "--example", "--html", str(report), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert "fragility" not in payload
    text = report.read_text(encoding="utf-8")
    assert "<h1>Leaderboard</h1>" in text and "fragility" not in text.lower()


def test_position_and_directory_inputs_match_direct_call(tmp_path, capsys):
    pytest.importorskip("pandas")
    from prefrank.data import comparisons

    # left/right verdicts with the item shown first in `shown`; split over two files of a directory.
    rows = []
    for a, b, o in _cycle_rows(6):
        winner = a if o == "a" else b
        shown = a if len(rows) % 2 else b
        rows.append((a, b, shown, "left" if winner == shown else "right"))
    header = ["model_a", "model_b", "shown", "verdict"]
    folder = tmp_path / "parts"
    folder.mkdir()
    _write_csv(folder / "part-0.csv", header, rows[:13])
    _write_csv(folder / "part-1.csv", header, rows[13:])
    whole = _write_csv(tmp_path / "all.csv", header, rows)
    cols = ["--a", "model_a", "--b", "model_b", "--outcome", "verdict", "--position", "shown"]
    direct = fragility(comparisons(whole, a="model_a", b="model_b", outcome="verdict", position="shown"))
    for source in (whole, folder):
        assert main(["leaderboard", str(source), *cols, "--fragility", "--format", "json"]) == 0
        frag = json.loads(capsys.readouterr().out)["fragility"]
        assert frag["size"] == direct.size and frag["rows"] == direct.rows.tolist()
        assert frag["top_before"] == direct.top_before and frag["top_after"] == direct.top_after


def test_csv_output_reports_fragility_on_stderr(capsys):
    pytest.importorskip("pandas")
    assert main(["leaderboard", "--example", "--fragility"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1].startswith("1,gpt-4,")
    assert "prefrank: fragility: Fragility(removing" in captured.err


def test_fragility_section_without_a_change():
    from prefrank.report.leaderboard import fragility_html

    result = fragility(arena_2023_path(), a="model_a", b="model_b", outcome="winner", max_remove=1)
    text = fragility_html(result, top="gpt-4")
    assert not result.found
    assert '<h2 id="fragility">' in text and "<table" not in text
    assert "No removal of comparisons within the search budget" in text and "rests on" not in text
    # A reason (message or exception) instead of a result is shown, escaped.
    assert "too many items &lt;1500&gt;" in fragility_html(ValueError("too many items <1500>"))


def test_report_draws_an_interval_that_excludes_the_estimate(tmp_path, monkeypatch):
    # Percentile intervals from few rounds may lie wholly on one side of the score; the chart must
    # still draw (it used to pass negative error bars to matplotlib).
    pytest.importorskip("matplotlib")
    import prefrank as pr
    from prefrank.ranking import Ranking
    from prefrank.report.leaderboard import write_html

    r = pr.bradley_terry(arena_2023_path(), a="model_a", b="model_b", outcome="winner", bootstrap=4, seed=0)
    table = r.to_pandas()
    table.loc[0, "lower"] = table.loc[0, "score"] + 5.0
    table.loc[0, "upper"] = table.loc[0, "score"] + 9.0
    assert table.loc[0, "lower"] > table.loc[0, "score"]
    monkeypatch.setattr(Ranking, "to_pandas", lambda self, level=0.95: table)
    write_html(r, tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64,") == 2
