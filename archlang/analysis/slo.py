"""Availability SLO verdicts.

An availability SLO passes when the flow's availability is at least its target; its error
budget and predicted downtime are per 30 days. The extra-nine rule (AL101, AL102) is in
``archlang.analysis.extranine``.
"""

from __future__ import annotations

import math

from archlang.analysis.common import MINUTES_PER_30D, SloResult, downtime_minutes
from archlang.span import Span


def availability_slo(target: float, actual: float, span: Span) -> SloResult:
    budget = (1.0 - target) * MINUTES_PER_30D
    predicted = downtime_minutes(actual)
    if budget > 0:
        use = predicted / budget
    elif predicted > 0:
        use = math.inf
    else:
        use = 0.0
    return SloResult(kind="availability", target=target, actual=actual,
                     status="pass" if actual >= target else "fail", margin=actual - target,
                     span=span, error_budget_minutes_per_30d=budget,
                     predicted_downtime_minutes_per_30d=predicted, budget_use=use)
