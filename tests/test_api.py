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
    shown = design._repr_mimebundle_()
    assert "<svg" in shown["image/svg+xml"] and "<svg" in shown["text/html"]
    assert shown["text/plain"] == repr(design)
    assert "<svg" in result._repr_mimebundle_()["text/html"]


def test_a_result_is_whole_read_back_from_json():
    """One Result shape (issue 8): its JSON holds every report and the design (not the file
    texts), reads back equal, and renders as text and as a diagram as the original does."""
    from archlang.analysis.result import Result
    from archlang.render.text import render_text

    design = archlang.load(ROOT / "examples" / "shop.arch")
    result = archlang.analyze(design)
    back = Result.model_validate_json(result.model_dump_json())
    assert back.model_dump() == result.model_dump()
    assert back.design is not None and back.design.sources == {}
    assert render_text([(back.design, back, back.status)]) == \
        render_text([(design, result, result.status)])
    assert archlang.render_svg(back.design, back) == archlang.render_svg(design, result)


def test_one_verdict_over_slos_and_findings():
    """Result.status is the verdict `archlang check` gives at --fail-on error (no selection):
    a failing SLO or an error finding fails it, a warning does not."""
    from archlang.findings import problems, verdict

    text = ("system t {{\n  client users {{ latency 1ms }}\n"
            "  lb edge {{ layer 4 strategy {strategy} latency 1ms }}\n"
            "  server api {{ availability 99.9% latency 5ms }}\n"
            "  flow f rate 1 rps {{\n    path users -> edge -> api\n"
            "    slo availability {slo}\n  }}\n}}\n")
    ok = archlang.analyze(archlang.loads(text.format(strategy="round_robin", slo="99%")))
    assert ok.status == "pass" == verdict(problems(ok))
    slo = archlang.analyze(archlang.loads(text.format(strategy="round_robin", slo="99.99%")))
    assert slo.status == "fail" and "AL001" in {p.code for p in problems(slo)}
    l4 = archlang.analyze(archlang.loads(text.format(strategy="path", slo="99%")))
    assert "AL413" in {f.code for f in l4.findings}        # an error finding, SLOs met
    assert l4.status == "fail" == verdict(problems(l4))
    assert verdict([f for f in problems(l4) if f.code != "AL413"]) == "pass"


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
