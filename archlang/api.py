"""The front door: the one place the stages are chained.

    text --parse--> syntax tree --build_design--> Design --build_graph--> DiGraph
         --analyze--> Result --render_*--> SVG / HTML / JSON
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from archlang.model.build import build_design
from archlang.model.design import Design
from archlang.sources import load_units

if TYPE_CHECKING:
    from archlang.analysis.result import Result
    from archlang.errors import Diagnostic


def load(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
         name: str | None = None) -> Design:
    """Read, parse and validate a design file and its imports. Raises ArchlangError.

    ``name`` is how messages name the file (default: ``path``)."""
    recovered: list[Diagnostic] = []
    units, sources = load_units(path, root=root, recovered=recovered, name=name)
    return build_design(units, sources, name or os.fspath(path), recovered)


def loads(text: str, path: str = "<string>",
          root: str | os.PathLike[str] | None = None) -> Design:
    """Parse and validate design text. ``path`` names it in messages and anchors imports."""
    recovered: list[Diagnostic] = []
    units, sources = load_units(path, root=root, text=text, recovered=recovered)
    return build_design(units, sources, path, recovered)


def analyze(design: Design, down: Sequence[str] = ()) -> Result:
    """Every analysis of ``design`` (availability, latency, capacity, rules) as a Result."""
    from archlang.analysis import analyze as _analyze

    return _analyze(design, down=down)


def render_svg(design: Design, result: Result | None = None) -> str:
    """The design's diagram as SVG (with a result: SPOFs, rates, availability, utilisation)."""
    from archlang.render.engine import render_svg as _svg

    return _svg(design, result)


def render_html(design: Design, result: Result) -> str:
    """The self-contained HTML report."""
    from archlang.render.html import render_html as _html

    return _html(design, result)
