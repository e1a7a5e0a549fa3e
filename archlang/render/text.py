"""The text report of `archlang check`."""

from __future__ import annotations

from collections import Counter

from archlang.model.design import KINDS, Design


def summary(design: Design) -> str:
    kinds = Counter(c.kind for c in design.components.values())
    parts = [f"{kinds[k]} {k}" for k in KINDS if kinds[k]]
    n_assumed = len(design.assumptions())
    lines = [
        f"{design.path}: system {design.name}",
        f"  components: {len(design.components)} ({', '.join(parts) or 'none'})",
        f"  calls: {len(design.calls)}   flows: {len(design.flows)}"
        + (f" ({', '.join(design.flows)})" if design.flows else ""),
        f"  assumed defaults: {n_assumed}",
    ]
    return "\n".join(lines)


def render_text(designs: list[Design]) -> str:
    return "\n\n".join(summary(d) for d in designs) + "\n"
