"""The package layout keeps the rules of docs/architecture.md: imports flow one way (import-linter's
contracts in pyproject.toml), no module dodges a cycle with a function-level or dynamic import, and no
file is named for when it was written."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "python" / "prefrank"


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    out = {}
    for f in sorted(PKG.rglob("*.py")):
        name = ".".join(f.relative_to(PKG.parent).with_suffix("").parts).removesuffix(".__init__")
        out[name] = (f, ast.parse(f.read_text(), filename=str(f)))
    return out


def test_import_contracts_hold() -> None:
    """lint-imports: layers, acyclic siblings, private modules, independent reference twins."""
    pytest.importorskip("importlinter")
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    env = {**os.environ, "PYTHONPATH": str(PKG.parent)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout


def test_the_root_package_is_imported_only_for_the_extension() -> None:
    """grimp cannot see the compiled _core, so the contracts ignore imports of the root package; this
    test makes sure nothing else hides behind that exception (`from prefrank import x` would load the
    whole package from inside it)."""
    mods = _modules()
    bad = []
    for name, (_, tree) in mods.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "prefrank" and node.level == 0:
                # a subpackage (`from prefrank import agreement`) is an import of that subpackage
                names = [a.name for a in node.names if a.name != "_core" and f"prefrank.{a.name}" not in mods]
                bad += [f"{name}:{node.lineno} imports {n}" for n in names]
            if isinstance(node, ast.Import) and any(a.name == "prefrank" for a in node.names):
                bad.append(f"{name}:{node.lineno} imports prefrank")
    assert bad == []


# Function-level imports are for optional dependencies only (ARCHITECTURE section 2). These are the
# prefrank imports allowed inside a function: the losses (torch) and the deprecated-path shim.
_LAZY_OK = {"prefrank.losses", "prefrank.datasets"}


def test_no_function_level_imports_of_the_package() -> None:
    bad = []
    for name, (_, tree) in _modules().items():
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and id(node) not in top and (node.module or "").startswith("prefrank"):
                if not any(node.module == m or node.module.startswith(m + ".") for m in _LAZY_OK):
                    bad.append(f"{name}:{node.lineno} from {node.module} import ...")
    assert bad == []


def test_no_dynamic_imports_into_a_cycle() -> None:
    """importlib.import_module with a literal prefrank name only where the target does not import the
    caller back (today: the deprecated prefrank.consistency.judge_agreement path)."""
    mods = _modules()
    found = []
    for name, (_, tree) in mods.items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.append((name, node.args[0].value))
    for caller, target in found:
        tgt_tree = mods[target][1]
        imported = {n.module for n in ast.walk(tgt_tree) if isinstance(n, ast.ImportFrom)}
        assert not any(m and (m == caller or m.startswith(caller + ".")) for m in imported), (caller, target)


def test_no_file_is_named_for_when_it_was_written() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    if not files:
        pytest.skip("not a git checkout")
    pattern = re.compile(r"(^|[_/.-])(more|new|extra|v2|old|misc)([_/.-]|$)")
    bad = [f for f in files.splitlines() if pattern.search(Path(f).stem) or pattern.search(Path(f).parent.name)]
    assert bad == []


def test_import_prefrank_does_not_import_torch() -> None:
    code = "import sys, prefrank, prefrank.cli; assert 'torch' not in sys.modules, 'torch imported'"
    # The installed package (the source tree has no compiled _core in a fresh clone).
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent)
    assert proc.returncode == 0, proc.stderr


def _package_of(mod: str, mods: dict[str, Any]) -> str:
    """The package a module belongs to: itself for a package, else its parent; a private module's
    names belong to the package around it."""
    if (PKG / Path(*mod.split(".")[1:])).is_dir():
        return mod
    return mod.rpartition(".")[0]


def test_no_package_imports_a_private_name_of_another() -> None:
    """A `_name` is internal to its package (ARCHITECTURE section 1): prefrank.ranking may use
    prefrank.ranking._common._x, but prefrank.robust may not use prefrank.data.coding._x."""
    mods = _modules()
    bad = []
    for name, (_, tree) in mods.items():
        mine = _package_of(name, mods)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("prefrank.")):
                continue
            home = _package_of(node.module, mods) if node.module in mods else node.module
            if home.rpartition(".")[2].startswith("_"):
                home = home.rpartition(".")[0]
            for a in node.names:
                private = a.name.startswith("_") and not a.name.startswith("__")
                if private and not (mine == home or mine.startswith(home + ".")):
                    bad.append(f"{name}:{node.lineno} imports {node.module}.{a.name}")
    assert bad == []
