"""Flow views, what-if views and the layout rules, read back from Graphviz's own layout
(-Tjson), and `archlang render` as a user runs it (--flow, --down, formats from -o).

Every example is also drawn to PNG, whole, per flow and as a what-if, into
$ARCHLANG_ARTIFACTS/views (else the test's temporary directory): the screenshots a person
looks at.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_render_dot import edges, layout, load, objects

import archlang
from archlang import numbers
from archlang.findings import analyze
from archlang.graph import flow_tree
from archlang.render import engine as eng
from archlang.render.dot import (
    EDGE_LABEL_INDENT,
    GREY_FILL,
    REROUTE_COLOUR,
    SPOF_COLOUR,
    render_dot,
)
from archlang.render.labels import fmt_ms, fmt_pct
from archlang.render.view import build_view, ranks, shape

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.arch"))


def nodes(doc: dict) -> set[str]:
    return {o["name"] for o in doc["objects"] if "nodes" not in o and "_gvid" in o
            and not o["name"].startswith("cluster")}


def clusters(doc: dict) -> dict[str, dict]:
    return {o["name"]: o for o in doc["objects"] if o["name"].startswith("cluster")}


def bbox(doc: dict) -> tuple[float, float]:
    x0, y0, x1, y1 = map(float, doc["bb"].split(","))
    return x1 - x0, y1 - y0


def what_if_unit(d) -> str:
    """A unit to fail in each example: the first zone something is placed in, else the
    first component that is not a client."""
    for c in d.components.values():
        for p in c.placement:
            if p.zone is not None:
                return p.key
    return next(c.name for c in d.components.values() if c.kind != "client")


# ---- flow views ------------------------------------------------------------------------------
def test_flow_view_draws_the_flow_request_tree_only():
    d = load("shop")
    r = analyze(d)
    for flow in d.flows:
        doc = layout(render_dot(d, r, flow=flow))
        tree = {n.name for n in flow_tree(d, flow).walk(include_async=True)}
        assert nodes(doc) == tree
    # browse goes through the CDN and never reaches payments; checkout the other way round
    browse = nodes(layout(render_dot(d, r, flow="browse")))
    checkout = nodes(layout(render_dot(d, r, flow="checkout")))
    assert "static" in browse and "payments" not in browse
    assert "payments" in checkout and "static" not in checkout


def test_flow_view_edges_carry_latency_share_and_availability():
    d = load("shop")
    r = analyze(d)
    f = r.flows["checkout"]
    es = edges(layout(render_dot(d, r, flow="checkout")))
    hops = {(h.via, h.name): h for h in f.latency.hops}
    assert set(es) == {k for k in hops if k[0] is not None} | {("users", "front")} \
        or set(es) <= set(hops)
    # every edge of the tree has a hop of the flow's latency; its label says that hop's part
    # of the slowest 1% and the share of the p99 it is, and the callee's availability
    for (a, b), e in es.items():
        h = hops[(a, b)]
        assert (f"p99 {numbers.hop_ms(h.hop_p99_ms)} ({fmt_pct(h.share_of_p99, 0)} of the tail)"
                in e["label"])
        assert f"up {fmt_pct(r.components[b].availability_with_domains)}" in e["label"]
    # the shares of the hops add up to the whole p99 tail (they are parts of one sum)
    assert sum(h.share_of_p99 for h in f.latency.hops) == pytest.approx(1.0, abs=1e-9)
    # payments (p50 120 ms, p99 600 ms) takes most of checkout's tail
    pay = hops[("api", "payments")]
    assert pay.share_of_p99 == max(h.share_of_p99 for h in f.latency.hops)


def test_flow_view_title_has_the_slo_verdicts_and_its_own_spofs():
    d = load("shop")
    r = analyze(d)
    f = r.flows["checkout"]
    doc = layout(render_dot(d, r, flow="checkout"))
    title = doc["label"]
    assert "flow checkout" in title
    for s in f.slos:
        assert f">{s.status.upper()}<" in title
    assert f"availability {fmt_pct(f.availability)} (SLO ≥ {fmt_pct(0.999)})" in title
    assert f"p99 {numbers.latency_ms(f.latency.p99)} (SLO ≤ {fmt_ms(1000.0)})" in title
    assert f"p99 {f.latency.p99:.1f} ms" in title        # as the text output prints it
    # SPOFs of this flow are red; payments is one of checkout's, static is browse's only
    objs = objects(doc)
    spofs = {u.component or u.name for c in f.spofs for u in c.units if u.kind == "component"}
    assert "payments" in spofs
    for name in nodes(doc):
        assert (objs[name]["color"] == SPOF_COLOUR) == (name in spofs), name
    browse = objects(layout(render_dot(d, r, flow="browse")))
    assert browse["static"]["color"] == SPOF_COLOUR


def test_failing_flow_says_fail_in_its_title():
    # multiregion with us-east down: read-east fails its availability SLO
    d = load("multiregion")
    r = analyze(d, down=["us-east"])
    failing = [f for f in r.flows.values() if f.status == "fail"]
    assert failing
    title = layout(render_dot(d, r, flow=failing[0].name))["label"]
    assert ">FAIL<" in title


# ---- what-if views ---------------------------------------------------------------------------
def test_what_if_greys_failed_units_and_marks_the_rerouted_call():
    d = load("multiregion")
    r = analyze(d, down=["us-east"])
    doc = layout(render_dot(d, r))
    objs, es = objects(doc), edges(doc)
    for name in ("lb-east", "api-east", "cache-east", "db-east"):
        assert objs[name]["fillcolor"] == GREY_FILL and ">DOWN<" in objs[name]["label"]
    for name in ("lb-west", "api-west", "db-west"):
        assert objs[name]["fillcolor"] != GREY_FILL
    assert objs["cluster_us-east"]["fillcolor"] == "#e9ecef"
    assert "DOWN" in objs["cluster_us-east"]["label"]
    # read-east's primary is lb-east: with us-east down geo-dns sends it to lb-west
    west, _east = es[("geo-dns", "lb-west")], es[("geo-dns", "lb-east")]
    words = {k: e["label"].removeprefix(EDGE_LABEL_INDENT) for k, e in es.items()}
    assert words[("geo-dns", "lb-west")].startswith("rerouted")
    assert west["color"] == REROUTE_COLOUR
    assert words[("geo-dns", "lb-east")].startswith("not used")
    assert "what-if: us-east down" in doc["label"] and "1 call rerouted" in doc["label"]
    # utilisation after the move: every flow now runs through api-west (8 x 1200 rps)
    rate = sum(f.rate_rps for f in d.flows.values())
    assert f"util {fmt_pct(rate / (8 * 1200), 0)}" in objs["api-west"]["label"]
    assert r.components["api-west"].load_rps == pytest.approx(rate)


def test_what_if_of_a_zone_counts_the_replicas_left():
    d = load("shop")
    r = analyze(d, down=["us-east.a"])
    objs = objects(layout(render_dot(d, r)))
    # api runs round-robin over a, b, c: 4 of its 6 replicas are left (min 4: alive)
    assert "4 of 6 replicas left" in objs["api"]["label"]
    assert objs["api"]["fillcolor"] != GREY_FILL
    # front is active-passive over a and b: 1 of 2 left
    assert "1 of 2 replicas left" in objs["front"]["label"]


def test_nothing_down_is_no_what_if():
    d = load("multiregion")
    doc = layout(render_dot(d, analyze(d)))
    assert "what-if" not in doc["label"]
    assert all(not e.get("label", "").removeprefix(EDGE_LABEL_INDENT)
               .startswith(("rerouted", "not used")) for e in edges(doc).values())


# ---- layout --------------------------------------------------------------------------------
def _design(calls: str, names: list[str]):
    comps = "\n".join(f"  server {n} {{ latency 1ms }}" for n in names)
    return archlang.loads(f"system s {{\n{comps}\n{calls}\n}}\n")


def test_direction_from_the_shape():
    chain = [f"n{i}" for i in range(6)]
    assert shape(chain, list(itertools.pairwise(chain))) == (6, 1)
    d = _design("\n".join(f"  {a} -> {b}" for a, b in itertools.pairwise(chain)), chain)
    assert build_view(d).rankdir == "TB"
    fan = ["root"] + [f"leaf{i}" for i in range(8)]
    assert shape(fan, [("root", x) for x in fan[1:]]) == (2, 8)
    d = _design("\n".join(f"  root -> {x}" for x in fan[1:]), fan)
    assert build_view(d).rankdir == "LR"
    # a cycle is broken where a depth-first search meets it again, as dot does; components
    # with no call are one rank of their own
    assert ranks(["a", "b", "c"], [("a", "b"), ("b", "a")]) == {"a": 0, "b": 1, "c": 2}
    assert ranks(["x", "a", "b"], [("a", "b"), ("b", "a"), ("x", "b")]) == \
        {"x": 0, "b": 1, "a": 2}


def _nx_ranks(names, pairs):
    """ranks() as it was written with networkx: the reference the plain version keeps."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from((a, b) for a, b in pairs if a != b and a in g and b in g)
    lonely = [n for n in names if g.degree(n) == 0]
    g.remove_nodes_from(lonely)
    back, on_stack = set(), set()
    for u, v, kind in nx.dfs_labeled_edges(g):
        if kind == "forward":
            on_stack.add(v)
        elif kind == "reverse":
            on_stack.discard(v)
        elif kind == "nontree" and v in on_stack:
            back.add((u, v))
    dag = nx.DiGraph()
    dag.add_nodes_from(g)
    dag.add_edges_from(e for e in g.edges if e not in back)
    out = {}
    for n in nx.topological_sort(dag):
        out[n] = max((out[p] + 1 for p in dag.predecessors(n)), default=0)
    last = max(out.values(), default=-1) + 1
    for n in lonely:
        out[n] = last
    return out


