"""The HTML report, checked by parsing it: sections present, numbers equal to the JSON
output of `archlang check --format json` (run as a subprocess), self-contained (nothing
loaded from anywhere), escaping, determinism, and the Result-only view for Jupyter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_render_dot import HOSTILE, renamed

import archlang
from archlang.findings import analyze
from archlang.render.html import render_html, render_result_html

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.arch"))


class Page(HTMLParser):
    """Every element with its attributes and the text inside it; ids; raw tags seen."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self.stack: list[dict] = []
        self.tags: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        el = dict(tag=tag, attrs=dict(attrs), text="", parents=[e["attrs"] for e in self.stack])
        self.tags.append(tag)
        self.elements.append(el)
        if tag not in {"meta", "br", "link", "img", "input", "hr", "path", "polygon", "ellipse",
                       "polyline", "rect", "line", "circle"}:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.elements.append(dict(tag=tag, attrs=dict(attrs), text="", parents=[]))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"] += data

    def by_id(self, id_: str) -> dict:
        return next(e for e in self.elements if e["attrs"].get("id") == id_)

    def in_section(self, section_id: str, tag: str | None = None, **attrs) -> list[dict]:
        return [e for e in self.elements
                if any(p.get("id") == section_id for p in e["parents"])
                and (tag is None or e["tag"] == tag)
                and all(e["attrs"].get(k) == v for k, v in attrs.items())]


def check_json(path: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "archlang.cli", "check", "--format", "json", path],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)["files"][0]


def slo_actual(slo: dict) -> float | None:
    """The JSON names the predicted value by unit: actual, actual_ms, actual_rps."""
    for key in ("actual", "actual_ms", "actual_rps"):
        if key in slo:
            return slo[key]
    raise KeyError(f"no predicted value in {slo}")


def report(name: str) -> tuple[str, archlang.Design]:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        d = archlang.load(f"examples/{name}.arch")
    finally:
        os.chdir(cwd)
    return render_html(d, analyze(d)), d


