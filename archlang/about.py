"""What archlang is and where it lives: its version (read from the package metadata, so
pyproject.toml's ``[project] version`` is the one place it is written) and the addresses
machine formats link to (SARIF informationUri and helpUri, GitLab and Markdown links).
pyproject.toml's [project.urls] says the same (a test checks that they agree)."""

from __future__ import annotations

from functools import cache

PROJECT_URL = "https://github.com/archlang/archlang"
DOCS_URL = f"{PROJECT_URL}/blob/main/docs"
RULES_URL = f"{DOCS_URL}/rules.md"


@cache
def version() -> str:
    """The installed version (importlib.metadata; read on first use, ~5 ms)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("archlang")
    except PackageNotFoundError:     # a checkout on sys.path that was never installed
        return "0+unknown"


def rule_anchor(code: str, name: str) -> str:
    """The GitHub anchor of the heading ``## CODE name`` in docs/rules.md."""
    return f"{code.lower()}-{name.lower()}"


def rule_url(code: str, name: str) -> str:
    return f"{RULES_URL}#{rule_anchor(code, name)}"