def test_ranks_are_the_networkx_layering():
    import random

    rng = random.Random(15)
    for _ in range(400):
        n = rng.randint(1, 14)
        names = [f"c{i}" for i in rng.sample(range(40), n)]
        pairs = [(rng.choice(names + ["ghost"]), rng.choice(names))
                 for _ in range(rng.randint(0, 3 * n))]
        assert ranks(names, pairs) == _nx_ranks(names, pairs), (names, pairs)
    for name in EXAMPLES:
        d = load(name)
        for flow in [None, *d.flows]:
            view = build_view(d, analyze(d), flow)
            pairs = [(e.source, e.target) for e in view.edges]
            assert ranks(view.components, pairs) == _nx_ranks(view.components, pairs)
    chain = [f"n{i}" for i in range(3000)]      # longer than Python's recursion limit
    assert ranks(chain, list(itertools.pairwise(chain)))["n2999"] == 2999


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_strips_and_no_empty_clusters(name):
    import dataclasses
    import math

    from archlang.render.dot import render_view_dot

    d = load(name)
    r = analyze(d, down=[what_if_unit(d)])
    for flow in [None, *d.flows]:
        view = build_view(d, r, flow)
        doc = layout(render_view_dot(view))
        w, h = bbox(doc)
        # The direction chosen is the one whose real drawing is nearer to square (or within
        # 35% of it: the choice is made on an estimate, engine-independent) ...
        other = dataclasses.replace(view, rankdir="LR" if view.rankdir == "TB" else "TB")
        ow, oh = bbox(layout(render_view_dot(other)))
        assert abs(math.log(w / h)) <= abs(math.log(ow / oh)) + 0.3, \
            (name, flow, w / h, ow / oh)
        # ... and no 3:1 strip, unless the flow is one chain of calls (a strip whichever
        # way it is drawn: the check above says it is drawn the better way)
        if shape(view.components, [(e.source, e.target) for e in view.edges])[1] > 1:
            assert 1 / 3 <= w / h <= 3, (name, flow, w, h)
        objs = doc["objects"]
        for c in clusters(doc).values():
            assert any("nodes" not in objs[i] for i in c.get("nodes", [])), c["name"]


