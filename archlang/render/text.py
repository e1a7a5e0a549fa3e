"""The text report of `archlang check`: a summary, then each analysis, then the verdict."""

from __future__ import annotations

from collections import Counter

from archlang.analysis.result import Result
from archlang.escape import text_block
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
        f"  assumed defaults: {n_assumed}" + (" (docs/language.md has the values)"
                                               if n_assumed else ""),
    ]
    grouped: dict[str, list[str]] = {}
    for subject, fld, _ in design.assumptions():
        grouped.setdefault(subject, []).append(fld)
    line = "   "
    for subject, fields in grouped.items():
        item = f" {subject}: {', '.join(fields)};"
        if len(line) + len(item) > 100:
            lines.append(line.rstrip(";"))
            line = "   "
        line += item
    if line.strip():
        lines.append(line.rstrip(";"))
    return "\n".join(lines)


def findings_text(design: Design, result: Result) -> str:
    from archlang.render.ci import problems

    probs = problems(design, result)
    if not probs:
        return "findings: none"
    lines = [f"findings: {len(probs)}"]
    for f in probs:
        lines.append(f"  {f.span}: {f.severity} {f.code} {f.message}")
        if f.hint:
            lines.append(f"      hint: {f.hint}")
    return "\n".join(lines)


def render_text(items: list[tuple[Design, Result, str]]) -> str:
    from archlang.render.text_availability import format_availability
    from archlang.render.text_latency import format_capacity, format_latency

    blocks = []
    for design, result, status in items:
        parts = [summary(design)]
        if result.down:
            parts.append("what-if: failed " + ", ".join(result.down))
        if design.flows:
            parts.append(format_availability(design, result.availability_report))
            parts.append(format_latency(design, result.latency_report))
            nb = [(n, f.latency_without_breaker) for n, f in result.flows.items()
                  if f.latency_without_breaker is not None]
            if nb:
                parts.append("\n".join(
                    ["latency without the breakers (what the breakers save under --down)"]
                    + [f"  flow {n}: p50 {x.p50:.1f} ms  p99 {x.p99:.1f} ms  "
                       f"p99.9 {x.p999:.1f} ms" for n, x in nb]))
            parts.append(format_capacity(design, result.capacity_report))
        parts.append(findings_text(design, result))
        parts.append(f"verdict: {status.upper()}")
        blocks.append("\n\n".join(p.rstrip("\n") for p in parts if p))
    # Nothing of the design reaches the terminal raw (archlang/escape.py).
    return text_block("\n\n".join(blocks) + "\n")
