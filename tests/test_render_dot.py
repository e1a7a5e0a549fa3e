"""The diagram: golden DOT for every example, its structure read back from Graphviz's own
JSON layout, escaping of hostile names and texts, and the engine lookup.

Golden files: tests/data/golden_dot/<example>.dot (with the analysis) and
<example>.design.dot (the design alone). Rewrite them with ARCHLANG_ACCEPT=1 and review
the diff.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import archlang
from archlang.findings import analyze
from archlang.model.design import Design
from archlang.render import engine as eng
from archlang.render.dot import render_dot
from archlang.render.labels import fmt_pct

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden_dot"
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.arch"))
ACCEPT = os.environ.get("ARCHLANG_ACCEPT") == "1"


def load_reference() -> Design:
    """The shop of language.md as first written: the structure tests below depend on its
    exact layout (sessions alone in us-east.a, ...), so they do not follow examples/ edits."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return archlang.load("tests/data/render/reference-shop.arch")
    finally:
        os.chdir(cwd)


def load(name: str) -> Design:
    # Relative path, as a user would type it: the DOT must not depend on where the repo is.
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return archlang.load(f"examples/{name}.arch")
    finally:
        os.chdir(cwd)


def check_golden(path: Path, text: str) -> None:
    if ACCEPT or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not ACCEPT:
            pytest.fail(f"golden file {path.name} was missing and has been written; review it")
    assert text == path.read_text(encoding="utf-8"), \
        f"{path.name} differs (ARCHLANG_ACCEPT=1 rewrites it)"


def layout(dot: str) -> dict:
    """Graphviz's own reading of our DOT (-Tjson): objects with their attributes."""
    e = eng.find_engine("svg")
    out = subprocess.run([e.path, "-Tjson"], input=dot.encode(), capture_output=True, check=True)
    return json.loads(out.stdout)


def objects(doc: dict) -> dict[str, dict]:
    return {o["name"]: o for o in doc["objects"]}


def members(doc: dict, cluster: str) -> set[str]:
    objs = doc["objects"]
    c = objects(doc)[cluster]
    return {objs[i]["name"] for i in c.get("nodes", []) if "nodes" not in objs[i]}


def edges(doc: dict) -> dict[tuple[str, str], dict]:
    objs = doc["objects"]
    return {(objs[e["tail"]]["name"], objs[e["head"]]["name"]): e for e in doc.get("edges", [])}


# ---- golden files ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_dot_with_analysis(name):
    d = load(name)
    check_golden(GOLDEN / f"{name}.dot", render_dot(d, analyze(d)))


@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_dot_design_only(name):
    check_golden(GOLDEN / f"{name}.design.dot", render_dot(load(name)))


def test_same_design_same_bytes():
    a, b = load("shop"), load("shop")
    assert render_dot(a, analyze(a)) == render_dot(b, analyze(b))
    svg1 = eng.render_svg(a, analyze(a))
    svg2 = eng.render_svg(b, analyze(b))
    assert svg1 == svg2


# ---- structure, as Graphviz reads it ---------------------------------------------------------
def test_shop_clusters_shapes_and_edge_styles():
    d = load_reference()
    r = analyze(d)
    doc = layout(render_dot(d, r))
    objs = objects(doc)
    # Nested clusters: zone clusters inside the region cluster; nodes where their replicas run.
    assert members(doc, "cluster_us-east.a") == {"sessions"}         # placement us-east.a
    assert members(doc, "cluster_us-east.b") == {"fulfilment"}
    assert "orders" in members(doc, "cluster_us-east")                # us-east.a, us-east.b
    assert {"api", "front"} <= members(doc, "cluster_us-east")        # spread over a and b
    assert "api" not in members(doc, "cluster_us-east.a")
    assert "users" not in members(doc, "cluster_us-east")             # unplaced: outside
    # A shape per kind.
    assert objs["orders"]["shape"] == "cylinder"
    assert objs["order-events"]["shape"] == "cds"
    assert objs["static"]["shape"] == "ellipse" and objs["static"]["peripheries"] == "2"
    assert objs["front"]["shape"] == "hexagon"
    assert objs["sessions"]["shape"] == "box3d"
    # Edges: async dashed, optional dotted, cache miss labelled with 1 - hit ratio.
    es = edges(doc)
    assert es[("order-events", "fulfilment")]["style"] == "dashed"
    assert es[("api", "images")]["style"] == "dotted"
    assert "on miss 15%" in es[("sessions", "orders")]["label"]
    assert "write" in es[("fulfilment", "orders")]["label"]
    # The rate on users -> static is the browse flow's rate (3000 rps), read from the result.
    assert "3000 rps" in es[("users", "static")]["label"]
    assert "style" not in es[("front", "api")]


def test_spofs_outlined_in_red_and_counted_in_the_title():
    d = load_reference()
    r = analyze(d)
    doc = layout(render_dot(d, r))
    objs = objects(doc)
    spof_units = {u.name for cut in r.spofs for u in cut.units}
    assert "sessions" in spof_units
    assert objs["sessions"]["color"] == "#c62828"
    assert ">SPOF<" in objs["sessions"]["label"]
    # api has 6 replicas, min 4: not a SPOF, drawn in its kind's colour.
    assert "api" not in spof_units and objs["api"]["color"] != "#c62828"
    # Zone SPOFs: a drawn zone cluster is outlined in red.
    for zone in ("us-east.a", "us-east.b"):
        assert (objs[f"cluster_{zone}"]["color"] == "#c62828") == (zone in spof_units)
    assert f"{len({u.name for c in r.spofs for u in c.units})} SPOFs" in doc["label"]