@pytest.mark.parametrize("name", EXAMPLES)
def test_sections_and_numbers_match_the_json(name):
    html, design = report(name)
    page = Page(html)
    doc = check_json(f"examples/{name}.arch")
    for sid in ["verdict", "diagram", "capacity", "findings", "assumptions"] + \
            [f"flow-{f['name']}" for f in doc["flows"]]:
        page.by_id(sid)
    assert page.by_id("verdict")["attrs"]["data-status"] == doc["status"]
    assert "svg" in page.tags                                   # the diagram is inline
    for f in doc["flows"]:
        sid = f"flow-{f['name']}"
        for field in ("rate_rps", "availability", "nines", "downtime_minutes_per_30d",
                      "downtime_minutes_per_year"):
            [dd] = page.in_section(sid, **{"data-field": field})
            want = f[field]
            assert dd["attrs"]["data-value"] == ("inf" if want is None and field == "nines"
                                                 else repr(float(want))), (sid, field)
        if f.get("latency_ms") and f["latency_ms"].get("p99") is not None:
            [dd] = page.in_section(sid, **{"data-field": "p99"})
            assert float(dd["attrs"]["data-value"]) == f["latency_ms"]["p99"]
        # Every SLO of the flow is in the verdict table with its predicted value and status.
        rows = [e for e in page.in_section("verdict", tag="tr")
                if e["attrs"].get("data-flow") == f["name"]]
        assert len(rows) == len(f["slos"])
        for row, slo in zip(rows, f["slos"]):
            assert row["attrs"]["class"] == f"slo {slo['status']}"
            assert row["attrs"]["data-kind"] == slo["kind"]
            assert slo["status"].upper() in row["text"].upper()
        actuals = [e for e in page.in_section("verdict", tag="td")
                   if "num" in e["attrs"].get("class", "") and "data-value" in e["attrs"]
                   and any(p.get("data-flow") == f["name"] for p in e["parents"])]
        assert [float(a["attrs"]["data-value"]) for a in actuals] == \
            [a for a in (slo_actual(s) for s in f["slos"]) if a is not None]
        # SPOFs listed: one item per cut set of order 1, with its probability.
        spof_items = [e for e in page.in_section(sid, tag="li")
                      if any("spofs" in p.get("class", "") for p in e["parents"])]
        assert [float(e["attrs"]["data-value"]) for e in spof_items] == \
            [s["probability"] for s in f["spofs"]]
        for s in f["spofs"]:
            assert any(s["unit"] in e["text"] for e in spof_items)
        # Importance ranking: the first ten, in order.
        ranked = [e["attrs"]["data-name"] for e in page.in_section(sid, tag="tr")
                  if "data-name" in e["attrs"]
                  and any("importance" in p.get("class", "") for p in e["parents"])]
        assert ranked == [i["name"] for i in f["importance"][:10]]
    # Capacity bars: one row per component, utilisation as in the JSON.
    rows = {e["attrs"]["data-name"]: e for e in page.in_section("capacity", tag="tr")
            if "data-name" in e["attrs"]}
    assert set(rows) == {c["name"] for c in doc["components"]}
    for c in doc["components"]:
        [cell] = [e for e in page.in_section("capacity", tag="td")
                  if "ccol" in e["attrs"].get("class", "")
                  and any(p.get("data-name") == c["name"] for p in e["parents"])]
        want = "" if c["utilisation"] is None else repr(float(c["utilisation"]))
        assert cell["attrs"]["data-value"] == want
    # Findings: the ones `archlang check` lists (the JSON's, and one AL001-AL003 per failing
    # SLO, which the JSON gives in the flows' slos), same codes at the same lines, in the
    # same order, each with its source line; the verdict card counts the same.
    from archlang.findings import problems
    items = page.in_section("findings", tag="li")
    listed = problems(archlang.analyze(design))
    assert [(e["attrs"]["data-code"], int(e["attrs"]["data-line"])) for e in items] == \
        [(f.code, f.span.line) for f in listed]
    slo_codes = {"availability": "AL001", "latency": "AL002", "throughput": "AL003"}
    assert sorted((f.code, f.span.line) for f in listed) == sorted(
        [(f["code"], f["line"]) for f in doc["findings"]]
        + [(slo_codes[s["kind"]], design.flows[fl["name"]].slos[i].span.line)
           for fl in doc["flows"] for i, s in enumerate(fl["slos"]) if s["status"] == "fail"])
    n_err = sum(1 for f in listed if f.severity == "error")
    assert f"{n_err} error{'s' if n_err != 1 else ''}" in page.by_id("verdict")["text"]
    for e, f in zip(items, listed):
        if f.span.file == design.path:
            assert design.source_line(f.span).strip() in e["text"]
    # Assumptions: every assumed field is named.
    text = page.by_id("assumptions")["text"]
    for a in doc["assumed"]:
        assert a["subject"] in text and a["field"] in text


def test_self_contained_and_deterministic():
    html, _ = report("shop")
    assert html == report("shop")[0]
    page = Page(html)
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    for e in page.elements:
        for k in ("src", "href", "xlink:href"):
            v = e["attrs"].get(k)
            assert v is None or v.startswith("#"), (e["tag"], k, v)
    assert "http://" not in html.replace("http://www.w3.org/", "") and "https://" not in html
    assert "@import" not in html and "url(" not in html and "@font-face" not in html
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html
    csp = next(e for e in page.elements if e["attrs"].get("http-equiv") ==
               "Content-Security-Policy")
    assert "default-src 'none'" in csp["attrs"]["content"]


def test_generated_at_only_when_asked():
    d = archlang.load(ROOT / "examples" / "shop.arch")
    r = analyze(d)
    assert "2030-01-01" not in render_html(d, r, svg="<svg></svg>")
    assert "2030-01-01" in render_html(d, r, svg="<svg></svg>", generated_at="2030-01-01")


