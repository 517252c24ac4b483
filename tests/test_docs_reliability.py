"""The code blocks of docs/reliability.md and of the README's reliability section run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Reliability")
    return text[start : text.index("\n## ", start + 1)]


@pytest.mark.parametrize(
    "where, text",
    [
        ("docs/reliability.md", (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")),
        ("README.md#reliability", _readme_section()),
    ],
)
def test_code_blocks_run(where: str, text: str) -> None:
    import prefrank as pr

    blocks = _blocks(text)
    assert blocks, f"{where} has no python code block"
    ns: dict[str, object] = {}
    try:
        for block in blocks:  # one namespace per page: later blocks use earlier names
            exec(compile(block, where, "exec"), ns)
    finally:
        pr.set_memory_limit(None)
