"""archlang: architecture as code. Availability, SPOFs, latency budgets and capacity.

The names below are loaded on first use (PEP 562): ``import archlang`` and
``archlang --version`` read no grammar, build no pydantic model and import no numpy.
"""

TYPE_CHECKING = False   # typing's own costs an import that `archlang --version` need not pay
__version__ = "0.1.0"

#: public name -> the module that defines it
_LAZY = {
    "analyze": "archlang.api",
    "load": "archlang.api",
    "loads": "archlang.api",
    "render_html": "archlang.api",
    "render_svg": "archlang.api",
    "ArchlangError": "archlang.errors",
    "DesignError": "archlang.errors",
    "Diagnostic": "archlang.errors",
    "ImportError_": "archlang.errors",
    "SourceError": "archlang.errors",
    "SyntaxError_": "archlang.errors",
    "Design": "archlang.model.design",
}

__all__ = sorted([*_LAZY, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from archlang.api import analyze, load, loads, render_html, render_svg
    from archlang.errors import (ArchlangError, DesignError, Diagnostic, ImportError_,
                                 SourceError, SyntaxError_)
    from archlang.model.design import Design


def __getattr__(name: str):
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