def test_hostile_text_is_text():
    d = archlang.load(ROOT / "examples" / "shop.arch")
    d = renamed(d, "api", HOSTILE, name='shop "quoted"',
                description='<script>alert("x")</script> & <b>bold</b>')
    html = render_html(d, analyze(d))
    assert "<script" not in html.lower()
    assert "<b>bold" not in html
    page = Page(html)
    assert "script" not in page.tags and "b" not in page.tags
    h1 = next(e for e in page.elements if e["tag"] == "h1")
    assert h1["text"] == 'shop "quoted"'
    desc = next(e for e in page.elements if e["attrs"].get("class") == "description")
    assert desc["text"] == '<script>alert("x")</script> & <b>bold</b>'
    rows = {e["attrs"]["data-name"] for e in page.in_section("capacity", tag="tr")
            if "data-name" in e["attrs"]}
    assert HOSTILE in rows


def test_result_alone_for_jupyter():
    from archlang.render.html import render_fragment

    d = archlang.load(ROOT / "examples" / "shop.arch")
    r = analyze(d)
    # analyze() keeps the design, so Jupyter shows the whole report with its diagrams, as a
    # fragment (tests/test_jupyter.py runs it in a kernel and checks its scoping)
    assert r._repr_mimebundle_()["text/html"] == render_fragment(d, r)
    # a result without its design still renders, without diagrams
    bare = r.model_copy(update={"design": None})
    html = bare._repr_mimebundle_()["text/html"]
    assert html == render_fragment(None, bare)
    page = Page(html)
    prefix = next(e["attrs"]["id"] for e in page.elements
                  if e["attrs"].get("id", "").endswith("verdict"))[:-len("verdict")]
    for sid in ("verdict", "diagram", "capacity", "findings", "assumptions"):
        page.by_id(prefix + sid)
    assert "svg" not in page.tags
    assert "render_html(design, result)" in page.by_id(prefix + "diagram")["text"]
    assert render_result_html(bare).startswith("<!DOCTYPE html>")


def test_per_flow_views_and_the_full_size_links():
    html, design = report("shop")
    page = Page(html)
    # one view per flow, in the flow's section, drawn from that flow's request tree
    for name in design.flows:
        figs = page.in_section(f"flow-{name}", tag="figure")
        assert [f["attrs"]["data-flow"] for f in figs] == [name]
        assert f"flow {name}" in figs[0]["text"]
        # a link opens the frame alone at full size: an in-page fragment, no script
        frame = next(e for e in page.in_section(f"flow-{name}", tag="div")
                     if "full" in e["attrs"].get("class", "").split())
        links = [e for e in page.in_section(f"flow-{name}", tag="a")
                 if e["attrs"].get("href") == f"#{frame['attrs']['id']}"]
        assert links and "full size" in links[0]["text"]
    whole = page.by_id("diagram-full")
    assert "diagram" in whole["attrs"]["class"]
    # every id in the page is unique, the SVGs' included
    ids = [e["attrs"]["id"] for e in page.elements if "id" in e["attrs"]]
    assert len(ids) == len(set(ids))
    assert html.count("<svg") == 1 + len(design.flows)


