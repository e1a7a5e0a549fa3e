"""Notebook display of designs and results (Jupyter, VS Code, nbclient): the renderers
behind the models' ``_repr_mimebundle_``, wired in by archlang/__init__.py through
archlang/display.py so that the models need not import render/.

A design shows as its diagram (SVG, and a scoped HTML fragment that styles nothing outside
itself); a result as the report's fragment, with its design's diagram when it has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archlang.analysis.result import Result
    from archlang.model.design import Design


def design_bundle(design: Design) -> dict[str, str]:
    from archlang.render.html import render_design_fragment

    html, svg = render_design_fragment(design)
    out = {"text/plain": repr(design), "text/html": html}
    if svg is not None:
        out["image/svg+xml"] = svg
    return out


def result_bundle(result: Result) -> dict[str, str]:
    from archlang.render.html import render_fragment

    return {"text/plain": repr(result), "text/html": render_fragment(result.design, result)}
