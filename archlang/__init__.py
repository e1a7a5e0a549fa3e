"""archlang: architecture as code. Availability, SPOFs, latency budgets and capacity."""

from archlang.api import analyze, load, loads, render_html, render_svg
from archlang.errors import (
    ArchlangError,
    DesignError,
    Diagnostic,
    ImportError_,
    SourceError,
    SyntaxError_,
)
from archlang.model.design import Design

__version__ = "0.1.0"

__all__ = [
    "ArchlangError",
    "Design",
    "DesignError",
    "Diagnostic",
    "ImportError_",
    "SourceError",
    "SyntaxError_",
    "__version__",
    "analyze",
    "load",
    "loads",
    "render_html",
    "render_svg",
]
