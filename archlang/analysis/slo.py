"""Availability SLO verdicts and the extra-nine rule (AL101).

An availability SLO passes when the flow's availability is at least its target; its error
budget and predicted downtime are per 30 days. The extra-nine rule: under an availability
SLO x, every hard dependency of the flow should be available, as placed, to at least
1 - (1 - x) / 10 (one nine more than the SLO), else AL101.
"""

from __future__ import annotations

import math
from typing import Callable

from archlang.analysis.common import MINUTES_PER_30D, Finding, SloResult, downtime_minutes
from archlang.analysis.result import ComponentAvailability
from archlang.model.design import Design, Flow


def _apart(a: float, other: float) -> str:
    """``a`` as a percentage with as many decimals as it takes to differ from ``other``."""
    for decimals in range(2, 10):
        text = f"{a * 100:.{decimals}f}"
        if text != f"{other * 100:.{decimals}f}":
            break
    return text.rstrip("0").rstrip(".") + "%"


def availability_slo(target: float, actual: float, span) -> SloResult:
    budget = (1.0 - target) * MINUTES_PER_30D
    predicted = downtime_minutes(actual)
    if budget > 0:
        use = predicted / budget
    else:
        use = math.inf if predicted > 0 else 0.0
    return SloResult(kind="availability", target=target, actual=actual,
                     status="pass" if actual >= target else "fail", margin=actual - target,
                     span=span, error_budget_minutes_per_30d=budget,
                     predicted_downtime_minutes_per_30d=predicted, budget_use=use)


def _pct(x: float) -> str:
    s = f"{x * 100:.6f}".rstrip("0").rstrip(".")
    return s + "%"


def extra_nine_findings(design: Design, flow: Flow, hard: Callable[[], list[str]],
                        components: dict[str, ComponentAvailability]) -> list[Finding]:
    """AL101 for each hard dependency of ``flow`` (``hard()``, asked only when the flow has
    an availability SLO) below one nine more than its strictest availability SLO."""
    findings: list[Finding] = []
    targets = [s.target for s in flow.slos if s.kind == "availability"]
    if not targets:
        return findings
    x = max(targets)
    need = (1.0 - x) / 10.0
    for c in hard():
        u = 1.0 - components[c].availability_with_domains
        if u > need:
            comp = design.components[c]
            findings.append(Finding(
                code="AL101", severity="warning", span=comp.span, flow=flow.name,
                component=c,
                message=(f"{comp.kind} {c} is a hard dependency of flow {flow.name} with "
                         f"availability {_apart(1.0 - u, 1.0 - need)} as placed; the "
                         f"extra-nine rule asks for at least {_apart(1.0 - need, 1.0 - u)} "
                         f"under the SLO {_pct(x)}"),
                hint=("add replicas or spread them over zones, or make the call "
                      "optional or give it an alternative")))
    return findings
