"""Finding and running a Graphviz engine: DOT source -> SVG / PNG / PDF bytes.

The ``graphviz`` Python package builds the DOT (see dot.py) but cannot be told which
executable to run, so the engine is run here with ``subprocess``. The engine is chosen in
this order (:func:`find_engine`):

1. an explicit choice: the ``engine=`` argument (``archlang render --engine``), else the
   environment variable ``ARCHLANG_DOT``: a path, or a command name looked up on PATH
   (``ARCHLANG_DOT=dot`` selects a system Graphviz);
2. a system ``dot`` on PATH (Debian's ``apt install graphviz``), when there is one;
3. otherwise ``graphviz-pure``, a dependency of archlang: a self-contained port of
   Graphviz's ``dot`` in the wheel, found in this interpreter's scripts directory (a
   virtualenv that is not activated has it there but not on PATH), then on PATH. So
   ``pip install archlang`` is enough on a machine without Graphviz;
4. otherwise :class:`RenderError`, saying how to get one.

Both engines get the same DOT and draw the same picture (same clusters, ranks, shapes);
coordinates differ by a few points because the two measure text differently, which is why
the golden files are DOT. ``ARCHLANG_DOT=graphviz-pure`` pins the bundled engine.

graphviz-pure 0.2.2 writes SVG and PNG but not PDF; for PDF the choice skips to a system
``dot`` unless one was named explicitly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archlang.errors import RenderError

if TYPE_CHECKING:  # pragma: no cover
    from archlang.analysis.result import Result
    from archlang.model.design import Design

FORMATS = ("svg", "png", "pdf", "dot")
#: Every format ``archlang render`` writes: Graphviz's, and the text-diagram exports.
ALL_FORMATS = FORMATS + ("mermaid", "d2")
#: File extensions and the format each means (``render -o NAME.EXT``).
EXTENSIONS = {"svg": "svg", "png": "png", "pdf": "pdf", "dot": "dot", "gv": "dot",
              "mmd": "mermaid", "mermaid": "mermaid", "d2": "d2"}


def format_for(output: str | None, fmt: str | None) -> str:
    """The format to write ``output`` in: ``fmt`` when given (it must agree with the
    extension, when the extension names a format), else the one the extension names, else
    svg for stdout or no ``-o``. Raises ValueError with a message for the user."""
    if not output or output == "-":
        return fmt or "svg"
    suffix = Path(output).suffix.lower().lstrip(".")
    by_ext = EXTENSIONS.get(suffix)
    known = ", ".join(f".{e}" for e in EXTENSIONS)
    if fmt is None:
        if by_ext is None:
            what = f"'.{suffix}'" if suffix else "no extension"
            raise ValueError(f"cannot tell the format of '{output}' ({what}): name it with "
                             f"--format ({', '.join(ALL_FORMATS)}) or use one of {known}")
        return by_ext
    if suffix and by_ext != fmt:
        means = f"means {by_ext}" if by_ext else "is not a format archlang writes"
        raise ValueError(f"--format {fmt} does not match '{output}' (.{suffix} {means}); "
                         f"write it to a .{next(e for e, f in EXTENSIONS.items() if f == fmt)} "
                         f"file, or drop --format")
    return fmt
ENV_VAR = "ARCHLANG_DOT"
PURE = "graphviz-pure"
#: Output formats graphviz-pure does not write.
PURE_LACKS = frozenset({"pdf"})

HOW_TO_INSTALL = (
    "install one: `pip install graphviz-pure` (a dependency of archlang), or Graphviz "
    "(`apt install graphviz`, `brew install graphviz`), or name an executable with "
    f"{ENV_VAR}=/path/to/dot")


@dataclass(frozen=True)
class Engine:
    path: str
    name: str          # "graphviz-pure", "dot", or the explicit executable's file name
    origin: str        # "explicit", "environment", "graphviz-pure", "system"

    def __str__(self) -> str:
        return f"{self.name} ({self.path}, {self.origin})"


def _scripts_dirs() -> list[Path]:
    dirs = []
    for scheme_path in (sysconfig.get_path("scripts"),
                        sysconfig.get_path("scripts", f"{os.name}_user")):
        if scheme_path and Path(scheme_path) not in dirs:
            dirs.append(Path(scheme_path))
    return dirs


def _which_pure() -> str | None:
    exe = PURE + (".exe" if os.name == "nt" else "")
    for d in _scripts_dirs():
        candidate = d / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(PURE)


def _resolve(name_or_path: str) -> str | None:
    p = Path(name_or_path).expanduser()
    if p.is_file() and os.access(p, os.X_OK):
        return str(p)
    if os.sep in name_or_path:
        return None
    return shutil.which(name_or_path) or (_which_pure() if name_or_path == PURE else None)


def find_engine(fmt: str = "svg", engine: str | None = None,
                env: Mapping[str, str] | None = None) -> Engine:
    """The engine to run for ``fmt`` (see the module docstring). Raises RenderError."""
    env = os.environ if env is None else env
    explicit, origin = (engine, "explicit") if engine else (env.get(ENV_VAR) or None, "environment")
    if explicit:
        path = _resolve(explicit)
        if path is None:
            where = "--engine" if origin == "explicit" else ENV_VAR
            raise RenderError(f"Graphviz engine '{explicit}' ({where}) not found or not executable")
        return Engine(path=path, name=Path(path).name, origin=origin)
    dot = shutil.which("dot")
    if dot:
        return Engine(path=dot, name="dot", origin="system")
    if fmt not in PURE_LACKS:
        pure = _which_pure()
        if pure:
            return Engine(path=pure, name=PURE, origin=PURE)
    if fmt in PURE_LACKS:
        raise RenderError(f"{fmt.upper()} output needs Graphviz's own dot ({PURE} writes SVG "
                          f"and PNG only): `apt install graphviz` or `brew install graphviz`, "
                          f"or {ENV_VAR}=/path/to/dot; or use --format svg or png")
    raise RenderError("no Graphviz engine found: " + HOW_TO_INSTALL)


def run_engine(dot_source: str, fmt: str = "svg", engine: Engine | None = None) -> bytes:
    """Lay out ``dot_source`` and return the output in ``fmt`` (svg, png, pdf)."""
    if fmt not in FORMATS or fmt == "dot":
        raise ValueError(f"not an image format: {fmt!r}")
    engine = engine or find_engine(fmt)
    try:
        proc = subprocess.run([engine.path, f"-T{fmt}"], input=dot_source.encode("utf-8"),
                              capture_output=True, check=False)
    except OSError as e:
        raise RenderError(f"cannot run {engine}: {e}") from None
    if proc.returncode != 0 or not proc.stdout:
        err = proc.stderr.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
        raise RenderError(f"{engine.name} failed to render {fmt}: {err}")
    return proc.stdout


def render(design: Design, result: Result | None = None, fmt: str = "svg",
           engine: str | None = None, flow: str | None = None,
           id_prefix: str | None = None) -> bytes:
    """The design's diagram in ``fmt``: ``dot`` (the DOT source), ``svg``, ``png``, ``pdf``,
    or the text exports ``mermaid`` and ``d2``. ``flow``: that flow's view."""
    from archlang.render.dot import render_view_dot
    from archlang.render.view import build_view

    if fmt not in ALL_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(ALL_FORMATS)}")
    view = build_view(design, result, flow)
    if fmt == "mermaid":
        from archlang.render.mermaid import render_mermaid

        return render_mermaid(view).encode("utf-8")
    if fmt == "d2":
        from archlang.render.d2 import render_d2

        return render_d2(view).encode("utf-8")
    source = render_view_dot(view, id_prefix)
    if fmt == "dot":
        return source.encode("utf-8")
    return run_engine(source, fmt, find_engine(fmt, engine))


def render_svg(design: Design, result: Result | None = None,
               engine: str | None = None, flow: str | None = None,
               id_prefix: str | None = None) -> str:
    """The design's diagram (or ``flow``'s view) as an SVG document (a string);
    ``id_prefix``: see ``dot.render_view_dot``."""
    return render(design, result, "svg", engine, flow, id_prefix).decode("utf-8")
