"""archlang: architecture as code. Availability, SPOFs, latency budgets and capacity.

The names below are loaded on first use (PEP 562): ``import archlang`` and
``archlang --version`` read no grammar, build no pydantic model and import no numpy.
"""

TYPE_CHECKING = False   # typing's own costs an import that `archlang --version` need not pay

#: public name -> the module that defines it
_LAZY = {
    # the stages, chained (archlang/api.py)
    "analyze": "archlang.api",
    "format": "archlang.api",
    "graph": "archlang.api",
    "load": "archlang.api",
    "loads": "archlang.api",
    "render_html": "archlang.api",
    "render_svg": "archlang.api",
    # errors
    "ArchlangError": "archlang.errors",
    "DesignError": "archlang.errors",
    "Diagnostic": "archlang.errors",
    "ImportError_": "archlang.errors",
    "RenderError": "archlang.errors",
    "SourceError": "archlang.errors",
    "SyntaxError_": "archlang.errors",
    # the models: a design, and what the analyses say of it
    "ComponentResult": "archlang.analysis.result",
    "Design": "archlang.model.design",
    "Finding": "archlang.analysis.common",
    "FlowResult": "archlang.analysis.result",
    "Result": "archlang.analysis.result",
    "Severity": "archlang.analysis.common",
    "SloResult": "archlang.analysis.common",
    "Span": "archlang.span",
}

__all__ = sorted([*_LAZY, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    # `as`: re-exported (what mypy --strict asks of a package's public names)
    from archlang.analysis.common import Finding as Finding
    from archlang.analysis.common import Severity as Severity
    from archlang.analysis.common import SloResult as SloResult
    from archlang.analysis.result import ComponentResult as ComponentResult
    from archlang.analysis.result import FlowResult as FlowResult
    from archlang.analysis.result import Result as Result
    from archlang.api import analyze as analyze
    from archlang.api import format as format
    from archlang.api import graph as graph
    from archlang.api import load as load
    from archlang.api import loads as loads
    from archlang.api import render_html as render_html
    from archlang.api import render_svg as render_svg
    from archlang.errors import ArchlangError as ArchlangError
    from archlang.errors import DesignError as DesignError
    from archlang.errors import Diagnostic as Diagnostic
    from archlang.errors import ImportError_ as ImportError_
    from archlang.errors import RenderError as RenderError
    from archlang.errors import SourceError as SourceError
    from archlang.errors import SyntaxError_ as SyntaxError_
    from archlang.model.design import Design as Design
    from archlang.span import Span as Span

    __version__: str


def _design_bundle(obj: object) -> dict[str, str]:
    from archlang.notebook import design_bundle

    return design_bundle(obj)  # type: ignore[arg-type]  # registered for designs only


def _result_bundle(obj: object) -> dict[str, str]:
    from archlang.notebook import result_bundle

    return result_bundle(obj)  # type: ignore[arg-type]  # registered for results only


# Notebook display of the models (archlang/display.py): the package wires the renderers in,
# so that the models need not import render/; archlang.notebook loads on the first display.
from archlang import display as _display  # noqa: E402

_display.register("design", _design_bundle)
_display.register("result", _result_bundle)


def __getattr__(name: str) -> object:
    if name == "__version__":        # the package metadata's (archlang/about.py)
        from archlang.about import version

        return version()
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'archlang' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value          # later look-ups do not come here again
    return value


def __dir__() -> list[str]:
    """The public names (loaded or not) and the module's dunders; not its submodules."""
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
