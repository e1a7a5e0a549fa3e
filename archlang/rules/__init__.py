"""Design rules: checks of a design against known practice, each with a stable code."""

from __future__ import annotations

import re

from archlang.analysis.common import Finding
from archlang.model.design import Design
from archlang.rules import data, resilience, structure, topology  # noqa: F401  (registers the rules)
from archlang.rules.base import REGISTRY, Rule

__all__ = ["REGISTRY", "Rule", "check_rules", "suppressed"]

_NOQA = re.compile(r"(?:#|//)\s*noqa(?::\s*(?P<codes>[A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*))?",
                   re.I)


def suppressed(design: Design, finding: Finding) -> bool:
    """A `# noqa: CODE` (or a bare `# noqa`) in the comment of the finding's line silences it
    (a `noqa` inside a string is text, not a comment)."""
    from archlang.syntax.parser import comment_of

    line = design.source_line(finding.span)
    if not line or "noqa" not in line.lower():       # most lines: no comment scan
        return False
    m = _NOQA.search(comment_of(line))
    if not m:
        return False
    codes = m.group("codes")
    return codes is None or finding.code in {c.strip().upper() for c in codes.split(",")}


def check_rules(design: Design) -> list[Finding]:
    out: list[Finding] = []
    for rule in REGISTRY:
        out.extend(f for f in rule().check(design) if not suppressed(design, f))
    return out