def test_empty_region_is_listed_not_drawn():
    d = load("shop")                          # eu-west is declared, nothing runs there
    doc = layout(render_dot(d))
    assert "cluster_eu-west" not in clusters(doc)
    assert "nothing placed in region eu-west" in doc["label"]


def test_failover_between_regions_attaches_to_the_region():
    d = load("multiregion")
    es = edges(layout(render_dot(d)))
    assert es[("geo-dns", "lb-east")]["lhead"] == "cluster_us-east"
    assert es[("geo-dns", "lb-west")]["lhead"] == "cluster_us-west"
    assert "lhead" not in es[("lb-east", "api-east")]


@pytest.mark.parametrize("name", EXAMPLES)
def test_views_are_byte_stable(name):
    d1, d2 = load(name), load(name)
    unit = what_if_unit(d1)
    r1, r2 = analyze(d1, down=[unit]), analyze(d2, down=[unit])
    for flow in [None, *d1.flows]:
        assert render_dot(d1, r1, flow=flow) == render_dot(d2, r2, flow=flow)


def test_diagram_text_is_at_least_nine_points():
    # 9 pt is 12 px at natural size: readable on a laptop (the browser test measures it)
    d = load("multiregion")
    dot = render_dot(d, analyze(d, down=["us-east"]))
    sizes = [float(x) for x in re.findall(r'POINT-SIZE="([\d.]+)"', dot)]
    sizes += [float(x) for x in re.findall(r"fontsize=([\d.]+)", dot)]
    assert min(sizes) >= 9


