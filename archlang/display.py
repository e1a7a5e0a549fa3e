"""Rich display in notebooks, without the models importing the renderers.

The models (model/design.py, analysis/result.py) sit below render/ in the pipeline
(docs/architecture.md) and must not import it. Their ``_repr_*_`` methods ask this module
for a renderer by name; the package itself (archlang/__init__.py, which Python runs before
any of its submodules) registers the real ones, and they import archlang.notebook on the
first display only. Without a registered renderer a model shows its plain repr.
"""

from __future__ import annotations

from collections.abc import Callable

#: "design" and "result" -> a function of the object giving its MIME bundle
_BUNDLES: dict[str, Callable[[object], dict[str, str]]] = {}


def register(kind: str, bundle: Callable[[object], dict[str, str]]) -> None:
    _BUNDLES[kind] = bundle


def bundle(kind: str, obj: object) -> dict[str, str]:
    """The MIME bundle of ``obj`` (text/plain at least)."""
    make = _BUNDLES.get(kind)
    return make(obj) if make is not None else {"text/plain": repr(obj)}
