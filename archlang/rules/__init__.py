"""Design rules: checks of a design against known practice, each with a stable code."""

from __future__ import annotations

import functools
import re

from archlang.analysis.common import Finding
from archlang.model.design import Design
from archlang.rules import data, resilience, structure, topology  # noqa: F401  (registers the rules)
from archlang.rules.base import REGISTRY, Rule
from archlang.span import source_lines

__all__ = ["REGISTRY", "Rule", "check_rules", "suppressed"]

_NOQA = re.compile(r"(?:#|//)\s*noqa(?::\s*(?P<codes>[A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*))?",
                   re.I)


@functools.lru_cache(maxsize=16)
def noqa_lines(text: str) -> frozenset[int]:
    """The lines (from 1) of ``text`` on which "noqa" is written, in any case: the only lines
    whose findings a comment may silence. Found without splitting a text that has none (a
    large design's lines would be megabytes kept for nothing)."""
    if "noqa" not in text.lower():
        return frozenset()
    return frozenset(i for i, line in enumerate(source_lines(text), 1)
                     if "noqa" in line.lower())


def suppressed(design: Design, finding: Finding) -> bool:
    """A `# noqa: CODE` (or a bare `# noqa`) in the comment of the finding's line silences it
    (a `noqa` inside a string is text, not a comment)."""
    from archlang.syntax.parser import comment_of

    text = design.sources.get(finding.span.file)
    if text is None or finding.span.line not in noqa_lines(text):  # most lines: no scan
        return False
    m = _NOQA.search(comment_of(design.source_line(finding.span) or ""))
    if not m:
        return False
    codes = m.group("codes")
    return codes is None or finding.code in {c.strip().upper() for c in codes.split(",")}


def check_rules(design: Design) -> list[Finding]:
    out: list[Finding] = []
    for rule in REGISTRY:
        out.extend(f for f in rule().check(design) if not suppressed(design, f))
    return out