# ---- screenshots -----------------------------------------------------------------------------
def artifacts(tmp_path: Path) -> Path:
    d = Path(os.environ.get("ARCHLANG_ARTIFACTS", tmp_path)) / "views"
    d.mkdir(parents=True, exist_ok=True)
    return d


def every_view(name: str):
    """(file name, result, flow) of each view of an example: whole, per flow, what-if."""
    d = load(name)
    unit = what_if_unit(d)
    drawn = []
    for flow in [None, *d.flows]:
        r = analyze(d, latency=[flow] if flow else ())
        drawn.append((f"{name}" + (f"-flow-{flow}" if flow else ""), r, flow))
    drawn.append((f"{name}-down-{unit}", analyze(d, down=[unit], latency=()), None))
    return d, drawn


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_drawn_whole_per_flow_and_as_a_what_if(name, tmp_path):
    d, drawn = every_view(name)
    out = artifacts(tmp_path)
    for tag, r, flow in drawn:
        png = eng.render(d, r, "png", flow=flow)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        (out / f"{tag}.png").write_bytes(png)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def phone():
    """A phone's screen in headless Chromium: 390 CSS px wide, 2 device px per CSS px."""
    if not Path(CHROMIUM).exists() and os.environ.get("CI") != "true":
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    if os.environ.get("CI") == "true":             # in CI a missing browser is a failure
        from playwright import sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        ctx = b.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                            is_mobile=True)
        yield ctx.new_page()
        ctx.close()
        b.close()


@pytest.mark.browser
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_view_at_phone_width(name, tmp_path, phone):
    """Each view's SVG as an image fitted to a phone's width (how a diagram pasted into a
    document or PR reads there), into <view>-phone.png beside the full-size PNGs."""
    import base64

    d, drawn = every_view(name)
    out = artifacts(tmp_path)
    for tag, r, flow in drawn:
        svg = eng.render(d, r, "svg", flow=flow)
        src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        phone.set_content('<meta name="viewport" content="width=device-width">'
                          '<body style="margin:0"><img id="d" style="display:block;'
                          f'width:100%" src="{src}"></body>')
        box = phone.locator("#d").bounding_box()
        assert box is not None and box["width"] == 390 and box["height"] > 0, tag
        phone.locator("#d").screenshot(path=str(out / f"{tag}-phone.png"))


