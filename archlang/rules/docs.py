"""Generate docs/rules.md from the catalogue of every code:
`python -m archlang.rules.docs > docs/rules.md` (a test checks it is up to date)."""

from __future__ import annotations


def _sections(code: str) -> tuple[str, str, dict[str, str]]:
    from archlang.rules import REGISTRY
    from archlang.rules.catalogue import all_rules, builtin_docs

    rule = REGISTRY.get(code)
    if rule is not None:
        return rule.name, rule.severity, rule.docs()
    info = all_rules()[code]
    return info.name, info.severity, builtin_docs(code) or {}


def explain_text(code: str) -> str:
    """What `archlang explain CODE` prints: the code's sections."""
    name, severity, docs = _sections(code)
    lines = [f"{code} ({name}), {severity}", ""]
    for title, text in docs.items():
        lines += [f"## {title}", text, ""]
    return "\n".join(lines)


def codes_text() -> str:
    """What `archlang explain` alone prints: one line per code."""
    from archlang.rules.catalogue import all_rules

    infos = all_rules()
    width = max(len(i.name) for i in infos.values())
    lines = []
    for i in infos.values():
        head = f"{i.code}  {i.severity:<7}  {i.name:<{width}}  "
        text = i.summary.split(": ")[0].split(". ")[0].rstrip(".")
        room = 100 - len(head)
        lines.append(head + (text if len(text) <= room else text[:room - 3] + "..."))
    return "\n".join(lines + ["", "archlang explain CODE prints one code in full."]) + "\n"


def rules_markdown() -> str:
    from archlang.rules.catalogue import all_rules

    infos = all_rules()
    out = ["# Finding codes", "",
           "Generated from the catalogue of every code archlang reports (the design rules'",
           "docstrings and the analyzers' entries in `archlang/rules/catalogue.py`:",
           "`python -m archlang.rules.docs > docs/rules.md`); a test checks it is up to date.",
           "`archlang explain CODE` prints one code, `archlang explain` lists them all.",
           "Silence a finding with `# noqa: CODE` on the line it points at.", "",
           "Families: AL000 invalid input; AL001-AL003 SLO verdicts (availability, latency,",
           "throughput); AL1xx availability (the extra-nine rule); AL3xx capacity; AL4xx",
           "design rules (data, topology); AL6xx resilience. See docs/analyses/ for the",
           "semantics behind each figure.", "",
           "| code | name | severity | what it does |", "|---|---|---|---|"]
    for i in infos.values():
        out.append(f"| [{i.code}](#{i.code.lower()}-{i.name}) | {i.name} | {i.severity} | "
                   f"{i.summary} |")
    out.append("")
    for code in infos:
        name, severity, docs = _sections(code)
        out += [f"## {code} {name}", "", f"Severity: {severity}.", ""]
        for title, text in docs.items():
            out += [f"### {title}", "", text, ""]
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(rules_markdown(), end="")
