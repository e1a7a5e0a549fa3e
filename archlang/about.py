"""Where archlang lives: the addresses machine formats link to (SARIF informationUri and
helpUri, GitLab and Markdown links). pyproject.toml's [project.urls] says the same (a test
checks that they agree)."""

from __future__ import annotations

PROJECT_URL = "https://github.com/archlang/archlang"
DOCS_URL = f"{PROJECT_URL}/blob/main/docs"
RULES_URL = f"{DOCS_URL}/rules.md"


def rule_anchor(code: str, name: str) -> str:
    """The GitHub anchor of the heading ``## CODE name`` in docs/rules.md."""
    return f"{code.lower()}-{name.lower()}"


def rule_url(code: str, name: str) -> str:
    return f"{RULES_URL}#{rule_anchor(code, name)}"
