"""The architecture holds (docs/architecture.md): one-way layers, the CLI through the API,
the public names, the docs matching the contract, long modules saying why."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

import pytest

import archlang

ROOT = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or \
    shutil.which("lint-imports")


def _contracts() -> list[dict[str, object]]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(doc["tool"]["importlinter"]["contracts"])


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    assert LINT, "lint-imports (import-linter, a dev dependency) is not installed"
    return subprocess.run([LINT, "--no-cache"], cwd=where, capture_output=True, text=True,
                          env={"PATH": str(Path(sys.executable).parent),
                               "PYTHONPATH": str(where)})


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "archlang", tmp_path / "archlang",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_hold():
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "broken" in r.stdout and " 0 broken" in r.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    # a model that draws itself: model -> render
    ("model/design.py", "from archlang.render import dot as _dot", "one way"),
    # analysis reaching the rules, inside a function (imports in functions count)
    ("analysis/capacity.py", "def _x():\n    from archlang.rules import check_rules",
     "one way"),
    # the CLI going around the API
    ("cli.py", "from archlang.render import text as _text", "through the API"),
])
def test_a_back_edge_breaks_a_contract(tmp_path, module, line, contract):
    where = _copy(tmp_path)
    path = where / "archlang" / module
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + line + "\n",
                    encoding="utf-8")
    r = _lint(where)
    assert r.returncode != 0
    broken = [ln for ln in r.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(contract in ln for ln in broken), r.stdout


def test_the_docs_list_the_contract_layers_in_order():
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    want = [re.split(r"\s*[|:]\s*", str(layer)) for layer in layers]   # type: ignore[union-attr]
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("## The layers", 1)[1].split("\n\n", 2)[2]
    rows = [ln for ln in table.splitlines() if ln.startswith("| `")]
    got = [re.findall(r"`([a-z_]+)`", ln.split("|")[1]) for ln in rows]
    assert got == want


def test_the_public_names_resolve_and_are_sorted():
    assert archlang.__all__ == sorted(archlang.__all__)
    for name in archlang.__all__:
        assert getattr(archlang, name) is not None, name
    assert {"load", "loads", "analyze", "format", "render_svg", "render_html", "Design",
            "Result", "Finding", "Span", "Severity", "ArchlangError"} <= set(archlang.__all__)
    from importlib.metadata import version

    assert archlang.__version__ == version("archlang")


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def test_a_long_module_says_why_it_stays_whole():
    """Over 400 lines, a module's docstring has a paragraph starting 'Size:'."""
    long = []
    for path in sorted((ROOT / "archlang").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > 400 and not re.search(r"(^|\n)Size: \S", _docstring(path)):
            long.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert not long, "long modules that do not say why: " + ", ".join(long)
