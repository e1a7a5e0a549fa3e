"""Machine formats for CI: SARIF 2.1.0, JUnit XML, GitHub annotations, GitLab Code Quality,
and the one-line-per-finding concise text.

Every renderer takes the :class:`~archlang.checks.FileCheck` of each file, valid or not: an
invalid file's diagnostics are findings of AL000 (invalid-input), so one bad file never
hides the reports of the others. Failing SLOs are results of three pseudo-rules, located at
the `slo` line: AL001 (availability), AL002 (latency), AL003 (throughput).

Paths: SARIF and GitLab name files relative to the repository root (``root``, the
directory holding ``.git`` above the current directory, else the current directory);
SARIF percent-encodes them as URI references under ``uriBaseId`` ``%SRCROOT%``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.etree import ElementTree as ET

from archlang.analysis.common import Finding
from archlang.checks import FileCheck
from archlang.escape import gh_data, gh_prop, xml_text
from archlang.findings import SEVERITY_RANK as _RANK
from archlang.findings import SLO_CODES, slo_text

if TYPE_CHECKING:
    from archlang.rules.catalogue import RuleInfo

SLO_NAMES = {"AL001": "slo-availability", "AL002": "slo-latency", "AL003": "slo-throughput"}


def repo_path(file: str, root: str | os.PathLike[str] | None) -> tuple[str, bool]:
    """``file`` as a POSIX path relative to ``root``; (path, True) when it lies inside."""
    if root is None or file.startswith("<"):
        return PurePosixPath(Path(file)).as_posix(), not os.path.isabs(file)
    absolute = Path(os.path.abspath(file))
    try:
        return absolute.relative_to(Path(root).resolve()).as_posix(), True
    except ValueError:
        pass
    try:   # a symlinked root
        return Path(os.path.realpath(file)).relative_to(Path(root).resolve()).as_posix(), True
    except ValueError:
        return absolute.as_posix(), False


def _subject(f: Finding) -> str:
    parts = [p for p in (f.component, f.flow) if p]
    return "/".join(parts) if parts else f.message


def fingerprints(checks: list[FileCheck], root: str | os.PathLike[str] | None
                 ) -> dict[int, str]:
    """A stable id per problem: sha256 of rule, file and subject (not the line), numbered
    when the same triple occurs more than once in a file."""
    out: dict[int, str] = {}
    seen: dict[str, int] = {}
    for c in checks:
        for f in c.problems:
            key = "\0".join((f.code, repo_path(f.span.file, root)[0], _subject(f)))
            n = seen.get(key, 0)
            seen[key] = n + 1
            digest = hashlib.sha256((key + (f"\0{n}" if n else "")).encode()).hexdigest()
            out[id(f)] = digest[:32]
    return out


# ---- SARIF ---------------------------------------------------------------------------------
def _sarif_level(sev: str) -> str:
    return {"error": "error", "warning": "warning", "info": "note"}[sev]


def _sarif_rule(info: RuleInfo) -> dict[str, object]:
    return {"id": info.code, "name": info.name,
            "shortDescription": {"text": info.summary},
            "fullDescription": {"text": info.description},
            "help": {"text": info.help_markdown, "markdown": info.help_markdown},
            "helpUri": info.help_uri,
            "defaultConfiguration": {"level": _sarif_level(info.severity)},
            "properties": {"tags": ["architecture"]}}


def render_sarif(checks: list[FileCheck], root: str | os.PathLike[str] | None = None) -> str:
    """SARIF 2.1.0 as GitHub code scanning takes it (validated against the OASIS schema)."""
    from archlang.about import PROJECT_URL, version
    from archlang.rules.catalogue import all_rules, rule_info

    catalogue = all_rules()
    used = {f.code: f.severity for c in checks for f in c.problems}
    infos = dict(catalogue)
    for code, sev in used.items():
        if code not in infos:
            infos[code] = rule_info(code, sev)
    codes = sorted(infos)
    index = {code: i for i, code in enumerate(codes)}
    prints = fingerprints(checks, root)
    results = []
    for c in checks:
        for f in c.problems:
            path, inside = repo_path(f.span.file, root)
            loc = {"uri": quote(path, safe="/")} if inside else \
                {"uri": "file://" + quote(path, safe="/")}
            if inside:
                loc["uriBaseId"] = "%SRCROOT%"
            region = {"startLine": f.span.line, "startColumn": f.span.column}
            if f.span.end_line >= f.span.line:
                region["endLine"] = f.span.end_line
                if f.span.end_line > f.span.line or f.span.end_column >= f.span.column:
                    region["endColumn"] = f.span.end_column + 1
            results.append({
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _sarif_level(f.severity),
                "message": {"text": f.message + (f" ({f.hint})" if f.hint else "")},
                "locations": [{"physicalLocation": {"artifactLocation": loc,
                                                    "region": region}}],
                "partialFingerprints": {"archlang/v1": prints[id(f)]},
            })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "archlang", "version": version(),
                                "semanticVersion": version(),
                                "informationUri": PROJECT_URL,
                                "rules": [_sarif_rule(infos[c]) for c in codes]}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---- GitLab Code Quality -------------------------------------------------------------------
def render_gitlab(checks: list[FileCheck], root: str | os.PathLike[str] | None = None) -> str:
    """GitLab's Code Quality report: a JSON array of issues (`artifacts:reports:codequality`)."""
    from archlang.rules.catalogue import rule_info

    sev = {"error": "major", "warning": "minor", "info": "info"}
    prints = fingerprints(checks, root)
    out = []
    for c in checks:
        for f in c.problems:
            info = rule_info(f.code, f.severity)
            out.append({
                "type": "issue",
                "check_name": f"{f.code} {info.name}",
                "description": f"{f.code} {f.message}" + (f" ({f.hint})" if f.hint else ""),
                "categories": ["Bug Risk"],
                "severity": "critical" if f.code == "AL000" else sev[f.severity],
                "fingerprint": prints[id(f)],
                "location": {"path": repo_path(f.span.file, root)[0],
                             "lines": {"begin": f.span.line, "end": max(f.span.end_line,
                                                                        f.span.line)}},
            })
    return json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---- JUnit ---------------------------------------------------------------------------------
