"""The report in a real browser: Debian's Chromium, headless, driven by Playwright (no
browser download: executable_path=/usr/bin/chromium). The page loads with no console error,
no failed or outside request, fits a phone's width, prints, and a screenshot is saved
(to $ARCHLANG_ARTIFACTS when set, else the test's temporary directory).

Skipped when /usr/bin/chromium is missing (`apt-get install -y chromium`; .ci/run installs it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import archlang
from archlang.findings import analyze
from archlang.render.html import render_html

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# In CI (.ci/run installs Chromium) a missing browser is a failure, not a skip.
_IN_CI = os.environ.get("CI") == "true"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not _IN_CI,
                       reason=f"{CHROMIUM} not installed (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def browser():
    if _IN_CI:
        from playwright import sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def write_report(tmp_path: Path, name: str, down: tuple[str, ...] = ()) -> Path:
    d = archlang.load(ROOT / "examples" / f"{name}.arch")
    out = tmp_path / f"{name}{'-down' if down else ''}.html"
    out.write_text(render_html(d, analyze(d, down=down)), encoding="utf-8")
    return out


#: The smallest text of every diagram on the page, in CSS pixels as laid out: each SVG
#: <text>'s font-size (SVG user units, points) times the scale it is drawn at.
SMALLEST_TEXT = """() => {
  const out = {};
  document.querySelectorAll('.diagram svg').forEach((svg, i) => {
    let least = Infinity;
    for (const t of svg.querySelectorAll('text')) {
      const px = parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a;
      least = Math.min(least, px);
    }
    out[svg.closest('.diagram').id] = least;
  });
  return out;
}"""


def open_page(browser, path: Path, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: problems.append(f"outside request: {r.url}")
            if not r.url.startswith(("file://", "data:")) else None)
    page.goto(path.as_uri(), wait_until="load")
    return ctx, page, problems


def artifacts(tmp_path: Path) -> Path:
    d = Path(os.environ.get("ARCHLANG_ARTIFACTS", tmp_path))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.mark.parametrize("name", ["shop", "multiregion"])
def test_report_opens_clean_on_a_laptop(browser, tmp_path, name):
    ctx, page, problems = open_page(browser, write_report(tmp_path, name),
                                    viewport={"width": 1366, "height": 900})
    try:
        assert page.title().startswith(archlang.load(ROOT / "examples" / f"{name}.arch").name)
        for sid in ("verdict", "diagram", "capacity", "findings", "assumptions"):
            assert page.locator(f"#{sid}").is_visible()
        # Every diagram (the whole design, one per flow) is drawn at its natural size:
        # 1 pt = 4/3 px, so its smallest text (9 pt) is 12 px, at least 11 px.
        smallest = page.evaluate(SMALLEST_TEXT)
        assert len(smallest) == 1 + len(archlang.load(ROOT / "examples" / f"{name}.arch").flows)
        for frame, px in smallest.items():
            assert px >= 11, (frame, px)
        box = page.locator("#diagram svg").bounding_box()
        pt = float(page.locator("#diagram svg").get_attribute("width").removesuffix("pt"))
        assert box is not None and abs(box["width"] - pt * 4 / 3) < 2
        # The frame scrolls instead of pushing the page wider.
        frame = page.locator("#diagram-full").bounding_box()
        assert frame["width"] <= 1366
        shot = artifacts(tmp_path) / f"report-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert problems == []
    finally:
        ctx.close()


def test_full_size_link_opens_the_diagram_alone(browser, tmp_path):
    ctx, page, problems = open_page(browser, write_report(tmp_path, "multiregion"),
                                    viewport={"width": 1366, "height": 900})
    try:
        page.click("a[href='#diagram-full']")
        frame = page.locator("#diagram-full").bounding_box()
        # the frame covers the window; the SVG in it keeps its natural size
        assert frame == {"x": 0, "y": 0, "width": 1366, "height": 900}
        assert min(page.evaluate(SMALLEST_TEXT).values()) >= 11
        assert page.locator("#diagram-full a.close").is_visible()
        page.screenshot(path=str(artifacts(tmp_path) / "report-multiregion-full-size.png"))
        page.click("#diagram-full a.close")
        assert page.locator("#diagram-full").bounding_box()["width"] < 1366
        assert problems == []
    finally:
        ctx.close()


def test_what_if_report(browser, tmp_path):
    ctx, page, problems = open_page(browser, write_report(tmp_path, "multiregion", ("us-east",)),
                                    viewport={"width": 1366, "height": 900})
    try:
        assert page.locator("#whatif").is_visible()
        assert "rerouted" in page.locator("#diagram svg").text_content()
        page.screenshot(path=str(artifacts(tmp_path) / "report-multiregion-down-us-east.png"),
                        full_page=True)
        assert problems == []
    finally:
        ctx.close()


def test_report_fits_a_phone(browser, tmp_path):
    ctx, page, problems = open_page(browser, write_report(tmp_path, "shop"),
                                    viewport={"width": 390, "height": 844},
                                    device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        # The page itself never scrolls sideways; wide tables and the diagram scroll in place.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        # the diagrams keep their natural size on a phone too: their frames scroll
        assert min(page.evaluate(SMALLEST_TEXT).values()) >= 11
        page.screenshot(path=str(artifacts(tmp_path) / "report-shop-phone.png"))
        page.locator("#diagram").screenshot(
            path=str(artifacts(tmp_path) / "report-shop-phone-diagram.png"))
        assert problems == []
    finally:
        ctx.close()


def test_report_prints(browser, tmp_path):
    ctx, page, problems = open_page(browser, write_report(tmp_path, "shop"))
    try:
        page.emulate_media(media="print")
        assert not page.locator("nav.toc").is_visible()
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf[:5] == b"%PDF-"
        (artifacts(tmp_path) / "report-shop.pdf").write_bytes(pdf)
        assert problems == []
    finally:
        ctx.close()

