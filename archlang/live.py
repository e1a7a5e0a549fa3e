"""`archlang watch FILE` and `archlang serve FILE`: the design checked again as it changes.

``watch`` runs ``check`` once, then again each time a design file under the design's
directory (the project root its imports must stay in) is written. ``serve`` serves the
HTML report on 127.0.0.1 only, rebuilt on every change, and the browser shows the new
figures with no click: the page at ``/`` is a small frame around the report (``/report``,
byte for byte what ``archlang report`` writes, script-free) plus a reload script that the
page's Content-Security-Policy allows by its hash and nothing else. The script listens to
``/events`` (server-sent events: the report's generation number) and reloads the frame,
keeping its scroll position, when the number changes. A design that does not check serves
the CLI's error text instead, and reloads when it is fixed.

Requests whose Host is not the loopback address and port are refused (DNS rebinding).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2
    from watchfiles import Change

#: The page's one script: reload the report frame when the generation changes.
RELOAD_JS = """\
const frame = document.getElementById("report");
let shown = document.body.dataset.generation;
function reload(generation) {
  const y = frame.contentWindow ? frame.contentWindow.scrollY : 0;
  frame.addEventListener("load", () => frame.contentWindow.scrollTo(0, y), { once: true });
  frame.src = "/report?generation=" + generation;
  shown = generation;
  document.body.dataset.generation = generation;
}
new EventSource("/events").onmessage = (e) => { if (e.data !== shown) reload(e.data); };
"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<title>{{ title }} (live)</title>
<style>html, body { margin: 0; height: 100%; } iframe { border: 0; width: 100%; height: 100%;
display: block; }</style>
</head>
<body data-generation="{{ generation }}">
<iframe id="report" title="{{ title }}" src="/report?generation={{ generation }}"></iframe>
<script>{{ script }}</script>
</body>
</html>
"""

_ERROR = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{ file }}: does not check</title>
<style>body { font: 14px/1.5 ui-monospace, monospace; margin: 2em; }
h1 { font-size: 1.2em; color: #b00020; }</style>
</head>
<body>
<h1 id="error">{{ file }} does not check</h1>
<pre id="diagnostics">{{ text }}</pre>
<p>The page reloads when the file is fixed.</p>
</body>
</html>
"""


def _templates() -> tuple[jinja2.Template, jinja2.Template]:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_PAGE), env.from_string(_ERROR)


def script_hash() -> str:
    digest = hashlib.sha256(RELOAD_JS.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


CSP = (f"default-src 'none'; script-src '{script_hash()}'; connect-src 'self'; "
       "frame-src 'self'; style-src 'unsafe-inline'")


def _changes(root: Path, stop: threading.Event) -> Iterator[set[tuple[Change, str]]]:
    """Each set of changed design files under ``root`` (blocks; ends when ``stop`` is set).

    Says on stderr when the watch is in place (the first time the watcher comes back with
    nothing), so that a change made after that line is never missed."""
    import watchfiles

    def design_file(change: Change, path: str) -> bool:
        return path.endswith(".arch")

    announced = False
    for changes in watchfiles.watch(root, watch_filter=design_file, stop_event=stop,
                                    debounce=200, step=50, rust_timeout=200,
                                    yield_on_timeout=True, raise_interrupt=False):
        if not announced:
            announced = True
            sys.stderr.write(f"archlang: watching {root} for changes to .arch files\n")
            sys.stderr.flush()
        if changes:
            yield changes


def watch(file: str, check: Callable[[], int]) -> int:
    """Run ``check`` now and after every change of a design file; Ctrl-C stops."""
    root = Path(file).resolve().parent
    check()
    stop = threading.Event()
    for changes in _changes(root, stop):
        names = ", ".join(sorted(Path(p).name for _, p in changes))
        sys.stderr.write(f"archlang: {names} changed: checking {file} again\n")
        sys.stderr.flush()
        check()
    return 0


class Live:
    """The report of ``file`` as of its last change, and a generation number for it."""

    def __init__(self, file: str, engine: str | None = None) -> None:
        self.file, self.engine = file, engine
        self.generation = 0
        self.report = b""
        self.title = Path(file).stem
        self.changed = threading.Condition()

    def build(self) -> None:
        from archlang import api
        from archlang.errors import ArchlangError

        _, error = _templates()
        try:
            design = api.load(self.file)
            html = api.render_html(design, api.analyze(design), engine=self.engine)
            self.title = design.name
        except ArchlangError as e:
            html = error.render(file=self.file, text=e.render())
        with self.changed:
            self.report = html.encode("utf-8")
            self.generation += 1
            self.changed.notify_all()

    def page(self) -> bytes:
        from markupsafe import Markup

        page, _ = _templates()
        return page.render(csp=CSP, title=self.title, generation=self.generation,
                           script=Markup(RELOAD_JS)).encode("utf-8")

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


def _handler(live: Live, stop: threading.Event
             ) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "archlang"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:  # quiet: the terminal
            # shows changes only
            pass

        def _host_ok(self) -> bool:
            address = self.server.server_address
            assert isinstance(address, tuple)          # an IP server: (host, port)
            port = address[1]
            return self.headers.get("Host", "") in (f"127.0.0.1:{port}", f"localhost:{port}")

        def _send(self, status: int, body: bytes,
                  kind: str = "text/html; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if not self._host_ok():
                return self._send(403, b"forbidden\n", "text/plain; charset=utf-8")
            path = self.path.split("?", 1)[0]
            if path == "/":
                return self._send(200, live.page())
            if path == "/report":
                return self._send(200, live.report)
            if path == "/events":
                return self._events()
            return self._send(404, b"not found\n", "text/plain; charset=utf-8")

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = -1
            try:
                while not stop.is_set():
                    now = live.wait(seen, timeout=15.0)
                    # a comment line when nothing changed keeps the connection checked
                    line = f"data: {now}\n\n" if now != seen else ": idle\n\n"
                    self.wfile.write(line.encode("ascii"))
                    self.wfile.flush()
                    seen = now
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def serve(file: str, port: int = 8000, engine: str | None = None,
          ready: Callable[[str], None] | None = None) -> int:
    """Serve the live report of ``file`` on 127.0.0.1:``port`` until Ctrl-C."""
    live = Live(file, engine)
    live.build()
    stop = threading.Event()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(live, stop))
    httpd.daemon_threads = True
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    sys.stderr.write(f"archlang: serving the report of {file} at {url} (Ctrl-C stops)\n")
    sys.stderr.flush()
    if ready is not None:
        ready(url)

    def rebuild() -> None:
        for _changed in _changes(Path(file).resolve().parent, stop):
            live.build()
            sys.stderr.write(f"archlang: {file} changed: report {live.generation} served\n")
            sys.stderr.flush()

    watcher = threading.Thread(target=rebuild, name="archlang-watch", daemon=True)
    watcher.start()
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
        with live.changed:
            live.changed.notify_all()
        httpd.server_close()
    return 0