def _lines(first: str, hint: str | None) -> str:
    """A testcase's text: the finding, and its hint on a line of its own (each line
    escaped alone, so the line break stays a line break)."""
    return xml_text(first) + (f"\nhint: {xml_text(hint)}" if hint else "")


def render_junit(checks: list[FileCheck], fail_on: str) -> str:
    """A testsuite per file; a testcase per SLO and per finding at or above ``fail_on``.

    Names are stable across commits and unique within their class (no line numbers): an SLO
    is ``slo availability`` of class ``archlang.SYSTEM.FLOW``; a finding is ``CODE SUBJECT``
    of class ``archlang.SYSTEM.rules``; a system name two files share is qualified by the
    file (``archlang.SYSTEM[PATH].FLOW``). Only the attributes Jenkins xUnit's JUnit schema
    knows are written. An invalid file is one testcase with an ``<error>`` per diagnostic;
    a hint is on a line of its own.
    """
    suites = ET.Element("testsuites", name="archlang")
    total = failures = errors = 0
    # A system name that two files of the report share (prod/ and staging/ copies, an
    # invalid file has none) is qualified by the file, so class + name stay unique.
    systems = [c.design.name if c.valid and c.design is not None else None for c in checks]
    shared = {x for x in systems if systems.count(x) > 1}
    for c, system in zip(checks, systems):
        suite = ET.SubElement(suites, "testsuite", name=xml_text(c.path))
        top = "archlang" if system is None else f"archlang.{system}"
        if system in shared:
            top += f"[{c.path}]"
        n = nf = ne = 0
        names: dict[tuple[str, str], int] = {}

        # called within this file's iteration only: the names and suite it sees are its own
        def case(classname: str, name: str) -> ET.Element:
            k = names.get((classname, name), 0) + 1  # noqa: B023
            names[(classname, name)] = k  # noqa: B023
            return ET.SubElement(suite, "testcase", classname=xml_text(classname),  # noqa: B023
                                 name=xml_text(name if k == 1 else f"{name} ({k})"), time="0")

        if not c.valid:
            n, ne = 1, len(c.problems)
            tc = case(top, "design is valid")
            for f in c.problems:
                err = ET.SubElement(tc, "error", message=xml_text(f.message), type=f.code)
                err.text = _lines(f"{f.span}: error {f.code} {f.message}", f.hint)
        else:
            _, result = c.analysed()
            at_slo = {(s.span, SLO_CODES[s.kind]) for fr in result.flows.values()
                      for s in fr.slos}
            kept_slo = {(f.span, f.code) for f in c.problems} & at_slo
            for fr in result.flows.values():
                for s in fr.slos:
                    n += 1
                    label = f"slo {s.kind}" + (f" p{s.percentile:g}" if s.percentile else "")
                    tc = case(f"{top}.{fr.name}", label)
                    if s.status == "fail" and (s.span, SLO_CODES[s.kind]) in kept_slo:
                        nf += 1
                        fail = ET.SubElement(tc, "failure", message=xml_text(slo_text(s)),
                                             type=SLO_CODES[s.kind])
                        fail.text = xml_text(f"{s.span}: flow '{fr.name}': {slo_text(s)}")
            for f in c.problems:
                if (f.span, f.code) in at_slo:
                    continue                      # its SLO's testcase says it
                if _RANK[f.severity] < _RANK[fail_on] and f.code not in SLO_NAMES:
                    continue
                n += 1
                nf += 1
                tc = case(f"{top}.rules", f"{f.code} {_subject(f)}")
                fail = ET.SubElement(tc, "failure", message=xml_text(f.message), type=f.code)
                fail.text = _lines(f"{f.span}: {f.severity} {f.code} {f.message}", f.hint)
            if n == 0:
                n = 1
                case(top, "design is valid")
        suite.set("tests", str(n))
        suite.set("failures", str(nf))
        suite.set("errors", str(ne))
        suite.set("skipped", "0")
        suite.set("time", "0")
        total += n
        failures += nf
        errors += ne
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode") + "\n")


