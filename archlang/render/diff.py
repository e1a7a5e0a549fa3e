"""Text, Markdown and JSON of DesignDiffs (one per design file compared).

The Markdown is a pull-request comment a bot posts as it is: a summary line first (worse or
not, and what changed), then per file a table of the flows that changed, one of the
components whose utilisation changed and one of the findings gained (➕) and lost (➖).
Nothing is printed for what did not change; names and paths are escaped for Markdown.
"""

from __future__ import annotations

import json

from archlang.analysis.diff import DesignDiff, FlowChange
from archlang.errors import Diagnostic
from archlang.escape import md_code, md_text, text

#: A side of the diff that could not be read: its name (``REV:path`` or the file) and the
#: problems found. The report says it, keeps the other files' diffs, and exits 2.
Invalid = tuple[str, list[Diagnostic]]


def _pct(a: float | None) -> str:
    return "–" if a is None else f"{a * 100:.4f}%"


def _ms(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}ms"


def _util(u: float | None) -> str:
    return "–" if u is None else f"{u * 100:.1f}%"


def _changed_flows(d: DesignDiff) -> list[FlowChange]:
    return [f for f in d.flows if f.change != "same"]


def _flow_cells(f: FlowChange) -> tuple[str, str, str, str, str]:
    avail = f"{_pct(f.availability_base)} → {_pct(f.availability_head)}"
    dn = "–" if f.nines_delta is None else f"{f.nines_delta:+.2f}"
    p99 = f"{_ms(f.p99_base)} → {_ms(f.p99_head)}"
    slos = "; ".join([f"now failing: {', '.join(f.slos_now_failing)}"] * bool(f.slos_now_failing)
                     + [f"now passing: {', '.join(f.slos_now_passing)}"]
                     * bool(f.slos_now_passing)) or "–"
    spofs = "; ".join([f"+{', +'.join(f.spofs_added)}"] * bool(f.spofs_added)
                      + [f"-{', -'.join(f.spofs_removed)}"] * bool(f.spofs_removed)) or "–"
    return avail, dn, p99, slos, spofs


def _unchanged(d: DesignDiff) -> bool:
    return not (_changed_flows(d) or d.components or d.findings_added or d.findings_removed)


def render_diff_text(d: DesignDiff | list[DesignDiff], markdown: bool = False,
                     invalid: list[Invalid] | None = None) -> str:
    diffs = d if isinstance(d, list) else [d]
    invalid = invalid or []
    if markdown:
        return render_diff_markdown(diffs, invalid)
    blocks = []
    for name, diags in invalid:
        blocks.append("\n".join([text(f"archlang diff: {name} is invalid")]
                                + [text(f"  {x.span}: error: {x.message}") for x in diags]
                                + ["verdict: INVALID"]))
    for d in diffs:
        lines = [text(f"archlang diff {d.base} -> {d.head}")]
        for f in _changed_flows(d):
            avail, dn, p99, slos, spofs = _flow_cells(f)
            lines.append(text(f"  flow {f.name} ({f.change}): availability "
                              f"{avail.replace('→', '->')} ({dn} nines), p99 "
                              f"{p99.replace('→', '->')}; SLOs {slos}; SPOFs {spofs}"))
        for c in d.components:
            lines.append(text(f"  component {c.name} ({c.change}): utilisation "
                              f"{_util(c.utilisation_base)} -> {_util(c.utilisation_head)}"))
        for fd in d.findings_added:
            lines.append(text(f"  + {fd.severity} {fd.code} {fd.message}"))
        for fd in d.findings_removed:
            lines.append(text(f"  - {fd.severity} {fd.code} {fd.message}"))
        if _unchanged(d):
            lines.append("  no change in the figures")
        lines.append("verdict: WORSE" if d.worse else "verdict: not worse")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _summary(diffs: list[DesignDiff]) -> str:
    worse = [d for d in diffs if d.worse]
    flows = sum(len(_changed_flows(d)) for d in diffs)
    failing = sum(len(f.slos_now_failing) for d in diffs for f in d.flows)
    spofs = sum(len(f.spofs_added) for d in diffs for f in d.flows)
    added = sum(len(d.findings_added) for d in diffs)
    removed = sum(len(d.findings_removed) for d in diffs)
    comps = sum(len(d.components) for d in diffs)
    parts = [f"{n} {word}{'s' if n != 1 else ''}{tail}" for n, word, tail in (
        (flows, "flow", " changed"), (failing, "SLO", " newly failing"),
        (spofs, "SPOF", " added"), (comps, "component", " changed"),
        (added, "finding", " added"), (removed, "finding", " removed")) if n]
    if len(diffs) == 1:
        where = f"{md_code(diffs[0].base, table=False)} → {md_code(diffs[0].head, table=False)}"
    else:
        where = f"{len(diffs)} files"
    if worse:
        head = f"❌ **archlang diff: worse** ({where})"
    elif parts:
        head = f"✅ **archlang diff: not worse** ({where})"
    else:
        return f"✅ **archlang diff: no change in the figures** ({where})"
    return head + ": " + ", ".join(parts)


