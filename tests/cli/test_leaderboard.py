"""The console script: `prefrank leaderboard` on the bundled example and on files; errors; import hygiene."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from prefrank.cli import main


def test_leaderboard_example_csv(capsys):
    pytest.importorskip("pandas")
    assert main(["leaderboard", "--example", "--bootstrap", "16", "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "rank,item,score,lower,upper,games,wins"
    assert out[1].startswith("1,gpt-4,")
    assert len(out) == 21


def test_leaderboard_json_and_html(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    html = tmp_path / "board.html"
    assert (
        main(
            [
                "leaderboard",
                "--example",
                "--format",
                "json",
                "--ties",
                "davidson",
                "--bootstrap",
                "8",
                "--html",
                str(html),
                "--no-progress",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["ties"] == "davidson" and payload["tie_param"] > 0
    assert payload["leaderboard"][0]["item"] == "gpt-4"
    assert payload["bootstrap"]["rounds"] == 8
    text = html.read_text()
    assert "<h1>Leaderboard</h1>" in text and text.count("data:image/png;base64,") == 2


def test_leaderboard_file_with_position_and_anchor(data_dir, tmp_path, capsys):
    pytest.importorskip("pandas")
    out = tmp_path / "board.csv"
    assert (
        main(
            [
                "leaderboard",
                str(data_dir / "llmfao-crowd.csv"),
                "--a",
                "model_x",
                "--b",
                "model_y",
                "--outcome",
                "winner",
                "--alpha",
                "0.01",
                "--output",
                str(out),
            ]
        )
        == 1
    )
    # model_x/model_y are ids, the outcome names positions: without --position this is an error.
    assert "names a position" in capsys.readouterr().err
    assert (
        main(
            [
                "leaderboard",
                str(data_dir / "llmfao-crowd.csv"),
                "--a",
                "left",
                "--b",
                "right",
                "--outcome",
                "winner",
                "--position",
                "left",
                "--alpha",
                "0.01",
                "--anchor",
                "GPT 4=1000",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    lines = out.read_text().splitlines()
    assert lines[0].startswith("rank,item,score")
    gpt4 = [line for line in lines if ",GPT 4," in line]
    assert gpt4 and float(gpt4[0].split(",")[2]) == pytest.approx(1000.0)


def test_cli_errors(capsys, tmp_path):
    assert main(["leaderboard"]) == 2  # usage errors exit 2, input errors 1
    assert "give a FILE or --example" in capsys.readouterr().err
    assert main(["leaderboard", str(tmp_path / "missing.csv")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["leaderboard", "--example", "--anchor", "gpt-4"]) == 2
    assert "expected ITEM=VALUE" in capsys.readouterr().err
    assert main([]) == 2


def test_module_entry_point_and_version():
    r = subprocess.run([sys.executable, "-m", "prefrank", "--version"], capture_output=True, text=True)
    assert r.returncode == 0
    import prefrank

    assert r.stdout.strip() == f"prefrank {prefrank.__version__}"


def test_import_is_lean():
    code = (
        "import sys, prefrank; heavy = [m for m in ('torch', 'pandas', 'polars', 'pyarrow', 'matplotlib') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


@pytest.mark.parametrize(("option", "value"), [("--offset", "nan"), ("--alpha", "-1"), ("--offset", "inf")])
def test_an_option_value_the_library_refuses_is_a_usage_error(option, value, capsys):
    pytest.importorskip("pandas")
    # A ParameterError names the option: exit status 2, as for argparse's own usage errors.
    assert main(["leaderboard", "--example", "--no-progress", option, value]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prefrank leaderboard: error: ")
    assert option.lstrip("-") in err