# ---- GitHub annotations --------------------------------------------------------------------
def render_github(checks: list[FileCheck], root: str | os.PathLike[str] | None = None) -> str:
    """Workflow commands; ``file`` relative to the repository root (``root``), where the
    runner looks for it, whatever directory the check ran in."""
    lines = []
    for c in checks:
        for f in c.problems:
            level = {"error": "error", "warning": "warning", "info": "notice"}[f.severity]
            path, inside = repo_path(f.span.file, root)
            props = (f"file={gh_prop(path if inside else f.span.file)},"
                     f"line={f.span.line},col={f.span.column},"
                     f"endLine={max(f.span.end_line, f.span.line)},title={gh_prop(f.code)}")
            msg = f.message + (f" ({f.hint})" if f.hint else "")
            lines.append(f"::{level} {props}::{gh_data(msg)}")
    return "\n".join(lines) + ("\n" if lines else "")


# ---- concise text --------------------------------------------------------------------------
def concise_lines(checks: list[FileCheck]) -> list[str]:
    """``path:line:col: CODE [severity] message``, one line per problem, as ruff prints."""
    from archlang.escape import text

    return [text(f"{f.span}: {f.code} [{f.severity}] {f.message}")
            for c in checks for f in c.problems]


def counts(checks: list[FileCheck]) -> str:
    """``3 files: 1 pass, 1 fail (b.arch), 1 invalid (c.arch); 4 errors, 2 warnings, 1 info``:
    the files that fail or are invalid are named (five at most)."""
    from collections import Counter

    v = Counter[str](c.verdict for c in checks)
    s = Counter[str](f.severity for c in checks for f in c.problems)

    def part(k: str) -> str:
        text = f"{v[k]} {k}"
        if k != "pass" and v[k]:
            names = [c.path for c in checks if c.verdict == k]
            text += " (" + ", ".join(names[:5]) + (f" and {len(names) - 5} more"
                                                   if len(names) > 5 else "") + ")"
        return text

    files = f"{len(checks)} file{'s' if len(checks) != 1 else ''}: " + ", ".join(
        part(k) for k in ("pass", "fail", "invalid") if v[k] or k != "invalid")
    sev = ", ".join(f"{s[k]} {k}{'s' if s[k] != 1 and k != 'info' else ''}"
                    for k in ("error", "warning", "info") if s[k])
    return files + "; " + (sev or "no findings")