def render_diff_markdown(diffs: list[DesignDiff], invalid: list[Invalid] | None = None
                         ) -> str:
    invalid = invalid or []
    out = [_summary(diffs), ""]
    if invalid:
        where = ", ".join(md_code(name, table=False) for name, _ in invalid)
        out = [f"⛔ **archlang diff: invalid input** ({where}); the other files follow", "",
               *(f"- {md_code(str(x.span), table=False)}: {md_text(x.message)}"
                 for _, diags in invalid for x in diags), "", *out]
    for d in diffs:
        if len(diffs) > 1 and _unchanged(d):
            continue                    # the summary counts it; nothing to show
        if len(diffs) > 1:
            verdict = "❌ worse" if d.worse else ("no change" if _unchanged(d) else "not worse")
            out += [f"### {md_code(d.base, table=False)} → "
                    f"{md_code(d.head, table=False)}: {verdict}", ""]
        flows = _changed_flows(d)
        if flows:
            out += ["| flow | change | availability | Δ nines | p99 | SLOs | SPOFs |",
                    "|---|---|---|---:|---|---|---|"]
            for f in flows:
                cells = [md_text(c) for c in _flow_cells(f)]
                out.append(f"| {md_code(f.name)} | {f.change} | " + " | ".join(cells) + " |")
            out.append("")
        if d.components:
            out += ["| component | change | utilisation |", "|---|---|---|"]
            for c in d.components:
                out.append(f"| {md_code(c.name)} | {c.change} | "
                           f"{md_text(_util(c.utilisation_base))} → "
                           f"{md_text(_util(c.utilisation_head))} |")
            out.append("")
        # info notes stay out of a PR comment, as in check's Markdown; they are counted
        shown = [(sign, fd) for sign, fs in (("➕", d.findings_added), ("➖", d.findings_removed))
                 for fd in fs if fd.severity != "info"]
        notes = len(d.findings_added) + len(d.findings_removed) - len(shown)
        if shown:
            out += ["| | severity | code | finding |", "|---|---|---|---|"]
            for sign, fd in shown:
                out.append(f"| {sign} | {fd.severity} | {fd.code} | {md_text(fd.message)} |")
            out.append("")
        if notes:
            out += [f"{notes} info note{'s' if notes != 1 else ''} changed "
                    "(`archlang diff` as text lists them).", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def render_diff_json(d: DesignDiff | list[DesignDiff], invalid: list[Invalid] | None = None
                     ) -> str:
    """One diff: its model (the existing contract); several, or any invalid side:
    ``{"files": [...], "worse", "invalid": [{"name", "diagnostics"}]}``."""
    invalid = invalid or []
    if (isinstance(d, list) and len(d) != 1) or invalid:
        diffs = d if isinstance(d, list) else [d]
        doc = {"files": [x.model_dump(mode="json") for x in diffs],
               "worse": any(x.worse for x in diffs),
               "invalid": [{"name": name, "diagnostics": [
                   {"file": x.span.file, "line": x.span.line, "column": x.span.column,
                    "message": x.message, "hint": x.hint} for x in diags]}
                   for name, diags in invalid]}
    else:
        doc = (d[0] if isinstance(d, list) else d).model_dump(mode="json")
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
