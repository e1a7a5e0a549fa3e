"""Metadata of every code archlang can report, read from one place by every machine format.

The design rules come from the rule registry (their docstrings); the codes the CLI and the
analyzers report (invalid input, SLO verdicts, availability, capacity) are described here
until they join the registry. SARIF rules, GitLab check names and Markdown links all read
:func:`rule_info`; docs/rules.md documents the same headings the help links point at.
"""

from __future__ import annotations

from dataclasses import dataclass

from archlang.about import rule_url

#: code -> (name, severity, {section: text}) with the sections of a rule's docstring
#: (archlang.rules.base.SECTIONS): what it does, why it is bad, an example, what to use.
_BUILTIN: dict[str, tuple[str, str, dict[str, str]]] = {
    "AL000": ("invalid-input", "error", {
        "What it does": "Reports a file that cannot be read, parsed or validated.",
        "Why is this bad?": (
            "The design file is missing, is not UTF-8 text, does not follow the grammar, "
            "imports what it cannot, or names, values or structure are wrong. Nothing of the "
            "file is analysed; the message says where and what was expected, and "
            "`archlang check` exits 2."),
        "Example": "```arch\nserver api { replicas 2 min 3 }\n```",
        "Use instead": (
            "Follow the message and its hint (`min must be between 1 and 2`): "
            "`server api { replicas 3 min 2 }`. docs/language.md lists every construct."),
    }),
    "AL001": ("slo-availability", "error", {
        "What it does": "Reports a flow whose computed availability is below its "
                        "`slo availability` target.",
        "Why is this bad?": (
            "The design spends more than its error budget: the predicted downtime per 30 "
            "days is above (1 - target) x 30 days. The report gives the availability, the "
            "budget use, the single points of failure and what to improve first."),
        "Example": ("```arch\nserver api { availability 99.9% }\n"
                    "flow f { path users -> api  slo availability 99.99% }\n```"),
        "Use instead": (
            "Work down the \"improve first\" list: add replicas or zones to the top unit "
            "(`server api { availability 99.9% replicas 3 placement r.a, r.b, r.c }`), put a "
            "cache in front, make a soft call `optional`, or agree a looser target."),
    }),
    "AL002": ("slo-latency", "error", {
        "What it does": "Reports a flow whose computed latency percentile is above the "
                        "target of its `slo latency pNN` line (or unbounded: a component "
                        "on it is saturated).",
        "Why is this bad?": (
            "That share of requests is slower than promised. The waterfall shows each hop's "
            "mean and p99 and its share of the flow's p99: the largest share is where time "
            "goes."),
        "Example": ("```arch\nserver feed { latency p50 40ms p99 400ms }\n"
                    "flow f { path users -> feed  slo latency p99 150ms }\n```"),
        "Use instead": (
            "Shorten the largest hop: a cache in front (`hit_ratio`), `parallel` instead of "
            "sequential calls, a hedge on a long-tailed call (`hedge p95`), fewer "
            "cross-region hops, or more capacity where queueing adds delay."),
    }),
    "AL003": ("slo-throughput", "error", {
        "What it does": "Reports a flow that misses its `slo throughput` rate, or does not "
                        "fit its own `rate`: a component on it would be at or above 100% "
                        "utilisation.",
        "Why is this bad?": (
            "Requests beyond the bottleneck's capacity queue without bound and time out; "
            "the report names the bottleneck and the largest rate that fits."),
        "Example": ("```arch\nserver api { capacity 500 rps }\n"
                    "flow f rate 800 rps { path users -> api }\n```"),
        "Use instead": "Add replicas or capacity at the bottleneck "
                       "(`server api { capacity 500 rps replicas 3 }`), or cache in front.",
    }),
    "AL101": ("weak-hard-dependency", "warning", {
        "What it does": (
            "Reports a hard dependency of a flow (its failure alone fails every request) "
            "that is weaker than the extra-nine rule asks: its own unavailability, with the "
            "region that holds all of its replicas taken as up, is above a tenth of what "
            "the flow's strictest availability SLO allows."),
        "Why is this bad?": (
            "A flow is at most as available as its weakest hard dependency: one that uses "
            "the whole error budget alone leaves nothing for the rest (Treynor et al., *The "
            "Calculus of Service Availability*, 2017). The region is judged on its own "
            "(AL102), so this finding is only what the component's own replicas, zones, "
            "failover or provider can fix: docs/analyses/availability.md, section 5."),
        "Example": ("```arch\nserver api { availability 99.9% }\n"
                    "flow f { path users -> api  slo availability 99.9% }\n```"),
        "Use instead": (
            "The hint names the fix that reaches the target: the replica count "
            "(`replicas 2`), a spread over two or more zones, a shorter failover, and for "
            "an external (its availability is its provider's) a second provider as an "
            "alternative (`-> card | card-backup`); or make the call `optional`."),
    }),
    "AL102": ("region-caps-availability", "warning", {
        "What it does": (
            "Reports, once per region, a region that holds every replica of hard "
            "dependencies of a flow and is itself weaker than the extra-nine rule asks "
            "under the flow's strictest availability SLO; it names the flows and the "
            "components it caps."),
        "Why is this bad?": (
            "No replica or zone inside the region lifts a component above the region's own "
            "availability: under that SLO every such component is capped, however many "
            "replicas it has. Only another region removes the cap."),
        "Example": ("```arch\nregion us-east availability 99.99% { zone a availability "
                    "99.95% }\nserver api { replicas 3 placement us-east.a }\n"
                    "flow f { path users -> api  slo availability 99.99% }\n```"),
        "Use instead": (
            "Place replicas in a second region and route between them (a `dns` with "
            "alternatives, `-> api-east | api-west`), or relax the SLO to what one region "
            "supports (one nine looser than the region)."),
    }),
    "AL301": ("over-capacity", "error", {
        "What it does": "Reports a component above 100% utilisation at the declared load "
                        "(every flow's rate, with retries and fan-out); exactly 100% is "
                        "AL302.",
        "Why is this bad?": "It cannot serve its load: queues grow without bound and "
                            "latency is unbounded. See docs/analyses/capacity.md.",
        "Example": ("```arch\nserver api { capacity 100 rps }\n"
                    "flow f rate 150 rps { path users -> api }\n```"),
        "Use instead": "Add replicas or capacity per replica, or put a cache in front "
                       "(`server api { capacity 100 rps replicas 3 }`).",
    }),
    "AL302": ("high-utilisation", "warning", {
        "What it does": "Reports a component above 80% utilisation, up to 100% included, "
                        "at the declared load; exactly 80% is ok.",
        "Why is this bad?": "Queueing delay grows fast near 100% (M/M/c): a small burst or "
                            "a lost replica saturates it. See docs/analyses/capacity.md.",
        "Example": ("```arch\nserver api { capacity 100 rps }\n"
                    "flow f rate 90 rps { path users -> api }\n```"),
        "Use instead": "Keep utilisation under 80%: add replicas or capacity "
                       "(`replicas 2`).",
    }),
    "AL303": ("no-zone-headroom", "warning", {
        "What it does": "Reports a component that cannot carry its load after losing any "
                        "one zone (N+1): no replica is left, or the replicas left would be "
                        "at or above 100%.",
        "Why is this bad?": "A zone outage is routine; the component then fails or "
                            "saturates. See docs/analyses/capacity.md.",
        "Example": ("```arch\nserver api { replicas 2 capacity 100 rps placement r.a, r.b }\n"
                    "flow f rate 150 rps { path users -> api }\n```"),
        "Use instead": "Add a replica in another zone (one replica or one zone: spread it), "
                       "or enough capacity that the rest carry the load.",
    }),
    "AL304": ("min-replicas-overloaded", "warning", {
        "What it does": "Reports a group whose `min` replicas cannot carry its load: its "
                        "availability counts k of n replicas up, but k would be at or above "
                        "100% utilisation.",
        "Why is this bad?": "The availability figure assumes k replicas suffice; at the "
                            "declared load they do not, so the figure is optimistic. See "
                            "docs/analyses/capacity.md.",
        "Example": ("```arch\nserver api { replicas 4 min 1 capacity 100 rps }\n"
                    "flow f rate 300 rps { path users -> api }\n```"),
        "Use instead": "Raise `min` to the replicas the load needs (`min 3`), or the "
                       "capacity per replica.",
    }),
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


def builtin_docs(code: str) -> dict[str, str] | None:
    """The sections of a built-in code (an analyzer's), None for a rule of the registry."""
    entry = _BUILTIN.get(code)
    return None if entry is None else dict(entry[2])


def all_rules() -> dict[str, RuleInfo]:
    """Every known code, sorted."""
    out = {code: RuleInfo(code=code, name=name, severity=sev,
                          summary=docs["What it does"].split("\n\n")[0],
                          description=docs["Why is this bad?"],
                          help_markdown="\n\n".join(f"## {k}\n\n{v}" for k, v in docs.items()),
                          help_uri=rule_url(code, name))
           for code, (name, sev, docs) in _BUILTIN.items()}
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
