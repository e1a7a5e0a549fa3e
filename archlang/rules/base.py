"""Design rules: one class per rule, its code in its identity, its docstring its documentation.

A rule's docstring has four sections, in this order, each a heading line followed by text:
``What it does``, ``Why is this bad?``, ``Example``, ``Use instead``. docs/rules.md is
generated from the registry (``python -m archlang.rules.docs``) and a test checks that it is
up to date and that every rule has a fixture that triggers it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import ClassVar, Literal

from archlang.analysis.common import Finding
from archlang.model.design import Design
from archlang.span import Span

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]                 # kebab-case, e.g. "write-back-cache"
    severity: ClassVar[Literal["error", "warning", "info"]]

    def check(self, design: Design) -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finding(self, message: str, span: Span, hint: str | None = None, *,
                component: str | None = None, flow: str | None = None) -> Finding:
        return Finding(code=self.code, severity=self.severity, message=message, span=span,
                       hint=hint, component=component, flow=flow)

    @classmethod
    def docs(cls) -> dict[str, str]:
        """The docstring's sections: {"What it does": "...", ...}."""
        text = inspect.cleandoc(cls.__doc__ or "")
        headings = "|".join(re.escape(s) for s in SECTIONS)
        parts = re.split(rf"^({headings})\n-+\n", text, flags=re.M)
        out: dict[str, str] = {}
        for i in range(1, len(parts) - 1, 2):
            out[parts[i]] = parts[i + 1].strip()
        return out

    @classmethod
    def summary(cls) -> str:
        return cls.docs().get("What it does", "").split("\n\n")[0].replace("\n", " ")


class Registry:
    def __init__(self) -> None:
        self._rules: dict[str, type[Rule]] = {}

    def register(self, rule: type[Rule]) -> type[Rule]:
        if rule.code in self._rules:
            raise ValueError(f"rule code {rule.code} is registered twice")
        if any(r.name == rule.name for r in self._rules.values()):
            raise ValueError(f"rule name {rule.name} is registered twice")
        self._rules[rule.code] = rule
        return rule

    def __iter__(self) -> Iterator[type[Rule]]:
        return iter(sorted(self._rules.values(), key=lambda r: r.code))

    def get(self, code: str) -> type[Rule] | None:
        code = code.upper()
        hit = self._rules.get(code)
        if hit is None:
            hit = next((r for r in self._rules.values() if r.name == code.lower()), None)
        return hit


REGISTRY = Registry()
register = REGISTRY.register
