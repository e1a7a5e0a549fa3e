"""Generate docs/rules.md from the registry: `python -m archlang.rules.docs > docs/rules.md`."""

from __future__ import annotations

from archlang.rules import REGISTRY


def rules_markdown() -> str:
    out = ["# Design rules", "",
           "Generated from the rule registry (`python -m archlang.rules.docs > docs/rules.md`);",
           "a test checks it is up to date. `archlang explain CODE` prints one rule.",
           "Silence a finding with `# noqa: CODE` on the line it points at.", "",
           "Failing SLOs are reported in SARIF, JUnit and GitHub output as AL001",
           "(availability), AL002 (latency) and AL003 (throughput); the analyzers report",
           "AL101 (a hard dependency weaker than the extra-nine rule asks), AL2xx (latency)",
           "and AL3xx (capacity): see docs/analyses/.", "",
           "| code | name | severity | what it does |", "|---|---|---|---|"]
    for r in REGISTRY:
        out.append(f"| [{r.code}](#{r.code.lower()}-{r.name}) | {r.name} | {r.severity} | "
                   f"{r.summary()} |")
    out.append("")
    from archlang.rules.catalogue import all_rules

    registry = {r.code for r in REGISTRY}
    out += ["## Codes of the analyzers", "",
            "Reported by the CLI and the analyzers (SARIF, GitLab and Markdown link here).", ""]
    for info in all_rules().values():
        if info.code not in registry:
            out += [f"### {info.code} {info.name}", "", f"Severity: {info.severity}. "
                    f"{info.summary}", "", info.description, ""]
    for r in REGISTRY:
        out += [f"## {r.code} {r.name}", "", f"Severity: {r.severity}.", ""]
        for title, text in r.docs().items():
            out += [f"### {title}", "", text, ""]
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(rules_markdown(), end="")