# ---- the command line ------------------------------------------------------------------------
def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "archlang.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_render_flow_and_down_from_the_command_line(tmp_path):
    out = tmp_path / "checkout.dot"
    r = run("render", "examples/shop.arch", "--flow", "checkout", "-o", out)
    assert r.returncode == 0, r.stderr
    doc = layout(out.read_text())
    assert "payments" in nodes(doc) and "static" not in nodes(doc)
    r = run("render", "examples/multiregion.arch", "--down", "us-east", "--format", "dot",
            "-o", "-")
    assert r.returncode == 0 and "rerouted" in r.stdout
    r = run("render", "examples/shop.arch", "--flow", "chekout", "-o", out)
    assert r.returncode == 2 and "no flow 'chekout'" in r.stderr
    assert "did you mean 'checkout'?" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("ext,magic", [("svg", "<svg"), ("png", "\x89PNG"), ("dot", "digraph"),
                                       ("gv", "digraph"), ("mmd", "flowchart"),
                                       ("d2", "direction:")])
def test_format_from_the_output_extension(tmp_path, ext, magic):
    out = tmp_path / f"p.{ext}"
    r = run("render", "examples/shop.arch", "-o", out)
    assert r.returncode == 0, r.stderr
    head = out.read_bytes()[:2000].decode("latin-1")
    assert magic in head


def test_unknown_extension_or_mismatch_is_refused(tmp_path):
    for args, words in [(["-o", tmp_path / "p.jpg"], "cannot tell the format"),
                        (["-o", tmp_path / "p"], "no extension"),
                        (["--format", "png", "-o", tmp_path / "p.svg"], "does not match"),
                        (["--format", "svg", "-o", tmp_path / "p.jpg"], "is not a format")]:
        r = run("render", "examples/shop.arch", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert words in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []             # nothing written
    r = run("render", "examples/shop.arch", "--format", "png", "-o", tmp_path / "p")
    assert r.returncode == 0 and (tmp_path / "p").read_bytes()[:4] == b"\x89PNG"


def test_render_times_only_the_flow_it_shows(monkeypatch, tmp_path):
    from archlang import cli
    from archlang.analysis import latency

    timed: list[str] = []
    real = latency._flow_latency

    def spy(design, name, *args):
        timed.append(name)
        return real(design, name, *args)

    monkeypatch.setattr(latency, "_flow_latency", spy)
    shop = str(ROOT / "examples" / "shop.arch")
    assert cli.main(["render", shop, "-o", str(tmp_path / "a.dot")]) == 0
    assert timed == []                                # the whole design shows no latency
    assert cli.main(["render", shop, "--flow", "browse", "-o", str(tmp_path / "b.dot")]) == 0
    assert timed == ["browse"]
    assert "latency: render --flow NAME" in (tmp_path / "a.dot").read_text()
    timed.clear()
    assert cli.main(["report", shop, "-o", str(tmp_path / "r.html")]) == 0
    assert sorted(timed) == sorted(archlang.load(shop).flows)   # the report shows them all


def test_flow_view_json_figures_agree(tmp_path):
    # The flow view's title figures are the ones `check --format json` reports.
    r = run("check", "--format", "json", "examples/shop.arch")
    f = next(x for x in json.loads(r.stdout)["files"][0]["flows"] if x["name"] == "checkout")
    dot = run("render", "examples/shop.arch", "--flow", "checkout", "--format", "dot",
              "-o", "-").stdout
    assert f"availability {fmt_pct(f['availability'])}" in dot
    assert f"p99 {numbers.latency_ms(f['latency_ms']['p99'])}" in dot
