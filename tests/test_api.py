"""The public Python API of interfaces.md."""

from pathlib import Path

import pytest

import archlang

ROOT = Path(__file__).resolve().parents[1]


def test_exported_members_are_sorted_and_present():
    assert archlang.__all__ == sorted(archlang.__all__)
    for name in archlang.__all__:
        assert hasattr(archlang, name), name
    public = {n for n in dir(archlang) if not n.startswith("_")}
    # beyond __all__, only the package's own submodules (whichever earlier tests imported)
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(archlang.__path__)}
    assert public - set(archlang.__all__) <= modules


def test_load_analyze_render():
    design = archlang.load(ROOT / "examples" / "shop.arch")
    result = archlang.analyze(design)
    flow = result.flows["checkout"]
    assert 0 < flow.availability < 1
    assert flow.latency.p50 <= flow.latency.p99 <= flow.latency.p999
    assert isinstance(result.spofs, tuple) and isinstance(result.findings, tuple)
    svg = archlang.render_svg(design, result)
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:500]
    html = archlang.render_html(design, result)
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    # Jupyter: a design shows as its diagram, a result as its report (with the diagram)
    assert "<svg" in design._repr_svg_()
    assert "<svg" in result._repr_html_()


def test_loads_and_errors_carry_spans():
    with pytest.raises(archlang.DesignError) as e:
        archlang.loads("system x {\n  server a { replicas 2 min 3 }\n}\n", path="x.arch")
    err = e.value
    assert isinstance(err, archlang.ArchlangError)
    assert (err.span.file, err.span.line) == ("x.arch", 2)
    assert str(err).startswith("x.arch:2:")
    assert "^" in str(err)


def test_down_on_the_api_matches_the_cli_semantics():
    design = archlang.load(ROOT / "examples" / "shop.arch")
    base = archlang.analyze(design)
    what_if = archlang.analyze(design, down=["us-east.a"])
    assert what_if.down == ("us-east.a",)
    for name, f in what_if.flows.items():
        assert f.availability <= base.flows[name].availability
    with pytest.raises(archlang.ArchlangError):
        archlang.analyze(design, down=["no-such-thing"])


def test_readme_design_parses_and_its_commands_are_true():
    import re

    text = (ROOT / "README.md").read_text()
    lines = text.splitlines()
    assert lines[3] == "pip install -e '.[dev]' && archlang check examples/shop.arch"
    assert lines[4] == "python -m pytest"
    (block,) = re.findall(r"```arch\n(.*?)```", text, re.S)
    result = archlang.analyze(archlang.loads(block, path="README.md"))
    assert set(result.flows) == {"checkout"}
