"""Jupyter: a design and a result shown in a real kernel (nbclient runs a notebook on
ipykernel), then the HTML they put on the page checked in Chromium to style nothing outside
itself. Outside CI a missing Chromium skips the page half; in CI it fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Run a notebook that shows a design and its result; the outputs of each cell."""
    import nbformat
    from nbclient import NotebookClient

    shop = (ROOT / "examples" / "shop.arch").as_posix()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"import archlang\nd = archlang.load({shop!r})\nd"),
        nbformat.v4.new_code_cell("r = archlang.analyze(d)\nr"),
        nbformat.v4.new_code_cell("archlang.analyze(d, down=['us-east.a'])"),
        nbformat.v4.new_code_cell("print(repr(r)); print(repr(d))"),
    ]
    workdir = tmp_path_factory.mktemp("nb")
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    return [cell.outputs for cell in nb.cells]


def result_data(cell_outputs) -> dict:
    [out] = [o for o in cell_outputs if o["output_type"] == "execute_result"]
    return out["data"]


def test_design_shows_its_diagram_in_a_kernel(outputs):
    data = result_data(outputs[0])
    assert set(data) == {"text/plain", "text/html", "image/svg+xml"}
    assert data["text/plain"] == \
        f"Design(name='shop', path={(ROOT / 'examples' / 'shop.arch').as_posix()!r}, " \
        "components=10, flows=2)"
    assert data["image/svg+xml"].lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE"))
    assert data["text/html"].startswith('<div class="archlang-report-output">')
    assert "<svg" in data["text/html"] and "<html" not in data["text/html"]


def test_result_shows_its_report_in_a_kernel(outputs):
    data = result_data(outputs[1])
    assert set(data) == {"text/plain", "text/html"}
    plain = data["text/plain"]
    assert "\n" not in plain and len(plain) < 120
    assert plain.startswith("Result(system='shop', flows=2, status=")
    html = data["text/html"]
    assert html.startswith('<div class="archlang-report-output">')
    for tag in ("html", "head", "body", "meta", "script", "link"):
        assert not re.search(rf"<{tag}[\s>]", html), tag
    # the report's sections, the whole-design diagram and one view per flow are there
    for section in ("verdict", "diagram", "flow-checkout", "flow-browse", "capacity"):
        assert re.search(rf'id="al[0-9a-f]{{8}}-{section}"', html), section
    assert html.count("<svg") == 3
    what_if = result_data(outputs[2])["text/html"]
    assert "What-if: us-east.a down" in what_if
    # the two reports in one notebook have different id prefixes
    prefix = lambda h: re.search(r'id="(al[0-9a-f]{8}-)verdict"', h).group(1)  # noqa: E731
    assert prefix(html) != prefix(what_if)
    printed = "".join(o.get("text", "") for o in outputs[3])
    assert printed.splitlines()[0] == plain


def test_every_css_rule_is_scoped(outputs):
    html = result_data(outputs[1])["text/html"]
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = []
    for block in re.finditer(r"([^{}]+)\{", css):
        head = block.group(1).strip()
        if head.startswith("@media"):
            continue
        selectors += [s.strip() for s in head.split(",")]
    assert selectors
    for s in selectors:
        assert s.startswith(".archlang-report"), s


# ---- on a page -------------------------------------------------------------------------------
OUTSIDE = ["body", "h1", "h2", "p", "table", "td", "a", "main", "section", "div.cell"]
HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>notebook</title></head>
<body><main><h1>My notebook</h1><p>Some text <a href="#x">a link</a></p>
<table><tr><td>a cell</td></tr></table><section><h2>Results</h2></section>
<div class="cell">{output}</div></main></body></html>"""

STYLES = """(sels) => {
  const props = ['color', 'background-color', 'font-size', 'font-family', 'margin-top',
                 'padding-left', 'border-top-width', 'box-sizing', 'line-height', 'max-width'];
  const out = {};
  for (const s of sels) {
    const e = document.querySelector(s);
    const cs = getComputedStyle(e);
    out[s] = props.map(p => cs.getPropertyValue(p)).join('|');
  }
  return out;
}"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} missing (.ci/run installs it)")
        pytest.skip(f"{CHROMIUM} not installed")
    if IN_CI:
        from playwright import sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.mark.parametrize("cell", [0, 1])
def test_output_styles_nothing_outside_itself(browser, outputs, tmp_path, cell):
    html = result_data(outputs[cell])["text/html"]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        bare = tmp_path / "bare.html"
        bare.write_text(HOST.format(output=""), encoding="utf-8")
        page.goto(bare.as_uri())
        before = page.evaluate(STYLES, OUTSIDE)
        full = tmp_path / "with.html"
        full.write_text(HOST.format(output=html), encoding="utf-8")
        page.goto(full.as_uri())
        after = page.evaluate(STYLES, OUTSIDE)
        assert after == before
        # ... while inside the output the report's own styles apply
        inside = page.evaluate("getComputedStyle(document.querySelector("
                               "'.archlang-report')).maxWidth")
        assert inside == "1180px"
        if cell == 1:
            size = page.evaluate("getComputedStyle(document.querySelector("
                                 "'.archlang-report h1')).fontSize")
            assert size == "27px"            # 1.8em of the report's 15px
        shots = Path(os.environ.get("ARCHLANG_ARTIFACTS", tmp_path)) / "jupyter"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"notebook-cell-{cell}.png"), full_page=True)
    finally:
        page.close()
