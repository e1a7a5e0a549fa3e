"""`archlang render` computes only what the diagram shows, and draws the same picture."""

from pathlib import Path

import pytest

import archlang
from archlang.findings import analyze
from archlang.render.engine import render

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_diagram_analysis_skips_what_is_not_drawn_and_draws_the_same(path):
    d = archlang.load(path)
    full = analyze(d, latency=())
    light = analyze(d, latency=(), detail=False)
    assert render(d, full, "dot") == render(d, light, "dot")
    for name, fr in full.flows.items():
        lf = light.flows[name]
        assert lf.spofs == fr.spofs and lf.availability == fr.availability
        assert lf.status == fr.status
        assert (lf.importance, lf.cut_sets, lf.degrading) == ((), (), ())
    assert light.spofs == full.spofs and light.findings == full.findings
    flow = next(iter(d.flows))
    assert render(d, analyze(d, latency=[flow]), "dot", flow=flow) == \
        render(d, analyze(d, latency=[flow], detail=False), "dot", flow=flow)
    assert any(fr.importance for fr in full.flows.values())
