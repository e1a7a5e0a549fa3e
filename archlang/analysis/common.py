"""Models and small helpers shared by every analyzer: findings, SLO verdicts, nines."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from archlang.span import Span, share_fields_set

#: How much a finding matters; `check --fail-on` fails at this or above.
Severity = Literal["error", "warning", "info"]

MINUTES_PER_30D = 30 * 24 * 60
MINUTES_PER_YEAR = 365 * 24 * 60


class Frozen(BaseModel):
    # An infinite figure (the nines of a flow that cannot fail) is written to JSON as the
    # string "Infinity" and read back: a Result round-trips (Result.model_validate_json).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True,
                              ser_json_inf_nan="strings")

    def model_post_init(self, context: Any, /) -> None:
        share_fields_set(self)       # see archlang/span.py: memory, not behaviour


class Finding(Frozen):
    """A problem found in a design (a rule broken, a capacity limit, a weak dependency)."""

    code: str                                   # stable, e.g. "AL101"
    severity: Severity
    message: str
    span: Span
    hint: str | None = None
    flow: str | None = None
    component: str | None = None


class SloResult(Frozen):
    """The verdict on one `slo` line of a flow."""

    kind: Literal["availability", "latency", "throughput"]
    target: float           # availability: fraction; latency: ms; throughput: rps
    actual: float | None    # None when it cannot be computed (e.g. unbounded latency)
    status: Literal["pass", "fail"]
    percentile: float | None = None
    margin: float | None = None   # how far inside (+) or outside (-) the target, same unit
    span: Span
    # availability only
    error_budget_minutes_per_30d: float | None = None
    predicted_downtime_minutes_per_30d: float | None = None
    budget_use: float | None = None   # predicted / budget; above 1 fails


def nines(availability: float) -> float:
    """-log10(1 - A); infinite for a flow that cannot fail."""
    if availability >= 1.0:
        return math.inf
    return -math.log10(1.0 - availability) + 0.0      # + 0.0: 0, not -0, at A = 0


def downtime_minutes(availability: float, minutes: float = MINUTES_PER_30D) -> float:
    return (1.0 - availability) * minutes


def failover_factor(mode: str, failover_s: float, mtbf_s: float) -> float:
    """1 - min(T / MTBF, 1) for active_passive; 1 otherwise."""
    if mode != "active_passive" or failover_s <= 0 or math.isinf(mtbf_s):
        return 1.0
    if mtbf_s <= 0:
        return 0.0
    return 1.0 - min(failover_s / mtbf_s, 1.0)
