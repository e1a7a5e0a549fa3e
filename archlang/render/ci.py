"""Machine formats for CI: SARIF 2.1.0, JUnit XML, GitHub annotations, Markdown.

Failing SLOs appear in these formats as results of three pseudo-rules, located at the
`slo` line: AL001 (availability), AL002 (latency), AL003 (throughput).
"""

from __future__ import annotations

import json
import math
from xml.etree import ElementTree as ET

from archlang.analysis.common import Finding
from archlang.escape import gh_data as _gh_data
from archlang.escape import gh_prop as _gh_prop
from archlang.escape import md_code, md_text, text_block, xml_text
from archlang.analysis.result import Result
from archlang.model.design import Design

SLO_CODES = {"availability": "AL001", "latency": "AL002", "throughput": "AL003"}
SLO_NAMES = {"AL001": "slo-availability", "AL002": "slo-latency", "AL003": "slo-throughput"}
_RANK = {"info": 0, "warning": 1, "error": 2}


def slo_text(s) -> str:
    if s.kind == "availability":
        actual = "n/a" if s.actual is None else f"{s.actual * 100:.4f}%"
        return f"availability {actual} against a target of {s.target * 100:g}%"
    if s.kind == "latency":
        actual = "unbounded" if s.actual is None else f"{s.actual:.1f}ms"
        return f"p{s.percentile:g} latency {actual} against a target of {s.target:g}ms"
    actual = "n/a" if s.actual is None else f"{s.actual:.1f} rps"
    return f"throughput up to {actual} against a target of {s.target:g} rps"


def problems(design: Design, result: Result) -> list[Finding]:
    """Findings plus one error per failing SLO, in source order."""
    out = list(result.findings)
    for fr in result.flows.values():
        for s in fr.slos:
            if s.status == "fail":
                out.append(Finding(code=SLO_CODES[s.kind], severity="error",
                                   message=f"flow '{fr.name}' misses its SLO: {slo_text(s)}",
                                   span=s.span, flow=fr.name))
    out.sort(key=lambda f: (f.span.file, f.span.line, f.span.column, f.code))
    return out


# ---- SARIF ---------------------------------------------------------------------------------
def render_sarif(items: list[tuple[Design, Result]]) -> str:
    from archlang import __version__
    from archlang.rules import REGISTRY

    rules = [{"id": code, "name": name,
              "shortDescription": {"text": f"a flow misses its {name[4:]} SLO"},
              "defaultConfiguration": {"level": "error"}}
             for code, name in SLO_NAMES.items()]
    for r in REGISTRY:
        rules.append({"id": r.code, "name": r.name,
                      "shortDescription": {"text": r.summary()},
                      "help": {"text": "\n\n".join(f"{k}\n{v}" for k, v in r.docs().items())},
                      "defaultConfiguration": {"level": _sarif_level(r.severity)}})
    known = {r["id"] for r in rules}
    results = []
    for design, result in items:
        for f in problems(design, result):
            if f.code not in known:
                known.add(f.code)
                rules.append({"id": f.code, "shortDescription": {"text": f.code},
                              "defaultConfiguration": {"level": _sarif_level(f.severity)}})
            results.append({
                "ruleId": f.code,
                "level": _sarif_level(f.severity),
                "message": {"text": f.message + (f" ({f.hint})" if f.hint else "")},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.span.file},
                    "region": {"startLine": f.span.line, "startColumn": f.span.column,
                               "endLine": f.span.end_line,
                               "endColumn": f.span.end_column + 1}}}],
            })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "archlang", "version": __version__,
                                      "rules": rules}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _sarif_level(sev: str) -> str:
    return {"error": "error", "warning": "warning", "info": "note"}[sev]


# ---- JUnit ---------------------------------------------------------------------------------
def render_junit(items: list[tuple[Design, Result]], fail_on: str) -> str:
    """A testsuite per file; a testcase per SLO and per finding at or above ``fail_on``."""
    suites = ET.Element("testsuites", name="archlang")
    total = failures = 0
    for design, result in items:
        suite = ET.SubElement(suites, "testsuite", name=xml_text(design.path))
        n = nf = 0
        for fr in result.flows.values():
            for s in fr.slos:
                n += 1
                case = ET.SubElement(suite, "testcase", classname=f"{design.name}.{fr.name}",
                                     name=f"slo {s.kind}" + (f" p{s.percentile:g}" if s.percentile else ""))
                case.set("file", xml_text(s.span.file))
                case.set("line", str(s.span.line))
                if s.status == "fail":
                    nf += 1
                    fail = ET.SubElement(case, "failure", message=slo_text(s),
                                         type=SLO_CODES[s.kind])
                    fail.text = xml_text(f"{s.span}: flow '{fr.name}': {slo_text(s)}")
        for f in result.findings:
            if _RANK[f.severity] < _RANK[fail_on]:
                continue
            n += 1
            nf += 1
            case = ET.SubElement(suite, "testcase", classname=f"{design.name}.rules",
                                 name=xml_text(f"{f.code} {f.span.file}:{f.span.line}"))
            case.set("file", xml_text(f.span.file))
            case.set("line", str(f.span.line))
            fail = ET.SubElement(case, "failure", message=xml_text(f.message), type=f.code)
            fail.text = xml_text(f"{f.span}: {f.severity} {f.code} {f.message}")
        if n == 0:
            n = 1
            ET.SubElement(suite, "testcase", classname=design.name, name="design is valid")
        suite.set("tests", str(n))
        suite.set("failures", str(nf))
        suite.set("errors", "0")
        total += n
        failures += nf
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# ---- GitHub annotations --------------------------------------------------------------------
def render_github(items: list[tuple[Design, Result]]) -> str:
    lines = []
    for design, result in items:
        for f in problems(design, result):
            level = {"error": "error", "warning": "warning", "info": "notice"}[f.severity]
            props = (f"file={_gh_prop(f.span.file)},line={f.span.line},col={f.span.column},"
                     f"endLine={f.span.end_line},title={_gh_prop(f.code)}")
            msg = f.message + (f" ({f.hint})" if f.hint else "")
            lines.append(f"::{level} {props}::{_gh_data(msg)}")
    return "\n".join(lines) + ("\n" if lines else "")


# ---- Markdown --------------------------------------------------------------------------------
def _pct(a: float) -> str:
    return f"{a * 100:.4f}%"


def render_markdown(items: list[tuple[Design, Result, str]]) -> str:
    out = []
    for design, result, status in items:
        icon = "✅" if status == "pass" else "❌"
        out.append(f"### {icon} {md_code(design.path)}: system {design.name}\n")
        out.append("| flow | availability | nines | downtime / 30d | p99 | SLOs |")
        out.append("|---|---:|---:|---:|---:|---|")
        for fr in result.flows.values():
            n = "∞" if not math.isfinite(fr.nines) else f"{fr.nines:.2f}"
            lat = fr.latency
            p99 = "unbounded" if lat and lat.unbounded else (
                f"{lat.p99:.1f} ms" if lat and lat.p99 is not None else "–")
            slos = ", ".join(f"{'✅' if s.status == 'pass' else '❌'} {s.kind}"
                             for s in fr.slos) or "–"
            out.append(f"| {fr.name} | {_pct(fr.availability)} | {n} | "
                       f"{fr.downtime_minutes_per_30d:.1f} min | {p99} | {slos} |")
        probs = problems(design, result)
        if probs:
            out.append("")
            for f in probs:
                out.append(f"- **{f.severity}** `{f.code}` {md_text(f.span.file)}:"
                           f"{f.span.line}: {md_text(f.message)}")
        out.append("")
    return text_block("\n".join(out))
