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
    # `as`: re-exported (what mypy --strict asks of a package's public names)
    from archlang.api import analyze as analyze
    from archlang.api import load as load
    from archlang.api import loads as loads
    from archlang.api import render_html as render_html
    from archlang.api import render_svg as render_svg
    from archlang.errors import ArchlangError as ArchlangError
    from archlang.errors import DesignError as DesignError
    from archlang.errors import Diagnostic as Diagnostic
    from archlang.errors import ImportError_ as ImportError_
    from archlang.errors import SourceError as SourceError
    from archlang.errors import SyntaxError_ as SyntaxError_
    from archlang.model.design import Design as Design


def __getattr__(name: str) -> object:
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
