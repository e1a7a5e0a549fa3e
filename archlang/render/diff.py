"""Text, Markdown and JSON of a DesignDiff."""

from __future__ import annotations

import json

from archlang.analysis.diff import DesignDiff
from archlang.escape import md_code, text_block


def _pct(a):
    return "–" if a is None else f"{a * 100:.4f}%"


def _ms(x):
    return "–" if x is None else f"{x:.1f}ms"


def render_diff_text(d: DesignDiff, markdown: bool = False) -> str:
    lines = []
    if markdown:
        lines += [f"### archlang diff {md_code(d.base)} → {md_code(d.head)}", "",
                  "| flow | change | availability | Δ nines | p99 | SLOs | SPOFs |",
                  "|---|---|---|---:|---|---|---|"]
    else:
        lines.append(f"archlang diff {d.base} -> {d.head}")
    for f in d.flows:
        if f.change == "same":
            continue
        avail = f"{_pct(f.availability_base)} -> {_pct(f.availability_head)}"
        dn = "–" if f.nines_delta is None else f"{f.nines_delta:+.2f}"
        p99 = f"{_ms(f.p99_base)} -> {_ms(f.p99_head)}"
        slos = "; ".join([f"now failing: {', '.join(f.slos_now_failing)}"] * bool(f.slos_now_failing)
                         + [f"now passing: {', '.join(f.slos_now_passing)}"] * bool(f.slos_now_passing)) or "–"
        spofs = "; ".join([f"+{', +'.join(f.spofs_added)}"] * bool(f.spofs_added)
                          + [f"-{', -'.join(f.spofs_removed)}"] * bool(f.spofs_removed)) or "–"
        if markdown:
            lines.append(f"| {f.name} | {f.change} | {avail} | {dn} | {p99} | {slos} | {spofs} |")
        else:
            lines.append(f"  flow {f.name} ({f.change}): availability {avail} ({dn} nines), "
                         f"p99 {p99}; SLOs {slos}; SPOFs {spofs}")
    if markdown:
        lines.append("")
    for c in d.components:
        u0 = "–" if c.utilisation_base is None else f"{c.utilisation_base * 100:.1f}%"
        u1 = "–" if c.utilisation_head is None else f"{c.utilisation_head * 100:.1f}%"
        lines.append(f"{'- ' if markdown else '  '}component {c.name} ({c.change}): "
                     f"utilisation {u0} -> {u1}")
    for f in d.findings_added:
        lines.append(f"{'- ' if markdown else '  '}+ {f.severity} {f.code} {f.message}")
    for f in d.findings_removed:
        lines.append(f"{'- ' if markdown else '  '}- {f.severity} {f.code} {f.message}")
    if len(lines) == (5 if markdown else 1) + (1 if markdown else 0):
        lines.append("no change in the figures")
    lines.append(("**worse**" if markdown else "verdict: WORSE") if d.worse else
                 ("not worse" if markdown else "verdict: not worse"))
    return text_block("\n".join(lines) + "\n")


def render_diff_json(d: DesignDiff) -> str:
    return json.dumps(d.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
