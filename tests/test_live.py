"""`archlang watch` and `archlang serve`, run as subprocesses; serve checked in Chromium.

The browser test edits the design while the page is open and waits (bounded) for the page
to show the new figure, which is worked out independently by `archlang check --format json`
on the edited file. Every process started here is stopped at the end.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHLANG = str(Path(sys.executable).with_name("archlang"))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI") == "true"
WAIT_S = 60.0


class Proc:
    """A subprocess whose output lines are read on a thread, with bounded waits."""

    def __init__(self, *args: str, stream: str = "stderr"):
        self.p = subprocess.Popen([ARCHLANG, *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.readers = [threading.Thread(target=self._read, args=(s,), daemon=True)
                        for s in (self.p.stdout, self.p.stderr)]
        for t in self.readers:
            t.start()

    def _read(self, stream):
        for line in stream:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = WAIT_S) -> re.Match:
        rx = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} in {timeout}s; "
                                     f"seen: {''.join(self.seen)[-2000:]}") from None
            self.seen.append(line)
            m = rx.search(line)
            if m:
                return m

    def stop(self) -> int:
        self.p.terminate()
        try:
            rc = self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait(timeout=10)
        for t in self.readers:
            t.join(timeout=10)
        self.p.stdout.close()
        self.p.stderr.close()
        return rc


def check_json(path: Path) -> dict:
    out = subprocess.run([ARCHLANG, "check", "--format", "json", str(path)],
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout)["files"][0]


def design(tmp_path: Path) -> Path:
    path = tmp_path / "shop.arch"
    path.write_text((ROOT / "examples" / "shop.arch").read_text("utf-8"), "utf-8")
    return path


def test_watch_checks_again_on_save(tmp_path):
    path = design(tmp_path)
    w = Proc("watch", str(path))
    try:
        w.wait_for(r"archlang: watching .* for changes")
        text = path.read_text("utf-8")
        path.write_text(text.replace("slo latency p99 1s", "slo latency p99 50ms"), "utf-8")
        w.wait_for(r"shop\.arch changed: checking .* again")
        # what check prints for the edited file, line for line
        want = subprocess.run([ARCHLANG, "check", str(path)], capture_output=True, text=True,
                              timeout=120).stdout.splitlines()
        fail = next(line for line in want if "50ms" in line or "50.0 ms" in line
                    or "50 ms" in line)
        w.wait_for(re.escape(fail))
    finally:
        assert w.stop() in (0, -15, 130)


def test_serve_refuses_other_hosts_and_serves_the_report_as_written(tmp_path):
    path = design(tmp_path)
    s = Proc("serve", str(path), "--port", "0")
    try:
        url = s.wait_for(r"at (http://127\.0\.0\.1:\d+/)")[1]
        with urllib.request.urlopen(url + "report", timeout=30) as r:
            report = r.read()
        out = tmp_path / "written.html"
        subprocess.run([ARCHLANG, "report", str(path), "-o", str(out)], check=True,
                       capture_output=True, timeout=120)
        assert report == out.read_bytes()
        assert b"<script" not in report
        with urllib.request.urlopen(url, timeout=30) as r:
            page = r.read().decode("utf-8")
        assert page.count("<script>") == 1 and "script-src 'sha256-" in page.replace(
            "&#39;", "'")
        req = urllib.request.Request(url, headers={"Host": "attacker.example:80"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)
        assert e.value.code == 403
        e.value.close()
    finally:
        s.stop()


def test_serve_port_taken_is_a_clear_error(tmp_path):
    import socket

    path = design(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = subprocess.run([ARCHLANG, "serve", str(path), "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith(f"archlang: error: cannot serve on 127.0.0.1:{port}: ")
    assert "Traceback" not in out.stderr


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not IN_CI:
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.mark.browser
def test_serve_reloads_the_page_with_the_new_figures(browser, tmp_path):
    path = design(tmp_path)
    s = Proc("serve", str(path), "--port", "0")
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    try:
        url = s.wait_for(r"at (http://127\.0\.0\.1:\d+/)")[1]
        s.wait_for(r"archlang: watching .* for changes")
        page = ctx.new_page()
        page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: problems.append(f"outside request: {r.url}")
                if not r.url.startswith((url, "data:", "about:")) else None)
        page.goto(url, wait_until="load")
        frame = page.frame_locator("#report")
        avail = frame.locator('#flow-checkout dd[data-field="availability"]')
        before = check_json(path)
        flows = {f["name"]: f for f in before["flows"]}
        assert float(avail.get_attribute("data-value", timeout=WAIT_S * 1000)) == \
            flows["checkout"]["availability"]

        # the payment provider gets worse: the checkout figure the page shows follows
        text = path.read_text("utf-8")
        path.write_text(text.replace("external payments { availability 99.95%",
                                     "external payments { availability 99.5%"), "utf-8")
        after = {f["name"]: f for f in check_json(path)["flows"]}["checkout"]["availability"]
        assert after < flows["checkout"]["availability"]
        page.wait_for_function(
            """want => { const f = document.getElementById("report").contentDocument;
                 const dd = f && f.querySelector('#flow-checkout dd[data-field="availability"]');
                 return dd && parseFloat(dd.dataset.value) === want; }""",
            arg=after, timeout=WAIT_S * 1000)

        # a design that does not check shows the CLI's error, and the fix brings figures back
        path.write_text(text.replace("server api {", "server api { availabilty 99%"), "utf-8")
        err = frame.locator("#diagnostics")
        err.wait_for(timeout=WAIT_S * 1000)
        assert "unknown property 'availabilty'" in err.inner_text()
        assert "did you mean 'availability'?" in err.inner_text()
        path.write_text(text, "utf-8")
        page.wait_for_function(
            """want => { const f = document.getElementById("report").contentDocument;
                 const dd = f && f.querySelector('#flow-checkout dd[data-field="availability"]');
                 return dd && parseFloat(dd.dataset.value) === want; }""",
            arg=flows["checkout"]["availability"], timeout=WAIT_S * 1000)
        assert problems == []
    finally:
        ctx.close()
        s.stop()
    assert s.p.poll() is not None