def test_replicas_and_availability_on_nodes():
    d = load_reference()
    r = analyze(d)
    objs = objects(layout(render_dot(d, r)))
    assert "×6 min 4" in objs["api"]["label"]
    assert "99.9% each" in objs["api"]["label"]
    assert f"up {fmt_pct(r.components['api'].availability)}" in objs["api"]["label"]
    assert "active-passive (failover 15s)" in objs["front"]["label"]
    assert "leader + 2 sync" in objs["orders"]["label"]


def test_alternatives_are_marked():
    d = load("multiregion")
    alt = next(c for c in d.calls if len(c.targets) > 1)
    es = edges(layout(render_dot(d)))
    n = len(alt.targets)
    for i, t in enumerate(alt.targets, start=1):
        e = es[(alt.source, t)]
        assert f"alt {i}/{n}" in e["label"]
        assert e["arrowhead"] == "empty"


def test_legend_lists_the_kinds_present_only():
    # The legend is part of the title block (the graph's label), not a node of the layout.
    d = load("shop")
    doc = layout(render_dot(d))
    assert "legend" not in objects(doc)
    legend = doc["label"]
    for kind in {c.kind for c in d.components.values()}:
        assert f">{kind} (" in legend
    assert ">dns (" not in legend                     # shop has no dns
    assert "single point of failure" not in legend    # no result, no SPOFs


# ---- escaping --------------------------------------------------------------------------------
HOSTILE = 'api"<b>&x'


def renamed(design: Design, old: str, new: str, **top) -> Design:
    def walk(v):
        if isinstance(v, dict):
            return {(new if k == old else k): walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return new if v == old else v

    data = walk(design.model_dump())
    data.update(top)
    return Design.model_validate(data)


def test_hostile_names_and_descriptions_stay_text():
    d = load("shop")
    d = renamed(d, "api", HOSTILE, name='shop "quoted"',
                description='<script>alert("x")</script> & <b>bold</b>')
    r = analyze(d)
    dot = render_dot(d, r)
    assert "<script>" not in dot and "<b>bold" not in dot
    assert "&lt;script&gt;" in dot
    objs = objects(layout(dot))
    assert HOSTILE in objs                                  # the node id is the exact name
    svg = eng.render_svg(d, r)
    assert "<script" not in svg.lower()
    assert "&lt;script&gt;alert(" in svg
    # The name reaches the picture as text (Graphviz escapes it in SVG).
    assert "api&quot;&lt;b&gt;&amp;x" in svg or "api\"&lt;b&gt;&amp;x" in svg


# ---- engines ---------------------------------------------------------------------------------
def test_png_and_svg_from_the_default_engine():
    d = load("shop")
    png = eng.render(d, None, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = eng.render_svg(d)
    assert re.search(r"<svg\b", svg) and svg.rstrip().endswith("</svg>")
    assert eng.render(d, None, "dot").decode() == render_dot(d)


def _without_system_dot(monkeypatch):
    real = eng.shutil.which
    monkeypatch.setattr(eng.shutil, "which", lambda name: None if name == "dot" else real(name))


def test_engine_order_system_dot_then_graphviz_pure(monkeypatch):
    real = eng.shutil.which
    monkeypatch.setattr(eng.shutil, "which",
                        lambda name: "/usr/bin/dot" if name == "dot" else real(name))
    e = eng.find_engine("svg", env={})
    assert e.name == "dot" and e.origin == "system"
    _without_system_dot(monkeypatch)
    e = eng.find_engine("svg", env={})
    assert e.name == "graphviz-pure" and e.origin == "graphviz-pure"


def test_engine_override_by_environment_and_argument(tmp_path, monkeypatch):
    _without_system_dot(monkeypatch)
    pure = eng.find_engine("svg", env={}).path
    e = eng.find_engine("svg", env={"ARCHLANG_DOT": pure})
    assert e.path == pure and e.origin == "environment"
    e = eng.find_engine("svg", engine=pure, env={"ARCHLANG_DOT": "/nonexistent/dot"})
    assert e.origin == "explicit"
    with pytest.raises(eng.RenderError, match="ARCHLANG_DOT"):
        eng.find_engine("svg", env={"ARCHLANG_DOT": str(tmp_path / "nope")})


def test_no_engine_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(eng, "_which_pure", lambda: None)
    monkeypatch.setattr(eng.shutil, "which", lambda name: None)
    with pytest.raises(eng.RenderError, match="pip install graphviz-pure"):
        eng.find_engine("svg", env={})
    with pytest.raises(eng.RenderError, match="PDF output needs Graphviz's own dot"):
        eng.find_engine("pdf", env={})


def test_pdf_never_goes_to_graphviz_pure(monkeypatch):
    monkeypatch.setattr(eng.shutil, "which", lambda name: "/usr/bin/dot" if name == "dot" else None)
    assert eng.find_engine("pdf", env={}).name == "dot"


@pytest.mark.skipif(not Path("/usr/bin/dot").exists(), reason="no system Graphviz (apt graphviz)")
def test_system_dot_reads_the_same_dot():
    # Same DOT, either engine: Debian's dot lays out our DOT without complaint, and both
    # engines give the same node set and cluster membership.
    d = load("multiregion")
    dot = render_dot(d, analyze(d))
    out = subprocess.run(["/usr/bin/dot", "-Tjson"], input=dot.encode(), capture_output=True,
                         check=True)
    assert out.stderr == b""
    sys_doc, pure_doc = json.loads(out.stdout), layout(dot)
    assert set(objects(sys_doc)) == set(objects(pure_doc))
    pdf = eng.render(d, None, "pdf", engine="/usr/bin/dot")
    assert pdf[:5] == b"%PDF-"