def test_report_of_a_what_if(tmp_path):
    d = archlang.load(ROOT / "examples" / "multiregion.arch")
    r = analyze(d, down=["us-east"])
    page = Page(render_html(d, r))
    assert page.by_id("whatif")["attrs"]["data-down"] == "us-east"
    diagram = page.by_id("diagram")["text"]
    assert "what-if: us-east down" in diagram and "rerouted" in diagram
    for name in d.flows:
        assert "what-if: us-east down" in page.in_section(f"flow-{name}", tag="figure")[0]["text"]
    out = tmp_path / "whatif.html"
    run = subprocess.run([sys.executable, "-m", "archlang.cli", "report",
                          "examples/multiregion.arch", "--down", "us-east", "-o", str(out)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert Page(out.read_text(encoding="utf-8")).by_id("whatif")["attrs"]["data-down"] == \
        "us-east"


def test_missing_engine_still_gives_a_report(monkeypatch):
    from archlang.render import engine as eng

    monkeypatch.setenv("ARCHLANG_DOT", "/nonexistent/dot")
    d = archlang.load(ROOT / "examples" / "shop.arch")
    html = render_html(d, analyze(d))
    assert "Diagram not shown" in html and "/nonexistent/dot" in html
    assert eng.ENV_VAR == "ARCHLANG_DOT"


def test_report_keeps_the_findings_check_keeps_under_the_configuration(tmp_path):
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "common").mkdir()
    for f in (root / "examples" / "common").iterdir():
        (tmp_path / "common" / f.name).write_text(f.read_text())
    (tmp_path / "shop.arch").write_text((root / "examples" / "shop.arch").read_text())
    (tmp_path / "pyproject.toml").write_text('[tool.archlang]\nignore = ["AL431", "AL421"]\n')
    run = [sys.executable, "-m", "archlang"]
    out = subprocess.run([*run, "check", "shop.arch", "--format", "json"], cwd=tmp_path,
                         capture_output=True, text=True).stdout
    kept = json.loads(out)["files"][0]["findings"]
    assert kept and not any(f["code"] in ("AL431", "AL421") for f in kept)
    subprocess.run([*run, "report", "shop.arch", "-o", "r.html"], cwd=tmp_path, check=True,
                   capture_output=True)
    page = (tmp_path / "r.html").read_text()
    assert f"Findings ({len(kept)})" in page
    import re
    assert re.search(r">AL411<", page)                       # a kept code is shown
    assert not re.search(r">AL4[23]1<", page)                # the ignored ones are not


@pytest.mark.parametrize("name", ["shop", "multiregion"])
def test_report_prints_the_figures_as_check_does(name):
    # One formatter: the p99, the importance and its gain, and the SPOF probabilities read
    # the same in the report as in `archlang check` (they had been 658 ms against 658.4 ms,
    # `1 +0.0005` against `0.999791 +5.00e-04`).
    import re

    html, _ = report(name)
    page = Page(html)
    text = subprocess.run([sys.executable, "-m", "archlang.cli", "check", f"examples/{name}.arch"],
                          capture_output=True, text=True, cwd=ROOT).stdout
    assert "e-0" not in text and "e+0" not in text
    for m in re.finditer(r"^  flow (\S+)\n(?:    .*\n)*?    p50 .* p99 ([0-9.]+) ms", text, re.M):
        [dd] = page.in_section(f"flow-{m[1]}", **{"data-field": "p99"})
        assert dd["text"].strip() == f"{m[2]} ms"
    ranked = re.findall(r"^  (\S+)?\s+\d\. (\S+)\s+\S+\s+([0-9.]+)  \+([0-9.]+)$", text, re.M)
    assert ranked
    flow = None
    for fl, unit, birnbaum, gain in ranked:
        flow = fl or flow
        [row] = [e for e in page.in_section(f"flow-{flow}", tag="tr")
                 if e["attrs"].get("data-name") == unit
                 and any("importance" in p.get("class", "") for p in e["parents"])]
        assert birnbaum in row["text"] and f"+{gain}" in row["text"], (flow, unit, row["text"])
    # N+1: the report's cell says what the text's column says (fulfilment, with no load,
    # had been "ok (worst 0.0%)" in one and "us-east.b: nothing left" in the other).
    table = text.split("\ncapacity\n", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    rows = [line.split(maxsplit=6) for line in table if not line.startswith(("  flow ", "    "))
            and len(line.split(maxsplit=6)) == 7]
    assert rows
    checked = 0
    for name, *_, n1 in rows:
        cells = [e for e in page.in_section("capacity", tag="td")
                 if any(p.get("data-name") == name for p in e["parents"])]
        if n1.strip() == "-" and not cells:
            continue                    # a client: not in the report's table
        assert cells[-1]["text"].strip() == n1.strip(), (name, cells[-1]["text"], n1)
        checked += n1.strip() != "-"
    assert checked >= 2
