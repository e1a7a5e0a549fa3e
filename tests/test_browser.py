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
from archlang.analysis import analyze
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


def write_report(tmp_path: Path, name: str) -> Path:
    d = archlang.load(ROOT / "examples" / f"{name}.arch")
    out = tmp_path / f"{name}.html"
    out.write_text(render_html(d, analyze(d)), encoding="utf-8")
    return out


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
        # The inline SVG is laid out at a readable size inside the page's width.
        box = page.locator("#diagram svg").bounding_box()
        assert box is not None and 600 < box["width"] <= 1366
        shot = artifacts(tmp_path) / f"report-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
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
        page.screenshot(path=str(artifacts(tmp_path) / "report-shop-phone.png"))
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

