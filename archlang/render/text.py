"""The text report of `archlang check`: a summary, then each analysis, then the verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from archlang.analysis.common import Finding
from archlang.analysis.result import Result
from archlang.checks import FileCheck
from archlang.escape import has_unsafe, text_block
from archlang.escape import text as escape_text
from archlang.model.design import Design
from archlang.vocabulary import KINDS


def summary(design: Design) -> str:
    kinds = Counter[str](c.kind for c in design.components.values())
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


def findings_text(design: Design, result: Result, probs: list[Finding] | None = None) -> str:
    """The findings (``probs``: the ones the selection kept; default: all of them)."""
    from archlang.findings import problems

    probs = problems(result) if probs is None else probs
    if not probs:
        return "findings: none"
    lines = [f"findings: {len(probs)}"]
    for f in probs:
        lines.append(f"  {f.span}: {f.severity} {f.code} {f.message}")
        if f.hint:
            lines.append(f"      hint: {f.hint}")
    return "\n".join(lines)


def invalid_text(check: FileCheck, with_errors: bool) -> str:
    """An invalid file's block: its errors (when the report goes to a file), the verdict."""
    error = check.error
    assert error is not None, check.path      # an invalid file has its error
    n = len(error.diagnostics)
    head = f"{check.path}: invalid, {n} error{'s' if n != 1 else ''}"
    if with_errors:
        head += "\n" + error.render()
    else:
        head += " (printed on stderr)"
    return head + "\n\nverdict: INVALID"


def render_text(items: Iterable[FileCheck | tuple[Design, Result, str]],
                with_errors: bool = False) -> str:
    """``items``: a FileCheck per file (or (design, result, verdict) triples)."""
    items = list(items)
    from archlang.render.text_availability import format_availability
    from archlang.render.text_latency import format_capacity, format_latency

    blocks = []
    names: set[str] = set()
    for item in items:
        probs: list[Finding] | None = None
        status: str
        if isinstance(item, FileCheck):
            if not item.valid:       # on a terminal its errors are on stderr already
                if with_errors:
                    blocks.append(invalid_text(item, with_errors))
                continue
            (design, result), status, probs = item.analysed(), item.verdict, item.problems
        else:
            design, result, status = item
        names.update((design.path, *design.files))
        parts = [summary(design)]
        if result.down:
            parts.append("what-if: failed " + ", ".join(result.down))
        if design.flows:
            avail, lat, cap = (result.availability_report, result.latency_report,
                               result.capacity_report)
            assert avail is not None and lat is not None and cap is not None  # analyze() sets
            parts.append(format_availability(design, avail))
            parts.append(format_latency(design, lat, cap))
            nb = [(n, f.latency_without_breaker) for n, f in result.flows.items()
                  if f.latency_without_breaker is not None]
            if nb:
                parts.append("\n".join(
                    ["latency without the breakers (what the breakers save under --down)"]
                    + [f"  flow {n}: p50 {x.p50:.1f} ms  p99 {x.p99:.1f} ms  "
                       f"p99.9 {x.p999:.1f} ms" for n, x in nb]))
            parts.append(format_capacity(design, cap))
        parts.append(findings_text(design, result, probs))
        parts.append(f"verdict: {status.upper()}")
        blocks.append("\n\n".join(p.rstrip("\n") for p in parts if p))
    # Nothing of the design reaches the terminal raw (archlang/escape.py). File names are
    # the one thing a report prints that may hold a newline: each is shown escaped.
    if not blocks:
        return ""
    checks = [item for item in items if hasattr(item, "verdict")]
    if len(checks) > 1:      # one summary over the files: the verdict the exit code gives
        import textwrap

        from archlang.checks import overall
        from archlang.render.ci import counts

        files = [c for c in checks if isinstance(c, FileCheck)]
        wrapped = textwrap.fill(counts(files), width=100, subsequent_indent="  ",
                                break_on_hyphens=False, break_long_words=False)
        blocks.append(f"{wrapped}\nverdict: {overall(files).upper()}")
    out = "\n\n".join(blocks) + "\n"
    for f in sorted((f for f in names if has_unsafe(f)), key=len, reverse=True):
        out = out.replace(f, escape_text(f))
    return text_block(out)
