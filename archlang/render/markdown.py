"""`archlang check --format markdown`: a pull-request comment a bot posts as it is.

The first line is the summary (verdict, files, counts); then per file a heading, its flow
table and its findings folded in ``<details>``. Info notes appear only when asked
(``--show-info``). Everything the design or the file system supplies (paths, names,
messages) goes through :mod:`archlang.escape`, so no file name can open a heading, a tag or
an HTML comment.
"""

from __future__ import annotations

import math

from archlang.analysis.common import Finding
from archlang.checks import FileCheck
from archlang.escape import md_code, md_rich, md_text
from archlang.numbers import minutes

_ICON = {"pass": "✅", "fail": "❌", "invalid": "⛔"}


def _pct(a: float) -> str:
    from archlang.numbers import availability

    return availability(a)


def _finding_line(f: Finding) -> str:
    from archlang.rules.catalogue import rule_info

    info = rule_info(f.code, f.severity)
    hint = f" *{md_rich(f.hint)}*" if f.hint else ""
    return (f"- **{f.severity}** [{f.code}]({info.help_uri}) "
            f"{md_code(f'{f.span}', table=False)}: "
            f"{md_text(f.message)}{hint}")


def render_markdown(checks: list[FileCheck], show_info: bool = False) -> str:
    from archlang.checks import overall
    from archlang.render.ci import counts

    shown = [[f for f in c.problems if show_info or f.severity != "info"] for c in checks]
    verdict = overall(checks)
    out = [f"{_ICON[verdict]} **archlang: {verdict}**: {md_text(counts(checks))}", ""]
    for c, probs in zip(checks, shown):
        if not c.valid:
            out.append(f"### {_ICON['invalid']} {md_text(c.path)}: invalid")
        else:
            design, result = c.analysed()
            out.append(f"### {_ICON[c.verdict]} {md_text(c.path)}: system "
                       f"{md_text(design.name)}")
            if result.flows:
                out += ["", "| flow | availability | nines | downtime / 30d | p99 | SLOs |",
                        "|---|---:|---:|---:|---:|---|"]
                for fr in result.flows.values():
                    n = "∞" if not math.isfinite(fr.nines) else f"{fr.nines:.2f}"
                    lat = fr.latency
                    p99 = "unbounded" if lat and lat.unbounded else (
                        f"{lat.p99:.1f} ms" if lat and lat.p99 is not None else "–")
                    slos = ", ".join(f"{_ICON[s.status]} {s.kind}" for s in fr.slos) or "–"
                    out.append(f"| {md_code(fr.name)} | {_pct(fr.availability)} | {n} | "
                               f"{minutes(fr.downtime_minutes_per_30d)} | {p99} | {slos} |")
        hidden = len(c.problems) - len(probs)
        if probs:
            word = "finding" if len(probs) == 1 else "findings"
            label = "error" if not c.valid else word
            out += ["", f"<details><summary>{len(probs)} {label}"
                        f"{'s' if not c.valid and len(probs) != 1 else ''}</summary>", ""]
            out += [_finding_line(f) for f in probs]
            out += ["", "</details>"]
        if hidden:
            out += ["", f"{hidden} info note{'s' if hidden != 1 else ''} not shown "
                        "(`--show-info` shows them)."]
        out.append("")
    return "\n".join(out)
