"""Metadata of every code archlang can report, read from one place by every machine format.

The design rules come from the rule registry (their docstrings); the codes the CLI and the
analyzers report (invalid input, SLO verdicts, availability, capacity) are described here
until they join the registry. SARIF rules, GitLab check names and Markdown links all read
:func:`rule_info`; docs/rules.md documents the same headings the help links point at.
"""

from __future__ import annotations

from dataclasses import dataclass

from archlang.about import rule_url

_BUILTIN = {
    "AL000": ("invalid-input", "error",
              "The file cannot be read, parsed or validated.",
              "The design file is missing, is not UTF-8 text, does not follow the grammar, "
              "imports what it cannot, or names, values or structure are wrong. Nothing of "
              "the file is analysed; the message says where and what was expected, and "
              "`archlang check` exits 2."),
    "AL001": ("slo-availability", "error",
              "A flow misses its availability SLO.",
              "The flow's computed availability is below the target of its "
              "`slo availability` line: the design spends more than its error budget."),
    "AL002": ("slo-latency", "error",
              "A flow misses its latency SLO.",
              "The flow's computed latency percentile is above the target of its "
              "`slo latency pNN` line (or is unbounded: a component is saturated)."),
    "AL003": ("slo-throughput", "error",
              "A flow misses its throughput SLO, or does not fit its own rate.",
              "At the rate of the `slo throughput` line (or the flow's own rate), a component "
              "on the flow would be at or above 100% utilisation."),
    "AL101": ("weak-hard-dependency", "warning",
              "A hard dependency is weaker than the extra-nine rule asks.",
              "A component every request of a flow needs should be about ten times more "
              "available than the flow's SLO asks (one extra nine): see "
              "docs/analyses/availability.md."),
    "AL301": ("over-capacity", "error",
              "A component is at or above 100% utilisation at the declared load.",
              "See docs/analyses/capacity.md."),
    "AL302": ("high-utilisation", "warning",
              "A component runs hot at the declared load.",
              "See docs/analyses/capacity.md."),
    "AL303": ("no-zone-headroom", "warning",
              "A component cannot carry its load after losing one zone (N+1).",
              "See docs/analyses/capacity.md."),
    "AL304": ("min-replicas-overloaded", "warning",
              "The minimum replicas of a group cannot carry its load.",
              "Its availability counts k of n replicas up, but k replicas would be above "
              "100% utilisation: see docs/analyses/capacity.md."),
}


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: str          # error | warning | info
    summary: str           # one sentence
    description: str       # a paragraph
    help_markdown: str     # the rule's documentation
    help_uri: str


def _from_registry() -> dict[str, RuleInfo]:
    from archlang.rules import REGISTRY

    out: dict[str, RuleInfo] = {}
    for r in REGISTRY:
        docs = r.docs()
        body = "\n\n".join(f"## {k}\n\n{v}" for k, v in docs.items())
        out[r.code] = RuleInfo(code=r.code, name=r.name, severity=r.severity,
                               summary=r.summary(),
                               description=docs.get("What it does", r.summary()),
                               help_markdown=body, help_uri=rule_url(r.code, r.name))
    return out


def all_rules() -> dict[str, RuleInfo]:
    """Every known code, sorted."""
    out = {code: RuleInfo(code=code, name=name, severity=sev, summary=summary,
                          description=desc, help_markdown=f"{summary}\n\n{desc}",
                          help_uri=rule_url(code, name))
           for code, (name, sev, summary, desc) in _BUILTIN.items()}
    out.update(_from_registry())
    return dict(sorted(out.items()))


def rule_info(code: str, severity: str = "warning") -> RuleInfo:
    """The metadata of ``code``; an unknown code (a newer analyzer's) gets a plain entry."""
    known = all_rules().get(code)
    if known is not None:
        return known
    return RuleInfo(code=code, name=code.lower(), severity=severity, summary=code,
                    description=code, help_markdown=code,
                    help_uri=rule_url(code, code.lower()))
